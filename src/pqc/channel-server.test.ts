import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError, type ErrorCode } from '../core/errors.js';
import { channelFixture, FIXTURE_T0 } from './_channel-fixture.js';
import type { ChannelClient } from './channel-client.js';
import type { ChannelServer } from './channel-server.js';
import { rejectionReason } from './session.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function connect(server: ChannelServer, client: ChannelClient): Promise<string> {
  const { sessionId, reply } = await server.acceptHello(client.hello());
  client.accept(reply);
  return sessionId;
}

/** `ok:<text>` or the rejection as `<code> <reason>`; anything but an IpqsecError fails the test. */
function openResult(server: ChannelServer, bytes: Uint8Array): string {
  try {
    const o = server.open(bytes);
    return `ok:${o.deviceId}:${dec.decode(o.plaintext)}`;
  } catch (e) {
    if (!isIpqsecError(e)) throw e;
    return `${e.code} ${rejectionReason(e)}`;
  }
}

async function helloResult(server: ChannelServer, bytes: Uint8Array): Promise<string> {
  try {
    const r = await server.acceptHello(bytes);
    return `ok:${r.deviceId}`;
  } catch (e) {
    if (!isIpqsecError(e)) throw e;
    return `${e.code} ${rejectionReason(e)}`;
  }
}

