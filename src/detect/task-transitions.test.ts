import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { TaskTransitionModel } from './task-transitions.js';

const TASKS = ['pick', 'move', 'place', 'charge'] as const;
/** A known chain: row = from, column = to (each row sums to 1). */
const P = [
  [0.1, 0.6, 0.3, 0.0],
  [0.05, 0.05, 0.85, 0.05],
  [0.7, 0.2, 0.0, 0.1],
  [0.5, 0.5, 0.0, 0.0],
];

function simulate(model: TaskTransitionModel, type: string, steps: number, seed: number): void {
  const rng = createRng(seed);
  let s = 0;
  for (let i = 0; i < steps; i++) {
    const u = rng.next();
    let next = 0;
    let acc = P[s][0];
    while (u >= acc && next < 3) acc += P[s][++next];
    model.learn(type, TASKS[s], TASKS[next]);
    s = next;
  }
}

describe('TaskTransitionModel', () => {
  it('recovers the transition matrix of a simulated Markov chain', () => {
    const m = new TaskTransitionModel();
    simulate(m, 'arm', 100_000, 1);
    for (let a = 0; a < 4; a++) {
      // The rarest state (charge) is visited about 5% of the time: N ≥ 4,000 keeps the standard error ≤ 0.008.
      expect(m.observations('arm', TASKS[a])).toBeGreaterThan(4_000);
      for (let b = 0; b < 4; b++) expect(Math.abs(m.probability('arm', TASKS[a], TASKS[b]) - P[a][b])).toBeLessThan(0.025);
    }
    // Never-occurring switches of the chain are flagged, frequent ones are not.
    expect(m.assess('arm', 'pick', 'charge').unusual).toBe(true);
    expect(m.assess('arm', 'place', 'place').unusual).toBe(true);
    expect(m.assess('arm', 'move', 'place').unusual).toBe(false);
    expect(m.assess('arm', 'move', 'charge').unusual).toBe(false); // 0.05, above the 0.02 threshold
  });

  it('computes the Lidstone estimate by hand and flags a rare pair, a self-switch and an unseen task', () => {
    const m = new TaskTransitionModel();
    for (let i = 0; i < 97; i++) m.learn('agv', 'pick', 'move');
    for (let i = 0; i < 3; i++) m.learn('agv', 'pick', 'place');
    // K = 3 (pick, move, place), N(pick) = 100, α = 0.5.
    expect(m.probability('agv', 'pick', 'move')).toBeCloseTo(97.5 / 101.5, 14);
    expect(m.probability('agv', 'pick', 'place')).toBeCloseTo(3.5 / 101.5, 14);
    expect(m.probability('agv', 'pick', 'pick')).toBeCloseTo(0.5 / 101.5, 14);
    expect(m.probability('agv', 'pick', 'weld')).toBeCloseTo(0.5 / 102, 14); // one extra vocabulary entry
    expect(m.assess('agv', 'pick', 'move')).toEqual({ unusual: false, probability: 97.5 / 101.5, warm: true });
    expect(m.assess('agv', 'pick', 'place').unusual).toBe(false); // 0.0345 ≥ 0.02
    expect(m.assess('agv', 'pick', 'pick').unusual).toBe(true); // 0.0049 < 0.02
    expect(m.assess('agv', 'pick', 'weld').unusual).toBe(true);
    // A never-seen task is unusual once warm even when its probability is above the threshold.
    const loose = new TaskTransitionModel({ threshold: 0.001 });
    for (let i = 0; i < 30; i++) loose.learn('agv', 'pick', 'move');
    expect(loose.assess('agv', 'pick', 'weld').unusual).toBe(true);
    expect(loose.assess('agv', 'pick', 'pick').unusual).toBe(false); // 0.5 / 31 above 0.001, pick is seen
    // From-tasks never learned are uniform over the seen tasks; an unknown type gives 1; neither is warm.
    expect(m.probability('agv', 'move', 'pick')).toBeCloseTo(1 / 3, 14);
    expect(m.assess('agv', 'move', 'weld')).toEqual({ unusual: false, probability: 0.25, warm: false });
    expect(m.assess('drone', 'a', 'b')).toEqual({ unusual: false, probability: 1, warm: false });
  });

  it('does not flag before minObservations switches from the from-task', () => {
    const m = new TaskTransitionModel({ minObservations: 30 });
    for (let i = 0; i < 29; i++) m.learn('arm', 'pick', 'move');
    expect(m.assess('arm', 'pick', 'weld')).toMatchObject({ unusual: false, warm: false });
    m.learn('arm', 'pick', 'move');
    expect(m.assess('arm', 'pick', 'weld')).toMatchObject({ unusual: true, warm: true });
    // Warmth is per from-task and per robot type.
    expect(m.assess('arm', 'move', 'weld').warm).toBe(false);
    expect(m.assess('agv', 'pick', 'weld').warm).toBe(false);
  });

  it('keeps robot types apart', () => {
    const m = new TaskTransitionModel({ minObservations: 5 });
    for (let i = 0; i < 50; i++) {
      m.learn('arm', 'pick', 'place');
      m.learn('agv', 'pick', 'charge');
    }
    expect(m.assess('arm', 'pick', 'charge').unusual).toBe(true);
    expect(m.assess('agv', 'pick', 'charge').unusual).toBe(false);
    expect(m.tasksOf('arm')).toEqual(['pick', 'place']);
  });

  it('ignores and counts types and tasks beyond the bounds', () => {
    const m = new TaskTransitionModel({ maxTypes: 2, maxTasks: 3 });
    expect(m.learn('a', 'x', 'y')).toBe(true);
    expect(m.learn('b', 'x', 'x')).toBe(true);
    expect(m.learn('c', 'x', 'y')).toBe(false);
    expect(m.types).toBe(2);
    expect(m.ignoredTypes).toBe(1);
    expect(m.learn('a', 'y', 'z')).toBe(true); // third task fits
    expect(m.learn('a', 'z', 'w')).toBe(false); // a fourth does not
    expect(m.learn('b', 'y', 'y')).toBe(true);
    expect(m.learn('b', 'u', 'v')).toBe(false); // two new tasks, room for one
    expect(m.ignoredTasks).toBe(2);
    expect(m.tasksOf('a')).toEqual(['x', 'y', 'z']);
    expect(m.tasksOf('b')).toEqual(['x', 'y']);
    expect(m.learn('a', 'z', 'x')).toBe(true); // known tasks still learn
  });

  it('round-trips through JSON', () => {
    const m = new TaskTransitionModel({ threshold: 0.05, minObservations: 10, smoothing: 1, maxTypes: 5, maxTasks: 8 });
    simulate(m, 'arm', 2_000, 2);
    simulate(m, 'agv', 500, 3);
    m.learn('x', 'a', 'b');
    for (let i = 0; i < 6; i++) m.learn(`t${i}`, 'a', 'b'); // t0, t1 fit; t2..t5 ignored
    const back = TaskTransitionModel.fromJSON(JSON.parse(JSON.stringify(m)));
    expect(back.options).toEqual(m.options);
    expect(back.ignoredTypes).toBe(4);
    expect(back.types).toBe(5);
    for (const type of ['arm', 'agv', 'x', 'nope']) {
      expect(back.tasksOf(type)).toEqual(m.tasksOf(type));
      for (const a of [...TASKS, 'a', 'b', 'zz']) {
        for (const b of [...TASKS, 'a', 'b', 'zz']) expect(back.assess(type, a, b)).toEqual(m.assess(type, a, b));
      }
    }
    expect(back.toJSON()).toEqual(m.toJSON());
  });

  it('rejects garbage JSON with RangeError', () => {
    const good = new TaskTransitionModel();
    good.learn('arm', 'a', 'b');
    const base = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
    const ty = (patch: Record<string, unknown>) => ({ ...base, types: [{ robotType: 'arm', tasks: ['a', 'b'], transitions: [[0, 1, 1]], ...patch }] });
    const bad: unknown[] = [
      null,
      42,
      [],
      { ...base, version: 2 },
      { ...base, options: { ...(base.options as object), smoothing: -1 } },
      { ...base, options: { ...(base.options as object), maxTasks: 'x' } },
      { ...base, ignoredTypes: -1 },
      { ...base, types: {} },
      ty({ tasks: ['a', 'a'] }),
      ty({ tasks: ['a', 3] }),
      ty({ transitions: [[0, 2, 1]] }),
      ty({ transitions: [[0, 1, 0]] }),
      ty({ transitions: [[0, 1, 1.5]] }),
      ty({ transitions: [[0, 1, 1], [0, 1, 2]] }),
      ty({ transitions: [[0, 1]] }),
      ty({ robotType: 7 }),
      { ...base, types: [{ robotType: 'arm', tasks: [], transitions: [] }, { robotType: 'arm', tasks: [], transitions: [] }] },
      { ...base, options: { ...(base.options as object), maxTypes: 1 }, types: [{ robotType: 'a', tasks: [], transitions: [] }, { robotType: 'b', tasks: [], transitions: [] }] },
    ];
    for (const x of bad) expect(() => TaskTransitionModel.fromJSON(x), JSON.stringify(x)).toThrow(RangeError);
    expect(() => TaskTransitionModel.fromJSON(base)).not.toThrow();
  });

  it('rejects options out of range', () => {
    for (const o of [{ threshold: 0 }, { threshold: 1.5 }, { minObservations: 0 }, { smoothing: 0 }, { maxTypes: 0 }, { maxTasks: 2_000 }, { maxTasks: 2.5 }]) {
      expect(() => new TaskTransitionModel(o)).toThrow(RangeError);
    }
  });

  it('probabilities from any state sum to 1 over the tasks seen for the type', () => {
    const task = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('arm', 'agv'), task, task), { maxLength: 60 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        (switches, smoothing) => {
          const m = new TaskTransitionModel({ smoothing, maxTasks: 4 });
          for (const [r, a, b] of switches) m.learn(r, a, b);
          for (const r of ['arm', 'agv']) {
            const seen = m.tasksOf(r);
            if (seen.length === 0) continue;
            for (const from of ['a', 'b', 'c', 'd', 'e']) {
              const sum = seen.reduce((s, to) => s + m.probability(r, from, to), 0);
              expect(sum).toBeCloseTo(1, 12);
              for (const to of ['a', 'b', 'c', 'd', 'e']) {
                const p = m.probability(r, from, to);
                expect(p).toBeGreaterThan(0);
                expect(p).toBeLessThanOrEqual(1);
              }
            }
          }
        },
      ),
      { seed: 9 },
    );
  });
});
