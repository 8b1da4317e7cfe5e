import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { consistencyProofOf, inclusionProofOf, leafHash, merkleTreeHash, verifyConsistency, verifyInclusion } from './merkle.js';
import { MERKLE_CHUNK_NODES, MerkleTree } from './merkle-tree.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function build(n: number): { tree: MerkleTree; leaves: Uint8Array[] } {
  const tree = new MerkleTree();
  const leaves: Uint8Array[] = [];
  const d = new Uint8Array(4);
  for (let i = 0; i < n; i++) {
    new DataView(d.buffer).setUint32(0, i);
    const l = leafHash(d);
    leaves.push(l);
    expect(tree.append(l)).toBe(i);
  }
  return { tree, leaves };
}

describe('MerkleTree', () => {
  const N = 2 * MERKLE_CHUNK_NODES + 37;
  const { tree, leaves } = build(N);

  it('agrees with the recursive RFC definition across storage chunk boundaries', () => {
    const sizes = [1, 2, 3, 4095, 4096, 4097, 6000, 8191, 8192, 8193, N];
    for (const s of sizes) expect(hex(tree.root(s)), `size ${s}`).toBe(hex(merkleTreeHash(leaves, 0, s)));
    for (const [i, s] of [[0, N], [4095, 4097], [4096, N], [8191, 8193], [N - 1, N], [5000, 6000]]) {
      const p = tree.inclusionProof(i, s);
      expect(p.map(hex)).toEqual(inclusionProofOf(leaves, i, s).map(hex));
      expect(verifyInclusion(leaves[i], i, s, p, tree.root(s))).toBe(true);
    }
    for (const [m, s] of [[1, N], [4096, 4097], [4097, 8193], [6000, N], [N, N], [3, 4096]]) {
      const p = tree.consistencyProof(m, s);
      expect(p.map(hex)).toEqual(consistencyProofOf(leaves, m, s).map(hex));
      expect(verifyConsistency(m, s, tree.root(m), tree.root(s), p)).toBe(true);
    }
    expect(hex(tree.leafHash(4096))).toBe(hex(leaves[4096]));
  });

  it('holds about 64 bytes per entry', () => {
    expect(tree.size).toBe(N);
    // < 2N nodes of 32 bytes, plus at most one partly filled 128 KiB chunk per level.
    const levels = Math.ceil(Math.log2(N)) + 1;
    expect(tree.memoryBytes()).toBeLessThanOrEqual(64 * N + levels * MERKLE_CHUNK_NODES * 32);
    expect(tree.memoryBytes()).toBeGreaterThanOrEqual(64 * N - 64);
  });

  it('refuses out-of-range requests with IPQ-L005 and bad leaves with TypeError', () => {
    const bad: (() => unknown)[] = [
      () => tree.root(N + 1),
      () => tree.root(-1),
      () => tree.root(1.5),
      () => tree.inclusionProof(N, N),
      () => tree.inclusionProof(0, 0),
      () => tree.inclusionProof(-1, 5),
      () => tree.inclusionProof(0, N + 1),
      () => tree.consistencyProof(0, 5),
      () => tree.consistencyProof(6, 5),
      () => tree.consistencyProof(1, N + 1),
      () => tree.leafHash(N),
    ];
    for (const f of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-L005'), String(f)).toBe(true);
    }
    expect(() => new MerkleTree().append(new Uint8Array(31))).toThrow(TypeError);
  });

  it('returns copies that callers cannot use to change the tree', () => {
    const before = hex(tree.root(4096));
    tree.root(4096).fill(0);
    tree.inclusionProof(0, 4096).forEach((p) => p.fill(0));
    tree.leafHash(0).fill(0);
    expect(hex(tree.root(4096))).toBe(before);
  });

  it('answers for earlier sizes after more appends (the same roots as before)', () => {
    const t = new MerkleTree();
    const roots: string[] = [hex(t.root())];
    for (let i = 0; i < 300; i++) {
      t.append(leaves[i]);
      roots.push(hex(t.root()));
    }
    roots.forEach((r, s) => expect(hex(t.root(s))).toBe(r));
  });
});
