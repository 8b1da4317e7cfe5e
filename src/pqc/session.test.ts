import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { decodeEnvelope } from './envelope.js';
import { ChannelSession, MAX_COUNTER, rejectionReason, type SessionOptions, type SessionSecrets } from './session.js';

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

function secrets(): SessionSecrets {
  return { sessionId: new Uint8Array(randomBytes(16)), c2s: new Uint8Array(randomBytes(32)), s2c: new Uint8Array(randomBytes(32)) };
}

function pair(options: Partial<SessionOptions> = {}): { client: ChannelSession; server: ChannelSession; s: SessionSecrets } {
  const s = secrets();
  const copy = (x: SessionSecrets): SessionSecrets => ({ sessionId: x.sessionId.slice(), c2s: x.c2s.slice(), s2c: x.s2c.slice() });
  return { client: new ChannelSession('client', copy(s), T0, options), server: new ChannelSession('server', copy(s), T0, options), s };
}

/** Opens or returns the rejection reason (asserting it is an IPQ-P005 and that nothing else is thrown). */
function tryOpen(end: ChannelSession, bytes: Uint8Array, now = T0): string {
  try {
    return `ok:${dec.decode(end.open(decodeEnvelope(bytes, 'data'), now))}`;
  } catch (e) {
    if (!isIpqsecError(e, 'IPQ-P005')) throw e;
    return rejectionReason(e) ?? 'no-reason';
  }
}

/** Independent oracle: the key schedule and nonce/AAD rules of docs/envelope.md with node:crypto directly. */
function oracleOpen(epoch0Secret: Uint8Array, bytes: Uint8Array): string {
  const h = Buffer.from(bytes);
  const epoch = h.readUInt32BE(20) >>> 1;
  let secret = Buffer.from(epoch0Secret);
  for (let e = 0; e < epoch; e++) secret = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'ipqsec v1 traffic upd', 32));
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'ipqsec v1 key', 32));
  const d = createDecipheriv('aes-256-gcm', key, h.subarray(20, 32));
  d.setAAD(h.subarray(0, 36));
  d.setAuthTag(h.subarray(h.length - 16));
  return Buffer.concat([d.update(h.subarray(36, h.length - 16)), d.final()]).toString('utf8');
}

