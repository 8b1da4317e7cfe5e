/**
 * X-Wing, the hybrid KEM of ML-KEM-768 and X25519 (draft-connolly-cfrg-xwing-kem-10, section numbers below; the
 * 32-byte seed is the decapsulation key, expanded with SHAKE256, and the label comes last in the combiner; checked
 * against the draft's test vectors and noble's independent implementation).
 *
 * - Decapsulation key: a 32-byte seed `sk`. `expandDecapsulationKey` (§5.2): `expanded = SHAKE256(sk, 96 bytes)`;
 *   ML-KEM-768 key pair from the seed `expanded[0:64]` (= `d || z`); X25519 secret `sk_X = expanded[64:96]` and
 *   `pk_X = X25519(sk_X, 9)`.
 * - Encapsulation key (1,216 bytes): `pk_M || pk_X`. Ciphertext (1,120 bytes): `ct_M || ct_X`.
 * - Combiner (§5.3): `ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)`, `XWingLabel` = the 6 ASCII bytes
 *   `\.//^\` (hex 5c2e2f2f5e5c).
 * - Encapsulation (§5.4): `eseed` (64 bytes) = `m` for ML-KEM.Encaps (bytes 0..31) || X25519 ephemeral secret
 *   `ek_X` (bytes 32..63); `ct_X = X25519(ek_X, 9)`, `ss_X = X25519(ek_X, pk_X)`.
 *
 * ML-KEM goes through the given {@link PqcProvider}; SHAKE256, SHA3-256 and X25519 come from `node:crypto`
 * (`classical.ts`). As the draft specifies, there is no all-zero check on the X25519 part: a low-order `pk_X` or
 * `ct_X` gives `ss_X` = 32 zero bytes (OpenSSL refuses to output that value, `x25519` throws, and this module uses
 * the zero value X25519 defines instead), so decapsulation of a ciphertext of the right length never fails; the
 * ML-KEM part alone then carries the security, as the draft's analysis allows.
 *
 * The expanded decapsulation key (the ML-KEM key pair object, `sk_X` as a `node:crypto` key, `pk_X`) is cached per
 * X-Wing key pair object in a `WeakMap` (draft §5.5.1), so the provider's own per-key-pair cache applies too; it
 * lives as long as the key pair object. A key pair whose `publicKey` does not belong to its seed throws `RangeError`
 * at first use. Random encapsulation draws the ephemeral X25519 key with `generateKeyPairSync('x25519')`.
 */
import {
  randomBytes,
  sha3_256,
  shake256,
  x25519Derive,
  x25519GenerateKeyPair,
  x25519ImportSecretKey,
  type X25519KeyPair,
} from './classical.js';
import { ML_KEM_768, type KemEncapsulation, type MlKemKeyPair, type PqcProvider } from './provider.js';

/** X-Wing sizes in bytes (draft-connolly-cfrg-xwing-kem §5.1). */
export const XWING = { seedBytes: 32, publicKeyBytes: 1216, ciphertextBytes: 1120, sharedSecretBytes: 32 } as const;

/** An X-Wing key pair: the 32-byte seed (the decapsulation key `sk` of the draft) and the 1,216-byte encapsulation key. */
export interface XWingKeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** `\.//^\` in ASCII. */
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);
const X25519_BYTES = 32;

interface ExpandedKey {
  readonly mlKem: MlKemKeyPair;
  /** `sk_X` imported into node:crypto, with `pk_X`. */
  readonly x: X25519KeyPair;
}

const expandedKeys = new WeakMap<XWingKeyPair, ExpandedKey>();

/**
 * The ML-KEM part `pk[0:1184]` of an X-Wing encapsulation key, as one view per key array: a provider that caches
 * per public-key array (the native back-end) then hits its cache on every encapsulation to the same key. The view
 * aliases the key's memory, so it always shows the current bytes.
 */
const mlKemParts = new WeakMap<Uint8Array, Uint8Array>();

function mlKemPart(publicKey: Uint8Array): Uint8Array {
  let view = mlKemParts.get(publicKey);
  if (view === undefined) {
    view = publicKey.subarray(0, ML_KEM_768.publicKeyBytes);
    mlKemParts.set(publicKey, view);
  }
  return view;
}

function checkBytes(name: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array`);
  if (bytes.length !== expected) throw new RangeError(`${name}: expected ${expected} bytes, got ${bytes.length}`);
}

/** expandDecapsulationKey (§5.2). */
function expand(p: PqcProvider, seed: Uint8Array): ExpandedKey {
  const expanded = shake256(seed, 96);
  const mlKem = p.mlKemKeygen(expanded.subarray(0, ML_KEM_768.seedBytes));
  const x = x25519ImportSecretKey(expanded.subarray(64, 96));
  expanded.fill(0);
  return { mlKem, x };
}

/** X25519 as the draft uses it: the all-zero output of a low-order point is returned, not refused. */
function x25519OrZero(keyPair: X25519KeyPair, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519Derive(keyPair, publicKey);
  } catch (err) {
    // Both arguments are 32 bytes here, so a RangeError is the all-zero shared secret.
    if (err instanceof RangeError) return new Uint8Array(X25519_BYTES);
    throw err;
  }
}

