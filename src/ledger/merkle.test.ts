import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProofOf,
  emptyRoot,
  inclusionProofOf,
  leafHash,
  merkleTreeHash,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { MerkleTree } from './merkle-tree.js';

const h = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// The certificate-transparency reference tree (RFC 6962 test data, as in transparency-dev/merkle proof/verify_test.go).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leaf index (0-based), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
];
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];
const SOME_HASH = h('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY = h('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');

/** Independent oracle: MTH over the raw leaf inputs written from RFC 9162 §2.1.1 with its own hashing. */
function oracleMth(data: readonly Uint8Array[]): Uint8Array {
  const sha = (...p: Uint8Array[]) => {
    const x = createHash('sha256');
    for (const q of p) x.update(q);
    return new Uint8Array(x.digest());
  };
  if (data.length === 0) return sha();
  if (data.length === 1) return sha(new Uint8Array([0]), data[0]);
  let k = 1;
  while (k << 1 < data.length) k <<= 1;
  return sha(new Uint8Array([1]), oracleMth(data.slice(0, k)), oracleMth(data.slice(k)));
}

const leafHashes = LEAVES.map(leafHash);
const flip = (b: Uint8Array, bit: number) => {
  const c = b.slice();
  c[Math.floor(bit / 8) % c.length] ^= 1 << bit % 8;
  return c;
};

describe('RFC 6962/9162 reference tree', () => {
  it('has the reference roots for every size, by the recursive definition and by the incremental tree', () => {
    expect(hex(emptyRoot())).toBe(hex(EMPTY));
    const tree = new MerkleTree();
    for (const l of leafHashes) tree.append(l);
    for (let n = 1; n <= 8; n++) {
      expect(hex(merkleTreeHash(leafHashes, 0, n)), `size ${n}`).toBe(ROOTS[n - 1]);
      expect(hex(tree.root(n)), `tree size ${n}`).toBe(ROOTS[n - 1]);
      expect(hex(oracleMth(LEAVES.slice(0, n)))).toBe(ROOTS[n - 1]);
    }
    expect(hex(tree.root(0))).toBe(hex(EMPTY));
  });
  it('generates and verifies the reference inclusion proofs, and rejects corrupted ones', () => {
    const tree = new MerkleTree();
    for (const l of leafHashes) tree.append(l);
    for (const [index, size, proofHex] of INCLUSION) {
      const proof = proofHex.map(h);
      const root = h(ROOTS[size - 1]);
      const leaf = leafHashes[index];
      expect(inclusionProofOf(leafHashes, index, size).map(hex)).toEqual(proofHex);
      expect(tree.inclusionProof(index, size).map(hex)).toEqual(proofHex);
      expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);
      expect(hex(rootFromInclusionProof(leaf, index, size, proof) as Uint8Array)).toBe(ROOTS[size - 1]);
      // The probes of transparency-dev/merkle corruptInclusionProof.
      const probes: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
        [index - 1, size, root, leaf, proof],
        [index + 1, size, root, leaf, proof],
        [index ^ 2, size, root, leaf, proof],
        [index, size * 2, root, leaf, proof],
        [index, Math.floor(size / 2), root, leaf, proof],
        [index, size, root, new TextEncoder().encode('WrongLeaf'), proof],
        [index, size, EMPTY, leaf, proof],
        [index, size, SOME_HASH, leaf, proof],
        [index, size, root, leaf, [...proof, new Uint8Array(0)]],
        [index, size, root, leaf, [...proof, root]],
        [index, size, root, leaf, [new Uint8Array(0), ...proof]],
        [index, size, root, leaf, [root, ...proof]],
        [index, size, root, leaf, proof.slice(0, -1)],
        ...proof.map((_, i): [number, number, Uint8Array, Uint8Array, Uint8Array[]] => [index, size, root, leaf, proof.map((p, j) => (j === i ? flip(p, 3) : p))]),
      ];
      if (proof.length > 1) probes.push([index, size, root, leaf, [proof[0], SOME_HASH, ...proof.slice(1)]]);
      probes.forEach((p, i) => expect(verifyInclusion(p[3], p[0], p[1], p[4], p[2]), `probe ${i} of ${index}/${size}`).toBe(false));
    }
  });
  it('generates and verifies the reference consistency proofs, and rejects corrupted ones', () => {
    const tree = new MerkleTree();
    for (const l of leafHashes) tree.append(l);
    for (const [m, n, proofHex] of CONSISTENCY) {
      const proof = proofHex.map(h);
      const r1 = h(ROOTS[m - 1]);
      const r2 = h(ROOTS[n - 1]);
      expect(consistencyProofOf(leafHashes, m, n).map(hex)).toEqual(proofHex);
      expect(tree.consistencyProof(m, n).map(hex)).toEqual(proofHex);
      expect(verifyConsistency(m, n, r1, r2, proof)).toBe(true);
      if (proof.length === 0) continue;
      const probes: [number, number, Uint8Array, Uint8Array, Uint8Array[]][] = [
        [m - 1, n, r1, r2, proof],
        [m + 1, n, r1, r2, proof],
        [m ^ 2, n, r1, r2, proof],
        [m, n * 2, r1, r2, proof],
        [m, Math.floor(n / 2), r1, r2, proof],
        [m, n, new TextEncoder().encode('WrongRoot'), r2, proof],
        [m, n, r1, new TextEncoder().encode('WrongRoot'), proof],
        [m, n, r2, r1, proof],
        [m, n, r1, r2, []],
        [m, n, r1, r2, [...proof, new Uint8Array(0)]],
        [m, n, r1, r2, [...proof, r1]],
        [m, n, r1, r2, [...proof, r2]],
        [m, n, r1, r2, [new Uint8Array(0), ...proof]],
        [m, n, r1, r2, [r1, ...proof]],
        [m, n, r1, r2, [r2, ...proof]],
        [m, n, r1, r2, [proof[0], ...proof]],
        [m, n, r1, r2, proof.slice(0, -1)],
        ...proof.map((_, i): [number, number, Uint8Array, Uint8Array, Uint8Array[]] => [m, n, r1, r2, proof.map((p, j) => (j === i ? flip(p, 4) : p))]),
      ];
      probes.forEach((p, i) => expect(verifyConsistency(p[0], p[1], p[2], p[3], p[4]), `probe ${i} of ${m}->${n}`).toBe(false));
    }
  });
  it('decides the trivial consistency cases as transparency-dev/merkle does', () => {
    const r1 = new TextEncoder().encode('don\'t care 1');
    const r2 = new TextEncoder().encode('don\'t care 2');
    // Roots of the wrong length never verify here; use 32-byte stand-ins for the "don't care" roots.
    const a = SOME_HASH;
    const b = h(ROOTS[0]);
    expect(verifyConsistency(0, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(0, 0, a, a, [])).toBe(true);
    expect(verifyConsistency(0, 1, a, b, [])).toBe(true);
    expect(verifyConsistency(1, 1, b, b, [])).toBe(true);
    expect(verifyConsistency(1, 0, a, b, [])).toBe(false);
    expect(verifyConsistency(2, 1, a, b, [])).toBe(false);
    expect(verifyConsistency(1, 2, a, b, [])).toBe(false);
    expect(verifyConsistency(0, 0, EMPTY, EMPTY, [EMPTY])).toBe(false);
    expect(verifyConsistency(0, 1, EMPTY, EMPTY, [EMPTY])).toBe(false);
    expect(verifyConsistency(1, 1, EMPTY, EMPTY, [EMPTY])).toBe(false);
    expect(verifyConsistency(1, 2, r1, r2, [EMPTY])).toBe(false);
  });
  it('verifies a single-entry tree with an empty inclusion proof', () => {
    const l = leafHash(new TextEncoder().encode('data'));
    expect(verifyInclusion(l, 0, 1, [], l)).toBe(true);
    expect(verifyInclusion(l, 0, 1, [], new Uint8Array(0))).toBe(false);
    expect(verifyInclusion(new Uint8Array(0), 0, 1, [], l)).toBe(false);
    for (const [i, n] of [[0, 0], [1, 0], [2, 1]]) expect(verifyInclusion(SOME_HASH, i, n, [], EMPTY)).toBe(false);
  });
  it('hashes nodes as SHA-256(0x01 || l || r)', () => {
    expect(hex(nodeHash(leafHashes[0], leafHashes[1]))).toBe(ROOTS[1]);
  });
});

