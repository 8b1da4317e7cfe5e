/**
 * Simulated robot fleet: robots of two types (`welder`, `courier`) that each report their task about every
 * 2 s as a `robot` event (the robot-fleet log entry of `core/events.ts`). Tasks follow a per-type first-order
 * Markov chain ({@link TASK_TRANSITIONS}); some transitions have probability 0 in normal operation (a robot
 * leaves `charging` only through `idle`; welders never deliver, couriers never weld), which is what the
 * `unusual_task_switch` scenario violates. Each robot talks to a few benign ports ({@link BENIGN_ROBOT_PORTS});
 * the `robot_suspicious_port` scenario adds a port of `SUSPICIOUS_PORTS`.
 *
 * Memory: O(robots + scheduled robot instances); nothing grows with the simulated time.
 */
import type { Rng } from '../core/rng.js';
import { intBetween, NORMAL, pad, type Draft, type DraftSource } from './_draft.js';
import type { ScheduledInstance } from './scenarios.js';
import { SUSPICIOUS_PORTS } from './suspicious-ports.js';

/** Tasks a robot reports. */
export const ROBOT_TASKS = ['welding', 'delivery', 'charging', 'idle'] as const;
/** One of {@link ROBOT_TASKS}. */
export type RobotTask = (typeof ROBOT_TASKS)[number];
/** Robot types of the simulated fleet. */
export const ROBOT_TYPES = ['welder', 'courier'] as const;
/** One of {@link ROBOT_TYPES}. */
export type RobotType = (typeof ROBOT_TYPES)[number];

/** A row of a transition matrix: next task → probability (absent = 0). */
export type TransitionRow = Readonly<Partial<Record<RobotTask, number>>>;

/**
 * Normal-operation transition probabilities per robot type, `TASK_TRANSITIONS[type][from][to]`, per report.
 * Rows exist only for the type's normal tasks and sum to 1; a pair that is absent has probability 0.
 * Self-transitions dominate (a welding job spans several reports). Zero-probability pairs between normal tasks:
 * `charging → welding` (welders), `charging → delivery` (couriers); every move to a task the type never does
 * (`delivery` for welders, `welding` for couriers) is also 0.
 */
export const TASK_TRANSITIONS: Readonly<Record<RobotType, Readonly<Partial<Record<RobotTask, TransitionRow>>>>> = {
  welder: {
    welding: { welding: 0.85, idle: 0.1, charging: 0.05 },
    idle: { idle: 0.6, welding: 0.35, charging: 0.05 },
    charging: { charging: 0.9, idle: 0.1 },
  },
  courier: {
    delivery: { delivery: 0.85, idle: 0.1, charging: 0.05 },
    idle: { idle: 0.55, delivery: 0.4, charging: 0.05 },
    charging: { charging: 0.9, idle: 0.1 },
  },
};

/** Probability of `from → to` for a robot of `type` in normal operation (0 for an unknown type or pair). */
export function transitionProbability(type: string, from: string, to: string): number {
  const rows = (TASK_TRANSITIONS as Record<string, Readonly<Record<string, TransitionRow>> | undefined>)[type];
  const row = rows?.[from] as Readonly<Record<string, number | undefined>> | undefined;
  return row?.[to] ?? 0;
}

/**
 * Benign ports robots open: 443 HTTPS, 8883 MQTT over TLS, 1883 MQTT, 502 Modbus/TCP, 4840 OPC UA, 123 NTP.
 */
export const BENIGN_ROBOT_PORTS: readonly number[] = [443, 8883, 1883, 502, 4840, 123];

/** Report interval bounds, ms: each interval is uniform in [min, max] (2 s ± 15 %). */
export const ROBOT_INTERVAL_MIN_MS = 1700;
export const ROBOT_INTERVAL_MAX_MS = 2300;
/** Site of the robot events. */
export const ROBOT_SITE = 'site-a';

/** Identity of robot `i` (0-based) of a fleet of `n`: fixed by position, no randomness. */
export interface RobotIdentity {
  /** `robot-01`, `robot-02`, … (at least two digits). */
  readonly id: string;
  /** Two in five robots are welders (`i % 5 < 2`), the rest couriers. */
  readonly type: RobotType;
  /** `10.20.<hi>.<lo>`: robot i has 10.20.⌊i/200⌋.(i mod 200 + 11). */
  readonly ip: string;
}

/** The identity of robot `i` of `n`. */
export function robotIdentity(i: number, n: number): RobotIdentity {
  return {
    id: `robot-${pad(i + 1, Math.max(2, String(n).length))}`,
    type: i % 5 < 2 ? 'welder' : 'courier',
    ip: `10.20.${Math.floor(i / 200)}.${(i % 200) + 11}`,
  };
}

/** Normal tasks of a type (the rows of its matrix). */
function normalTasks(type: RobotType): RobotTask[] {
  return Object.keys(TASK_TRANSITIONS[type]) as RobotTask[];
}

interface RobotState {
  readonly ident: RobotIdentity;
  readonly ports: readonly number[];
  task: RobotTask | null;
  nextMs: number;
  /** Scheduled instances on this robot, by start. */
  readonly attacks: ScheduledInstance[];
  attackPos: number;
  /** Instance whose unusual switch left the robot in a task its type never does; the next report returns to idle. */
  recovering: number;
  firedSwitch: number;
}

