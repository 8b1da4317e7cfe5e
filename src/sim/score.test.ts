import { describe, expect, it } from 'vitest';
import type { EventInput } from '../core/events.js';
import type { GroundTruth, TruthScenario } from './ground-truth.js';
import { SCENARIO_REASONS, type ScenarioKind } from './scenarios.js';
import { scoreRun, type ObservedEvent, type ScenarioScore } from './score.js';

const T0 = 1_700_000_000_000;
const at = (s: number) => T0 + s * 1000;

function flow(id: string, orig_h: string, s: number, resp_p = 80): EventInput {
  return { type: 'flow', id, ts: at(s) / 1000, orig_h, orig_p: 40000, resp_h: '10.0.0.10', resp_p, proto: 'tcp' };
}
function robot(id: string, robot_id: string, s: number): EventInput {
  return { type: 'robot', id, timestamp: new Date(at(s)).toISOString(), ip: '10.20.0.11', robot_id, task: 'idle', previous_task: 'idle', ports_accessed: [23] };
}
function sc(id: string, kind: ScenarioKind, entity: string, startS: number, endS: number, event_ids: string[]): TruthScenario {
  return { id, kind, entity, start_ms: at(startS), end_ms: at(endS), reasons: SCENARIO_REASONS[kind], event_ids };
}

// Two port scans, a suspicious-port flow, a robot with a suspicious port, a slow-and-low prober.
const truth: GroundTruth = {
  seed: 1,
  startMs: T0,
  durationS: 200,
  scenarios: [
    sc('port_scan-1', 'port_scan', 'ip:203.0.113.1', 10, 15, ['a1', 'a2', 'a3']),
    sc('slow_and_low-1', 'slow_and_low', 'ip:203.0.113.4', 10, 70, ['s1', 's2', 's3']),
    sc('port_scan-2', 'port_scan', 'ip:203.0.113.2', 100, 104, ['b1', 'b2']),
    sc('suspicious_port-1', 'suspicious_port', 'ip:203.0.113.3', 120, 122, ['c1']),
    sc('robot_suspicious_port-1', 'robot_suspicious_port', 'robot:robot-01', 120, 125, ['r1']),
  ],
};
const E = {
  a1: flow('a1', '203.0.113.1', 10),
  a2: flow('a2', '203.0.113.1', 11.5),
  a3: flow('a3', '203.0.113.1', 15),
  b1: flow('b1', '203.0.113.2', 100),
  b2: flow('b2', '203.0.113.2', 104),
  c1: flow('c1', '203.0.113.3', 120, 23),
  r1: robot('r1', 'robot-01', 121),
  s1: flow('s1', '203.0.113.4', 10),
  s2: flow('s2', '203.0.113.4', 40),
  s3: flow('s3', '203.0.113.4', 70),
  n1: flow('n1', '192.168.1.1', 50),
  n2: robot('n2', 'robot-02', 50),
};
const alert = (...reasons: string[]) => ({ reasons });
const quiet = (e: EventInput): ObservedEvent => ({ event: e, alerts: [] });

/** The perfect detector: one alert with the right reason on one event of every instance. */
const perfect: ObservedEvent[] = [
  quiet(E.a1),
  { event: E.a2, alerts: [alert('Port Scan')] },
  quiet(E.a3),
  { event: E.b1, alerts: [alert('Port Scan', 'ML Intrusion Score')] },
  quiet(E.b2),
  { event: E.c1, alerts: [alert('Suspicious Port Access')] },
  { event: E.r1, alerts: [alert('Suspicious Port Access')] },
  quiet(E.s1),
  quiet(E.s2),
  { event: E.s3, alerts: [alert('Recurring Offender')] },
  quiet(E.n1),
  quiet(E.n2),
];

const row = (rows: ScenarioScore[], kind: ScenarioScore['kind']) => rows.find((r) => r.kind === kind) as ScenarioScore;

