import { createHash } from 'node:crypto';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { createPqcProvider } from './select-provider.js';
import {
  decodeServerKeyStatement,
  isVerifiedServerKeys,
  kemKeyIdHex,
  readServerKeysDocument,
  serverKeysDocument,
  signServerKeys,
  verifyServerKeys,
} from './server-keys.js';
import { xwingKeygen } from './xwing.js';

const p = createPqcProvider();
const identity = p.mlDsaKeygen();
const other = p.mlDsaKeygen();
const kem = xwingKeygen(p);
const T0 = 1_700_000_000_000;
const signed = signServerKeys(p, identity, { name: 'ipqsec.example.org', kemPublicKey: kem.publicKey, createdMs: T0, notAfterMs: T0 + 86_400_000 });

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isIpqsecError(e, 'IPQ-P007')).toBe(true);
    return (e as { details: { reason: string } }).details.reason;
  }
  return 'ok';
}

describe('server key statement', () => {
  it('has the documented byte layout (built by hand) and a context-bound ML-DSA-65 signature (noble directly)', () => {
    const name = Buffer.from('ipqsec.example.org');
    const u64 = (v: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(v));
      return b;
    };
    const sha = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
    const expected = Buffer.concat([Buffer.from('IPQK'), Buffer.from([1, name.length]), name, sha(identity.publicKey), sha(kem.publicKey).subarray(0, 8), u64(T0), u64(T0 + 86_400_000), Buffer.from([0x04, 0xc0]), kem.publicKey]);
    expect(Buffer.from(signed.statement).equals(expected)).toBe(true);
    expect(signed.keys.keyId).toBe(sha(kem.publicKey).subarray(0, 8).toString('hex'));
    expect(kemKeyIdHex(kem.publicKey)).toBe(signed.keys.keyId);
    expect(ml_dsa65.verify(signed.signature, expected, identity.publicKey, { context: new TextEncoder().encode('ipqsec-server-keys-v1') })).toBe(true);
    expect(ml_dsa65.verify(signed.signature, expected, identity.publicKey)).toBe(false);
  });

  it('verifies against the pinned identity and marks the result verified', () => {
    const keys = verifyServerKeys(p, identity.publicKey, signed.statement, signed.signature, T0 + 1000);
    expect(keys.name).toBe('ipqsec.example.org');
    expect(keys.kemPublicKey).toEqual(kem.publicKey);
    expect(isVerifiedServerKeys(keys)).toBe(true);
    expect(isVerifiedServerKeys(decodeServerKeyStatement(signed.statement))).toBe(false);
  });

  it('rejects another identity, a forged signature, tampering, and times outside the validity', () => {
    expect(reasonOf(() => verifyServerKeys(p, other.publicKey, signed.statement, signed.signature, T0))).toBe('identity');
    // A man in the middle signing its own KEM key with its own identity cannot pass as the pinned server.
    const mitmKem = xwingKeygen(p);
    const mitm = signServerKeys(p, other, { name: 'ipqsec.example.org', kemPublicKey: mitmKem.publicKey, createdMs: T0, notAfterMs: T0 + 1e6 });
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, mitm.statement, mitm.signature, T0))).toBe('identity');
    const badSig = signed.signature.slice();
    badSig[100]! ^= 1;
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, signed.statement, badSig, T0))).toBe('signature');
    const bumped = signed.statement.slice();
    bumped[6 + 18 + 32 + 8 + 8 + 7]! ^= 1; // not-after low byte
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, bumped, signed.signature, T0))).toBe('signature');
    const swapped = signed.statement.slice();
    swapped[swapped.length - 1]! ^= 1; // KEM key changed: its key id no longer matches
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, swapped, signed.signature, T0))).toBe('malformed');
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, signed.statement, signed.signature, T0 - 300_001))).toBe('not_yet_valid');
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, signed.statement, signed.signature, T0 - 300_000))).toBe('ok');
    expect(reasonOf(() => verifyServerKeys(p, identity.publicKey, signed.statement, signed.signature, T0 + 86_400_001))).toBe('expired');
  });

  it('decoding random bytes and truncations throws only IPQ-P007 malformed (fast-check)', () => {
    for (let n = 0; n < signed.statement.length; n += 7) expect(reasonOf(() => decodeServerKeyStatement(signed.statement.subarray(0, n)))).toBe('malformed');
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 1400 }).map((b) => Uint8Array.from([0x49, 0x50, 0x51, 0x4b, 1, ...b]))), (b) => {
        expect(reasonOf(() => decodeServerKeyStatement(b))).toBe('malformed');
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips the GET /pqc/server-keys document and refuses copies that disagree with the statement', () => {
    const doc = serverKeysDocument(signed, identity.publicKey);
    expect(doc.kem.key_id).toBe(signed.keys.keyId);
    const json = JSON.parse(JSON.stringify(doc)) as typeof doc;
    const read = readServerKeysDocument(json);
    expect(Buffer.from(read.identityPublicKey).equals(Buffer.from(identity.publicKey))).toBe(true);
    expect(verifyServerKeys(p, read.identityPublicKey, read.statement, read.signature, T0).keyId).toBe(signed.keys.keyId);
    expect(reasonOf(() => readServerKeysDocument({ ...json, kem: { ...json.kem, key_id: '00'.repeat(8) } }))).toBe('malformed');
    expect(reasonOf(() => readServerKeysDocument({ ...json, identity: { ...json.identity, name: 'evil' } }))).toBe('malformed');
    expect(reasonOf(() => readServerKeysDocument({ ...json, signature: 'not base64!' }))).toBe('malformed');
    expect(reasonOf(() => readServerKeysDocument(null))).toBe('malformed');
    expect(reasonOf(() => readServerKeysDocument({ identity: {}, kem: {} }))).toBe('malformed');
  });
});
