/**
 * The seeded simulator: a robot fleet, temperature sensors and network traffic with scheduled attack
 * scenarios, as one time-ordered stream of wire events (`core/events.ts`) plus its ground truth.
 *
 * Determinism: everything derives from `seed` through one {@link createRng} root, forked once per part in a
 * fixed order (schedule, robots, sensors, normal traffic, attack traffic), so the same options give the same
 * events, ids and truth, and the schedule does not depend on the rates. Output order: by event time, ties in
 * a fixed order (robots, sensors, normal flows, attack flows, each in generation order).
 * Event ids: `sim-<seed>-<startMs base 36>-<n>`, n counting events from 0 in output order.
 */
import type { EventInput } from '../core/events.js';
import { createRng } from '../core/rng.js';
import type { Draft, DraftSource } from './_draft.js';
import { AttackTraffic } from './attack-traffic.js';
import type { GroundTruth } from './ground-truth.js';
import { NormalTraffic } from './network-traffic.js';
import { RobotFleet } from './robot-fleet.js';
import { SCENARIO_KINDS, SCENARIO_REASONS, scheduleScenarios, type ScenarioKind, type ScheduledInstance } from './scenarios.js';
import { TemperatureSensors } from './temperature-sensors.js';

/** A simulated wire event; always carries its `id`. */
export type SimEvent = EventInput & { readonly id: string };

/** Options of {@link simulate} and {@link simulateStream}. */
export interface SimulateOptions {
  /** Any safe integer. */
  readonly seed: number;
  /** Simulated start, epoch ms (integer ≥ 0). */
  readonly startMs: number;
  /** Simulated length, seconds (> 0); events have start ≤ time < start + duration. */
  readonly durationS: number;
  /** Robots (default 20). */
  readonly robots?: number;
  /** Temperature sensors (default 100). */
  readonly sensors?: number;
  /** Mean rate of normal flows, per second (default 200). */
  readonly flowsPerSecond?: number;
  /** Reading interval of each sensor, ms (default 1000). */
  readonly sensorIntervalMs?: number;
  /** Scenario kinds to schedule (default all of {@link SCENARIO_KINDS}; `[]` for a run without attacks). */
  readonly scenarios?: readonly ScenarioKind[];
  /** Instances per kind (default `defaultInstancesPerKind(durationS)`). */
  readonly instancesPerKind?: number;
}

/** Defaults of {@link SimulateOptions}. */
export const SIM_DEFAULTS = { robots: 20, sensors: 100, flowsPerSecond: 200, sensorIntervalMs: 1000 } as const;

/** The id prefix shared by every event of a run: `sim-<seed>-<startMs base 36>-`. */
export function simEventIdPrefix(seed: number, startMs: number): string {
  return `sim-${seed}-${startMs.toString(36)}-`;
}

/** The id of the `n`-th event (0-based) of a run. */
export function simEventId(seed: number, startMs: number, n: number): string {
  return `${simEventIdPrefix(seed, startMs)}${n}`;
}

/** A run as time-ordered batches (one per simulated slice; empty slices are skipped). */
export interface SimulationStream extends Iterable<SimEvent[]> {
  /** The attack schedule (known before any event is generated). */
  readonly schedule: readonly ScheduledInstance[];
  /**
   * The ground truth. `event_ids` fill in as batches are generated and are complete once an iteration has
   * finished; each new iteration regenerates the same run from the start.
   */
  truth(): GroundTruth;
}

interface Resolved {
  readonly seed: number;
  readonly startMs: number;
  readonly durationS: number;
  readonly robots: number;
  readonly sensors: number;
  readonly flowsPerSecond: number;
  readonly sensorIntervalMs: number;
  readonly scenarios: readonly ScenarioKind[];
  readonly instancesPerKind: number | undefined;
}

