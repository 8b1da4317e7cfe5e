/** The shape checks applied to every record that arrives over the stream or REST (fast-check on arbitrary JSON). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAlert, isStoredEvent } from './live';

const event = { id: 'e1', type: 'flow', entity: 'ip:10.0.0.1', ts_ms: 1, site: null, risk: 0.2, risk_class: 'Low', body: { orig_h: '10.0.0.1' } };
const alert = {
  id: 'a1', event_id: 'e1', event_type: 'flow', entity: 'ip:10.0.0.1', timestamp: '1970-01-01T00:00:00.001Z', ts_ms: 1, ip: '10.0.0.1', task: null, previous_task: null,
  ports_accessed: [], intrusion_detected: true, reasons: ['Port Scan'], severity: 'high', risk: 0.9, techniques: [{ id: 'T1046', name: 'Network Service Discovery' }], acked: false, acked_by: null, acked_at_ms: null,
};

describe('isStoredEvent / isAlert', () => {
  it('accept the documented records and refuse them with a field broken', () => {
    expect(isStoredEvent(event)).toBe(true);
    expect(isAlert(alert)).toBe(true);
    for (const [k, v] of [['id', 1], ['type', 'other'], ['ts_ms', '1'], ['risk', Number.NaN], ['body', null]] as const) expect(isStoredEvent({ ...event, [k]: v }), k).toBe(false);
    for (const [k, v] of [['severity', 'extreme'], ['reasons', [1]], ['techniques', [{ id: 'T1046' }]], ['acked', 'no'], ['ts_ms', Infinity]] as const) expect(isAlert({ ...alert, [k]: v }), k).toBe(false);
  });

  it('never throw, and whatever they accept has the fields the views read (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ ...Object.fromEntries(Object.entries(event).map(([k]) => [k, fc.jsonValue()])) }), fc.constant(event)), (x) => {
        if (isStoredEvent(x)) {
          expect(typeof x.id).toBe('string');
          expect(Number.isFinite(x.ts_ms) && Number.isFinite(x.risk)).toBe(true);
          expect(typeof x.body === 'object' && x.body !== null).toBe(true);
        }
        if (isAlert(x)) expect(Array.isArray(x.reasons) && x.reasons.every((r) => typeof r === 'string')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
