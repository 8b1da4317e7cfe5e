/**
 * Scores a detector's alerts on a simulated run against its ground truth, per scenario kind and per event.
 *
 * Definitions (t(e) is the event time of event e in epoch ms, `grace` is {@link SCORE_GRACE_MS} unless given;
 * an alert "carries kind K's reasons" when one of its reasons is in `SCENARIO_REASONS[K]`; K's event type is
 * `SCENARIO_EVENT_TYPE[K]`):
 *
 * - An alert on event e **falls on** instance I when e is one of I's `event_ids`, or when e's entity
 *   (`entityOf`) is I's entity and I.start_ms ≤ t(e) ≤ I.end_ms + grace. The grace lets a detector that needs a
 *   few more events (a drift, a recurring offender) still count, and attributes to I the alerts its aftermath
 *   raises (a recalibrated sensor jumping back).
 * - Instance I of kind K is **detected** when an alert carrying K's reasons falls on it. Its **time to detect**
 *   is t(e) − I.start_ms, in seconds, for the earliest such event e (never negative).
 * - **recall**(K) = detected instances of K / instances of K; null when the run has no instance of K.
 * - **precision**(K) = alerts carrying K's reasons on events of K's event type that fall on an instance *of
 *   kind K*, divided by all alerts carrying K's reasons on events of K's event type. Restricting to K's event
 *   type keeps the two kinds that share a reason apart (`suspicious_port` on flows, `robot_suspicious_port` on
 *   robots). Alerts are counted, not events: an event with two such alerts counts twice.
 *   null when there is no such alert (nothing was claimed, so precision is undefined; JSON-safe, printed `-`).
 * - **precision_any**(K): the same with "falls on an instance of any kind" in the numerator. It differs from
 *   precision when one attacker's behaviour raises another kind's reason (a scanner that also becomes a
 *   Recurring Offender, a value out of range that also reads as a spike); those alerts are right about the
 *   entity but not about the scenario.
 * - The last row, kind `events`, is event-level: `instances` = events in any instance's `event_ids`,
 *   `detected` = those with at least one alert (any reason), `alerts` = observed events with at least one alert,
 *   `true_alerts` = `attack_alerts` = `detected`; recall = detected / instances, precision = precision_any =
 *   true_alerts / alerts; no time to detect.
 *
 * Rows: one per kind of `SCENARIO_KINDS` (in that order) that has an instance in the truth or an alert carrying
 * its reasons, then the `events` row. The same event may appear in several observed items (e.g. one per alert
 * record); the `events` row counts it once (by id). Observed events without alerts change no figure and may be left out
 * (the CLI keeps only alerted events of long runs). Cost: O(observed alerts · instances of the entity).
 */
import { entityOf, eventTimeMs, type EventInput, type EventType } from '../core/events.js';
import type { GroundTruth, TruthScenario } from './ground-truth.js';
import { SCENARIO_EVENT_TYPE, SCENARIO_KINDS, SCENARIO_REASONS, type ScenarioKind } from './scenarios.js';

/** Default grace after an instance's end during which alerts still fall on it, ms. */
export const SCORE_GRACE_MS = 10_000;

/** An event known only by the fields an alert record carries (`GET /alerts`: event_id, event_type, entity, ts_ms). */
export interface ObservedEventRef {
  readonly id: string;
  readonly type: EventType;
  readonly entity: string;
  readonly ts_ms: number;
}

/** One event as the detector saw it, with the alerts it raised on it. */
export interface ObservedEvent {
  /** The wire event (with its `id`), or a reference built from an alert record. */
  readonly event: EventInput | ObservedEventRef;
  readonly alerts: readonly { readonly reasons: readonly string[] }[];
}

/** Options of {@link scoreRun}. */
export interface ScoreOptions {
  /** Grace after `end_ms`, ms (default {@link SCORE_GRACE_MS}). */
  readonly graceMs?: number;
}

/** One row of the score (see the module documentation for every definition). */
export interface ScenarioScore {
  readonly kind: ScenarioKind | 'events';
  /** Instances of the kind (`events` row: attack events). */
  readonly instances: number;
  /** Detected instances (`events` row: attack events with an alert). */
  readonly detected: number;
  /** detected / instances, or null when instances = 0. */
  readonly recall: number | null;
  /** Alerts carrying the kind's reasons on events of its type (`events` row: events with an alert). */
  readonly alerts: number;
  /** Of those, alerts falling on an instance of this kind. */
  readonly true_alerts: number;
  /** true_alerts / alerts, or null when alerts = 0. */
  readonly precision: number | null;
  /** Of `alerts`, those falling on an instance of any kind. */
  readonly attack_alerts: number;
  /** attack_alerts / alerts, or null when alerts = 0. */
  readonly precision_any: number | null;
  /** Mean time to detect over detected instances, seconds; null when none was detected. */
  readonly mean_ttd_s: number | null;
  /** Median time to detect (mean of the middle two for an even count), seconds; null when none was detected. */
  readonly median_ttd_s: number | null;
}

interface Ev {
  readonly id: string | undefined;
  readonly type: EventType;
  readonly entity: string;
  readonly t: number;
}