describe('ChannelServer: sessions', () => {
  it('opens a session and carries data both ways, attributing envelopes to the authenticated device', async () => {
    const f = channelFixture();
    f.enroll('robot-1');
    const c = f.client('robot-1');
    const sid = await connect(f.server, c);
    expect(c.state).toBe('open');
    expect(c.sessionId).toBe(sid);
    expect(f.server.sessionCount).toBe(1);
    for (let i = 0; i < 5; i++) {
      const o = f.server.open(c.seal(enc.encode(`[{"n":${i}}]`)));
      expect(o).toEqual({ deviceId: 'robot-1', sessionId: sid, plaintext: enc.encode(`[{"n":${i}}]`) });
      expect(dec.decode(c.open(f.server.seal(sid, enc.encode(`ack ${i}`))))).toBe(`ack ${i}`);
    }
    expect(Object.values(f.server.rejections).every((v) => v === 0)).toBe(true);
  });

  it('refuses unknown, pending and revoked devices, and a HELLO signed by A claiming B (IPQ-P006, counted)', async () => {
    const f = channelFixture();
    const keyA = f.enroll('dev-a');
    f.enroll('dev-b');
    f.enroll('dev-p', 'pending');
    f.enroll('dev-r', 'revoked');
    expect(await helloResult(f.server, f.client('nobody').hello())).toBe('IPQ-P006 unknown_device');
    expect(await helloResult(f.server, f.client('dev-p').hello())).toBe('IPQ-P006 pending_device');
    expect(await helloResult(f.server, f.client('dev-r').hello())).toBe('IPQ-P006 revoked_device');
    expect(await helloResult(f.server, f.client('dev-b', undefined, keyA).hello())).toBe('IPQ-P006 bad_signature');
    expect(f.server.rejections).toMatchObject({ unknown_device: 1, pending_device: 1, revoked_device: 1, bad_signature: 1 });
    expect(f.server.sessionCount).toBe(0);
    expect(await helloResult(f.server, f.client('dev-a').hello())).toBe('ok:dev-a');
  });

  it('refuses a replayed HELLO, a stale or future timestamp, another KEM key and garbage (IPQ-P005)', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    const hello = c.hello();
    expect(await helloResult(f.server, hello)).toBe('ok:dev-1');
    expect(await helloResult(f.server, hello)).toBe('IPQ-P005 hello_replay');
    expect(await helloResult(f.server, c.hello(FIXTURE_T0 - 300_001))).toBe('IPQ-P005 timestamp');
    expect(await helloResult(f.server, c.hello(FIXTURE_T0 + 300_001))).toBe('IPQ-P005 timestamp');
    expect(await helloResult(f.server, c.hello(FIXTURE_T0 + 300_000))).toBe('ok:dev-1');
    const wrongKey = c.hello().slice();
    wrongKey[5 + 5 + 8]! ^= 1; // first byte of the KEM key id ('dev-1' is 5 bytes)
    expect(await helloResult(f.server, wrongKey)).toBe('IPQ-P005 kem_key');
    const tampered = c.hello().slice();
    tampered[600]! ^= 1; // inside the ciphertext: the signature no longer verifies
    expect(await helloResult(f.server, tampered)).toBe('IPQ-P006 bad_signature');
    const data = f.client('dev-1');
    await connect(f.server, data);
    expect(await helloResult(f.server, data.seal(enc.encode('x')))).toBe('IPQ-P005 type');
    expect(await helloResult(f.server, hello.subarray(0, 100))).toBe('IPQ-P005 malformed');
    expect(f.server.rejections).toMatchObject({ hello_replay: 1, timestamp: 2, kem_key: 1, bad_signature: 1, type: 1, malformed: 1 });
  });

  it('revokeDevice drops the sessions and cancels a HELLO waiting for the registry', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    await connect(f.server, c);
    const queued = c.seal(enc.encode('after revoke'));
    f.registry.get('dev-1')!.status = 'revoked';
    expect(f.server.revokeDevice('dev-1')).toBe(1);
    expect(openResult(f.server, queued)).toBe('IPQ-P005 unknown_session');
    expect(await helloResult(f.server, c.hello())).toBe('IPQ-P006 revoked_device');
    // race: the lookup answers "approved", but the device is revoked while the lookup is in flight
    f.registry.get('dev-1')!.status = 'approved';
    const pending = f.server.acceptHello(c.hello());
    f.server.revokeDevice('dev-1');
    await expect(pending).rejects.toMatchObject({ code: 'IPQ-P006', details: { reason: 'revoked_device' } });
    expect(f.server.sessionCount).toBe(0);
  });

  it('bounds sessions: LRU over all devices, a per-device cap, idle and absolute expiry', async () => {
    const f = channelFixture({ maxSessions: 3, maxSessionsPerDevice: 2, sessionTtlMs: 10_000, maxSessionAgeMs: 50_000 });
    for (const id of ['a1', 'a2', 'a3', 'a4']) f.enroll(id);
    const cs = ['a1', 'a2', 'a3'].map((id) => f.client(id));
    for (const c of cs) await connect(f.server, c);
    expect(openResult(f.server, cs[0]!.seal(enc.encode('keep')))).toBe('ok:a1:keep'); // a1 is now the most recent
    await connect(f.server, f.client('a4')); // evicts a2
    expect(openResult(f.server, cs[1]!.seal(enc.encode('x')))).toBe('IPQ-P005 unknown_session');
    expect(openResult(f.server, cs[2]!.seal(enc.encode('y')))).toBe('ok:a3:y');
    // per-device: a third session of a1 drops its oldest
    const second = f.client('a1');
    const third = f.client('a1');
    await connect(f.server, second);
    await connect(f.server, third);
    expect(openResult(f.server, cs[0]!.seal(enc.encode('old')))).toBe('IPQ-P005 unknown_session');
    expect(openResult(f.server, second.seal(enc.encode('2')))).toBe('ok:a1:2');
    // idle expiry
    f.clock.now += 10_001;
    expect(openResult(f.server, third.seal(enc.encode('late')))).toBe('IPQ-P005 unknown_session');
    // absolute expiry despite activity
    const busy = f.client('a3');
    await connect(f.server, busy);
    for (let i = 0; i < 5; i++) {
      f.clock.now += 9_000;
      expect(openResult(f.server, busy.seal(enc.encode(`${i}`)))).toBe(`ok:a3:${i}`);
    }
    f.clock.now += 9_000;
    expect(openResult(f.server, busy.seal(enc.encode('too old')))).toBe('IPQ-P005 unknown_session');
    expect(f.server.sessionCount).toBeLessThanOrEqual(3);
    expect(() => f.server.seal('00'.repeat(16), enc.encode('x'))).toThrow(/unknown_session/);
  });
});

