import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { entityOf, eventTimeMs, parseEvents, MAX_EVENTS_PER_BATCH, SIGNAL_REASONS, type EventInput } from './events.js';
import { isIpqsecError } from './errors.js';

let n = 0;
const newId = () => `id-${n++}`;

const flow = {
  type: 'flow', ts: 1700000000.25, orig_h: '10.0.0.1', orig_p: 40000, resp_h: '10.0.0.2', resp_p: 443, proto: 'tcp',
  service: 'ssl', duration: 0.5, orig_bytes: 100, resp_bytes: 2000, orig_pkts: 3, resp_pkts: 4, conn_state: 'SF',
};
const robot = { type: 'robot', timestamp: '2026-11-21T10:00:00Z', ip: '10.20.0.5', robot_id: 'r1', task: 'welding', previous_task: 'idle', ports_accessed: [443] };
const sensor = { type: 'sensor', ts: 1700000001, site: 'plant-a', sensor_id: 'tt-001', kind: 'temperature', value: 21.5, unit: 'C' };

describe('parseEvents', () => {
  it('accepts the three kinds, fills ids and event time in ms', () => {
    const out = parseEvents([flow, robot, { ...sensor, id: 'mine' }], newId);
    expect(out.map((e) => e.type)).toEqual(['flow', 'robot', 'sensor']);
    expect(out[0]!.tsMs).toBe(1700000000250);
    expect(out[1]!.tsMs).toBe(Date.UTC(2026, 10, 21, 10));
    expect(out[2]!.id).toBe('mine');
    expect(out[0]!.id).toMatch(/^id-/);
  });
  it('names the index and field of every failure and returns nothing (all or nothing)', () => {
    try {
      parseEvents([flow, { ...flow, orig_p: 70000 }, sensor, { ...robot, ip: 'not-an-ip' }], newId);
      expect.unreachable();
    } catch (e) {
      expect(isIpqsecError(e, 'IPQ-E001')).toBe(true);
      const issues = (e as { details: { issues: { index: number; path: string }[]; failed: number } }).details;
      expect(issues.failed).toBe(2);
      expect(issues.issues.map((i) => `${i.index}:${i.path}`)).toEqual(['1:orig_p', '3:ip']);
      expect((e as Error).message).toContain('event 1 field orig_p');
    }
  });
  it('rejects an unknown type, a wrong version, milliseconds sent as seconds and a bad conn_state', () => {
    for (const bad of [{ ...flow, type: 'dns' }, { ...flow, v: 2 }, { ...flow, ts: 1700000000000 }, { ...flow, conn_state: 'XX' }, null, 3, 'x']) {
      expect(() => parseEvents([bad], newId)).toThrow(/IPQ-E001/);
    }
  });
  it('refuses more than the batch limit with IPQ-E002', () => {
    expect(() => parseEvents(new Array(MAX_EVENTS_PER_BATCH + 1).fill(sensor), newId)).toThrow(/IPQ-E002/);
  });
  it('never throws anything but IPQ-E001 on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue(), fc.record({ type: fc.constantFrom('flow', 'robot', 'sensor') }, { requiredKeys: [] })), { maxLength: 5 }), (items) => {
        try {
          parseEvents(items, newId);
        } catch (e) {
          expect(isIpqsecError(e, 'IPQ-E001')).toBe(true);
        }
      }),
    );
  });
  it('keys entities by kind', () => {
    const [f, r, s] = [flow, robot, sensor] as EventInput[];
    expect([entityOf(f!), entityOf(r!), entityOf(s!)]).toEqual(['ip:10.0.0.1', 'robot:r1', 'sensor:plant-a/tt-001']);
    expect(eventTimeMs(s!)).toBe(1700000001000);
  });
});

describe('flow signals (fast-check)', () => {
  const base = { type: 'flow', ts: 1_700_000_000, orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp' };
  const validSignal = fc.record(
    {
      reason: fc.constantFrom(...SIGNAL_REASONS),
      severity: fc.constantFrom('low', 'medium', 'high', 'critical'),
      source: fc.string({ minLength: 1, maxLength: 64 }),
      detail: fc.string({ maxLength: 512 }),
      signature_id: fc.nat(),
      techniques: fc.array(fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.option(fc.integer({ min: 0, max: 999 }))).map(([t, s]) => `T${String(t).padStart(4, '0')}${s === null ? '' : `.${String(s).padStart(3, '0')}`}`), { maxLength: 8 }),
    },
    { requiredKeys: ['reason', 'severity'] },
  );

  it('valid signals are accepted and kept as sent', () => {
    fc.assert(
      fc.property(fc.array(validSignal, { maxLength: 16 }), (signals) => {
        const [e] = parseEvents([{ ...base, signals }], () => 'id');
        expect(e!.type === 'flow' && e!.signals).toEqual(signals);
      }),
    );
  });

  it('any other value in signals is IPQ-E001 naming the field, never another error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(fc.oneof(validSignal, fc.jsonValue() as fc.Arbitrary<unknown>), { minLength: 17, maxLength: 20 })), (signals) => {
        try {
          parseEvents([{ ...base, signals }], () => 'id');
        } catch (err) {
          expect(isIpqsecError(err, 'IPQ-E001')).toBe(true);
          expect(JSON.stringify((err as { details: unknown }).details)).toContain('signals');
        }
      }),
    );
  });
});