/**
 * The fleet as a {@link DraftSource}. Robot `i` first reports at a uniform offset in [0, 2 s) after `startMs`,
 * then every {@link ROBOT_INTERVAL_MIN_MS}…{@link ROBOT_INTERVAL_MAX_MS}.
 *
 * Scenario behaviour (instances are given by the schedule):
 * - `robot_suspicious_port`: every report in [start_ms, end_ms] adds 1–2 ports of `SUSPICIOUS_PORTS`
 *   to `ports_accessed`; the task chain stays normal.
 * - `unusual_task_switch`: the first report at or after start_ms that has a previous task moves to a task whose
 *   probability from the current one is 0 (preferring a task of the type's normal set, e.g. welder
 *   charging → welding); when that task is one the type never does, the next report returns to `idle`. Both
 *   reports belong to the instance (the window, 3 × {@link ROBOT_INTERVAL_MAX_MS}, holds them).
 */
export class RobotFleet implements DraftSource {
  private readonly robots: RobotState[] = [];

  /**
   * @param n number of robots (≥ 0)
   * @param instances the schedule (only robot instances with `target` in [0, n) are used)
   */
  constructor(
    n: number,
    startMs: number,
    private readonly rng: Rng,
    instances: readonly ScheduledInstance[],
  ) {
    for (let i = 0; i < n; i++) {
      const own = BENIGN_ROBOT_PORTS.filter(() => rng.next() < 0.6);
      if (own.length === 0) own.push(BENIGN_ROBOT_PORTS[rng.int(BENIGN_ROBOT_PORTS.length)]);
      this.robots.push({
        ident: robotIdentity(i, n),
        ports: own,
        task: null,
        nextMs: startMs + rng.int(2000),
        attacks: [],
        attackPos: 0,
        recovering: NORMAL,
        firedSwitch: NORMAL,
      });
    }
    for (const s of instances) {
      if ((s.kind === 'robot_suspicious_port' || s.kind === 'unusual_task_switch') && s.target >= 0 && s.target < n) {
        this.robots[s.target].attacks.push(s);
      }
    }
    for (const r of this.robots) r.attacks.sort((a, b) => a.start_ms - b.start_ms);
  }

  emit(untilMs: number, out: Draft[]): void {
    for (const r of this.robots) {
      while (r.nextMs < untilMs) {
        out.push(this.report(r, r.nextMs));
        r.nextMs += intBetween(this.rng, ROBOT_INTERVAL_MIN_MS, ROBOT_INTERVAL_MAX_MS);
      }
    }
  }

  private report(r: RobotState, t: number): Draft {
    const rng = this.rng;
    const type = r.ident.type;
    while (r.attackPos < r.attacks.length && r.attacks[r.attackPos].end_ms < t) r.attackPos++;
    const att = r.attackPos < r.attacks.length && r.attacks[r.attackPos].start_ms <= t ? r.attacks[r.attackPos] : undefined;
    let instance = NORMAL;
    const prev = r.task;
    let task: RobotTask;
    if (prev === null) {
      const tasks = normalTasks(type);
      task = tasks[rng.int(tasks.length)];
    } else if (r.recovering !== NORMAL) {
      task = 'idle';
      instance = r.recovering;
      r.recovering = NORMAL;
    } else if (att !== undefined && att.kind === 'unusual_task_switch' && r.firedSwitch !== att.index) {
      task = unusualTarget(type, prev);
      instance = att.index;
      r.firedSwitch = att.index;
      if (TASK_TRANSITIONS[type][task] === undefined) r.recovering = att.index;
    } else {
      task = sampleRow(TASK_TRANSITIONS[type][prev] ?? { idle: 1 }, rng);
    }
    // Benign ports: 1–2 of the robot's own set.
    const ports: number[] = [r.ports[rng.int(r.ports.length)]];
    if (r.ports.length > 1 && rng.next() < 0.5) {
      const p = r.ports[rng.int(r.ports.length)];
      if (p !== ports[0]) ports.push(p);
    }
    if (att !== undefined && att.kind === 'robot_suspicious_port') {
      const k = 1 + rng.int(2);
      for (let j = 0; j < k; j++) {
        const p = SUSPICIOUS_PORTS[(att.ordinal + j) % SUSPICIOUS_PORTS.length];
        if (!ports.includes(p)) ports.push(p);
      }
      instance = att.index;
    }
    r.task = task;
    return {
      tsMs: t,
      instance,
      event: {
        type: 'robot',
        id: '',
        site: ROBOT_SITE,
        timestamp: new Date(t).toISOString(),
        ip: r.ident.ip,
        robot_id: r.ident.id,
        robot_type: type,
        task,
        previous_task: prev,
        ports_accessed: ports,
      },
    };
  }
}

/** A task with probability 0 from `from` for `type`: a normal task of the type if one exists, else any. */
function unusualTarget(type: RobotType, from: RobotTask): RobotTask {
  const zero = ROBOT_TASKS.filter((t) => t !== from && transitionProbability(type, from, t) === 0);
  const normal = zero.filter((t) => TASK_TRANSITIONS[type][t] !== undefined);
  return (normal.length > 0 ? normal : zero)[0];
}

function sampleRow(row: TransitionRow, rng: Rng): RobotTask {
  let u = rng.next();
  let last: RobotTask = 'idle';
  for (const t of ROBOT_TASKS) {
    const p = row[t];
    if (p === undefined || p === 0) continue;
    last = t;
    if (u < p) return t;
    u -= p;
  }
  return last; // rounding: the row sums to 1 up to float error
}
