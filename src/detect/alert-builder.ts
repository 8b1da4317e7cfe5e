/**
 * Builds alerts in the robot-fleet log shape ({@link Alert}) from a scored event and the reasons its detectors
 * gave, with per-(entity, reason) de-duplication.
 *
 * De-duplication: for each entity the builder remembers when each reason last raised an alert (event time) and
 * at which severity. A reason is dropped when the entity alerted for it less than `dedupWindowMs` before or after
 * this event's time (|Δt| < window; at exactly the window it alerts again) at the same or a higher severity; a
 * rise in severity alerts again at once (a scan first seen as low, then high). If no reason remains there is no
 * alert. The window runs from the last *emitted* alert, so a sustained attack gives one alert per reason per
 * window and severity.
 *
 * Bound and eviction: at most `maxKeys` entities are remembered, one `Float64Array` of
 * 2 × `ALERT_REASONS.length` numbers each (times and severities, ≈ 370 bytes); beyond it the entity that least recently alerted is
 * forgotten (LRU over a `Map`'s insertion order), after which its next alert is not de-duplicated.
 */
import type { IngestEvent } from '../core/events.js';
import { ALERT_REASONS, type Alert, type AlertReason, type Severity, type Technique } from '../core/records.js';
import { ALL_MAPPED_TECHNIQUES, techniquesFor } from './attack-mapping.js';

/** Options of {@link AlertBuilder}. */
export interface AlertBuilderOptions {
  /** De-duplication window per (entity, reason), in ms of event time (finite, ≥ 0; 0 disables). Default 60 s. */
  readonly dedupWindowMs: number;
  /** Most entities remembered for de-duplication (integer ≥ 1); LRU eviction beyond. Default 200,000. */
  readonly maxKeys: number;
}

/** Defaults of {@link AlertBuilderOptions}. */
export const ALERT_BUILDER_DEFAULTS: Readonly<AlertBuilderOptions> = Object.freeze({ dedupWindowMs: 60_000, maxKeys: 200_000 });

/** Lower risk bounds of the severities: critical ≥ 0.9, high ≥ 0.7 (= risk class High), medium ≥ 0.4, else low. */
export const SEVERITY_THRESHOLDS = Object.freeze({ critical: 0.9, high: 0.7, medium: 0.4 });

/**
 * Severity of an alert of final risk `risk` in [0, 1] (see {@link SEVERITY_THRESHOLDS}).
 * @throws RangeError when `risk` is not in [0, 1]
 */
export function severityOf(risk: number): Severity {
  if (!(risk >= 0 && risk <= 1)) throw new RangeError(`risk must be in [0, 1], got ${risk}`);
  return risk >= SEVERITY_THRESHOLDS.critical ? 'critical' : risk >= SEVERITY_THRESHOLDS.high ? 'high' : risk >= SEVERITY_THRESHOLDS.medium ? 'medium' : 'low';
}

/** What {@link AlertBuilder.build} needs. */
export interface AlertBuildInput {
  /** The validated event that raised the reasons. */
  readonly event: IngestEvent;
  /** Its entity key (`entityOf(event)`). */
  readonly entity: string;
  /** Reasons the detectors gave, in order (duplicates are ignored). */
  readonly reasons: readonly AlertReason[];
  /** Final risk of the event in [0, 1]. */
  readonly risk: number;
  /** Called once for the alert id when an alert is built (also with `commit` false). */
  readonly newId: () => string;
}

const KNOWN_TECHNIQUES: ReadonlyMap<string, Technique> = new Map(ALL_MAPPED_TECHNIQUES.map((t) => [t.id, t]));

/**
 * The technique of an id a sensor claimed: ours (with its ATT&CK name) when the id is one we map, else the id with
 * the name `(named by the sensor)`: IPqSEC does not ship the whole ATT&CK catalogue, only the techniques it maps.
 */
export function techniqueById(id: string): Technique {
  return KNOWN_TECHNIQUES.get(id) ?? { id, name: '(named by the sensor)' };
}

const N_REASONS = ALERT_REASONS.length;
const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 0, medium: 1, high: 2, critical: 3 };

const REASON_INDEX: ReadonlyMap<AlertReason, number> = new Map(ALERT_REASONS.map((r, i) => [r, i]));
const NO_PORTS: readonly number[] = Object.freeze([]);

/** Alert building and de-duplication; see the file comment. */
export class AlertBuilder {
  private readonly opts: AlertBuilderOptions;
  /** entity → last alert time (epoch ms) per reason index, −∞ when never; insertion order = LRU. */
  private readonly last = new Map<string, Float64Array>();
  private evicted = 0;

