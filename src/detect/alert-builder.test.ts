import { describe, expect, it } from 'vitest';
import { entityOf, parseEvents, type IngestEvent } from '../core/events.js';
import type { AlertReason } from '../core/records.js';
import { AlertBuilder, severityOf } from './alert-builder.js';

const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20.000Z

function event(wire: Record<string, unknown>): IngestEvent {
  return parseEvents([wire], () => 'generated')[0];
}
const flow = (tsMs = T0, resp_p = 3389): IngestEvent =>
  event({ type: 'flow', id: `f${tsMs}`, ts: tsMs / 1000, orig_h: '10.0.0.5', orig_p: 51000, resp_h: '10.0.0.9', resp_p, proto: 'tcp' });
const ids = () => {
  let n = 0;
  return () => `a${++n}`;
};

describe('AlertBuilder: alert shape per event type', () => {
  it('flow: ip = orig_h, ports = [resp_p], no task, techniques of the port', () => {
    const e = event({ type: 'flow', id: 'ev-1', ts: 1_700_000_000.5, orig_h: '10.0.0.5', orig_p: 51000, resp_h: '10.0.0.9', resp_p: 3389, proto: 'tcp' });
    const alert = new AlertBuilder().build({ event: e, entity: entityOf(e), reasons: ['Suspicious Port Access', 'ML Intrusion Score'], risk: 0.75, newId: () => 'al-1' }, true);
    expect(alert).toEqual({
      id: 'al-1',
      event_id: 'ev-1',
      event_type: 'flow',
      entity: 'ip:10.0.0.5',
      timestamp: '2023-11-14T22:13:20.500Z',
      ts_ms: 1_700_000_000_500,
      ip: '10.0.0.5',
      task: null,
      previous_task: null,
      ports_accessed: [3389],
      intrusion_detected: true,
      reasons: ['Suspicious Port Access', 'ML Intrusion Score'],
      severity: 'high',
      risk: 0.75,
      techniques: [{ id: 'T1021.001', name: 'Remote Desktop Protocol' }],
      acked: false,
      acked_by: null,
      acked_at_ms: null,
    });
  });

  it('robot: ip, task, previous_task, ports_accessed; techniques over every port, deduplicated', () => {
    const e = event({
      type: 'robot', id: 'ev-2', timestamp: '2024-03-01T08:00:00Z', ip: '192.0.2.7', robot_id: 'arm-3',
      task: 'open_gripper', previous_task: 'weld', ports_accessed: [80, 4444, 23, 2323],
    });
    const alert = new AlertBuilder().build(
      { event: e, entity: entityOf(e), reasons: ['Suspicious Port Access', 'Unusual Task Switch', 'Recurring Offender'], risk: 0.95, newId: () => 'al-2' },
      true,
    );
    expect(alert).toMatchObject({
      event_type: 'robot',
      entity: 'robot:arm-3',
      timestamp: '2024-03-01T08:00:00.000Z',
      ts_ms: Date.UTC(2024, 2, 1, 8),
      ip: '192.0.2.7',
      task: 'open_gripper',
      previous_task: 'weld',
      ports_accessed: [80, 4444, 23, 2323],
      severity: 'critical',
      reasons: ['Suspicious Port Access', 'Unusual Task Switch', 'Recurring Offender'],
    });
    expect(alert!.techniques.map((t) => t.id)).toEqual(['T1571', 'T1021', 'T0886', 'T0855', 'T0831']);
  });

  it('robot without previous_task: previous_task is null', () => {
    const e = event({ type: 'robot', timestamp: 1_700_000_000, ip: '192.0.2.8', robot_id: 'amr-1', task: 'dock' });
    const alert = new AlertBuilder().build({ event: e, entity: entityOf(e), reasons: ['Unusual Task Switch'], risk: 0.5, newId: () => 'x' }, true);
    expect(alert).toMatchObject({ previous_task: null, task: 'dock', ports_accessed: [], severity: 'medium' });
  });

  it('sensor: no ip, no task, no ports', () => {
    const e = event({ type: 'sensor', id: 'ev-3', ts: 1_700_000_000, site: 'plant-1', sensor_id: 'tt-101', kind: 'temperature', value: 412, unit: 'C' });
    const alert = new AlertBuilder().build(
      { event: e, entity: entityOf(e), reasons: ['Sensor Spike', 'Sensor Drift', 'Sensor High Risk'], risk: 0.2, newId: () => 'al-3' },
      true,
    );
    expect(alert).toMatchObject({ entity: 'sensor:plant-1/tt-101', ip: null, task: null, previous_task: null, ports_accessed: [], severity: 'low' });
    expect(alert!.techniques).toEqual([
      { id: 'T0856', name: 'Spoof Reporting Message' },
      { id: 'T0832', name: 'Manipulation of View' },
    ]);
  });

  it('ignores duplicate reasons and returns null without reasons, calling newId only for an alert', () => {
    const b = new AlertBuilder();
    let calls = 0;
    const newId = () => `n${++calls}`;
    const e = flow();
    expect(b.build({ event: e, entity: entityOf(e), reasons: [], risk: 0.9, newId }, true)).toBeNull();
    const a = b.build({ event: e, entity: entityOf(e), reasons: ['Port Scan', 'Port Scan'], risk: 0.9, newId }, true);
    expect(a!.reasons).toEqual(['Port Scan']);
    expect(a!.techniques.map((t) => t.id)).toEqual(['T1046', 'T0846']);
    expect(b.build({ event: e, entity: entityOf(e), reasons: ['Port Scan'], risk: 0.9, newId }, true)).toBeNull();
    expect(calls).toBe(1);
  });
});

