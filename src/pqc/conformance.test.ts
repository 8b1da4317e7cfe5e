/**
 * Wycheproof conformance (C2SP/wycheproof testvectors_v1, commit in pqc-vectors/SOURCES.md) of the crypto layer on
 * this Node: every test case of every file runs, and each file's count of checked cases is asserted, so a group
 * cannot be skipped silently.
 *
 * - ML-KEM-768 through the noble provider (seed API); the semi-expanded decapsulation cases (an expanded `dk`,
 *   which the seed API never takes) through noble's raw `decapsulate`.
 * - ML-DSA-65 signing cases are deterministic (or with a given `rnd`), while the provider signs hedged: the exact
 *   signature is checked through noble's `sign` with `extraEntropy: false` (or `rnd`), external-µ cases through
 *   `internal.sign`; the provider checks keygen from the seed, verifies every produced signature and refuses what
 *   must be refused. The `noseed` file's expanded private keys go through noble directly.
 * - X25519, HKDF-SHA-256 and AES-256-GCM (12-byte IV, 16-byte tag) through classical.ts; the AES-GCM cases with
 *   other key or IV sizes through `node:crypto` directly (the wrapper refuses them, which is checked too), except 3
 *   cases with 257-byte IVs that OpenSSL refuses (counted).
 *
 * The native back-end runs the ML-KEM and ML-DSA files under Node 24 in test/pqc-node24.test.ts.
 */
