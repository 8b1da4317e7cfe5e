import { catchIpqsec } from '../core/_test-errors.js';
import { createDecipheriv, createHash, scryptSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpqsecError } from '../core/errors.js';
import { testNobleProvider } from './_test-noble.js';
import {
  decodeKeyFile,
  encodeKeyFile,
  inspectKeyFile,
  isKeyFile,
  keyPairFromSeed,
  publicKeyId,
  type KeyFileContents,
} from './key-file.js';

const p = testNobleProvider();
const VECTORS = resolve(process.cwd(), process.env.IPQSEC_DATA ?? '../shared/data', 'pqc-vectors');
const MLDSA_SEED_FILE = resolve(VECTORS, 'wycheproof/mldsa_65_sign_seed_test.json');
const XWING_FILE = resolve(VECTORS, 'xwing/test-vectors.json');
const haveVectors = existsSync(MLDSA_SEED_FILE) && existsSync(XWING_FILE);
const why = haveVectors ? '' : ' (SKIPPED: pqc-vectors not found; set IPQSEC_DATA)';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();
const FAST = { log2N: 10, r: 8, p: 1 } as const;

/** Sets the trailing SHA-256 of a key file again after a deliberate change (what a careful attacker would do). */
function rechecksum(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b);
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32);
  return out;
}

const codeOf = (f: () => unknown): string | undefined => catchIpqsec(f)?.code;

/** A fresh ML-DSA-65 key from a fixed seed. */
function dsaKey(fill = 7): KeyFileContents {
  const kp = p.mlDsaKeygen(new Uint8Array(32).fill(fill));
  return { algorithm: 'ML-DSA-65', seed: kp.seed, publicKey: kp.publicKey, createdMs: 1_700_000_000_123 };
}

describe.skipIf(!haveVectors)(`key file: against the FIPS 204 / X-Wing test vectors${why}`, () => {
  const dsa = haveVectors ? JSON.parse(readFileSync(MLDSA_SEED_FILE, 'utf8')).testGroups[0] : undefined;
  const xwing: { seed: string; pk: string }[] = haveVectors ? JSON.parse(readFileSync(XWING_FILE, 'utf8')) : [];

  it('writes the documented layout for a plain ML-DSA-65 key and reads the vector key back', () => {
    const seed = hex(dsa.privateSeed);
    const pk = hex(dsa.publicKey);
    const bytes = encodeKeyFile({ algorithm: 'ML-DSA-65', seed, publicKey: pk, createdMs: 0x0102030405 });
    const b = Buffer.from(bytes);
    expect(b.subarray(0, 8).toString('latin1')).toBe('IPQSKEY\0');
    expect([b[8], b[9], b[10], b[11]]).toEqual([1, 1, 0, 0]);
    expect(b.readBigUInt64LE(12)).toBe(0x0102030405n);
    expect(b.readUInt16LE(20)).toBe(1952);
    expect(b.subarray(22, 22 + 1952).equals(Buffer.from(pk))).toBe(true);
    expect(b.subarray(22 + 1952, 22 + 1952 + 32).equals(Buffer.from(seed))).toBe(true);
    expect(b.length).toBe(22 + 1952 + 32 + 32);
    expect(b.subarray(b.length - 32).equals(sha256(b.subarray(0, b.length - 32)))).toBe(true);
    const back = decodeKeyFile(p, bytes);
    expect(back).toEqual({ algorithm: 'ML-DSA-65', seed, publicKey: pk, createdMs: 0x0102030405 });
  });

  it('keyPairFromSeed reproduces the ML-DSA-65 and X-Wing vector public keys', () => {
    expect(Buffer.from(keyPairFromSeed(p, 'ML-DSA-65', hex(dsa.privateSeed)).publicKey).toString('hex')).toBe(dsa.publicKey);
    for (const v of xwing) expect(Buffer.from(keyPairFromSeed(p, 'X-Wing', hex(v.seed)).publicKey).toString('hex')).toBe(v.pk);
  });

  it('holds X-Wing keys (algorithm 2, 1,216-byte public key) and checks them against the seed', () => {
    for (const v of xwing) {
      const bytes = encodeKeyFile({ algorithm: 'X-Wing', seed: hex(v.seed), publicKey: hex(v.pk), createdMs: 5 });
      expect(bytes[9]).toBe(2);
      expect(Buffer.from(bytes).readUInt16LE(20)).toBe(1216);
      const info = inspectKeyFile(bytes);
      expect(info).toMatchObject({ algorithm: 'X-Wing', createdMs: 5, encrypted: false });
      expect(info.keyId).toBe(sha256(hex(v.pk)).subarray(0, 8).toString('hex'));
      expect(Buffer.from(decodeKeyFile(p, bytes).seed).toString('hex')).toBe(v.seed);
    }
    // The seed of one vector with the public key of another: refused after recomputation.
    const [a, b] = xwing;
    const mixed = encodeKeyFile({ algorithm: 'X-Wing', seed: hex(a.seed), publicKey: hex(b.pk), createdMs: 5 });
    expect(codeOf(() => decodeKeyFile(p, mixed))).toBe('IPQ-P002');
  });
});

