/**
 * Attack scenarios of the simulator: their kinds, the alert reasons that detect each, and the deterministic
 * schedule of their instances (which entity attacks when).
 *
 * Default schedule (see {@link scheduleScenarios}): nothing happens in the warm-up, the first
 * {@link WARM_UP_FRACTION} of the run (30 s of 120 s), so that learning detectors see only normal behaviour;
 * after it, every kind gets {@link defaultInstancesPerKind} instances (4 for runs up to 133 s, one more
 * per further 20 s of attack time, 20 from 534 s on), instance i of n starting at a uniform time inside the i-th of n
 * equal slots of the attack time, so instances of one kind are spread over the whole attack time and every
 * window ends before the run does. Instances of one entity (a robot or sensor) are at least
 * {@link ENTITY_SEPARATION_MS} apart; each network instance has its own attacker address.
 */
import type { EventType } from '../core/events.js';
import type { AlertReason } from '../core/records.js';
import { shuffleInPlace, type Rng } from '../core/rng.js';
import { ROBOT_INTERVAL_MAX_MS, robotIdentity } from './robot-fleet.js';
import { sensorIdentity, sensorOffsetMs } from './temperature-sensors.js';

/** Scenario kinds, in schedule order. */
export const SCENARIO_KINDS = [
  'port_scan',
  'dos_burst',
  'suspicious_port',
  'large_transfer',
  'slow_and_low',
  'robot_suspicious_port',
  'unusual_task_switch',
  'sensor_spike',
  'sensor_drift',
  'sensor_stuck',
  'sensor_out_of_range',
] as const;
/** One of {@link SCENARIO_KINDS}. */
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** The alert reasons that count as detecting each kind (an alert needs one of them). */
export const SCENARIO_REASONS: Readonly<Record<ScenarioKind, readonly AlertReason[]>> = {
  port_scan: ['Port Scan'],
  dos_burst: ['Traffic Burst'],
  suspicious_port: ['Suspicious Port Access'],
  large_transfer: ['ML Intrusion Score'],
  slow_and_low: ['Recurring Offender'],
  robot_suspicious_port: ['Suspicious Port Access'],
  unusual_task_switch: ['Unusual Task Switch'],
  sensor_spike: ['Sensor Spike'],
  sensor_drift: ['Sensor Drift'],
  sensor_stuck: ['Sensor Stuck'],
  sensor_out_of_range: ['Sensor Out Of Range'],
};

/** The event type each kind's events have. */
export const SCENARIO_EVENT_TYPE: Readonly<Record<ScenarioKind, EventType>> = {
  port_scan: 'flow',
  dos_burst: 'flow',
  suspicious_port: 'flow',
  large_transfer: 'flow',
  slow_and_low: 'flow',
  robot_suspicious_port: 'robot',
  unusual_task_switch: 'robot',
  sensor_spike: 'sensor',
  sensor_drift: 'sensor',
  sensor_stuck: 'sensor',
  sensor_out_of_range: 'sensor',
};

/** Share of the run with no attacks at its start. */
export const WARM_UP_FRACTION = 0.25;
/** Least gap between two instances on one robot or sensor, ms (more than the scoring grace of 10 s). */
export const ENTITY_SEPARATION_MS = 30_000;

/**
 * Window length of each kind: ms for time-based kinds, readings for the sensor kinds counted in readings
 * (window = (readings − 1) · interval, so exactly that many readings fall in it).
 */