describe('Merkle properties (random trees)', () => {
  const treeArb = fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 });
  it('the incremental tree equals the RFC definition and every proof it makes verifies', () => {
    fc.assert(
      fc.property(treeArb, (data) => {
        const ls = data.map(leafHash);
        const tree = new MerkleTree();
        for (const l of ls) tree.append(l);
        for (let n = 1; n <= ls.length; n++) {
          const root = tree.root(n);
          expect(hex(root)).toBe(hex(oracleMth(data.slice(0, n))));
          for (let i = 0; i < n; i++) {
            const p = tree.inclusionProof(i, n);
            expect(p.map(hex)).toEqual(inclusionProofOf(ls, i, n).map(hex));
            expect(verifyInclusion(ls[i], i, n, p, root)).toBe(true);
          }
          for (let m = 1; m <= n; m++) {
            const p = tree.consistencyProof(m, n);
            expect(p.map(hex)).toEqual(consistencyProofOf(ls, m, n).map(hex));
            expect(verifyConsistency(m, n, tree.root(m), root, p)).toBe(true);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
  it('a flipped bit in the leaf, the root or any proof element fails verification', () => {
    fc.assert(
      fc.property(treeArb, fc.nat(), fc.nat(), fc.nat(255), fc.constantFrom('leaf', 'root', 'proof'), (data, a, b, bit, where) => {
        const tree = new MerkleTree();
        for (const d of data) tree.append(leafHash(d));
        const n = 1 + (a % data.length);
        const i = b % n;
        const leaf = tree.leafHash(i);
        const root = tree.root(n);
        const proof = tree.inclusionProof(i, n);
        if (where === 'leaf') expect(verifyInclusion(flip(leaf, bit), i, n, proof, root)).toBe(false);
        else if (where === 'root') expect(verifyInclusion(leaf, i, n, proof, flip(root, bit))).toBe(false);
        else if (proof.length > 0) {
          const k = bit % proof.length;
          expect(verifyInclusion(leaf, i, n, proof.map((p, j) => (j === k ? flip(p, bit) : p)), root)).toBe(false);
        }
        const m = 1 + (b % n);
        const cp = tree.consistencyProof(m, n);
        const oldRoot = tree.root(m);
        if (where === 'leaf' && m < n) expect(verifyConsistency(m, n, flip(oldRoot, bit), root, cp)).toBe(false);
        else if (where === 'root' && m < n) expect(verifyConsistency(m, n, oldRoot, flip(root, bit), cp)).toBe(false);
        else if (cp.length > 0) {
          const k = bit % cp.length;
          expect(verifyConsistency(m, n, oldRoot, root, cp.map((p, j) => (j === k ? flip(p, bit) : p)))).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });
  it('verifiers never throw on arbitrary input', () => {
    const hashArb = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 1000 }), fc.integer({ min: -2, max: 1000 }), hashArb, hashArb, fc.array(hashArb, { maxLength: 12 }), (x, y, r1, r2, p) => {
        expect(typeof verifyInclusion(r1, x, y, p, r2)).toBe('boolean');
        expect(typeof verifyConsistency(x, y, r1, r2, p)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