function combiner(ssM: Uint8Array, ssX: Uint8Array, ctX: Uint8Array, pkX: Uint8Array): Uint8Array {
  return sha3_256(ssM, ssX, ctX, pkX, XWING_LABEL);
}

/**
 * X-Wing GenerateKeyPairDerand (§5.2) from a 32-byte seed, or GenerateKeyPair from 32 random bytes.
 * @throws RangeError when the seed is not 32 bytes
 */
export function xwingKeygen(p: PqcProvider, seed?: Uint8Array): XWingKeyPair {
  if (seed !== undefined) checkBytes('X-Wing seed', seed, XWING.seedBytes);
  const s = seed === undefined ? randomBytes(XWING.seedBytes) : new Uint8Array(seed);
  const ex = expand(p, s);
  const publicKey = new Uint8Array(XWING.publicKeyBytes);
  publicKey.set(ex.mlKem.publicKey, 0);
  publicKey.set(ex.x.publicKey, ML_KEM_768.publicKeyBytes);
  const keyPair: XWingKeyPair = Object.freeze({ seed: s, publicKey });
  expandedKeys.set(keyPair, ex);
  return keyPair;
}

/**
 * X-Wing Encapsulate (§5.4) to a 1,216-byte encapsulation key: the 1,120-byte ciphertext and 32-byte shared secret.
 * With `eseed` (64 bytes, for test vectors only) it is EncapsulateDerand (§5.4.1); the native back-end cannot take
 * ML-KEM's `m` and then throws `RangeError`.
 * @throws RangeError when a length is wrong, or when the ML-KEM part of the key fails the FIPS 203 §7.2 check
 */
export function xwingEncapsulate(p: PqcProvider, publicKey: Uint8Array, eseed?: Uint8Array): KemEncapsulation {
  checkBytes('X-Wing encapsulation key', publicKey, XWING.publicKeyBytes);
  if (eseed !== undefined) checkBytes('X-Wing eseed', eseed, 64);
  const pkM = mlKemPart(publicKey);
  const pkX = publicKey.subarray(ML_KEM_768.publicKeyBytes);
  const m = eseed?.subarray(0, 32);
  const ek = eseed === undefined ? x25519GenerateKeyPair() : x25519ImportSecretKey(eseed.subarray(32, 64));
  const ctX = ek.publicKey;
  const ssX = x25519OrZero(ek, pkX);
  const { ciphertext: ctM, sharedSecret: ssM } = m === undefined ? p.mlKemEncapsulate(pkM) : p.mlKemEncapsulate(pkM, m);
  const sharedSecret = combiner(ssM, ssX, ctX, pkX);
  ssX.fill(0);
  const ciphertext = new Uint8Array(XWING.ciphertextBytes);
  ciphertext.set(ctM, 0);
  ciphertext.set(ctX, ML_KEM_768.ciphertextBytes);
  return { ciphertext, sharedSecret };
}

/**
 * X-Wing Decapsulate (§5.5): the 32-byte shared secret of a 1,120-byte ciphertext. Never fails for a ciphertext of
 * the right length (ML-KEM's implicit rejection gives a pseudo-random secret for a wrong one).
 * @throws RangeError when the ciphertext is not 1,120 bytes, the seed not 32 bytes, or the key pair's `publicKey`
 *   does not belong to its seed
 */
export function xwingDecapsulate(p: PqcProvider, keyPair: XWingKeyPair, ciphertext: Uint8Array): Uint8Array {
  checkBytes('X-Wing ciphertext', ciphertext, XWING.ciphertextBytes);
  let ex = expandedKeys.get(keyPair);
  if (ex === undefined) {
    checkBytes('X-Wing seed', keyPair.seed, XWING.seedBytes);
    checkBytes('X-Wing encapsulation key', keyPair.publicKey, XWING.publicKeyBytes);
    const fresh = expand(p, keyPair.seed);
    const pkM = keyPair.publicKey.subarray(0, ML_KEM_768.publicKeyBytes);
    const pkX = keyPair.publicKey.subarray(ML_KEM_768.publicKeyBytes);
    if (!sameBytes(fresh.mlKem.publicKey, pkM) || !sameBytes(fresh.x.publicKey, pkX)) {
      throw new RangeError('X-Wing key pair: the public key does not belong to the seed');
    }
    expandedKeys.set(keyPair, fresh);
    ex = fresh;
  }
  const ctM = ciphertext.subarray(0, ML_KEM_768.ciphertextBytes);
  const ctX = ciphertext.subarray(ML_KEM_768.ciphertextBytes);
  const ssM = p.mlKemDecapsulate(ex.mlKem, ctM);
  const ssX = x25519OrZero(ex.x, ctX);
  const sharedSecret = combiner(ssM, ssX, ctX, ex.x.publicKey);
  ssM.fill(0);
  ssX.fill(0);
  return sharedSecret;
}

/** Byte equality of public values (no secret involved, so no constant-time need). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
