/**
 * Device binding of secure ingest: a robot or sensor event must be from the session's device; flows may come from
 * any device. The channel is a stub here (the real one is tested in src/pqc and end to end in
 * src/server/security.test.ts); what is tested is the parsing and the binding rule.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { openSecureBatch, type ChannelPort } from './secure-ingest.js';

const channelOf = (deviceId: string, plaintext: string): ChannelPort => ({
  acceptHello: () => Promise.reject(new Error('unused')),
  open: () => ({ deviceId, sessionId: '00', plaintext: new TextEncoder().encode(plaintext) }),
  seal: () => new Uint8Array(0),
});
let n = 0;
const newId = () => `id-${++n}`;
const robot = (id: string) => ({ type: 'robot', timestamp: '2026-11-21T12:00:00Z', ip: '10.0.0.2', robot_id: id, task: 'pick', previous_task: null, ports_accessed: [] });
const sensor = (id: string) => ({ type: 'sensor', ts: 1_763_726_400, site: 'plant-1', sensor_id: id, kind: 'temperature', value: 21.5, unit: 'C' });
const flow = { type: 'flow', ts: 1_763_726_400, orig_h: '10.0.0.9', orig_p: 40000, resp_h: '10.0.0.1', resp_p: 502, proto: 'tcp' };

describe('openSecureBatch', () => {
  it('accepts the device own robot/sensor events and any flows', () => {
    const b = openSecureBatch(channelOf('r-1', JSON.stringify([robot('r-1'), flow])), new Uint8Array(1), newId);
    expect(b.events.map((e) => e.type)).toEqual(['robot', 'flow']);
    expect(openSecureBatch(channelOf('tt-001', JSON.stringify([sensor('tt-001')])), new Uint8Array(1), newId).events).toHaveLength(1);
  });

  it('refuses an event of another device with IPQ-P006 naming its index', () => {
    let err: unknown;
    try {
      openSecureBatch(channelOf('r-1', JSON.stringify([robot('r-1'), sensor('tt-001')])), new Uint8Array(1), newId);
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-P006')).toBe(true);
    expect((err as { details: { index: number } }).details.index).toBe(1);
  });

  it('property: any plaintext gives events or an IpqsecError (E001/E002/E003/P006), nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant('[]')), (text) => {
        try {
          openSecureBatch(channelOf('r-1', text), new Uint8Array(1), newId);
        } catch (e) {
          expect(isIpqsecError(e)).toBe(true);
          expect(['IPQ-E001', 'IPQ-E002', 'IPQ-E003', 'IPQ-P006']).toContain((e as { code: string }).code);
        }
      }),
      { numRuns: 300 },
    );
  });
});
