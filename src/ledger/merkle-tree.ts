/**
 * An append-only, in-memory RFC 9162 §2.1 Merkle tree (SHA-256) that answers for any earlier size: root hashes,
 * inclusion proofs (§2.1.3.1) and consistency proofs (§2.1.4.1).
 *
 * Storage: the hash of every *complete* subtree, level by level. Level 0 holds the leaf hashes, level l the hashes
 * of the aligned perfect subtrees of 2^l leaves, so after n appends level l holds floor(n / 2^l) nodes and the
 * tree holds fewer than 2n nodes of 32 bytes. Each level is a growable list of fixed chunks of
 * {@link MERKLE_CHUNK_NODES} nodes (128 KiB), so growth never copies and the memory is
 * 64 bytes per entry + at most one partly filled chunk per level: about 64 MiB per million entries
 * ({@link MerkleTree.memoryBytes}). Nothing is evicted: the tree lives as long as the log it mirrors.
 *
 * Cost: `append` computes one node hash per level it completes, amortised 1 (worst case log2 n);
 * `root(size)`, `inclusionProof` and `consistencyProof` read O(log n) stored nodes and hash O(log² n) at most
 * (the right edge of a size that is not a power of two is recomputed).
 *
 * Sizes and indexes outside the tree are a user's request out of range: `IPQ-L005` (the log routes pass query
 * parameters straight through).
 */
import { createHash } from 'node:crypto';
import { IpqsecError } from '../core/errors.js';
import { emptyRoot, HASH_BYTES, largestPowerOfTwoBelow, nodeHash } from './merkle.js';

/** Nodes per storage chunk (4,096 × 32 bytes = 128 KiB). */
export const MERKLE_CHUNK_NODES = 4096;
const NODE_PREFIX = new Uint8Array([0x01]);

/** True when n is 2^l for an integer l >= 0 (exact for every safe integer). */
function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** An append-only Merkle tree; see the file comment for storage, memory and cost. */
export class MerkleTree {
  /** levels[l] = chunks of level l; each chunk holds MERKLE_CHUNK_NODES × 32 bytes. */
  private readonly levels: Uint8Array[][] = [];
  /** Nodes stored per level. */
  private readonly counts: number[] = [];
  private n = 0;
  /** Number of leaves. */
  get size(): number {
    return this.n;
  }

  /** Bytes held by the node storage (the chunks). */
  memoryBytes(): number {
    let b = 0;
    for (const chunks of this.levels) b += chunks.length * MERKLE_CHUNK_NODES * HASH_BYTES;
    return b;
  }

