import { describe, expect, it } from 'vitest';
import { eventTimeMs, type RobotEventInput } from '../core/events.js';
import { BENIGN_ROBOT_PORTS, robotIdentity, ROBOT_TASKS, TASK_TRANSITIONS, transitionProbability } from './robot-fleet.js';
import { simulate } from './simulator.js';
import { isSuspiciousPort } from './suspicious-ports.js';

const START = Date.UTC(2025, 2, 1);
type Robot = RobotEventInput & { id: string };

function robotsOnly(durationS: number, seed: number, scenarios: ('robot_suspicious_port' | 'unusual_task_switch')[] = []) {
  const r = simulate({ seed, startMs: START, durationS, sensors: 0, flowsPerSecond: 0, scenarios });
  return { events: r.events as Robot[], truth: r.truth };
}

describe('TASK_TRANSITIONS', () => {
  it('has rows that sum to 1, the stated self-transitions and zero-probability pairs', () => {
    for (const rows of Object.values(TASK_TRANSITIONS)) {
      for (const row of Object.values(rows)) expect(Object.values(row).reduce((s, p) => s + (p ?? 0), 0)).toBeCloseTo(1, 12);
    }
    expect(transitionProbability('welder', 'welding', 'welding')).toBe(0.85);
    expect(transitionProbability('welder', 'welding', 'idle')).toBe(0.1);
    expect(transitionProbability('welder', 'welding', 'charging')).toBe(0.05);
    expect(transitionProbability('welder', 'charging', 'welding')).toBe(0);
    expect(transitionProbability('courier', 'charging', 'welding')).toBe(0);
    expect(transitionProbability('courier', 'charging', 'delivery')).toBe(0);
    expect(transitionProbability('courier', 'idle', 'welding')).toBe(0);
    expect(transitionProbability('nope', 'idle', 'idle')).toBe(0);
  });
});

describe('robotIdentity', () => {
  it('numbers robots with two digits, mixes types 2:3 and addresses them in 10.20/16', () => {
    expect(robotIdentity(0, 20)).toEqual({ id: 'robot-01', type: 'welder', ip: '10.20.0.11' });
    expect(robotIdentity(2, 20)).toEqual({ id: 'robot-03', type: 'courier', ip: '10.20.0.13' });
    expect(robotIdentity(19, 20).id).toBe('robot-20');
    expect(robotIdentity(0, 150).id).toBe('robot-001');
    expect(robotIdentity(205, 300).ip).toBe('10.20.1.16');
  });
});

describe('RobotFleet (through simulate)', () => {
  it('each robot reports every 1.7–2.3 s, chains previous_task to its last task and uses its benign ports', () => {
    const { events } = robotsOnly(300, 3);
    const by = new Map<string, Robot[]>();
    for (const e of events) by.set(e.robot_id, [...(by.get(e.robot_id) ?? []), e]);
    expect(by.size).toBe(20);
    const problems: string[] = [];
    for (const [id, list] of by) {
      if (list[0].previous_task !== null) problems.push(`${id}: first report has a previous task`);
      if (eventTimeMs(list[0]) - START >= 2000) problems.push(`${id}: first report late`);
      for (let i = 1; i < list.length; i++) {
        const gap = eventTimeMs(list[i]) - eventTimeMs(list[i - 1]);
        if (gap < 1700 || gap > 2300) problems.push(`${id}: gap ${gap}`);
        if (list[i].previous_task !== list[i - 1].task) problems.push(`${id}: broken chain at ${i}`);
        if (list[i].ip !== list[0].ip || list[i].robot_type !== list[0].robot_type) problems.push(`${id}: identity changed`);
      }
      for (const e of list) if (e.ports_accessed.length === 0 || !e.ports_accessed.every((p) => BENIGN_ROBOT_PORTS.includes(p))) problems.push(`${id}: ports ${e.ports_accessed}`);
    }
    expect(problems).toEqual([]);
  });

  it('follows the transition matrix: empirical frequencies within 4 standard errors, zero pairs never taken', () => {
    const { events } = robotsOnly(3600, 11);
    const counts = new Map<string, Map<string, number>>();
    for (const e of events) {
      if (e.previous_task === null || e.previous_task === undefined) continue;
      const key = `${e.robot_type}:${e.previous_task}`;
      const m = counts.get(key) ?? new Map<string, number>();
      m.set(e.task, (m.get(e.task) ?? 0) + 1);
      counts.set(key, m);
    }
    for (const [key, m] of counts) {
      const [type, from] = key.split(':');
      const n = [...m.values()].reduce((s, x) => s + x, 0);
      for (const to of ROBOT_TASKS) {
        const p = transitionProbability(type, from, to);
        const f = (m.get(to) ?? 0) / n;
        if (p === 0) expect(f, `${key}→${to}`).toBe(0);
        else expect(Math.abs(f - p), `${key}→${to} (n=${n})`).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-9);
      }
    }
    // Both types occur and both visit all their normal tasks.
    expect([...counts.keys()].sort()).toEqual(['courier:charging', 'courier:delivery', 'courier:idle', 'welder:charging', 'welder:idle', 'welder:welding']);
  });

  it('robot_suspicious_port: every report of the robot in the window adds a suspicious port, tasks stay normal', () => {
    const { events, truth } = robotsOnly(120, 5, ['robot_suspicious_port']);
    expect(truth.scenarios.length).toBe(4);
    const ids = new Set(truth.scenarios.flatMap((s) => s.event_ids));
    for (const s of truth.scenarios) {
      const robotId = s.entity.slice('robot:'.length);
      const inWindow = events.filter((e) => e.robot_id === robotId && eventTimeMs(e) >= s.start_ms && eventTimeMs(e) <= s.end_ms);
      expect(inWindow.length).toBeGreaterThan(0);
      expect(inWindow.map((e) => e.id)).toEqual(s.event_ids);
      for (const e of inWindow) {
        expect(e.ports_accessed.some(isSuspiciousPort)).toBe(true);
        expect(transitionProbability(e.robot_type as string, e.previous_task as string, e.task)).toBeGreaterThan(0);
      }
    }
    expect(events.filter((e) => !ids.has(e.id) && e.ports_accessed.some(isSuspiciousPort))).toEqual([]);
  });

  it('unusual_task_switch: the first instance event moves along a zero-probability pair; a task foreign to the type is left for idle', () => {
    for (const seed of [1, 2, 3]) {
      const { events, truth } = robotsOnly(120, seed, ['unusual_task_switch']);
      const byId = new Map(events.map((e) => [e.id, e]));
      expect(truth.scenarios.length).toBe(4);
      for (const s of truth.scenarios) {
        const [first, second] = s.event_ids.map((id) => byId.get(id) as Robot);
        expect(first.robot_id).toBe(s.entity.slice('robot:'.length));
        expect(first.previous_task).not.toBeNull();
        expect(transitionProbability(first.robot_type as string, first.previous_task as string, first.task)).toBe(0);
        // at most one report later than start + one interval
        expect(eventTimeMs(first) - s.start_ms).toBeLessThanOrEqual(2300);
        const foreign = TASK_TRANSITIONS[first.robot_type as 'welder' | 'courier'][first.task as 'idle'] === undefined;
        expect(s.event_ids.length).toBe(foreign ? 2 : 1);
        if (foreign) expect([second.previous_task, second.task]).toEqual([first.task, 'idle']);
      }
    }
  });
});