describe('key file: encryption (scrypt + AES-256-GCM)', () => {
  const key = dsaKey();

  it('can be decrypted by hand from the documented layout', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'correct horse', scrypt: FAST });
    const b = Buffer.from(bytes);
    expect(b[10]).toBe(1);
    const k = 22 + 1952;
    expect([b[k], b[k + 1], b[k + 2], b[k + 3]]).toEqual([10, 8, 1, 0]);
    const salt = b.subarray(k + 4, k + 20);
    const nonce = b.subarray(k + 20, k + 32);
    const check = b.subarray(k + 32, k + 48);
    const headerEnd = k + 48;
    expect(b.length).toBe(headerEnd + 32 + 16 + 32);
    const out = scryptSync('correct horse', salt, 64, { N: 1024, r: 8, p: 1 });
    expect(sha256(out.subarray(32)).subarray(0, 16).equals(check)).toBe(true);
    const d = createDecipheriv('aes-256-gcm', out.subarray(0, 32), nonce);
    d.setAAD(b.subarray(0, headerEnd));
    d.setAuthTag(b.subarray(headerEnd + 32, headerEnd + 48));
    const seed = Buffer.concat([d.update(b.subarray(headerEnd, headerEnd + 32)), d.final()]);
    expect(seed.equals(Buffer.from(key.seed))).toBe(true);
    expect(b.subarray(b.length - 32).equals(sha256(b.subarray(0, b.length - 32)))).toBe(true);
    // The public part is readable without the passphrase.
    expect(inspectKeyFile(bytes)).toMatchObject({ algorithm: 'ML-DSA-65', encrypted: true, scrypt: FAST, createdMs: key.createdMs });
    expect(decodeKeyFile(p, bytes, { passphrase: 'correct horse' })).toEqual(key);
  });

  it('stores the default cost N = 2^15, r = 8, p = 1 and opens with it', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'pw' });
    expect(inspectKeyFile(bytes).scrypt).toEqual({ log2N: 15, r: 8, p: 1 });
    expect(decodeKeyFile(p, bytes, { passphrase: 'pw' }).seed).toEqual(key.seed);
  });

  it('uses fresh salt and nonce each time', () => {
    const a = encodeKeyFile(key, { passphrase: 'pw', scrypt: FAST });
    const b = encodeKeyFile(key, { passphrase: 'pw', scrypt: FAST });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('normalises the passphrase to NFC', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'caf\u00e9', scrypt: FAST });
    expect(decodeKeyFile(p, bytes, { passphrase: 'cafe\u0301' }).seed).toEqual(key.seed);
  });

  it('a missing or wrong passphrase is IPQ-P003', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'right', scrypt: FAST });
    expect(() => decodeKeyFile(p, bytes, { fileName: 'id.key' })).toThrow(/IPQ-P003 id\.key: .*no passphrase/);
    expect(codeOf(() => decodeKeyFile(p, bytes, { passphrase: 'wrong' }))).toBe('IPQ-P003');
    expect(codeOf(() => decodeKeyFile(p, bytes, { passphrase: '' }))).toBe('IPQ-P003');
  });

  it('a modified header or ciphertext is IPQ-P002, even when the checksum is recomputed', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'right', scrypt: FAST });
    const headerEnd = 22 + 1952 + 48;
    for (const at of [12, 100, 22 + 1951, headerEnd, headerEnd + 40]) {
      const plain = Uint8Array.from(bytes);
      plain[at] ^= 0x40;
      expect(codeOf(() => decodeKeyFile(p, plain, { passphrase: 'right' })), `at ${at}`).toBe('IPQ-P002');
      expect(codeOf(() => decodeKeyFile(p, rechecksum(plain), { passphrase: 'right' })), `at ${at} rechecksummed`).toBe('IPQ-P002');
    }
  });

  it('any single changed byte is IPQ-P002 (checksum), before any scrypt work', () => {
    // Stored cost raised to N = 2^20 (1 GiB): a reader that ran scrypt before the checksum would crawl.
    const costly = encodeKeyFile(key, { passphrase: 'right', scrypt: FAST });
    costly[22 + 1952] = 20;
    const bytes = rechecksum(costly);
    for (let at = 0; at < bytes.length; at += 7) {
      const damaged = Uint8Array.from(bytes);
      damaged[at] ^= 0x01;
      expect(codeOf(() => decodeKeyFile(p, damaged, { passphrase: 'right' })), `at ${at}`).toBe('IPQ-P002');
    }
  });
});