import { createCipheriv, createDecipheriv, type CipherGCMTypes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { aes256GcmOpen, aes256GcmSeal, hkdfSha256, shake256, x25519 } from './classical.js';
import { mlDsaPrivateKeyPkcs8, mlDsaPublicKeySpki } from './native-provider.js';
import { createNoblePqcProvider } from './noble-provider.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const data = resolve(root, process.env.IPQSEC_DATA ?? '../shared/data');
const dir = join(data, 'pqc-vectors', 'wycheproof');
const hasData = existsSync(join(dir, 'mlkem_768_test.json'));
const why = hasData ? '' : ` (SKIPPED: ${dir} not found; set IPQSEC_DATA)`;

/** One test case: the fields vary by file, all hex strings except these. */
type Case = Record<string, string> & { tcId: number; result: 'valid' | 'invalid' | 'acceptable'; flags?: string[] } & Record<string, unknown>;
type Group = Record<string, unknown> & { tests: Case[] };
interface WycheproofFile {
  numberOfTests: number;
  testGroups: Group[];
}

const hex = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(typeof s === 'string' ? s : '', 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const p = createNoblePqcProvider();

function load(name: string): WycheproofFile {
  const f = JSON.parse(readFileSync(join(dir, name), 'utf8')) as WycheproofFile;
  const total = f.testGroups.reduce((n, g) => n + g.tests.length, 0);
  expect(total, `${name}: numberOfTests in the header`).toBe(f.numberOfTests);
  return f;
}

/** Runs `check` on every case and returns how many ran; a throwing check names the case. */
function forEachCase(f: WycheproofFile, check: (t: Case, g: Group) => void): number {
  let n = 0;
  for (const g of f.testGroups) {
    for (const t of g.tests) {
      try {
        check(t, g);
      } catch (err) {
        throw new Error(`tcId ${t.tcId} (${String(t.comment ?? '')} ${(t.flags ?? []).join(',')}): ${(err as Error).message}`, { cause: err });
      }
      n++;
    }
  }
  return n;
}

/** µ = SHAKE256(SHAKE256(pk, 64) || 0 || |ctx| || ctx || M, 64) (FIPS 204 Algorithm 2 step 6 and Algorithm 7 step 6). */
function mu(publicKey: Uint8Array, ctx: Uint8Array, msg: Uint8Array): Uint8Array {
  const tr = shake256(publicKey, 64);
  return shake256(new Uint8Array([...tr, 0, ctx.length, ...ctx, ...msg]), 64);
}

describe.skipIf(!hasData)(`Wycheproof ML-KEM-768 (FIPS 203)${why}`, () => {
  it('mlkem_768_keygen_seed: seed -> ek (provider) and dk (noble), 100 cases', () => {
    const f = load('mlkem_768_keygen_seed_test.json');
    const n = forEachCase(f, (t) => {
      expect(t.result).toBe('valid');
      expect(toHex(p.mlKemKeygen(hex(t.seed)).publicKey)).toBe(t.ek);
      expect(toHex(ml_kem768.keygen(hex(t.seed)).secretKey)).toBe(t.dk);
    });
    expect(n).toBe(100);
  });

  it('mlkem_768_encaps: (ek, m) -> (c, K); every invalid ek (not reduced, wrong length) throws RangeError, 265 cases', () => {
    const f = load('mlkem_768_encaps_test.json');
    let invalid = 0;
    const n = forEachCase(f, (t) => {
      if (t.result === 'valid') {
        const out = p.mlKemEncapsulate(hex(t.ek), hex(t.m));
        expect(toHex(out.ciphertext)).toBe(t.c);
        expect(toHex(out.sharedSecret)).toBe(t.K);
      } else {
        expect(() => p.mlKemEncapsulate(hex(t.ek), hex(t.m))).toThrow(RangeError);
        invalid++;
      }
    });
    expect(n).toBe(265);
    expect(invalid).toBe(132);
  });

  it('mlkem_768_test: seed -> ek, decapsulation of c -> K (incl. implicit rejection); wrong seed/ciphertext lengths throw RangeError, 193 cases', () => {
    const f = load('mlkem_768_test.json');
    let invalid = 0;
    const n = forEachCase(f, (t) => {
      const seed = hex(t.seed);
      if (t.result === 'valid') {
        const kp = p.mlKemKeygen(seed);
        expect(toHex(kp.publicKey)).toBe(t.ek);
        expect(toHex(p.mlKemDecapsulate(kp, hex(t.c)))).toBe(t.K);
        return;
      }
      invalid++;
      if (seed.length !== 64) {
        expect(() => p.mlKemKeygen(seed)).toThrow(RangeError);
      } else {
        const kp = p.mlKemKeygen(seed);
        expect(hex(t.c).length).not.toBe(1088);
        expect(() => p.mlKemDecapsulate(kp, hex(t.c))).toThrow(RangeError);
      }
    });
    expect(n).toBe(193);
    expect(invalid).toBe(40);
  });

  it('mlkem_768_semi_expanded_decaps: expanded dk through noble decapsulate (FIPS 203 §7.3 checks), 9 cases', () => {
    const f = load('mlkem_768_semi_expanded_decaps_test.json');
    const n = forEachCase(f, (t) => {
      if (t.result === 'valid') expect(toHex(ml_kem768.decapsulate(hex(t.c), hex(t.dk)))).toBe(t.K);
      else expect(() => ml_kem768.decapsulate(hex(t.c), hex(t.dk))).toThrow();
    });
    expect(n).toBe(9);
  });
});

describe.skipIf(!hasData)(`Wycheproof ML-DSA-65 (FIPS 204)${why}`, () => {
  it('mldsa_65_sign_seed: keygen from ξ, PKCS#8 seed encoding, µ, exact deterministic signatures, provider verifies, 105 cases', () => {
    const f = load('mldsa_65_sign_seed_test.json');
    let externalMu = 0;
    let invalid = 0;
    let pkcs8 = 0;
    const n = forEachCase(f, (t, g) => {
      const seed = hex(g.privateSeed);
      if (seed.length !== 32) {
        expect(t.result).toBe('invalid');
        expect(() => p.mlDsaKeygen(seed)).toThrow(RangeError);
        expect(() => mlDsaPrivateKeyPkcs8(seed)).toThrow(RangeError);
        invalid++;
        return;
      }
      const kp = p.mlDsaKeygen(seed);
      const pk = hex(g.publicKey);
      expect(toHex(kp.publicKey)).toBe(g.publicKey);
      if (typeof g.privateKeyPkcs8 === 'string' && g.privateKeyPkcs8 !== '') {
        expect(toHex(mlDsaPrivateKeyPkcs8(seed))).toBe(g.privateKeyPkcs8);
        pkcs8++;
      }
      const sk = ml_dsa65.keygen(seed).secretKey;
      const extraEntropy = typeof t.rnd === 'string' ? hex(t.rnd) : (false as const);
      const ctx = hex(t.ctx);
      if (typeof t.msg !== 'string') {
        // External µ (FIPS 204 Algorithm 7 with µ given).
        expect(t.result).toBe('valid');
        expect(toHex(ml_dsa65.internal.sign(hex(t.mu), sk, { externalMu: true, extraEntropy }))).toBe(t.sig);
        expect(ml_dsa65.internal.verify(hex(t.sig), hex(t.mu), pk, { externalMu: true })).toBe(true);
        externalMu++;
        return;
      }
      const msg = hex(t.msg);
      if (t.result !== 'valid') {
        expect(ctx.length).toBeGreaterThan(255);
        expect(() => ml_dsa65.sign(msg, sk, { context: ctx, extraEntropy })).toThrow(RangeError);
        expect(() => p.mlDsaSign(kp, msg, ctx)).toThrow(RangeError);
        invalid++;
        return;
      }
      if (typeof t.mu === 'string') expect(toHex(mu(pk, ctx, msg))).toBe(t.mu);
      expect(toHex(ml_dsa65.sign(msg, sk, { context: ctx, extraEntropy }))).toBe(t.sig);
      expect(p.mlDsaVerify(pk, msg, hex(t.sig), ctx)).toBe(true);
      expect(p.mlDsaVerify(kp.publicKey, msg, p.mlDsaSign(kp, msg, ctx), ctx)).toBe(true);
    });
    expect(n).toBe(105);
    expect(externalMu).toBe(17);
    expect(invalid).toBe(4);
    expect(pkcs8).toBeGreaterThan(0);
  });

  it('mldsa_65_sign_noseed: expanded private keys through noble (bad lengths and out-of-range s1/s2 refused), 78 cases', () => {
    const f = load('mldsa_65_sign_noseed_test.json');
    let invalid = 0;
    const n = forEachCase(f, (t, g) => {
      const sk = hex(g.privateKey);
      const extraEntropy = typeof t.rnd === 'string' ? hex(t.rnd) : (false as const);
      const ctx = hex(t.ctx);
      if (t.result !== 'valid') {
        expect(() => ml_dsa65.sign(hex(t.msg), sk, { context: ctx, extraEntropy })).toThrow();
        invalid++;
        return;
      }
      const pk = hex(g.publicKey);
      if (typeof t.msg !== 'string') {
        expect(toHex(ml_dsa65.internal.sign(hex(t.mu), sk, { externalMu: true, extraEntropy }))).toBe(t.sig);
        return;
      }
      const msg = hex(t.msg);
      if (typeof t.mu === 'string') expect(toHex(mu(pk, ctx, msg))).toBe(t.mu);
      expect(toHex(ml_dsa65.sign(msg, sk, { context: ctx, extraEntropy }))).toBe(t.sig);
      expect(p.mlDsaVerify(pk, msg, hex(t.sig), ctx)).toBe(true);
    });
    expect(n).toBe(78);
    expect(invalid).toBe(5);
  });

  it('mldsa_65_verify: every valid case true, every invalid case false (context > 255 bytes: RangeError), SPKI encoding, 210 cases', () => {
    const f = load('mldsa_65_verify_test.json');
    let rejected = 0;
    let spki = 0;
    const n = forEachCase(f, (t, g) => {
      const pk = hex(g.publicKey);
      if (pk.length === 1952) {
        expect(toHex(mlDsaPublicKeySpki(pk))).toBe(g.publicKeyDer);
        spki++;
      } else {
        expect(() => mlDsaPublicKeySpki(pk)).toThrow(RangeError);
      }
      const ctx = hex(t.ctx);
      if (ctx.length > 255) {
        expect(t.result).toBe('invalid');
        expect(() => p.mlDsaVerify(pk, hex(t.msg), hex(t.sig), ctx)).toThrow(RangeError);
        rejected++;
        return;
      }
      const ok = p.mlDsaVerify(pk, hex(t.msg), hex(t.sig), ctx);
      expect(ok).toBe(t.result === 'valid');
      if (!ok) rejected++;
    });
    expect(n).toBe(210);
    expect(rejected).toBe(f.testGroups.reduce((k, g) => k + g.tests.filter((t) => t.result === 'invalid').length, 0));
    expect(spki).toBe(206);
  });
});

describe.skipIf(!hasData)(`Wycheproof classical parts${why}`, () => {
  it('x25519: every shared secret, the all-zero ones as RangeError, 518 cases', () => {
    const f = load('x25519_test.json');
    let zero = 0;
    const n = forEachCase(f, (t) => {
      if (/^(00)+$/.test(t.shared)) {
        expect(() => x25519(hex(t.private), hex(t.public))).toThrow(RangeError);
        zero++;
      } else {
        expect(toHex(x25519(hex(t.private), hex(t.public)))).toBe(t.shared);
      }
    });
    expect(n).toBe(518);
    expect(zero).toBe(31);
  });

  it('hkdf_sha256: every okm; sizes beyond 255·32 throw RangeError, 86 cases', () => {
    const f = load('hkdf_sha256_test.json');
    const n = forEachCase(f, (t) => {
      const size = Number(t.size);
      if (t.result === 'valid') expect(toHex(hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), size))).toBe(t.okm);
      else expect(() => hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), size)).toThrow(RangeError);
    });
    expect(n).toBe(86);
  });

  it('aes_gcm: 256-bit key, 96-bit IV through the wrapper (seal and open); other sizes through node:crypto (3 IVs over 128 bytes refused by OpenSSL), 316 cases', () => {
    const f = load('aes_gcm_test.json');
    let wrapper = 0;
    let direct = 0;
    let longIv = 0;
    const n = forEachCase(f, (t, g) => {
      const [key, iv, aad, msg] = [hex(t.key), hex(t.iv), hex(t.aad), hex(t.msg)];
      const sealed = new Uint8Array([...hex(t.ct), ...hex(t.tag)]);
      expect(g.tagSize).toBe(128);
      if (g.keySize === 256 && g.ivSize === 96) {
        if (t.result === 'valid') {
          expect(toHex(aes256GcmSeal(key, iv, msg, aad))).toBe(toHex(sealed));
          expect(toHex(aes256GcmOpen(key, iv, sealed, aad) ?? Uint8Array.of(0xde, 0xad))).toBe(t.msg);
        } else {
          expect(aes256GcmOpen(key, iv, sealed, aad)).toBeUndefined();
        }
        wrapper++;
        return;
      }
      if (g.keySize === 256) expect(() => aes256GcmOpen(key, iv, sealed, aad)).toThrow(RangeError);
      if (iv.length > 128) {
        // OpenSSL (node:crypto) takes GCM IVs of at most 128 bytes: these 257-byte IVs cannot be checked here.
        expect(() => createDecipheriv(`aes-${String(g.keySize)}-gcm` as CipherGCMTypes, key, iv)).toThrow(/initialization vector/);
        longIv++;
        return;
      }
      const alg = `aes-${String(g.keySize)}-gcm` as CipherGCMTypes;
      const open = (): Uint8Array => {
        const d = createDecipheriv(alg, key, iv, { authTagLength: 16 });
        d.setAAD(aad);
        d.setAuthTag(hex(t.tag));
        return new Uint8Array(Buffer.concat([d.update(hex(t.ct)), d.final()]));
      };
      if (t.result === 'valid') {
        const c = createCipheriv(alg, key, iv, { authTagLength: 16 });
        c.setAAD(aad);
        const ct = Buffer.concat([c.update(msg), c.final()]);
        expect(ct.toString('hex') + c.getAuthTag().toString('hex')).toBe(toHex(sealed));
        expect(toHex(open())).toBe(t.msg);
      } else {
        expect(open).toThrow();
      }
      direct++;
    });
    expect(n).toBe(316);
    expect(wrapper).toBe(66);
    expect(direct).toBe(247);
    expect(longIv).toBe(3);
  });
});
