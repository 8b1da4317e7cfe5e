import { createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { channelFixture, FIXTURE_T0 } from './_channel-fixture.js';
import { decodeEnvelope } from './envelope.js';
import { HelloReplayCache, answerHello, checkAccept, createHello } from './handshake.js';
import { rejectionReason } from './session.js';
import { xwingDecapsulate } from './xwing.js';

const f = channelFixture();
const device = f.enroll('dev-1');
const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const x of parts) h.update(x);
  return h.digest();
};

describe('handshake', () => {
  it('matches the documented transcript, signature and key schedule (node:crypto and noble as oracles)', () => {
    const pending = createHello(f.p, { deviceId: 'dev-1', identity: device, serverKeys: f.verifiedKeys, nowMs: FIXTURE_T0 });
    const hello = Buffer.from(pending.hello);
    const n = hello[4]!;
    const bodyEnd = 5 + n + 8 + 8 + 32 + 2 + 1120;
    const pkHash = sha(f.kem.publicKey);
    // signature: ML-DSA-65 over SHA-256(server pk) ‖ body with context ipqsec-hello-v1
    const ctx = new TextEncoder().encode('ipqsec-hello-v1');
    expect(ml_dsa65.verify(hello.subarray(bodyEnd + 2), Buffer.concat([pkHash, hello.subarray(0, bodyEnd)]), device.publicKey, { context: ctx })).toBe(true);
    // key id = first 8 bytes of SHA-256(pk)
    expect(hello.subarray(5 + n + 8, 5 + n + 16).equals(pkHash.subarray(0, 8))).toBe(true);
    // key schedule from the X-Wing secret and the transcript hash
    const ss = xwingDecapsulate(f.p, f.kem, hello.subarray(5 + n + 50, bodyEnd));
    const th = sha(Buffer.from('ipqsec v1 transcript'), pkHash, hello);
    const hk = (info: string, len: number): Buffer => Buffer.from(hkdfSync('sha256', ss, th, info, len));
    expect(Buffer.from(pending.secrets.sessionId).equals(hk('ipqsec v1 session id', 16))).toBe(true);
    expect(Buffer.from(pending.secrets.c2s).equals(hk('ipqsec v1 c2s', 32))).toBe(true);
    expect(Buffer.from(pending.secrets.s2c).equals(hk('ipqsec v1 s2c', 32))).toBe(true);
    // the server side derives the same and its ACCEPT tag is AES-256-GCM(empty) under the s2c key, nonce 00000001‖FF×8
    const { secrets, reply } = answerHello(f.p, f.kem, pkHash, decodeEnvelope(pending.hello, 'hello'));
    expect(secrets).toEqual(pending.secrets);
    const acc = Buffer.from(reply);
    expect(acc.length).toBe(36);
    expect(acc.subarray(4, 20).equals(hk('ipqsec v1 session id', 16))).toBe(true);
    const key = Buffer.from(hkdfSync('sha256', hk('ipqsec v1 s2c', 32), Buffer.alloc(0), 'ipqsec v1 key', 32));
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from('00000001ffffffffffffffff', 'hex'));
    d.setAAD(Buffer.concat([acc.subarray(0, 20), th]));
    d.setAuthTag(acc.subarray(20));
    expect(Buffer.concat([d.update(Buffer.alloc(0)), d.final()]).length).toBe(0);
    expect(() => checkAccept(pending, reply)).not.toThrow();
  });

  it('rejects an ACCEPT of another session or with a wrong tag', () => {
    const a = createHello(f.p, { deviceId: 'dev-1', identity: device, serverKeys: f.verifiedKeys, nowMs: FIXTURE_T0 });
    const b = createHello(f.p, { deviceId: 'dev-1', identity: device, serverKeys: f.verifiedKeys, nowMs: FIXTURE_T0 });
    const replyB = answerHello(f.p, f.kem, sha(f.kem.publicKey), decodeEnvelope(b.hello, 'hello')).reply;
    const reasons: unknown[] = [];
    for (const r of [replyB, (() => { const x = answerHello(f.p, f.kem, sha(f.kem.publicKey), decodeEnvelope(a.hello, 'hello')).reply.slice(); x[35]! ^= 1; return x; })()]) {
      try {
        checkAccept(a, r);
      } catch (e) {
        expect(isIpqsecError(e, 'IPQ-P005')).toBe(true);
        reasons.push(rejectionReason(e));
      }
    }
    expect(reasons).toEqual(['unknown_session', 'confirm_failed']);
  });
});

describe('HelloReplayCache', () => {
  it('remembers within the window, forgets expired entries and never forgets a live one without raising the watermark', () => {
    const c = new HelloReplayCache(3, 1000);
    c.add('a', 100, 100);
    c.add('b', 50, 100);
    c.add('c', 120, 100);
    expect(c.seen('a', 100) && c.seen('b', 50) && c.seen('c', 120)).toBe(true);
    c.add('d', 130, 130); // full: evicts the oldest (b, ts 50), watermark 50
    expect(c.size).toBe(3);
    expect(c.watermarkMs).toBe(50);
    expect(c.seen('b', 50)).toBe(true); // still refused: at the watermark
    expect(c.seen('x', 51)).toBe(false);
    c.add('e', 1200, 1200); // a, c, d expire (ts < 200)
    expect(c.size).toBe(1);
    expect(c.watermarkMs).toBe(130);
  });

  it('keeps a heap order under random use (model check)', () => {
    const c = new HelloReplayCache(50, 1e9);
    const model = new Map<string, number>();
    let wm = -Infinity;
    let seed = 1;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const ts = Math.floor(rnd() * 10_000);
      const key = `k${i}`;
      if (model.size >= 50) {
        let minK = '';
        let minT = Infinity;
        for (const [k, t] of model) if (t < minT) [minK, minT] = [k, t];
        model.delete(minK);
        wm = Math.max(wm, minT);
      }
      model.set(key, ts);
      c.add(key, ts, 0);
      expect(c.watermarkMs).toBe(wm);
      expect(c.size).toBe(model.size);
    }
    for (const [k, t] of model) expect(c.seen(k, t)).toBe(true);
  });
});
