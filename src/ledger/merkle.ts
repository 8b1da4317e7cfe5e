/**
 * Merkle hash trees of RFC 9162 §2.1 (Certificate Transparency 2.0; the same trees as RFC 6962 §2.1) with SHA-256.
 *
 * - Leaf hash (§2.1.1): `SHA-256(0x00 || leaf input)`.
 * - Interior node (§2.1.1): `SHA-256(0x01 || left || right)`.
 * - Empty tree: `SHA-256("")`.
 * - MTH of n > 1 leaves: `SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))` with k the largest power of two < n.
 *
 * This file holds the definitions written as the RFC states them (recursive, over an array of leaf hashes: the
 * reference the incremental {@link MerkleTree} is tested against) and the proof verifiers of §2.1.3.2 and §2.1.4.2,
 * which a client uses on proofs received from a log. Verifiers return booleans and never throw for bad proofs.
 */
import { bytesEqual, sha256 } from './_bytes.js';

/** Bytes of every hash in the tree (SHA-256). */
export const HASH_BYTES = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** Leaf hash of RFC 9162 §2.1.1: `SHA-256(0x00 || data)`. */
export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

/** Interior node hash of RFC 9162 §2.1.1: `SHA-256(0x01 || left || right)`. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree, `SHA-256("")` (RFC 9162 §2.1.1). */
export function emptyRoot(): Uint8Array {
  return sha256();
}

/** The largest power of two strictly smaller than `n` (n >= 2). */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkRange(leaves: readonly Uint8Array[], start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > leaves.length) {
    throw new RangeError(`Merkle range [${start}, ${end}) outside 0..${leaves.length}`);
  }
}

/**
 * MTH(D[start:end]) of RFC 9162 §2.1.1 over leaf hashes, by the recursive definition. O(n) hashes.
 * @throws RangeError when the range is outside `leafHashes`
 */
export function merkleTreeHash(leafHashes: readonly Uint8Array[], start = 0, end = leafHashes.length): Uint8Array {
  checkRange(leafHashes, start, end);
  const mth = (a: number, b: number): Uint8Array => {
    const n = b - a;
    if (n === 0) return emptyRoot();
    if (n === 1) return leafHashes[a];
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(mth(a, a + k), mth(a + k, b));
  };
  return mth(start, end);
}

/**
 * The inclusion proof PATH(m, D[n]) of RFC 9162 §2.1.3.1 for leaf `index` in the tree of the first `size` leaves,
 * by the recursive definition. O(n) hashes.
 * @throws RangeError unless 0 <= index < size <= leafHashes.length
 */
export function inclusionProofOf(leafHashes: readonly Uint8Array[], index: number, size: number): Uint8Array[] {
  checkRange(leafHashes, 0, size);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} outside 0..${size - 1}`);
  const path = (m: number, a: number, b: number): Uint8Array[] => {
    const n = b - a;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...path(m, a, a + k), merkleTreeHash(leafHashes, a + k, b)];
    return [...path(m - k, a + k, b), merkleTreeHash(leafHashes, a, a + k)];
  };
  return path(index, 0, size);
}

/**
 * The consistency proof PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the trees of the first `oldSize` and
 * `newSize` leaves, by the recursive definition (SUBPROOF). Empty when `oldSize === newSize`. O(n) hashes.
 * @throws RangeError unless 0 < oldSize <= newSize <= leafHashes.length
 */
export function consistencyProofOf(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  checkRange(leafHashes, 0, newSize);
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > newSize) throw new RangeError(`old size ${oldSize} outside 1..${newSize}`);
  const subproof = (m: number, a: number, b: number, complete: boolean): Uint8Array[] => {
    const n = b - a;
    if (m === n) return complete ? [] : [merkleTreeHash(leafHashes, a, b)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...subproof(m, a, a + k, complete), merkleTreeHash(leafHashes, a + k, b)];
    return [...subproof(m - k, a + k, b, false), merkleTreeHash(leafHashes, a, a + k)];
  };
  return subproof(oldSize, 0, newSize, true);
}

function isHash(h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_BYTES;
}

function validProof(proof: readonly Uint8Array[]): boolean {
  return Array.isArray(proof) && proof.every(isHash);
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1–4), or undefined when the proof has the wrong
 * shape for `index` and `size` (too short, too long, index out of range, an element not 32 bytes).
 */
export function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Uint8Array | undefined {
  if (!isHash(leaf) || !validProof(proof)) return undefined;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return undefined;
  // fn and sn can exceed 2^32, so shifts are done by division.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * Verifies an inclusion proof (RFC 9162 §2.1.3.2): true when `leaf` (a leaf hash) is leaf `index` of the tree of
 * `size` leaves whose root is `root`. False for any malformed input; never throws.
 */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!isHash(root)) return false;
  const r = rootFromInclusionProof(leaf, index, size, proof);
  return r !== undefined && bytesEqual(r, root);
}

/**
 * Verifies a consistency proof (RFC 9162 §2.1.4.2): true when the tree of `oldSize` leaves with root `oldRoot` is
 * a prefix of the tree of `newSize` leaves with root `newRoot`. Edge cases the RFC leaves to the caller, decided as
 * in transparency-dev/merkle: `oldSize === newSize` needs an empty proof and equal roots; `oldSize === 0` (the empty
 * tree is a prefix of every tree) needs an empty proof; `oldSize > newSize` is false. Never throws.
 */
export function verifyConsistency(oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !validProof(proof)) return false;
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  // Step 1.
  if (proof.length === 0) return false;
  // Step 2: when oldSize is a power of two, the old root is the first node of the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  // Step 3.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // Step 4.
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 5.
  let fr = path[0];
  let sr = path[0];
  // Step 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // Step 7.
  return bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2;
  return n === 1;
}
