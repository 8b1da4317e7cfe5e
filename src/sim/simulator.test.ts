import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entityOf, eventTimeMs, parseEvents, type RobotEventInput } from '../core/events.js';
import { transitionProbability } from './robot-fleet.js';
import { SCENARIO_KINDS, SCENARIO_REASONS } from './scenarios.js';
import { simulate, simulateStream, type SimEvent, type SimulateOptions } from './simulator.js';
import { isSuspiciousPort } from './suspicious-ports.js';

const START = Date.UTC(2025, 0, 15, 12, 0, 0);
// Default robots, fewer sensors and flows than the defaults: same scenarios, a fifth of the events.
const OPTS: SimulateOptions = { seed: 7, startMs: START, durationS: 120, sensors: 30, flowsPerSecond: 40 };
const run = simulate(OPTS);
const attackIds = new Set(run.truth.scenarios.flatMap((s) => s.event_ids));

describe('simulate', () => {
  it('is deterministic in the seed', () => {
    const again = simulate(OPTS);
    expect(JSON.stringify(again.events)).toBe(JSON.stringify(run.events));
    expect(again.truth).toEqual(run.truth);
    const other = simulate({ ...OPTS, seed: 8 });
    expect(other.events.slice(0, 200)).not.toEqual(run.events.slice(0, 200));
    expect(other.truth.scenarios.map((s) => [s.entity, s.start_ms])).not.toEqual(run.truth.scenarios.map((s) => [s.entity, s.start_ms]));
  });

  it('emits time-ordered events inside the run', () => {
    const times = run.events.map(eventTimeMs);
    expect(times.filter((t, i) => i > 0 && t < times[i - 1])).toEqual([]);
    expect(times[0]).toBeGreaterThanOrEqual(START);
    expect(times[times.length - 1]).toBeLessThan(START + 120_000);
  });

  it('emits events that pass the wire schema (every attack event and every 5th normal one)', () => {
    const sample = run.events.filter((e, i) => attackIds.has(e.id) || i % 5 === 0);
    for (let i = 0; i < sample.length; i += 10_000) {
      const chunk = sample.slice(i, i + 10_000);
      const parsed = parseEvents(chunk, () => 'missing');
      expect(parsed.map((p) => p.id)).toEqual(chunk.map((e) => e.id));
      expect(parsed.map((p) => p.tsMs)).toEqual(chunk.map(eventTimeMs));
    }
  });

  it('numbers events sim-<seed>-<start base 36>-<n> in output order', () => {
    const prefix = `sim-7-${START.toString(36)}-`;
    run.events.forEach((e, i) => {
      if (e.id !== `${prefix}${i}`) expect(e.id).toBe(`${prefix}${i}`);
    });
  });

  it('produces about the expected number of events of each type', () => {
    const n = { flow: 0, robot: 0, sensor: 0 };
    for (const e of run.events) n[e.type]++;
    // 30 sensors at 1/s for 120 s; 20 robots every 1.7–2.3 s; 40 flows/s plus the attack flows.
    expect(n.sensor).toBe(30 * 120);
    expect(n.robot).toBeGreaterThan((20 * 120) / 2.3 - 20);
    expect(n.robot).toBeLessThan((20 * 120) / 1.7 + 20);
    expect(n.flow).toBeGreaterThanOrEqual(40 * 120);
  });

  it('fills the ground truth: ≥ 4 instances per kind, windows after the warm-up, events of the entity inside the window', () => {
    const byId = new Map(run.events.map((e) => [e.id, e]));
    for (const k of SCENARIO_KINDS) expect(run.truth.scenarios.filter((s) => s.kind === k).length, k).toBeGreaterThanOrEqual(4);
    const bad: string[] = [];
    for (const s of run.truth.scenarios) {
      expect(s.start_ms).toBeGreaterThanOrEqual(START + 30_000);
      expect(s.end_ms).toBeLessThan(START + 120_000);
      expect(s.reasons).toEqual(SCENARIO_REASONS[s.kind]);
      expect(s.event_ids.length, s.id).toBeGreaterThan(0);
      for (const id of s.event_ids) {
        const e = byId.get(id) as SimEvent;
        const t = eventTimeMs(e);
        if (entityOf(e) !== s.entity || t < s.start_ms || t > s.end_ms) bad.push(`${s.id}: ${id}`);
      }
    }
    expect(bad).toEqual([]);
    expect(run.truth).toMatchObject({ seed: 7, startMs: START, durationS: 120 });
  });

  it('attack entities of network kinds send nothing but their attack', () => {
    const attackers = new Set(run.truth.scenarios.filter((s) => s.entity.startsWith('ip:')).map((s) => s.entity));
    expect(run.events.filter((e) => attackers.has(entityOf(e)) && !attackIds.has(e.id))).toEqual([]);
  });

  it('normal events never show attack properties', () => {
    const bad = run.events.filter((e) => {
      if (attackIds.has(e.id)) return false;
      if (e.type === 'flow') return isSuspiciousPort(e.resp_p);
      if (e.type === 'sensor') return e.value < -40 || e.value > 85;
      const zero = e.previous_task !== null && e.previous_task !== undefined && transitionProbability(e.robot_type as string, e.previous_task, e.task) === 0;
      return zero || e.ports_accessed.some(isSuspiciousPort);
    });
    expect(bad).toEqual([]);
  });

  it('streams the same events in batches of one simulated second, re-iterably', () => {
    const stream = simulateStream(OPTS);
    const batches = [...stream];
    expect(batches.length).toBe(120);
    for (const b of batches) {
      const t0 = eventTimeMs(b[0]);
      expect(eventTimeMs(b[b.length - 1]) - t0).toBeLessThan(1000);
    }
    expect(JSON.stringify(batches.flat())).toBe(JSON.stringify(run.events));
    expect(stream.truth()).toEqual(run.truth);
    expect([...stream].flat().length).toBe(run.events.length);
    expect(stream.truth()).toEqual(run.truth);
  });

  it('keeps the schedule independent of the rates and runs without attacks when asked', () => {
    const slower = simulateStream({ ...OPTS, flowsPerSecond: 5 });
    expect(slower.schedule.map((s) => [s.id, s.entity, s.start_ms, s.end_ms])).toEqual(
      run.truth.scenarios.map((s) => [s.id, s.entity, s.start_ms, s.end_ms]),
    );
    const quiet = simulate({ ...OPTS, durationS: 40, scenarios: [] });
    expect(quiet.truth.scenarios).toEqual([]);
    expect(quiet.events.filter((e) => e.type === 'flow' && !/^192\.168\.(\d|[1-9]\d|1\d\d|2[0-4]\d)\./.test(e.orig_h))).toEqual([]);
  });

  it('rejects invalid options with RangeError', () => {
    expect(() => simulate({ seed: 1.5, startMs: 0, durationS: 1 })).toThrow(RangeError);
    expect(() => simulate({ seed: 1, startMs: 0, durationS: 0 })).toThrow(RangeError);
    expect(() => simulate({ seed: 1, startMs: 0, durationS: 1, robots: -1 })).toThrow(RangeError);
    expect(() => simulate({ seed: 1, startMs: 0, durationS: 1, scenarios: ['nope' as never] })).toThrow(/unknown scenario/);
  });

  it('property: for any seed, output is time-ordered and robots outside unusual_task_switch never take a zero-probability transition', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), (seed) => {
        const r = simulate({ seed, startMs: START, durationS: 60, robots: 10, sensors: 5, flowsPerSecond: 5 });
        const unusual = new Set(r.truth.scenarios.filter((s) => s.kind === 'unusual_task_switch').flatMap((s) => s.event_ids));
        let prev = -Infinity;
        for (const e of r.events) {
          const t = eventTimeMs(e);
          if (t < prev) return false;
          prev = t;
          if (e.type !== 'robot' || unusual.has(e.id)) continue;
          const re = e as RobotEventInput;
          if (re.previous_task !== null && re.previous_task !== undefined && transitionProbability(re.robot_type as string, re.previous_task, re.task) === 0) return false;
        }
        return true;
      }),
      { numRuns: 8 },
    );
  });
});