const WINDOWS: Readonly<Record<ScenarioKind, { readonly unit: 'ms' | 'readings'; readonly min: number; readonly max: number }>> = {
  port_scan: { unit: 'ms', min: 3000, max: 8000 },
  dos_burst: { unit: 'ms', min: 2000, max: 5000 },
  suspicious_port: { unit: 'ms', min: 3000, max: 10_000 },
  large_transfer: { unit: 'ms', min: 5000, max: 15_000 },
  slow_and_low: { unit: 'ms', min: 60_000, max: 120_000 },
  robot_suspicious_port: { unit: 'ms', min: 4000, max: 10_000 },
  unusual_task_switch: { unit: 'ms', min: 3 * ROBOT_INTERVAL_MAX_MS, max: 3 * ROBOT_INTERVAL_MAX_MS },
  sensor_spike: { unit: 'readings', min: 1, max: 3 },
  sensor_drift: { unit: 'ms', min: 60_000, max: 120_000 },
  sensor_stuck: { unit: 'readings', min: 30, max: 60 },
  sensor_out_of_range: { unit: 'readings', min: 1, max: 3 },
};

/** One scheduled attack instance. */
export interface ScheduledInstance {
  /** Position in the schedule (= in `GroundTruth.scenarios`). */
  readonly index: number;
  /** `<kind>-<n>`, n = ordinal + 1. */
  readonly id: string;
  readonly kind: ScenarioKind;
  /** 0-based number of the instance within its kind. */
  readonly ordinal: number;
  /** Entity key as `entityOf` gives it: `ip:<orig_h>`, `robot:<robot_id>`, `sensor:<site>/<sensor_id>`. */
  readonly entity: string;
  /** Window, epoch ms, inclusive: every event of the instance lies in it. */
  readonly start_ms: number;
  readonly end_ms: number;
  /** Robot or sensor index for those kinds, −1 for network kinds. */
  readonly target: number;
  /** Attacker address (`orig_h`) for network kinds, null otherwise. */
  readonly address: string | null;
}

/** Inputs of {@link scheduleScenarios}. */
export interface ScheduleOptions {
  readonly startMs: number;
  readonly durationS: number;
  readonly robots: number;
  readonly sensors: number;
  readonly sensorIntervalMs: number;
  /** Kinds to schedule (order does not matter; the schedule follows {@link SCENARIO_KINDS}). */
  readonly kinds: readonly ScenarioKind[];
  /** Instances per kind; default {@link defaultInstancesPerKind}. */
  readonly instancesPerKind?: number;
}

/** Instances per kind by default: ⌊attack time / 20 s⌋ clamped to [4, 20] (4 for a 120 s run). */
export function defaultInstancesPerKind(durationS: number): number {
  const attackS = durationS * (1 - WARM_UP_FRACTION);
  return Math.min(20, Math.max(4, Math.floor(attackS / 20)));
}

/**
 * Addresses of network attackers: the RFC 5737 documentation blocks 203.0.113.0/24 then 198.51.100.0/24 for
 * external attackers, 192.168.250.0/23 (outside the normal clients' range) for exfiltrating internal hosts.
 */
function attackerAddress(kind: ScenarioKind, k: number): string {
  if (kind === 'large_transfer') return `192.168.${250 + (Math.floor(k / 254) % 2)}.${(k % 254) + 1}`;
  const j = k % 508;
  return j < 254 ? `203.0.113.${j + 1}` : `198.51.100.${j - 253}`;
}

/**
 * The schedule: instances sorted by start (ties by kind order, then ordinal), deterministic in `rng`.
 * A kind whose shortest window does not fit in the attack time gets no instances; a robot or sensor instance
 * for which no entity is free is dropped (only with very few robots or sensors).
 * @throws RangeError for a negative or non-integer `instancesPerKind`
 */