describe('ChannelSession', () => {
  it('seals both directions with the documented key schedule, nonce and AAD (node:crypto oracle)', () => {
    const { client, server, s } = pair({ rekeyAfterMessages: 2 });
    for (let i = 0; i < 7; i++) {
      const up = client.seal(enc.encode(`up ${i}`), T0);
      expect(oracleOpen(s.c2s, up)).toBe(`up ${i}`);
      expect(tryOpen(server, up)).toBe(`ok:up ${i}`);
      const down = server.seal(enc.encode(`down ${i}`), T0);
      expect(oracleOpen(s.s2c, down)).toBe(`down ${i}`);
      expect(tryOpen(client, down)).toBe(`ok:down ${i}`);
    }
    expect(client.sendPosition).toEqual({ epoch: 3, counter: 1 });
    expect(server.receiveEpochNumber).toBe(3);
  });

  it('never repeats a nonce: (epoch, counter) pairs of one direction are unique', () => {
    const { client } = pair({ rekeyAfterMessages: 5 });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const b = Buffer.from(client.seal(new Uint8Array(1), T0 + i * 1000));
      const nonce = b.subarray(20, 32).toString('hex');
      expect(seen.has(nonce)).toBe(false);
      seen.add(nonce);
    }
  });

  it('rejects a replay and accepts reordering within the window once each', () => {
    const { client, server } = pair();
    const msgs = Array.from({ length: 300 }, (_, i) => client.seal(enc.encode(`m${i}`), T0));
    const order = msgs.map((_, i) => (i * 7919) % msgs.length); // a fixed permutation (7919 is prime to 300)
    for (const i of order) expect(tryOpen(server, msgs[i]!)).toBe(`ok:m${i}`);
    for (const i of order.slice(0, 20)) expect(tryOpen(server, msgs[i]!)).toBe('replay');
  });

  it('rejects counters below the window as stale', () => {
    const { client, server } = pair();
    const msgs = Array.from({ length: 1100 }, (_, i) => client.seal(enc.encode(`${i}`), T0));
    expect(tryOpen(server, msgs[1099]!)).toBe('ok:1099');
    expect(tryOpen(server, msgs[1099 - 1023]!)).toBe(`ok:${1099 - 1023}`);
    expect(tryOpen(server, msgs[1099 - 1024]!)).toBe('stale');
  });

  it('rejects a wrong key, its own direction and another session, and keeps going', () => {
    const { client, server } = pair();
    const intruder = new ChannelSession('client', { ...secrets(), sessionId: client.id.slice() }, T0);
    expect(tryOpen(server, intruder.seal(enc.encode('evil'), T0))).toBe('auth_failed');
    expect(tryOpen(client, client.seal(enc.encode('self'), T0))).toBe('direction');
    expect(tryOpen(server, pair().client.seal(enc.encode('x'), T0))).toBe('unknown_session');
    expect(tryOpen(server, client.seal(enc.encode('fine'), T0))).toBe('ok:fine');
  });

  it('tampering with any byte is rejected, releases nothing, and the untouched envelope still opens', () => {
    const { client, server } = pair();
    const good = client.seal(enc.encode('hello world'), T0);
    for (let i = 0; i < good.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const bad = good.slice();
        bad[i]! ^= flip;
        let reason: string;
        try {
          reason = tryOpen(server, bad);
        } catch (e) {
          throw new Error(`byte ${i}: ${String(e)}`);
        }
        expect(reason.startsWith('ok:')).toBe(false);
        expect(['malformed', 'version', 'type', 'unknown_session', 'direction', 'epoch', 'counter', 'auth_failed']).toContain(reason);
      }
    }
    expect(tryOpen(server, good)).toBe('ok:hello world');
  });

  it('crosses key updates with reordering around the boundary and drops the previous epoch after the grace', () => {
    const { client, server } = pair({ rekeyAfterMessages: 3, previousEpochGraceMs: 1000 });
    const m = Array.from({ length: 9 }, (_, i) => client.seal(enc.encode(`${i}`), T0)); // epochs 0,0,0,1,1,1,2,2,2
    expect(tryOpen(server, m[0]!)).toBe('ok:0');
    expect(tryOpen(server, m[3]!)).toBe('ok:3'); // next epoch: becomes current
    expect(tryOpen(server, m[1]!)).toBe('ok:1'); // previous epoch still opens
    expect(tryOpen(server, m[7]!)).toBe('ok:7'); // epoch 2 = next of 1; epoch 0 is dropped
    expect(tryOpen(server, m[2]!)).toBe('epoch');
    expect(tryOpen(server, m[4]!)).toBe('ok:4'); // epoch 1 is the previous now
    expect(tryOpen(server, m[5]!, T0 + 1001)).toBe('epoch'); // grace over
    expect(tryOpen(server, m[6]!, T0 + 1001)).toBe('ok:6');
    expect(tryOpen(server, m[6]!, T0 + 1001)).toBe('replay');
  });

  it('rejects an epoch more than one ahead', () => {
    const { client, server } = pair({ rekeyAfterMessages: 1 });
    const m = [0, 1, 2].map((i) => client.seal(enc.encode(`${i}`), T0));
    expect(tryOpen(server, m[2]!)).toBe('epoch');
    expect(tryOpen(server, m[1]!)).toBe('ok:1');
    expect(tryOpen(server, m[2]!)).toBe('ok:2');
  });

  it('rekeys after rekeyAfterMs only when the epoch carried a message', () => {
    const { client, server } = pair({ rekeyAfterMs: 60_000 });
    const a = client.seal(enc.encode('a'), T0 + 120_000); // epoch 0 empty so far: no rekey
    expect(decodeEnvelope(a, 'data').epoch).toBe(0);
    const b = client.seal(enc.encode('b'), T0 + 120_000);
    expect(decodeEnvelope(b, 'data').epoch).toBe(1);
    const c = client.seal(enc.encode('c'), T0 + 150_000);
    expect(decodeEnvelope(c, 'data').epoch).toBe(1);
    const d = client.seal(enc.encode('d'), T0 + 180_001);
    expect(decodeEnvelope(d, 'data').epoch).toBe(2);
    for (const [x, t] of [[a, 'a'], [b, 'b'], [c, 'c'], [d, 'd']] as const) expect(tryOpen(server, x)).toBe(`ok:${t}`);
  });

  it('rejects counters above MAX_COUNTER before any crypto', () => {
    const { client, server } = pair();
    const b = Buffer.from(client.seal(enc.encode('x'), T0));
    b.writeUInt32BE(1, 24); // counter = 2^32 + ...
    expect(MAX_COUNTER).toBe(2 ** 32 - 1);
    expect(tryOpen(server, b)).toBe('counter');
  });

  it('after many rejections of random mutations, valid traffic in the session still flows (fast-check)', () => {
    const { client, server } = pair({ rekeyAfterMessages: 4 });
    let n = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(40), (flips, cut) => {
        const text = `msg ${n++}`;
        const good = client.seal(enc.encode(text), T0);
        const bad = good.slice();
        for (const [pos, x] of flips) bad[pos % bad.length]! ^= x;
        expect(tryOpen(server, bad).startsWith('ok:')).toBe(false);
        expect(tryOpen(server, good.subarray(0, Math.max(0, good.length - 1 - cut))).startsWith('ok:')).toBe(false);
        expect(tryOpen(server, good)).toBe(`ok:${text}`);
      }),
      { numRuns: 300 },
    );
  });

  it('validates options', () => {
    expect(() => new ChannelSession('client', secrets(), T0, { rekeyAfterMessages: 0 })).toThrow(RangeError);
    expect(() => new ChannelSession('client', secrets(), T0, { replayWindow: 100 })).toThrow(RangeError);
    expect(() => pair().client.seal(new Uint8Array(10), T0)).not.toThrow();
    expect(() => new ChannelSession('client', secrets(), T0, { maxPlaintextBytes: 4 }).seal(new Uint8Array(5), T0)).toThrow(RangeError);
  });
});