function viewOf(e: EventInput | ObservedEventRef): Ev {
  if ('ts_ms' in e) return { id: e.id, type: e.type, entity: e.entity, t: e.ts_ms };
  return { id: e.id, type: e.type, entity: entityOf(e), t: eventTimeMs(e) };
}

/**
 * Scores `observed` against `truth`.
 * @throws RangeError when `graceMs` is negative or not finite
 */
export function scoreRun(truth: GroundTruth, observed: readonly ObservedEvent[], opts: ScoreOptions = {}): ScenarioScore[] {
  const grace = opts.graceMs ?? SCORE_GRACE_MS;
  if (!(Number.isFinite(grace) && grace >= 0)) throw new RangeError(`graceMs must be >= 0, got ${grace}`);
  const scenarios = truth.scenarios;
  const byEntity = new Map<string, number[]>();
  const byEventId = new Map<string, number[]>();
  scenarios.forEach((s, i) => {
    push(byEntity, s.entity, i);
    for (const id of s.event_ids) push(byEventId, id, i);
  });
  const kindOfReason = new Map<string, ScenarioKind[]>();
  for (const k of SCENARIO_KINDS) for (const r of SCENARIO_REASONS[k]) push(kindOfReason, r, k);

  const firstDetect = new Array<number>(scenarios.length).fill(Number.POSITIVE_INFINITY);
  const counts = new Map<ScenarioKind, { alerts: number; trueAlerts: number; attackAlerts: number }>();
  const alertedIds = new Set<string>();
  let alertedWithoutId = 0;
  const alertedAttackIds = new Set<string>();
  const falls = (s: TruthScenario, i: number, e: Ev): boolean =>
    (e.id !== undefined && (byEventId.get(e.id)?.includes(i) ?? false)) || (s.entity === e.entity && e.t >= s.start_ms && e.t <= s.end_ms + grace);

  for (const o of observed) {
    if (o.alerts.length === 0) continue;
    const e = viewOf(o.event);
    if (e.id === undefined) alertedWithoutId++;
    else {
      alertedIds.add(e.id);
      if (byEventId.has(e.id)) alertedAttackIds.add(e.id);
    }
    const candidates = new Set<number>([...(byEntity.get(e.entity) ?? []), ...(e.id === undefined ? [] : (byEventId.get(e.id) ?? []))]);
    const on: number[] = [];
    for (const i of candidates) if (falls(scenarios[i], i, e)) on.push(i);
    for (const a of o.alerts) {
      const kinds = new Set<ScenarioKind>();
      for (const r of a.reasons) for (const k of kindOfReason.get(r) ?? []) if (SCENARIO_EVENT_TYPE[k] === e.type) kinds.add(k);
      for (const k of kinds) {
        const c = counts.get(k) ?? { alerts: 0, trueAlerts: 0, attackAlerts: 0 };
        counts.set(k, c);
        c.alerts++;
        if (on.length > 0) c.attackAlerts++;
        let mine = false;
        for (const i of on) {
          if (scenarios[i].kind !== k) continue;
          mine = true;
          if (e.t < firstDetect[i]) firstDetect[i] = e.t;
        }
        if (mine) c.trueAlerts++;
      }
    }
  }

  const rows: ScenarioScore[] = [];
  for (const k of SCENARIO_KINDS) {
    const idx = scenarios.map((s, i) => (s.kind === k ? i : -1)).filter((i) => i >= 0);
    const c = counts.get(k);
    if (idx.length === 0 && c === undefined) continue;
    const ttd = idx
      .filter((i) => Number.isFinite(firstDetect[i]))
      .map((i) => Math.max(0, firstDetect[i] - scenarios[i].start_ms) / 1000)
      .sort((a, b) => a - b);
    const alerts = c?.alerts ?? 0;
    rows.push({
      kind: k,
      instances: idx.length,
      detected: ttd.length,
      recall: idx.length === 0 ? null : ttd.length / idx.length,
      alerts,
      true_alerts: c?.trueAlerts ?? 0,
      precision: alerts === 0 ? null : (c?.trueAlerts ?? 0) / alerts,
      attack_alerts: c?.attackAlerts ?? 0,
      precision_any: alerts === 0 ? null : (c?.attackAlerts ?? 0) / alerts,
      mean_ttd_s: ttd.length === 0 ? null : ttd.reduce((s, x) => s + x, 0) / ttd.length,
      median_ttd_s: median(ttd),
    });
  }
  const attackEvents = byEventId.size;
  const alertedEvents = alertedIds.size + alertedWithoutId;
  const alertedAttackEvents = alertedAttackIds.size;
  const prec = alertedEvents === 0 ? null : alertedAttackEvents / alertedEvents;
  rows.push({
    kind: 'events',
    instances: attackEvents,
    detected: alertedAttackEvents,
    recall: attackEvents === 0 ? null : alertedAttackEvents / attackEvents,
    alerts: alertedEvents,
    true_alerts: alertedAttackEvents,
    precision: prec,
    attack_alerts: alertedAttackEvents,
    precision_any: prec,
    mean_ttd_s: null,
    median_ttd_s: null,
  });
  return rows;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a === undefined) m.set(k, [v]);
  else a.push(v);
}

/** Median of ascending `xs`, null when empty. */
function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}