  /**
   * Appends a leaf hash (32 bytes: RFC 9162 `SHA-256(0x00 || entry)`, see `leafHash`) and returns its index.
   * @throws TypeError when `leaf` is not 32 bytes
   */
  append(leaf: Uint8Array): number {
    if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_BYTES) throw new TypeError(`Merkle leaf hash must be ${HASH_BYTES} bytes`);
    const index = this.n;
    this.push(0, leaf);
    let i = index;
    let level = 0;
    // Node i at a level completes the pair (i-1, i) when i is odd; the pair is 64 contiguous bytes of one chunk
    // (chunks hold an even number of nodes), hashed in place as 0x01 || left || right.
    while (i % 2 === 1) {
      const chunk = this.levels[level][Math.floor(i / MERKLE_CHUNK_NODES)];
      const o = ((i - 1) % MERKLE_CHUNK_NODES) * HASH_BYTES;
      this.push(level + 1, createHash('sha256').update(NODE_PREFIX).update(chunk.subarray(o, o + 2 * HASH_BYTES)).digest());
      i = (i - 1) / 2;
      level++;
    }
    this.n = index + 1;
    return index;
  }

  /** The leaf hash at `index`. @throws IpqsecError `IPQ-L005` when `index` is not in 0..size-1 */
  leafHash(index: number): Uint8Array {
    this.checkIndex(index, this.n);
    return this.view(0, index).slice();
  }

  /**
   * The root hash (MTH, RFC 9162 §2.1.1) of the tree of the first `size` leaves; `SHA-256("")` for 0.
   * @throws IpqsecError `IPQ-L005` when `size` is not in 0..this.size
   */
  root(size: number = this.n): Uint8Array {
    this.checkSize(size, 0);
    return size === 0 ? emptyRoot() : this.subtree(0, size).slice();
  }

  /**
   * The inclusion proof (RFC 9162 §2.1.3.1) of leaf `index` in the tree of the first `size` leaves, as a list of
   * 32-byte hashes, leaf side first.
   * @throws IpqsecError `IPQ-L005` unless 0 <= index < size <= this.size
   */
  inclusionProof(index: number, size: number = this.n): Uint8Array[] {
    this.checkSize(size, 1);
    this.checkIndex(index, size);
    const out: Uint8Array[] = [];
    // PATH(m, D[start:start+n]) collected bottom-up: recurse first, then push the sibling.
    const path = (m: number, start: number, n: number): void => {
      if (n === 1) return;
      const k = largestPowerOfTwoBelow(n);
      if (m < k) {
        path(m, start, k);
        out.push(this.subtree(start + k, n - k).slice());
      } else {
        path(m - k, start + k, n - k);
        out.push(this.subtree(start, k).slice());
      }
    };
    path(index, 0, size);
    return out;
  }

  /**
   * The consistency proof (RFC 9162 §2.1.4.1) between the trees of the first `oldSize` and `newSize` leaves;
   * empty when they are equal.
   * @throws IpqsecError `IPQ-L005` unless 0 < oldSize <= newSize <= this.size
   */
  consistencyProof(oldSize: number, newSize: number = this.n): Uint8Array[] {
    this.checkSize(newSize, 1);
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > newSize) {
      throw new IpqsecError('IPQ-L005', `consistency proof needs 0 < old <= new, got old ${oldSize}, new ${newSize}`, { details: { old: oldSize, new: newSize } });
    }
    const out: Uint8Array[] = [];
    const subproof = (m: number, start: number, n: number, complete: boolean): void => {
      if (m === n) {
        if (!complete) out.push(this.subtree(start, n).slice());
        return;
      }
      const k = largestPowerOfTwoBelow(n);
      if (m <= k) {
        subproof(m, start, k, complete);
        out.push(this.subtree(start + k, n - k).slice());
      } else {
        subproof(m - k, start + k, n - k, false);
        out.push(this.subtree(start, k).slice());
      }
    };
    subproof(oldSize, 0, newSize, true);
    return out;
  }

  /**
   * MTH of the n >= 1 leaves from `start`, where [start, start+n) is a subtree reached by the RFC's recursion:
   * either a stored perfect subtree (n a power of two, start a multiple of n) or a right edge split further.
   * May return a view into storage: callers copy before handing it out.
   */
  private subtree(start: number, n: number): Uint8Array {
    if (isPowerOfTwo(n)) {
      const level = Math.round(Math.log2(n));
      return this.view(level, start / n);
    }
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(this.subtree(start, k), this.subtree(start + k, n - k));
  }

  private view(level: number, i: number): Uint8Array {
    const chunk = this.levels[level][Math.floor(i / MERKLE_CHUNK_NODES)];
    const o = (i % MERKLE_CHUNK_NODES) * HASH_BYTES;
    return chunk.subarray(o, o + HASH_BYTES);
  }

  private push(level: number, h: Uint8Array): void {
    if (level === this.levels.length) {
      this.levels.push([]);
      this.counts.push(0);
    }
    const i = this.counts[level];
    const chunks = this.levels[level];
    const c = Math.floor(i / MERKLE_CHUNK_NODES);
    if (c === chunks.length) chunks.push(new Uint8Array(MERKLE_CHUNK_NODES * HASH_BYTES));
    chunks[c].set(h, (i % MERKLE_CHUNK_NODES) * HASH_BYTES);
    this.counts[level] = i + 1;
  }

  private checkSize(size: number, min: number): void {
    if (!Number.isSafeInteger(size) || size < min || size > this.n) {
      throw new IpqsecError('IPQ-L005', `tree size ${size} outside ${min}..${this.n}`, { details: { size, treeSize: this.n } });
    }
  }

  private checkIndex(index: number, size: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new IpqsecError('IPQ-L005', `leaf index ${index} outside 0..${size - 1}`, { details: { index, size } });
    }
  }
}