describe('scoreRun', () => {
  it('gives a perfect detector recall 1 and precision 1, with times to detect from the instance start', () => {
    const rows = scoreRun(truth, perfect);
    expect(rows.map((r) => r.kind)).toEqual(['port_scan', 'suspicious_port', 'large_transfer', 'slow_and_low', 'robot_suspicious_port', 'events']);
    expect(row(rows, 'port_scan')).toEqual({
      kind: 'port_scan',
      instances: 2,
      detected: 2,
      recall: 1,
      alerts: 2,
      true_alerts: 2,
      precision: 1,
      attack_alerts: 2,
      precision_any: 1,
      mean_ttd_s: 0.75, // (1.5 s + 0 s) / 2
      median_ttd_s: 0.75,
    });
    expect(row(rows, 'slow_and_low')).toMatchObject({ instances: 1, detected: 1, recall: 1, precision: 1, mean_ttd_s: 60, median_ttd_s: 60 });
    // The shared reason stays with its event type: the robot alert does not count against suspicious_port.
    expect(row(rows, 'suspicious_port')).toMatchObject({ instances: 1, detected: 1, alerts: 1, precision: 1, mean_ttd_s: 0 });
    expect(row(rows, 'robot_suspicious_port')).toMatchObject({ instances: 1, detected: 1, alerts: 1, precision: 1, mean_ttd_s: 1 });
    // 'ML Intrusion Score' on the port scanner: a large_transfer row with no instance and a wrong claim.
    expect(row(rows, 'large_transfer')).toMatchObject({ instances: 0, detected: 0, recall: null, alerts: 1, true_alerts: 0, precision: 0, precision_any: 1, mean_ttd_s: null });
    // 10 attack events (3 + 3 + 2 + 1 + 1), 5 of them alerted, no normal event alerted.
    expect(row(rows, 'events')).toMatchObject({ instances: 10, detected: 5, recall: 0.5, alerts: 5, true_alerts: 5, precision: 1, mean_ttd_s: null });
  });

  it('lowers precision when the detector also alerts on a normal entity', () => {
    const obs = perfect.map((o) => (o.event === E.n1 ? { event: E.n1, alerts: [alert('Port Scan')] } : o));
    const r = row(scoreRun(truth, obs), 'port_scan');
    expect(r).toMatchObject({ recall: 1, alerts: 3, true_alerts: 2, attack_alerts: 2 });
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.precision_any).toBeCloseTo(2 / 3, 12);
    expect(row(scoreRun(truth, obs), 'events')).toMatchObject({ alerts: 6, true_alerts: 5, precision: 5 / 6 });
  });

  it('lowers recall when an instance is missed', () => {
    const obs = perfect.map((o) => (o.event === E.b1 ? quiet(E.b1) : o));
    expect(row(scoreRun(truth, obs), 'port_scan')).toMatchObject({ instances: 2, detected: 1, recall: 0.5, precision: 1, mean_ttd_s: 1.5, median_ttd_s: 1.5 });
  });

  it('counts another kind’s reason on an attacker in precision_any but not in precision', () => {
    const obs = perfect.map((o) => (o.event === E.a3 ? { event: E.a3, alerts: [alert('Recurring Offender')] } : o));
    const r = row(scoreRun(truth, obs), 'slow_and_low');
    expect(r).toMatchObject({ alerts: 2, true_alerts: 1, precision: 0.5, attack_alerts: 2, precision_any: 1, detected: 1 });
  });

  it('accepts alerts on the entity up to end_ms + grace, and takes the earliest for the time to detect', () => {
    const late = (s: number) => flow(`late-${s}`, '203.0.113.2', s);
    const inGrace: ObservedEvent[] = [{ event: late(113.999), alerts: [alert('Port Scan')] }, { event: late(104), alerts: [alert('Port Scan')] }];
    expect(row(scoreRun(truth, inGrace), 'port_scan')).toMatchObject({ detected: 1, true_alerts: 2, precision: 1, mean_ttd_s: 4 });
    const afterGrace: ObservedEvent[] = [{ event: late(114.001), alerts: [alert('Port Scan')] }];
    expect(row(scoreRun(truth, afterGrace), 'port_scan')).toMatchObject({ detected: 0, recall: 0, true_alerts: 0, precision: 0 });
    expect(row(scoreRun(truth, inGrace, { graceMs: 0 }), 'port_scan')).toMatchObject({ detected: 1, true_alerts: 1, precision: 0.5 });
    // before the start: not on the instance
    expect(row(scoreRun(truth, [{ event: late(99.999), alerts: [alert('Port Scan')] }]), 'port_scan')).toMatchObject({ detected: 0 });
  });

  it('reports precision null when no alert carries the kind’s reasons, and omits kinds with neither instances nor alerts', () => {
    const rows = scoreRun(truth, perfect.map((o) => quiet(o.event as EventInput)));
    expect(row(rows, 'port_scan')).toMatchObject({ detected: 0, recall: 0, alerts: 0, precision: null, precision_any: null, mean_ttd_s: null, median_ttd_s: null });
    expect(rows.map((r) => r.kind)).toEqual(['port_scan', 'suspicious_port', 'slow_and_low', 'robot_suspicious_port', 'events']);
    expect(row(rows, 'events')).toMatchObject({ instances: 10, detected: 0, recall: 0, alerts: 0, precision: null });
    const empty = scoreRun({ ...truth, scenarios: [] }, []);
    expect(empty).toEqual([
      { kind: 'events', instances: 0, detected: 0, recall: null, alerts: 0, true_alerts: 0, precision: null, attack_alerts: 0, precision_any: null, mean_ttd_s: null, median_ttd_s: null },
    ]);
  });

  it('scores alert records (event refs, one item per alert) like the events themselves, counting each event once', () => {
    const refs: ObservedEvent[] = [
      { event: { id: 'a2', type: 'flow', entity: 'ip:203.0.113.1', ts_ms: at(11.5) }, alerts: [alert('Port Scan')] },
      { event: { id: 'a2', type: 'flow', entity: 'ip:203.0.113.1', ts_ms: at(11.5) }, alerts: [alert('Recurring Offender')] },
      { event: { id: 'b1', type: 'flow', entity: 'ip:203.0.113.2', ts_ms: at(100) }, alerts: [alert('Port Scan')] },
    ];
    const rows = scoreRun(truth, refs);
    expect(row(rows, 'port_scan')).toMatchObject({ detected: 2, precision: 1, mean_ttd_s: 0.75 });
    expect(row(rows, 'events')).toMatchObject({ detected: 2, alerts: 2 });
  });

  it('takes the median of an odd count as the middle value', () => {
    const three: GroundTruth = {
      ...truth,
      scenarios: [0, 1, 2].map((i) => sc(`sensor_stuck-${i + 1}`, 'sensor_stuck', `sensor:site-a/tt-00${i + 1}`, 10, 50, [`x${i}`])),
    };
    const reading = (i: number, s: number): EventInput => ({ type: 'sensor', id: `x${i}`, ts: at(s) / 1000, site: 'site-a', sensor_id: `tt-00${i + 1}`, kind: 'temperature', value: 20, unit: 'C' });
    const obs = [reading(0, 40), reading(1, 11), reading(2, 14)].map((e) => ({ event: e, alerts: [alert('Sensor Stuck')] }));
    const r = row(scoreRun(three, obs), 'sensor_stuck'); // TTDs 30 s, 1 s, 4 s
    expect(r).toMatchObject({ detected: 3, median_ttd_s: 4 });
    expect(r.mean_ttd_s).toBeCloseTo(35 / 3, 12);
  });

  it('rejects a negative grace', () => {
    expect(() => scoreRun(truth, [], { graceMs: -1 })).toThrow(RangeError);
  });
});
