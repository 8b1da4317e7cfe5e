/**
 * The classical wrappers against published examples: FIPS 180-2 / FIPS 202 example digests, RFC 5869 Appendix A,
 * RFC 7748 §5.2 and §6.1, and the GCM specification's test cases (McGrew & Viega, test cases 13, 14 and 16).
 * The Wycheproof suites for X25519, HKDF-SHA-256 and AES-GCM run in conformance.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aes256GcmOpen,
  aes256GcmSeal,
  CLASSICAL,
  constantTimeEqual,
  hkdfSha256,
  randomBytes,
  sha256,
  sha3_256,
  shake256,
  x25519,
  x25519Derive,
  x25519GenerateKeyPair,
  x25519ImportSecretKey,
  x25519PublicKey,
} from './classical.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A result must own its whole ArrayBuffer (not a view into Node's Buffer pool). */
function expectOwned(b: Uint8Array): void {
  expect(b.constructor).toBe(Uint8Array);
  expect(b.byteOffset).toBe(0);
  expect(b.buffer.byteLength).toBe(b.length);
}

describe('hashes', () => {
  it('SHA-256 of "abc" (FIPS 180-2 Appendix B.1), also split into parts', () => {
    const want = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(toHex(sha256(ascii('abc')))).toBe(want);
    expect(toHex(sha256(ascii('a'), ascii(''), ascii('bc')))).toBe(want);
    expect(toHex(sha256())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expectOwned(sha256(ascii('abc')));
  });

  it('SHA3-256 of "" and "abc" (FIPS 202 examples), also split into parts', () => {
    expect(toHex(sha3_256())).toBe('a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a');
    expect(toHex(sha3_256(ascii('ab'), ascii('c')))).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
    expectOwned(sha3_256(ascii('abc')));
  });

  it('SHAKE256 of "" (FIPS 202 example) and its prefix property', () => {
    const want64 =
      '46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762fd75dc4ddd8c0f200cb05019d67b592f6fc821c49479ab48640292eacb3b7c4be';
    expect(toHex(shake256(new Uint8Array(0), 64))).toBe(want64);
    expect(toHex(shake256(new Uint8Array(0), 32))).toBe(want64.slice(0, 64));
    const x = ascii('X-Wing');
    expect(shake256(x, 96).subarray(0, 40)).toEqual(shake256(x, 40));
    expect(() => shake256(x, 0)).toThrow(RangeError);
    expect(() => shake256(x, 1.5)).toThrow(RangeError);
  });
});

describe('HKDF-SHA-256', () => {
  it('RFC 5869 A.1, A.3 (empty salt and info)', () => {
    expect(toHex(hkdfSha256(hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    expect(toHex(hkdfSha256(hex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('rejects lengths outside [1, 8160] and info over 1,024 bytes', () => {
    const k = new Uint8Array(32);
    expect(hkdfSha256(k, k, k, CLASSICAL.hkdfMaxBytes)).toHaveLength(8160);
    expect(() => hkdfSha256(k, k, k, 8161)).toThrow(RangeError);
    expect(() => hkdfSha256(k, k, k, 0)).toThrow(RangeError);
    expect(() => hkdfSha256(k, k, new Uint8Array(1025), 32)).toThrow(RangeError);
  });
});

describe('X25519', () => {
  it('RFC 7748 §5.2 first test vector (scalar multiplication of an arbitrary u)', () => {
    const k = hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
    const u = hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
    expect(toHex(x25519(k, u))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('RFC 7748 §6.1 Diffie-Hellman example: public keys and the shared secret', () => {
    const alice = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alicePub = x25519PublicKey(alice);
    const bobPub = x25519PublicKey(bob);
    expect(toHex(alicePub)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(bobPub)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(toHex(x25519(alice, bobPub))).toBe(shared);
    expect(toHex(x25519(bob, alicePub))).toBe(shared);
    expectOwned(x25519(alice, bobPub));
  });

  it('X25519(k, 9) is the public key (RFC 7748 §6.1)', () => {
    const base = new Uint8Array(32);
    base[0] = 9;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
        expect(x25519(k, base)).toEqual(x25519PublicKey(k));
      }),
      { numRuns: 20 },
    );
  });

  it('throws RangeError for the all-zero shared secret of a low-order point (u = 0, u = 1)', () => {
    const k = randomBytes(32);
    expect(() => x25519(k, new Uint8Array(32))).toThrow(RangeError);
    expect(() => x25519(k, Uint8Array.of(1, ...new Uint8Array(31)))).toThrow(/low-order/);
  });

  it('prepared key pairs: an imported key gives the RFC 7748 §6.1 values; generated pairs agree both ways', () => {
    const alice = x25519ImportSecretKey(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const bobPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(toHex(x25519Derive(alice, bobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    expect(toHex(x25519Derive(alice, bobPub))).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    const a = x25519GenerateKeyPair();
    const b = x25519GenerateKeyPair();
    expect(a.publicKey).toHaveLength(32);
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(x25519Derive(a, b.publicKey)).toEqual(x25519Derive(b, a.publicKey));
    expect(() => x25519Derive(a, new Uint8Array(32))).toThrow(RangeError);
    expect(() => x25519Derive(a, new Uint8Array(31))).toThrow(RangeError);
  });

  it('throws RangeError for keys that are not 32 bytes', () => {
    expect(() => x25519PublicKey(new Uint8Array(31))).toThrow(RangeError);
    expect(() => x25519(new Uint8Array(32), new Uint8Array(33))).toThrow(RangeError);
    expect(() => x25519(new Uint8Array(0), new Uint8Array(32))).toThrow(RangeError);
  });
});

describe('AES-256-GCM', () => {
  const zeroKey = new Uint8Array(32);
  const zeroNonce = new Uint8Array(12);

  it('GCM test cases 13 and 14 (zero key and nonce)', () => {
    expect(toHex(aes256GcmSeal(zeroKey, zeroNonce, new Uint8Array(0), new Uint8Array(0)))).toBe('530f8afbc74536b9a963b4f1c4cb738b');
    expect(toHex(aes256GcmSeal(zeroKey, zeroNonce, new Uint8Array(16), new Uint8Array(0)))).toBe(
      'cea7403d4d606b6e074ec5d3baf39d18' + 'd0d1c8a799996bf0265b98b5d48ab919',
    );
  });

  it('GCM test case 16 (AAD, 60-byte plaintext): seal and open', () => {
    const key = hex('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308');
    const iv = hex('cafebabefacedbaddecaf888');
    const pt = hex(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    );
    const aad = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
    const sealed =
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662' +
      '76fc6ece0f4e1768cddf8853bb2d551b';
    const out = aes256GcmSeal(key, iv, pt, aad);
    expect(toHex(out)).toBe(sealed);
    expectOwned(out);
    const opened = aes256GcmOpen(key, iv, hex(sealed), aad);
    expect(opened && toHex(opened)).toBe(toHex(pt));
    expectOwned(opened as Uint8Array);
  });

  it('open returns undefined for any changed bit, wrong AAD, wrong nonce or a box shorter than the tag', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const aad = ascii('header');
    const sealed = aes256GcmSeal(key, nonce, ascii('telemetry'), aad);
    for (let bit = 0; bit < sealed.length * 8; bit += 7) {
      const t = new Uint8Array(sealed);
      t[bit >> 3] ^= 1 << (bit & 7);
      expect(aes256GcmOpen(key, nonce, t, aad)).toBeUndefined();
    }
    expect(aes256GcmOpen(key, nonce, sealed, ascii('header!'))).toBeUndefined();
    expect(aes256GcmOpen(key, randomBytes(12), sealed, aad)).toBeUndefined();
    expect(aes256GcmOpen(key, nonce, sealed.subarray(0, 15), aad)).toBeUndefined();
    expect(aes256GcmOpen(key, nonce, new Uint8Array(0), aad)).toBeUndefined();
    expect(new TextDecoder().decode(aes256GcmOpen(key, nonce, sealed, aad))).toBe('telemetry');
  });

  it('open of random bytes never throws, and returns undefined', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 40 }), (box, aad) => {
        expect(aes256GcmOpen(key, nonce, box, aad)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('seal/open round-trip on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), (pt, aad) => {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const sealed = aes256GcmSeal(key, nonce, pt, aad);
        expect(sealed).toHaveLength(pt.length + 16);
        expect(aes256GcmOpen(key, nonce, sealed, aad)).toEqual(pt);
      }),
      { numRuns: 50 },
    );
  });

  it('throws RangeError for a key that is not 32 bytes or a nonce that is not 12 bytes', () => {
    const e = new Uint8Array(0);
    expect(() => aes256GcmSeal(new Uint8Array(16), zeroNonce, e, e)).toThrow(RangeError);
    expect(() => aes256GcmSeal(zeroKey, new Uint8Array(16), e, e)).toThrow(RangeError);
    expect(() => aes256GcmOpen(new Uint8Array(24), zeroNonce, new Uint8Array(16), e)).toThrow(RangeError);
    expect(() => aes256GcmOpen(zeroKey, new Uint8Array(8), new Uint8Array(16), e)).toThrow(RangeError);
  });
});

describe('randomBytes and constantTimeEqual', () => {
  it('randomBytes gives owned arrays of the asked length that differ', () => {
    const a = randomBytes(32);
    expect(a).toHaveLength(32);
    expectOwned(a);
    expect(a).not.toEqual(randomBytes(32));
    expect(randomBytes(0)).toHaveLength(0);
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(2.5)).toThrow(RangeError);
  });

  it('constantTimeEqual agrees with byte-by-byte comparison', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (a, b) => {
        const same = a.length === b.length && a.every((x, i) => x === b[i]);
        expect(constantTimeEqual(a, b)).toBe(same);
        expect(constantTimeEqual(a, new Uint8Array(a))).toBe(true);
      }),
    );
  });
});