describe('ChannelServer: hostile DATA', () => {
  it('rejects tampering of every byte with a counted reason, and the session keeps working', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    await connect(f.server, c);
    const good = c.seal(enc.encode('payload'));
    const seen = new Map<string, number>();
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i]! ^= 0x40;
      const r = openResult(f.server, bad);
      expect(r.startsWith('ok:')).toBe(false);
      seen.set(r, (seen.get(r) ?? 0) + 1);
    }
    expect([...seen.keys()].every((k) => k.startsWith('IPQ-P005 '))).toBe(true);
    expect(seen.get('IPQ-P005 auth_failed')).toBeGreaterThan(20);
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(Object.values(f.server.rejections).reduce((a, b) => a + b, 0)).toBe(total);
    expect(openResult(f.server, good)).toBe('ok:dev-1:payload');
  });

  it('rejects replay, accepts reordering once each, rejects another session key under this session id', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    f.enroll('dev-2');
    const c = f.client('dev-1');
    const other = f.client('dev-2');
    const sid = await connect(f.server, c);
    await connect(f.server, other);
    const msgs = Array.from({ length: 40 }, (_, i) => c.seal(enc.encode(`${i}`)));
    const order = msgs.map((_, i) => (i * 17) % 40);
    for (const i of order) expect(openResult(f.server, msgs[i]!)).toBe(`ok:dev-1:${i}`);
    for (const i of [0, 13, 39]) expect(openResult(f.server, msgs[i]!)).toBe('IPQ-P005 replay');
    // dev-2 relabels its own envelope with dev-1's session id: it cannot send as dev-1
    // (counter 45 of its own session, a counter dev-1's session has not used)
    for (let i = 0; i < 45; i++) other.seal(enc.encode('filler'));
    const forged = other.seal(enc.encode('I am dev-1')).slice();
    forged.set(Buffer.from(sid, 'hex'), 4);
    expect(openResult(f.server, forged)).toBe('IPQ-P005 auth_failed');
    expect(f.server.rejections).toMatchObject({ replay: 3, auth_failed: 1 });
    expect(openResult(f.server, c.seal(enc.encode('still fine')))).toBe('ok:dev-1:still fine');
  });

  it('crosses key updates both ways with a small rekey threshold', async () => {
    const opts = { rekeyAfterMessages: 3 };
    const f = channelFixture({ session: opts });
    f.enroll('dev-1');
    const c = f.client('dev-1', opts);
    const sid = await connect(f.server, c);
    for (let i = 0; i < 25; i++) {
      const up = c.seal(enc.encode(`u${i}`));
      expect(openResult(f.server, up)).toBe(`ok:dev-1:u${i}`);
      expect(dec.decode(c.open(f.server.seal(sid, enc.encode(`d${i}`))))).toBe(`d${i}`);
    }
    const last = Buffer.from(c.seal(enc.encode('z')));
    expect(last.readUInt32BE(20) >>> 1).toBe(8); // 26th message: epoch floor(25 / 3)
    expect(openResult(f.server, last)).toBe('ok:dev-1:z');
  });

  it('random bytes and truncations of valid envelopes never throw anything but IpqsecError and release nothing (fast-check)', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    await connect(f.server, c);
    const hello = f.client('dev-1').hello();
    const data = c.seal(enc.encode('valid'));
    const codes = new Set<ErrorCode>();
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.nat(hello.length - 1).map((n) => hello.subarray(0, n)),
      fc.nat(data.length - 1).map((n) => data.subarray(0, n)),
      fc.tuple(fc.nat(data.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = data.slice();
        b[i]! ^= x;
        return b;
      }),
      fc.uint8Array({ maxLength: 100 }).map((b) => Uint8Array.from([0x49, 0x51, 1, 3, ...b])),
      fc.uint8Array({ maxLength: 100 }).map((b) => Uint8Array.from([0x49, 0x51, 1, 1, ...b])),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (b) => {
        const r = openResult(f.server, b);
        expect(r.startsWith('ok:')).toBe(false);
        codes.add(r.split(' ')[0] as ErrorCode);
        const h = await helloResult(f.server, b);
        expect(h.startsWith('ok:')).toBe(false);
        codes.add(h.split(' ')[0] as ErrorCode);
      }),
      { numRuns: 400 },
    );
    expect([...codes].every((code) => code === 'IPQ-P005' || code === 'IPQ-P006')).toBe(true);
    expect(openResult(f.server, data)).toBe('ok:dev-1:valid');
  });
});