export function scheduleScenarios(o: ScheduleOptions, rng: Rng): ScheduledInstance[] {
  const per = o.instancesPerKind ?? defaultInstancesPerKind(o.durationS);
  if (!Number.isInteger(per) || per < 0) throw new RangeError(`instancesPerKind must be a non-negative integer, got ${per}`);
  const warmMs = Math.round(o.durationS * 1000 * WARM_UP_FRACTION);
  const runEnd = o.startMs + Math.round(o.durationS * 1000);
  const attackMs = runEnd - (o.startMs + warmMs);
  const iv = o.sensorIntervalMs;
  const wanted = new Set(o.kinds);
  const busyRobot = new Map<number, [number, number][]>();
  const busySensor = new Map<number, [number, number][]>();
  const robotOrder = shuffleInPlace(Array.from({ length: o.robots }, (_, i) => i), rng);
  const sensorOrder = shuffleInPlace(Array.from({ length: o.sensors }, (_, i) => i), rng);
  let robotPtr = 0;
  let sensorPtr = 0;
  const attackers = { external: 0, internal: 0 };
  const free = (busy: Map<number, [number, number][]>, key: number, a: number, b: number): boolean =>
    (busy.get(key) ?? []).every(([x, y]) => b + ENTITY_SEPARATION_MS < x || a - ENTITY_SEPARATION_MS > y);
  const raw: Omit<ScheduledInstance, 'index' | 'id'>[] = [];

  for (const kind of SCENARIO_KINDS) {
    if (!wanted.has(kind)) continue;
    const w = WINDOWS[kind];
    const sensorKind = kind.startsWith('sensor_');
    const robotKind = kind === 'robot_suspicious_port' || kind === 'unusual_task_switch';
    if ((sensorKind && o.sensors === 0) || (robotKind && o.robots === 0)) continue;
    const slack = sensorKind ? iv : 0; // room to move a sensor window onto the reading grid
    const minMs = w.unit === 'ms' ? w.min : (w.min - 1) * iv;
    if (minMs > attackMs - slack - 1) continue;
    let ordinal = 0;
    for (let i = 0; i < per; i++) {
      let d: number;
      if (w.unit === 'readings') {
        const maxK = Math.min(w.max, Math.floor((attackMs - slack - 1) / iv) + 1);
        d = (w.min + rng.int(maxK - w.min + 1) - 1) * iv;
      } else {
        d = Math.round(w.min + rng.next() * (Math.min(w.max, attackMs - slack - 1) - w.min));
      }
      const room = attackMs - slack - 1 - d;
      let start = o.startMs + warmMs + Math.floor(((i + rng.next()) * room) / per);
      let target = -1;
      let address: string | null = null;
      let entity: string;
      if (robotKind || sensorKind) {
        const order = robotKind ? robotOrder : sensorOrder;
        const busy = robotKind ? busyRobot : busySensor;
        let ptr = robotKind ? robotPtr : sensorPtr;
        let found = -1;
        for (let k = 0; k < order.length; k++) {
          const cand = order[(ptr + k) % order.length];
          if (free(busy, cand, start, start + d + slack)) {
            found = cand;
            ptr = (ptr + k + 1) % order.length;
            break;
          }
        }
        if (robotKind) robotPtr = ptr;
        else sensorPtr = ptr;
        if (found < 0) continue;
        target = found;
        if (sensorKind) {
          const first = o.startMs + sensorOffsetMs(found, o.sensors, iv);
          start = first + Math.ceil((start - first) / iv) * iv;
          const id = sensorIdentity(found, o.sensors);
          entity = `sensor:${id.site}/${id.id}`;
        } else {
          entity = `robot:${robotIdentity(found, o.robots).id}`;
        }
        const list = busy.get(found) ?? [];
        list.push([start, start + d]);
        busy.set(found, list);
      } else {
        address = kind === 'large_transfer' ? attackerAddress(kind, attackers.internal++) : attackerAddress(kind, attackers.external++);
        entity = `ip:${address}`;
      }
      raw.push({ kind, ordinal: ordinal++, entity, start_ms: start, end_ms: start + d, target, address });
    }
  }
  const rank = new Map<ScenarioKind, number>(SCENARIO_KINDS.map((k, i) => [k, i]));
  raw.sort((a, b) => a.start_ms - b.start_ms || (rank.get(a.kind) as number) - (rank.get(b.kind) as number) || a.ordinal - b.ordinal);
  return raw.map((r, index) => ({ ...r, index, id: `${r.kind}-${r.ordinal + 1}` }));
}