function resolve(o: SimulateOptions): Resolved {
  const r: Resolved = {
    seed: o.seed,
    startMs: o.startMs,
    durationS: o.durationS,
    robots: o.robots ?? SIM_DEFAULTS.robots,
    sensors: o.sensors ?? SIM_DEFAULTS.sensors,
    flowsPerSecond: o.flowsPerSecond ?? SIM_DEFAULTS.flowsPerSecond,
    sensorIntervalMs: o.sensorIntervalMs ?? SIM_DEFAULTS.sensorIntervalMs,
    scenarios: o.scenarios ?? SCENARIO_KINDS,
    instancesPerKind: o.instancesPerKind,
  };
  if (!Number.isSafeInteger(r.seed)) throw new RangeError(`seed must be a safe integer, got ${r.seed}`);
  if (!Number.isSafeInteger(r.startMs) || r.startMs < 0) throw new RangeError(`startMs must be an integer >= 0, got ${r.startMs}`);
  if (!(Number.isFinite(r.durationS) && r.durationS > 0)) throw new RangeError(`durationS must be > 0, got ${r.durationS}`);
  for (const k of ['robots', 'sensors'] as const) {
    if (!Number.isSafeInteger(r[k]) || r[k] < 0) throw new RangeError(`${k} must be an integer >= 0, got ${r[k]}`);
  }
  if (!(Number.isFinite(r.flowsPerSecond) && r.flowsPerSecond >= 0)) throw new RangeError(`flowsPerSecond must be >= 0, got ${r.flowsPerSecond}`);
  if (!Number.isSafeInteger(r.sensorIntervalMs) || r.sensorIntervalMs < 1) {
    throw new RangeError(`sensorIntervalMs must be an integer >= 1, got ${r.sensorIntervalMs}`);
  }
  for (const k of r.scenarios) {
    if (!(SCENARIO_KINDS as readonly string[]).includes(k)) throw new RangeError(`unknown scenario kind "${k}" (known: ${SCENARIO_KINDS.join(', ')})`);
  }
  return r;
}

/**
 * The lazy form: a re-iterable stream of time-ordered batches, one per `sliceMs` of simulated time, for long
 * runs. Memory is bounded by one slice of events plus the simulator state (O(robots + sensors + schedule)).
 * Concatenating the batches gives exactly `simulate(opts).events`.
 * @throws RangeError on an invalid option (see {@link SimulateOptions}) or `sliceMs` not a positive integer
 */
export function simulateStream(opts: SimulateOptions, sliceMs = 1000): SimulationStream {
  const o = resolve(opts);
  if (!Number.isSafeInteger(sliceMs) || sliceMs < 1) throw new RangeError(`sliceMs must be a positive integer, got ${sliceMs}`);
  const endMs = o.startMs + Math.round(o.durationS * 1000);
  const scheduleOf = (root: ReturnType<typeof createRng>): ScheduledInstance[] =>
    scheduleScenarios(
      { startMs: o.startMs, durationS: o.durationS, robots: o.robots, sensors: o.sensors, sensorIntervalMs: o.sensorIntervalMs, kinds: o.scenarios, instancesPerKind: o.instancesPerKind },
      root.fork(),
    );
  const schedule = scheduleOf(createRng(o.seed));
  let eventIds: string[][] = schedule.map(() => []);

  function* iterate(): Generator<SimEvent[]> {
    const root = createRng(o.seed);
    const plan = scheduleOf(root);
    const ids: string[][] = plan.map(() => []);
    eventIds = ids;
    const sources: DraftSource[] = [
      new RobotFleet(o.robots, o.startMs, root.fork(), plan),
      new TemperatureSensors(o.sensors, o.startMs, o.sensorIntervalMs, root.fork(), plan),
      new NormalTraffic(o.startMs, o.flowsPerSecond, root.fork()),
      new AttackTraffic(root.fork(), plan),
    ];
    let n = 0;
    const prefix = simEventIdPrefix(o.seed, o.startMs);
    const drafts: Draft[] = [];
    for (let t = o.startMs; t < endMs; t += sliceMs) {
      const until = Math.min(t + sliceMs, endMs);
      drafts.length = 0;
      for (const s of sources) s.emit(until, drafts);
      if (drafts.length === 0) continue;
      drafts.sort((a, b) => a.tsMs - b.tsMs); // stable: ties keep source order
      const batch: SimEvent[] = new Array<SimEvent>(drafts.length);
      for (let i = 0; i < drafts.length; i++) {
        const d = drafts[i];
        d.event.id = `${prefix}${n++}`;
        if (d.instance >= 0) ids[d.instance].push(d.event.id);
        batch[i] = d.event;
      }
      yield batch;
    }
  }

  return {
    schedule,
    [Symbol.iterator]: iterate,
    truth: (): GroundTruth => ({
      seed: o.seed,
      startMs: o.startMs,
      durationS: o.durationS,
      scenarios: schedule.map((s, i) => ({
        id: s.id,
        kind: s.kind,
        entity: s.entity,
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        reasons: SCENARIO_REASONS[s.kind],
        event_ids: eventIds[i].slice(),
      })),
    }),
  };
}

/**
 * Simulates a whole run in memory: about (robots / 2 + sensors · 1000 / sensorIntervalMs + flowsPerSecond)
 * events per simulated second plus the attacks (≈ 37,000 events for 120 s at the defaults).
 * @throws RangeError on an invalid option (see {@link SimulateOptions})
 */
export function simulate(opts: SimulateOptions): { events: SimEvent[]; truth: GroundTruth } {
  const stream = simulateStream(opts);
  const events: SimEvent[] = [];
  for (const batch of stream) for (const e of batch) events.push(e);
  return { events, truth: stream.truth() };
}
