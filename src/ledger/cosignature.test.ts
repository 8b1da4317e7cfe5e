import { describe, expect, it } from 'vitest';
import { ML_DSA_65 } from '../pqc/provider.js';
import { testPqcProvider as p } from './_test-provider.js';
import { formatCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  COSIGNATURE_BYTES,
  COSIGNATURE_CONTEXT,
  cosignatureTimestamp,
  cosignedMessage,
  ML_DSA_65_COSIGNATURE_TYPE,
  mlDsaCosignatureVerifier,
  mlDsaCosigner,
} from './cosignature.js';
import { signNote, parseNote, verifyNote } from './signed-note.js';

const wk = p.mlDsaKeygen(new Uint8Array(32).fill(9));
const root = new Uint8Array(32).map((_, i) => i);
const cp: Checkpoint = { origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: root, extensions: [] };
const enc = (s: string) => new TextEncoder().encode(s);

describe('cosignedMessage', () => {
  it('is the C2SP tlog-cosignature ML-DSA cosigned_message, byte for byte', () => {
    const m = cosignedMessage('witness.example.com/w1', 1679315147, cp);
    // Built independently from the spec's struct definition.
    const u64 = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(v));
      return b;
    };
    const expected = Buffer.concat([
      Buffer.from('subtree/v1\n\0', 'latin1'),
      Buffer.from([22]),
      Buffer.from('witness.example.com/w1'),
      u64(1679315147),
      Buffer.from([27]),
      Buffer.from('example.com/behind-the-sofa'),
      u64(0),
      u64(20852163),
      Buffer.from(root),
    ]);
    expect(Buffer.from(m).equals(expected)).toBe(true);
    expect(m.length).toBe(12 + 1 + 22 + 8 + 1 + 27 + 8 + 8 + 32);
    expect(() => cosignedMessage('x'.repeat(256), 0, cp)).toThrow(RangeError);
    expect(() => cosignedMessage('w', -1, cp)).toThrow(RangeError);
  });
});

describe('ML-DSA-65 cosignatures', () => {
  it('are u64 timestamp || ML-DSA-65 signature over the cosigned message, verifiable as note signatures', () => {
    expect(Buffer.from(ML_DSA_65_COSIGNATURE_TYPE).toString('latin1')).toBe('\xffipqsec/cosignature/ml-dsa-65');
    const now = 1_754_035_200_999;
    const signer = mlDsaCosigner(p, 'w.test/1', wk, () => now);
    const verifier = mlDsaCosignatureVerifier(p, 'w.test/1', wk.publicKey);
    const text = formatCheckpoint(cp);
    const note = parseNote(signNote(text, [signer]));
    const sig = note.signatures[0].signature;
    expect(sig.length).toBe(COSIGNATURE_BYTES);
    expect(cosignatureTimestamp(sig)).toBe(1_754_035_200);
    expect(verifyNote(note, [verifier]).verified).toEqual(['w.test/1']);
    // Independent check: the provider verifies the tail over the spec message with the context.
    expect(p.mlDsaVerify(wk.publicKey, cosignedMessage('w.test/1', 1_754_035_200, cp), sig.subarray(8), COSIGNATURE_CONTEXT)).toBe(true);
    expect(sig.length - 8).toBe(ML_DSA_65.signatureBytes);
  });
  it('fails for another name, another tree, a changed timestamp or a non-checkpoint text', () => {
    const signer = mlDsaCosigner(p, 'w.test/1', wk, () => 5000);
    const text = formatCheckpoint(cp);
    const sig = signer.sign(enc(text));
    const v = mlDsaCosignatureVerifier(p, 'w.test/1', wk.publicKey);
    expect(v.verify(enc(text), sig)).toBe(true);
    expect(mlDsaCosignatureVerifier(p, 'w.test/2', wk.publicKey).verify(enc(text), sig)).toBe(false);
    expect(v.verify(enc(formatCheckpoint({ ...cp, size: cp.size + 1 })), sig)).toBe(false);
    const t = sig.slice();
    t[7] ^= 1;
    expect(v.verify(enc(text), t)).toBe(false);
    expect(v.verify(enc('not a checkpoint\n'), sig)).toBe(false);
    expect(v.verify(enc(text), sig.subarray(0, 100))).toBe(false);
    expect(cosignatureTimestamp(new Uint8Array(10))).toBeUndefined();
    const huge = sig.slice();
    huge.fill(0xff, 0, 8);
    expect(cosignatureTimestamp(huge)).toBeUndefined();
  });
});