describe('AlertBuilder de-duplication (window 60 s)', () => {
  const at = (b: AlertBuilder, tsMs: number, reasons: AlertReason[], commit = true, entity = 'ip:10.0.0.5') =>
    b.build({ event: flow(tsMs), entity, reasons, risk: 0.8, newId: ids() }, commit);

  it('drops a reason within the window and alerts again at exactly the window, both directions in time', () => {
    const b = new AlertBuilder();
    expect(at(b, T0, ['Port Scan'])).not.toBeNull();
    expect(at(b, T0 + 59_999, ['Port Scan'])).toBeNull();
    expect(at(b, T0 - 59_999, ['Port Scan'])).toBeNull(); // out of order, still within the window
    expect(at(b, T0 - 60_000, ['Port Scan'])).not.toBeNull();
    expect(at(b, T0 + 60_000, ['Port Scan'])).not.toBeNull();
  });

  it('alerts again within the window when the severity rises, not when it stays or falls', () => {
    const b = new AlertBuilder();
    const withRisk = (tsMs: number, risk: number) => b.build({ event: flow(tsMs), entity: 'ip:10.0.0.5', reasons: ['Port Scan'], risk, newId: ids() }, true);
    expect(withRisk(T0, 0.3)?.severity).toBe('low');
    expect(withRisk(T0 + 1000, 0.35)).toBeNull();
    expect(withRisk(T0 + 2000, 0.8)?.severity).toBe('high');
    expect(withRisk(T0 + 3000, 0.5)).toBeNull();
    expect(withRisk(T0 + 4000, 0.8)).toBeNull();
    expect(withRisk(T0 + 5000, 0.95)?.severity).toBe('critical');
  });

  it('runs the window from the last emitted alert, not from the last suppressed one', () => {
    const b = new AlertBuilder();
    expect(at(b, T0, ['Traffic Burst'])).not.toBeNull();
    expect(at(b, T0 + 30_000, ['Traffic Burst'])).toBeNull();
    expect(at(b, T0 + 60_000, ['Traffic Burst'])).not.toBeNull();
    expect(at(b, T0 + 90_000, ['Traffic Burst'])).toBeNull();
  });

  it('keeps only the reasons not alerted recently, per entity and per reason', () => {
    const b = new AlertBuilder();
    at(b, T0, ['Port Scan']);
    expect(at(b, T0 + 1000, ['Port Scan', 'Traffic Burst'])!.reasons).toEqual(['Traffic Burst']);
    expect(at(b, T0 + 2000, ['Port Scan'], true, 'ip:10.0.0.6')).not.toBeNull(); // another entity
    expect(at(b, T0 + 3000, ['Port Scan', 'Traffic Burst'])).toBeNull();
  });

  it('with commit false changes no state', () => {
    const b = new AlertBuilder();
    expect(at(b, T0, ['Port Scan'], false)).not.toBeNull();
    expect(at(b, T0, ['Port Scan'], false)).not.toBeNull();
    expect(b.size).toBe(0);
    expect(at(b, T0, ['Port Scan'], true)).not.toBeNull();
    expect(at(b, T0 + 1, ['Port Scan'], false)).toBeNull();
  });

  it('a window of 0 never de-duplicates', () => {
    const b = new AlertBuilder({ dedupWindowMs: 0 });
    expect(at(b, T0, ['Port Scan'])).not.toBeNull();
    expect(at(b, T0, ['Port Scan'])).not.toBeNull();
  });

  it('remembers at most maxKeys entities, forgetting the least recently alerted', () => {
    const b = new AlertBuilder({ maxKeys: 2 });
    for (const e of ['ip:a', 'ip:b', 'ip:c']) at(b, T0, ['Port Scan'], true, e);
    expect(b.size).toBe(2);
    expect(b.evictions).toBe(1);
    expect(at(b, T0 + 1, ['Port Scan'], true, 'ip:c')).toBeNull(); // remembered
    expect(at(b, T0 + 1, ['Port Scan'], true, 'ip:a')).not.toBeNull(); // forgotten: alerts again, evicts b
    expect(at(b, T0 + 2, ['Port Scan'], true, 'ip:b')).not.toBeNull();
    expect(b.size).toBe(2);
  });
});

describe('severityOf', () => {
  it.each([
    [0, 'low'], [0.39999, 'low'], [0.4, 'medium'], [0.69999, 'medium'], [0.7, 'high'], [0.89999, 'high'], [0.9, 'critical'], [1, 'critical'],
  ] as const)('%f → %s', (risk, sev) => {
    expect(severityOf(risk)).toBe(sev);
  });

  it('rejects risks outside [0, 1]', () => {
    for (const bad of [-0.1, 1.01, Number.NaN]) expect(() => severityOf(bad)).toThrow(RangeError);
    const e = flow();
    expect(() => new AlertBuilder().build({ event: e, entity: entityOf(e), reasons: ['Port Scan'], risk: 2, newId: ids() }, true)).toThrow(RangeError);
  });
});

describe('AlertBuilder validation', () => {
  it('rejects bad options and unknown reasons', () => {
    expect(() => new AlertBuilder({ dedupWindowMs: -1 })).toThrow(RangeError);
    expect(() => new AlertBuilder({ dedupWindowMs: Infinity })).toThrow(RangeError);
    expect(() => new AlertBuilder({ maxKeys: 0 })).toThrow(RangeError);
    const e = flow();
    expect(() => new AlertBuilder().build({ event: e, entity: entityOf(e), reasons: ['Nope' as AlertReason], risk: 0.5, newId: ids() }, true)).toThrow(RangeError);
  });
});
