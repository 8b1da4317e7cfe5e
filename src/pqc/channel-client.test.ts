import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { channelFixture, FIXTURE_T0 } from './_channel-fixture.js';
import { ChannelClient } from './channel-client.js';
import { decodeServerKeyStatement } from './server-keys.js';
import { rejectionReason } from './session.js';
import { xwingKeygen } from './xwing.js';
import { ChannelServer } from './channel-server.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isIpqsecError(e)) throw e;
    return `${e.code} ${rejectionReason(e) ?? (e.details as { reason?: string } | undefined)?.reason}`;
  }
  return 'ok';
}

describe('ChannelClient', () => {
  it('walks idle → awaiting_accept → open and back to idle', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    expect(c.state).toBe('idle');
    expect(reasonOf(() => c.seal(enc.encode('x')))).toBe('IPQ-P005 unknown_session');
    expect(reasonOf(() => c.accept(new Uint8Array(36)))).toBe('IPQ-P005 unknown_session');
    const hello = c.hello();
    expect(c.state).toBe('awaiting_accept');
    const { reply, sessionId } = await f.server.acceptHello(hello);
    c.accept(reply);
    expect(c.state).toBe('open');
    expect(c.sessionId).toBe(sessionId);
    c.reset();
    expect(c.state).toBe('idle');
    expect(c.sessionId).toBeUndefined();
  });

  it('accepts only a server key statement verified against the pinned identity', () => {
    const f = channelFixture();
    const unverified = decodeServerKeyStatement(f.signed.statement);
    expect(() => new ChannelClient({ provider: f.p, deviceId: 'dev-1', identity: f.p.mlDsaKeygen(), serverKeys: unverified })).toThrow(TypeError);
    expect(() => new ChannelClient({ provider: f.p, deviceId: 'bad id', identity: f.p.mlDsaKeygen(), serverKeys: f.verifiedKeys })).toThrow(RangeError);
  });

  it('refuses to use an expired statement (IPQ-P007)', () => {
    const f = channelFixture();
    const c = f.client('dev-1');
    expect(reasonOf(() => c.hello(f.verifiedKeys.notAfterMs + 1))).toBe('IPQ-P007 expired');
    expect(reasonOf(() => c.hello(f.verifiedKeys.createdMs - 300_001))).toBe('IPQ-P007 not_yet_valid');
  });

  it('a server without the signed KEM secret key cannot complete the handshake (MITM), and a forged ACCEPT does not block the real one', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    const c = f.client('dev-1');
    const hello = c.hello();
    // an impostor holding another KEM key: the key id in the HELLO is not its own
    const impostor = new ChannelServer({ provider: f.p, kemKeyPair: xwingKeygen(f.p), nowMs: () => f.clock.now, lookupDevice: async () => ({ publicKey: f.registry.get('dev-1')!.keyPair.publicKey, status: 'approved' }) });
    await expect(impostor.acceptHello(hello)).rejects.toMatchObject({ code: 'IPQ-P005', details: { reason: 'kem_key' } });
    const { reply } = await f.server.acceptHello(hello);
    const forged = reply.slice();
    forged[30]! ^= 1;
    expect(reasonOf(() => c.accept(forged))).toBe('IPQ-P005 confirm_failed');
    const otherSession = reply.slice();
    otherSession[4]! ^= 1;
    expect(reasonOf(() => c.accept(otherSession))).toBe('IPQ-P005 unknown_session');
    expect(reasonOf(() => c.accept(reply.subarray(0, 35)))).toBe('IPQ-P005 malformed');
    expect(c.state).toBe('awaiting_accept');
    c.accept(reply);
    expect(c.state).toBe('open');
    expect(c.rejections).toMatchObject({ confirm_failed: 1, unknown_session: 1, malformed: 1 });
  });

  it('rejects tampered, replayed and foreign server envelopes and keeps the session', async () => {
    const f = channelFixture();
    f.enroll('dev-1');
    f.enroll('dev-2');
    const c = f.client('dev-1');
    const c2 = f.client('dev-2');
    const { reply, sessionId } = await f.server.acceptHello(c.hello(FIXTURE_T0));
    c.accept(reply);
    const r2 = await f.server.acceptHello(c2.hello());
    c2.accept(r2.reply);
    const down = f.server.seal(sessionId, enc.encode('answer'));
    fc.assert(
      fc.property(fc.nat(down.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = down.slice();
        bad[i]! ^= x;
        expect(reasonOf(() => c.open(bad)).startsWith('IPQ-P005 ')).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(reasonOf(() => c.open(f.server.seal(r2.sessionId, enc.encode('for dev-2'))))).toBe('IPQ-P005 unknown_session');
    expect(dec.decode(c.open(down))).toBe('answer');
    expect(reasonOf(() => c.open(down))).toBe('IPQ-P005 replay');
    expect(reasonOf(() => c.open(c.seal(enc.encode('mine'))))).toBe('IPQ-P005 direction');
  });
});