  /**
   * @param options overrides of {@link ALERT_BUILDER_DEFAULTS}
   * @throws RangeError when an option is out of its range
   */
  constructor(options: Partial<AlertBuilderOptions> = {}) {
    const o = { ...ALERT_BUILDER_DEFAULTS, ...options };
    if (!(o.dedupWindowMs >= 0) || !Number.isFinite(o.dedupWindowMs)) throw new RangeError(`dedupWindowMs must be a finite number >= 0, got ${o.dedupWindowMs}`);
    if (!Number.isInteger(o.maxKeys) || o.maxKeys < 1) throw new RangeError(`maxKeys must be an integer >= 1, got ${o.maxKeys}`);
    this.opts = Object.freeze(o);
  }

  /** Number of entities remembered (≤ `maxKeys`). */
  get size(): number {
    return this.last.size;
  }

  /** Number of entities forgotten so far (LRU bound). */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * The alert for `input`, or null when it has no reason left after de-duplication. With `commit` false the
   * de-duplication state is left unchanged (the alert that would be raised is returned).
   *
   * Shape: `timestamp` is `event.tsMs` as ISO 8601 UTC; `ip` the flow's `orig_h`, the robot's `ip`, null for
   * sensors; `task`/`previous_task` from robot events, else null; `ports_accessed` the robot's list, `[resp_p]`
   * for a flow, `[]` for a sensor; `severity` from {@link severityOf}; `techniques` the union over the remaining
   * reasons of `techniquesFor` (Suspicious Port Access once per port), then the ids a flow's `signals` claim for
   * those reasons (`techniqueById`), first occurrence kept; not acked.
   * @throws RangeError when `risk` is not in [0, 1] or a reason is not one of `ALERT_REASONS`
   */
  build(input: AlertBuildInput, commit: boolean): Alert | null {
    const { event, entity, risk } = input;
    const severity = severityOf(risk);
    const ts = event.tsMs;
    const times = this.last.get(entity);
    const window = this.opts.dedupWindowMs;
    const rank = SEVERITY_RANK[severity];
    const reasons: AlertReason[] = [];
    for (const r of input.reasons) {
      const i = REASON_INDEX.get(r);
      if (i === undefined) throw new RangeError(`unknown alert reason: ${String(r)}`);
      if (reasons.includes(r)) continue;
      // Within the window a reason alerts again only when the severity rose (a scan turning from low to high).
      if (times !== undefined && Math.abs(ts - times[i]) < window && rank <= times[N_REASONS + i]) continue;
      reasons.push(r);
    }
    if (reasons.length === 0) return null;

    let ip: string | null = null;
    let task: string | null = null;
    let previousTask: string | null = null;
    let ports: readonly number[] = NO_PORTS;
    switch (event.type) {
      case 'flow':
        ip = event.orig_h;
        ports = [event.resp_p];
        break;
      case 'robot':
        ip = event.ip;
        task = event.task;
        previousTask = event.previous_task ?? null;
        ports = event.ports_accessed.slice();
        break;
      case 'sensor':
        break;
    }

    const techniques: Technique[] = [];
    const add = (ts2: readonly Technique[]): void => {
      for (const t of ts2) if (!techniques.some((x) => x.id === t.id)) techniques.push(t);
    };
    for (const r of reasons) {
      if (r === 'Suspicious Port Access') for (const port of ports) add(techniquesFor(r, { eventType: event.type, port }));
      else add(techniquesFor(r, { eventType: event.type }));
    }
    // Technique ids a sensor claimed for its signals (e.g. Suricata's `mitre_technique_id` metadata), after ours.
    if (event.type === 'flow' && event.signals !== undefined) {
      for (const s of event.signals) {
        if (s.techniques === undefined || !reasons.includes(s.reason)) continue;
        for (const id of s.techniques) if (!techniques.some((x) => x.id === id)) techniques.push(techniqueById(id));
      }
    }

    const alert: Alert = {
      id: input.newId(),
      event_id: event.id,
      event_type: event.type,
      entity,
      timestamp: new Date(ts).toISOString(),
      ts_ms: ts,
      ip,
      task,
      previous_task: previousTask,
      ports_accessed: ports,
      intrusion_detected: true,
      reasons,
      severity,
      risk,
      techniques,
      acked: false,
      acked_by: null,
      acked_at_ms: null,
    };

    if (commit) {
      let row = times;
      if (row === undefined) {
        row = new Float64Array(2 * N_REASONS).fill(-Infinity);
      } else {
        this.last.delete(entity);
      }
      for (const r of reasons) {
        const i = REASON_INDEX.get(r) as number;
        if (ts > row[i]) row[i] = ts;
        row[N_REASONS + i] = rank;
      }
      this.last.set(entity, row);
      if (this.last.size > this.opts.maxKeys) {
        this.last.delete(this.last.keys().next().value as string);
        this.evicted++;
      }
    }
    return alert;
  }
}
