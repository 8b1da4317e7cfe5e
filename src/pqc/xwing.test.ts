/**
 * X-Wing against the draft's own test vectors (draft-connolly-cfrg-xwing-kem, spec/test-vectors.json), against
 * noble's independent X-Wing (`ml_kem768_x25519` of `@noble/post-quantum/hybrid.js`), and against a recomputation
 * of the combiner for the low-order X25519 case the vectors do not cover.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha3_256, shake256 } from './classical.js';
import { createNoblePqcProvider } from './noble-provider.js';
import { XWING, xwingDecapsulate, xwingEncapsulate, xwingKeygen, type XWingKeyPair } from './xwing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const data = resolve(root, process.env.IPQSEC_DATA ?? '../shared/data');
const vectorsFile = join(data, 'pqc-vectors', 'xwing', 'test-vectors.json');
const hasVectors = existsSync(vectorsFile);
const why = hasVectors ? '' : ` (SKIPPED: ${vectorsFile} not found; set IPQSEC_DATA)`;

interface XWingVector {
  seed: string;
  sk: string;
  pk: string;
  eseed: string;
  ct: string;
  ss: string;
}

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const p = createNoblePqcProvider();

describe.skipIf(!hasVectors)(`X-Wing test vectors of the draft${why}`, () => {
  const vectors = hasVectors ? (JSON.parse(readFileSync(vectorsFile, 'utf8')) as XWingVector[]) : [];

  it('has the three vectors of the draft', () => {
    expect(vectors).toHaveLength(3);
  });

  it('GenerateKeyPairDerand: seed -> pk (and sk = seed)', () => {
    for (const v of vectors) {
      const kp = xwingKeygen(p, hex(v.seed));
      expect(toHex(kp.publicKey)).toBe(v.pk);
      expect(toHex(kp.seed)).toBe(v.sk);
    }
  });

  it('EncapsulateDerand: (pk, eseed) -> (ct, ss)', () => {
    for (const v of vectors) {
      const out = xwingEncapsulate(p, hex(v.pk), hex(v.eseed));
      expect(toHex(out.ciphertext)).toBe(v.ct);
      expect(toHex(out.sharedSecret)).toBe(v.ss);
    }
  });

  it('Decapsulate: (sk, ct) -> ss, with a key pair object from keygen and one rebuilt from stored bytes', () => {
    for (const v of vectors) {
      expect(toHex(xwingDecapsulate(p, xwingKeygen(p, hex(v.seed)), hex(v.ct)))).toBe(v.ss);
      const stored: XWingKeyPair = { seed: hex(v.sk), publicKey: hex(v.pk) };
      expect(toHex(xwingDecapsulate(p, stored, hex(v.ct)))).toBe(v.ss);
      expect(toHex(xwingDecapsulate(p, stored, hex(v.ct)))).toBe(v.ss); // cached path
    }
  });

  it('agrees with noble ml_kem768_x25519 (an independent X-Wing) on every vector', () => {
    for (const v of vectors) {
      const { publicKey } = ml_kem768_x25519.keygen(hex(v.seed));
      expect(toHex(publicKey)).toBe(v.pk);
      const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(hex(v.pk), hex(v.eseed));
      expect(toHex(cipherText)).toBe(v.ct);
      expect(toHex(sharedSecret)).toBe(v.ss);
      expect(toHex(ml_kem768_x25519.decapsulate(hex(v.ct), hex(v.sk)))).toBe(v.ss);
    }
  });
});

describe('X-Wing against noble hybrid on random keys', () => {
  it('keygen, encapsulate and decapsulate agree with ml_kem768_x25519 both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (seed, eseed) => {
        const kp = xwingKeygen(p, seed);
        const oracle = ml_kem768_x25519.keygen(seed);
        expect(toHex(kp.publicKey)).toBe(toHex(oracle.publicKey));
        const ours = xwingEncapsulate(p, kp.publicKey, eseed);
        const theirs = ml_kem768_x25519.encapsulate(kp.publicKey, eseed);
        expect(toHex(ours.ciphertext)).toBe(toHex(theirs.cipherText));
        expect(toHex(ours.sharedSecret)).toBe(toHex(theirs.sharedSecret));
        const random = ml_kem768_x25519.encapsulate(kp.publicKey);
        expect(toHex(xwingDecapsulate(p, kp, random.cipherText))).toBe(toHex(random.sharedSecret));
      }),
      { numRuns: 8 },
    );
  });

  it('a random encapsulation round-trips and two encapsulations differ', () => {
    const kp = xwingKeygen(p);
    expect(kp.seed).toHaveLength(XWING.seedBytes);
    expect(kp.publicKey).toHaveLength(XWING.publicKeyBytes);
    const a = xwingEncapsulate(p, kp.publicKey);
    const b = xwingEncapsulate(p, kp.publicKey);
    expect(a.ciphertext).toHaveLength(XWING.ciphertextBytes);
    expect(a.sharedSecret).toHaveLength(XWING.sharedSecretBytes);
    expect(xwingDecapsulate(p, kp, a.ciphertext)).toEqual(a.sharedSecret);
    expect(a.sharedSecret).not.toEqual(b.sharedSecret);
  });
});

describe('X-Wing edge cases', () => {
  const kp = xwingKeygen(p, new Uint8Array(32).fill(7));

  it('a low-order ct_X gives ss_X = 0 as the draft specifies (recomputed: SHA3-256 over the parts, ML-KEM by noble)', () => {
    const { cipherText: ctM } = ml_kem768.encapsulate(kp.publicKey.subarray(0, 1184), new Uint8Array(32).fill(1));
    for (const lowOrder of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
      const ct = new Uint8Array([...ctM, ...lowOrder]);
      const expanded = shake256(kp.seed, 96);
      const ssM = ml_kem768.decapsulate(ctM, ml_kem768.keygen(expanded.subarray(0, 64)).secretKey);
      const label = new TextEncoder().encode('\\.//^\\');
      const expected = sha3_256(ssM, new Uint8Array(32), lowOrder, kp.publicKey.subarray(1184), label);
      expect(toHex(xwingDecapsulate(p, kp, ct))).toBe(toHex(expected));
      // noble (like Go's crypto/ecdh) refuses the low-order point instead; the draft's X25519 (RFC 7748 §5) does not.
      expect(() => ml_kem768_x25519.decapsulate(ct, kp.seed)).toThrow();
    }
  });

  it('a low-order pk_X encapsulates with ss_X = 0 (recomputed: ML-KEM by noble, SHA3-256 over the parts)', () => {
    const pk = new Uint8Array(kp.publicKey);
    pk.fill(0, 1184);
    const eseed = new Uint8Array(64).fill(3);
    const ours = xwingEncapsulate(p, pk, eseed);
    const { cipherText: ctM, sharedSecret: ssM } = ml_kem768.encapsulate(pk.subarray(0, 1184), eseed.subarray(0, 32));
    const ctX = ml_kem768_x25519.encapsulate(kp.publicKey, eseed).cipherText.subarray(1088);
    const label = new TextEncoder().encode('\\.//^\\');
    expect(toHex(ours.ciphertext)).toBe(toHex(new Uint8Array([...ctM, ...ctX])));
    expect(toHex(ours.sharedSecret)).toBe(toHex(sha3_256(ssM, new Uint8Array(32), ctX, new Uint8Array(32), label)));
    expect(() => ml_kem768_x25519.encapsulate(pk, eseed)).toThrow();
  });

  it('wrong lengths throw RangeError', () => {
    expect(() => xwingKeygen(p, new Uint8Array(31))).toThrow(RangeError);
    expect(() => xwingEncapsulate(p, new Uint8Array(1215))).toThrow(RangeError);
    expect(() => xwingEncapsulate(p, kp.publicKey, new Uint8Array(63))).toThrow(RangeError);
    expect(() => xwingDecapsulate(p, kp, new Uint8Array(1119))).toThrow(RangeError);
    expect(() => xwingDecapsulate(p, { seed: new Uint8Array(33), publicKey: kp.publicKey }, new Uint8Array(1120))).toThrow(RangeError);
  });

  it('a key pair whose public key is not its seed\'s throws RangeError', () => {
    const other = xwingKeygen(p, new Uint8Array(32).fill(8));
    expect(() => xwingDecapsulate(p, { seed: kp.seed, publicKey: other.publicKey }, new Uint8Array(1120))).toThrow(RangeError);
    const pk = new Uint8Array(kp.publicKey);
    pk[1200] ^= 1;
    expect(() => xwingDecapsulate(p, { seed: kp.seed, publicKey: pk }, new Uint8Array(1120))).toThrow(RangeError);
  });

  it('an ML-KEM part that fails the modulus check throws RangeError on encapsulation', () => {
    const pk = new Uint8Array(kp.publicKey);
    pk.fill(0xff, 0, 384); // coefficients 4095 >= q
    expect(() => xwingEncapsulate(p, pk)).toThrow(RangeError);
  });

  it('decapsulation of any ciphertext of the right length returns 32 bytes (implicit rejection); wrong lengths only RangeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1200 }), (ct) => {
        if (ct.length === XWING.ciphertextBytes) {
          expect(xwingDecapsulate(p, kp, ct)).toHaveLength(32);
        } else {
          expect(() => xwingDecapsulate(p, kp, ct)).toThrow(RangeError);
        }
      }),
      { numRuns: 30 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: XWING.ciphertextBytes, maxLength: XWING.ciphertextBytes }), (ct) => {
        expect(xwingDecapsulate(p, kp, ct)).toHaveLength(32);
      }),
      { numRuns: 20 },
    );
  });
});