describe('key file: validation', () => {
  const key = dsaKey(9);
  const plain = encodeKeyFile(key);

  it('rejects a stored public key that does not belong to the seed, and a swapped seed', () => {
    const other = dsaKey(10);
    const wrongPk = Uint8Array.from(plain);
    wrongPk.set(other.publicKey, 22);
    expect(() => decodeKeyFile(p, rechecksum(wrongPk), { fileName: 'k' })).toThrow(/IPQ-P002 k: .*does not belong/);
    const wrongSeed = Uint8Array.from(plain);
    wrongSeed.set(other.seed, 22 + 1952);
    expect(codeOf(() => decodeKeyFile(p, rechecksum(wrongSeed)))).toBe('IPQ-P002');
  });

  it('names the problem and the byte offset', () => {
    const v2 = Uint8Array.from(plain);
    v2[8] = 2;
    expect(() => inspectKeyFile(rechecksum(v2), 'a.key')).toThrow(/IPQ-P002 a\.key byte 8: .*version 2/);
    const alg = Uint8Array.from(plain);
    alg[9] = 3;
    expect(() => inspectKeyFile(rechecksum(alg))).toThrow(/byte 9: .*unknown algorithm id 3/);
    expect(() => inspectKeyFile(new TextEncoder().encode('-----BEGIN PRIVATE KEY-----'))).toThrow(/IPQ-P002 byte 0: .*not an IPqSEC key file/);
    expect(() => inspectKeyFile(plain.subarray(0, plain.length - 1))).toThrow(/truncated/);
    const longer = new Uint8Array(plain.length + 1);
    longer.set(plain);
    expect(() => inspectKeyFile(longer)).toThrow(/unexpected bytes after the checksum/);
  });

  it('refuses stored scrypt parameters beyond the limits without running scrypt', () => {
    const bytes = encodeKeyFile(key, { passphrase: 'pw', scrypt: FAST });
    const k = 22 + 1952;
    for (const [i, v] of [[0, 30], [0, 0], [1, 0], [1, 200], [2, 99]] as const) {
      const bad = Uint8Array.from(bytes);
      bad[k + i] = v;
      expect(() => inspectKeyFile(rechecksum(bad))).toThrow(new RegExp(`IPQ-P002 byte ${k}: .*scrypt parameters`));
    }
    const big = Uint8Array.from(bytes);
    big[k] = 20;
    big[k + 1] = 16; // 128 · 2^20 · 16 = 2 GiB
    expect(() => inspectKeyFile(rechecksum(big))).toThrow(/exceeds/);
  });

  it('rejects programmer misuse with RangeError', () => {
    expect(() => encodeKeyFile({ ...key, seed: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeKeyFile({ ...key, publicKey: new Uint8Array(1216) })).toThrow(RangeError);
    expect(() => encodeKeyFile({ ...key, createdMs: -1 })).toThrow(RangeError);
    expect(() => encodeKeyFile({ ...key, createdMs: 1.5 })).toThrow(RangeError);
    expect(() => encodeKeyFile(key, { passphrase: '' })).toThrow(RangeError);
    expect(() => encodeKeyFile(key, { passphrase: 'x', scrypt: { log2N: 21 } })).toThrow(RangeError);
    expect(() => keyPairFromSeed(p, 'X-Wing', new Uint8Array(31))).toThrow(RangeError);
  });

  it('returns copies that do not alias the input, also for a Buffer input', () => {
    const input = Buffer.from(plain);
    const k = decodeKeyFile(p, input);
    input.fill(0);
    expect(k.seed).toEqual(key.seed);
    expect(k.publicKey).toEqual(key.publicKey);
  });

  it('publicKeyId is the first 8 bytes of SHA-256, and isKeyFile sniffs the magic', () => {
    expect(publicKeyId(key.publicKey)).toBe(sha256(key.publicKey).subarray(0, 8).toString('hex'));
    expect(isKeyFile(plain)).toBe(true);
    expect(isKeyFile(plain.subarray(0, 7))).toBe(false);
    expect(isKeyFile(new TextEncoder().encode('IPQSMDL\0xx'))).toBe(false);
  });
});

describe('key file: damaged input only ever fails with IpqsecError (property)', () => {
  const plain = encodeKeyFile(dsaKey(3));
  const enc = encodeKeyFile(dsaKey(4), { passphrase: 'pw', scrypt: FAST });

  it('random bytes, with or without the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2200 }), fc.boolean(), (tail, withMagic) => {
        const input = withMagic ? Uint8Array.from([...plain.subarray(0, 22), ...tail]) : tail;
        expect(() => inspectKeyFile(input)).toThrow(IpqsecError);
        expect(codeOf(() => decodeKeyFile(p, input, { passphrase: 'pw' }))).toBe('IPQ-P002');
      }),
      { numRuns: 300 },
    );
  });

  it('every truncation of a plain and of an encrypted file', () => {
    for (const file of [plain, enc]) {
      for (let cut = 0; cut < file.length; cut++) {
        expect(codeOf(() => decodeKeyFile(p, file.subarray(0, cut), { passphrase: 'pw' })), `cut ${cut}`).toBe('IPQ-P002');
      }
    }
  });

  it('flipped bytes and cuts', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.option(fc.nat()), (useEnc, at, mask, cut) => {
        const file = useEnc ? enc : plain;
        const damaged = Uint8Array.from(file);
        damaged[at % file.length] ^= mask;
        const input = cut === null ? damaged : damaged.subarray(0, cut % file.length);
        expect(codeOf(() => decodeKeyFile(p, input, { passphrase: 'pw' }))).toBe('IPQ-P002');
      }),
      { numRuns: 300 },
    );
  });
});
