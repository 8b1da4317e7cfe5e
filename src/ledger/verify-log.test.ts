import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testPqcProvider as p } from './_test-provider.js';
import { buildTestLog, testEntry } from './_test-log.js';
import { signCheckpoint } from './checkpoint.js';
import { mlDsaCosignatureVerifier, mlDsaCosigner } from './cosignature.js';
import { encodeLogEntry } from './log-entry.js';
import { leafHash } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import { appendSignatureLines, formatSignatureLine, parseNote } from './signed-note.js';
import { locateFirstBadIndex, logVerificationError, verifyLog, type LogVerificationInput } from './verify-log.js';

const N = 24;
const ALL_SIZES = Array.from({ length: N + 1 }, (_, i) => i);
const log = buildTestLog(p, N, ALL_SIZES);
const notes = (sizes: readonly number[]) => sizes.map((s) => log.checkpoints.get(s) as string);
const honestProof = (o: number, n: number) => Promise.resolve(log.tree.consistencyProof(o, n));

/** Index of the first entry where `b` differs from the original log (or where one ends). */
function firstDifference(b: readonly Uint8Array[]): number {
  const a = log.entries;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (Buffer.compare(a[i], b[i]) !== 0) return i;
  return Math.min(a.length, b.length);
}

function run(entries: readonly Uint8Array[], sizes: readonly number[], extra: Partial<LogVerificationInput> = {}) {
  return verifyLog({ entries, checkpoints: notes(sizes), verifier: log.verifier, ...extra });
}

describe('verifyLog', () => {
  it('accepts an intact log', () => {
    const r = run(log.entries, [0, 5, 8, 16, N]);
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.firstBadIndex).toBeUndefined();
    expect(r.entries).toBe(N);
    expect(r.checkpoints).toBe(5);
    expect(r.latest?.size).toBe(N);
    expect(logVerificationError(r)).toBeUndefined();
  });

  it('names the modified entry exactly when a checkpoint was issued for every size', () => {
    const e = [...log.entries];
    e[13] = encodeLogEntry({ ...testEntry(13), data: { i: 13, risk: 0 } });
    const r = run(e, ALL_SIZES);
    expect(r.ok).toBe(false);
    expect(r.firstBadIndex).toBe(13);
    expect(r.firstBadIndexExact).toBe(true);
    expect(r.problems.filter((x) => x.kind === 'root-mismatch').map((x) => x.size)).toEqual(ALL_SIZES.filter((s) => s > 13));
    expect(logVerificationError(r)?.code).toBe('IPQ-L001');
    expect(logVerificationError(r)?.message).toMatch(/first bad index 13/);
  });

  it('bounds the first bad index by the checkpoint range, and finds it exactly with consistency proofs', async () => {
    const e = [...log.entries];
    e[13] = encodeLogEntry({ ...testEntry(13), subject: 'device:evil' });
    const r = run(e, [8, 16, N]);
    expect(r.firstBadIndex).toBe(8);
    const mismatch = r.problems.find((x) => x.kind === 'root-mismatch');
    expect(mismatch?.size).toBe(16);
    expect(await locateFirstBadIndex(r.tree, 8, 16, log.tree.root(16), honestProof)).toBe(13);
  });

  it('finds a deleted, a reordered and an inserted entry, and a truncated tail', async () => {
    const deleted = log.entries.filter((_, i) => i !== 5);
    const swapped = [...log.entries];
    [swapped[9], swapped[10]] = [swapped[10], swapped[9]];
    const inserted = [...log.entries.slice(0, 7), encodeLogEntry(testEntry(99)), ...log.entries.slice(7, -1)];
    const truncated = log.entries.slice(0, 20);
    for (const [what, e, first] of [
      ['deleted', deleted, 5],
      ['swapped', swapped, 9],
      ['inserted', inserted, 7],
      ['truncated', truncated, 20],
    ] as const) {
      const r = run(e, [4, 12, N]);
      expect(r.ok, what).toBe(false);
      expect(logVerificationError(r)?.code, what).toBe('IPQ-L001');
      const bad = r.problems.find((x) => x.kind === 'root-mismatch') ?? r.problems.find((x) => x.kind === 'missing-entries');
      const lo = bad?.index as number;
      const size = bad?.size as number;
      expect(await locateFirstBadIndex(r.tree, lo, size, log.tree.root(size), honestProof), what).toBe(first);
    }
    const t = run(truncated, [4, 12, N]);
    expect(t.firstBadIndex).toBe(12);
    expect(t.firstBadIndexExact).toBe(false);
    expect(t.problems).toEqual([expect.objectContaining({ kind: 'missing-entries', index: 12, size: N })]);
    const t2 = run(truncated, [4, 12, 20, N]);
    expect(t2.firstBadIndex).toBe(20);
    expect(t2.firstBadIndexExact).toBe(true);
  });

  it('reports a malformed (non-canonical) entry at its index', () => {
    const e = [...log.entries];
    e[3] = new TextEncoder().encode(` ${new TextDecoder().decode(e[3])}`);
    const r = run(e, [2]);
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'entry-malformed', index: 3 })]);
    expect(r.firstBadIndex).toBe(3);
    expect(run(e, [2], { decodeEntries: false }).ok).toBe(true);
  });

  it('rejects a bad signature and a note signed by another key (IPQ-L002)', () => {
    const n = parseNote(log.checkpoints.get(8) as string);
    const sig = n.signatures[0].signature.slice();
    sig[0] ^= 0x80;
    const forged = `${n.text}\n${formatSignatureLine({ ...n.signatures[0], signature: sig })}\n`;
    const stranger = buildTestLog(p, 8, [8], log.origin, 9).checkpoints.get(8) as string;
    const r = verifyLog({ entries: log.entries, checkpoints: [forged, stranger, 'not a note'], verifier: log.verifier });
    expect(r.problems.map((x) => x.kind)).toEqual(['bad-signature', 'bad-signature', 'checkpoint-malformed']);
    expect(r.checkpoints).toBe(0);
    expect(logVerificationError(r)?.code).toBe('IPQ-L002');
  });

  it('rejects two signed trees of one size and a rewritten history (IPQ-L003)', () => {
    // The log signs a second, different tree of size 8: a split view.
    const other = new MerkleTree();
    for (let i = 0; i < 8; i++) other.append(leafHash(encodeLogEntry(testEntry(i, 'x'))));
    const fork = signCheckpoint({ origin: log.origin, size: 8, rootHash: other.root(8), extensions: [] }, [log.signer]);
    const r = verifyLog({ entries: log.entries, checkpoints: [...notes([4, 8]), fork], verifier: log.verifier });
    expect(r.problems.map((x) => x.kind)).toContain('inconsistent');
    expect(logVerificationError(r)?.code).toBe('IPQ-L003');

    // The log rewrites entry 2 after signing 4 and 8, then signs 12 over the new history.
    const rewritten = [...log.entries.slice(0, 12)];
    rewritten[2] = encodeLogEntry(testEntry(2, 'rewritten'));
    const t = new MerkleTree();
    for (const e of rewritten) t.append(leafHash(e));
    const later = signCheckpoint({ origin: log.origin, size: 12, rootHash: t.root(12), extensions: [] }, [log.signer]);
    const r2 = verifyLog({ entries: rewritten, checkpoints: [...notes([4, 8]), later], verifier: log.verifier });
    expect(r2.problems.map((x) => x.kind)).toEqual(['inconsistent', 'inconsistent']);
    expect(r2.firstBadIndex).toBe(0);
    expect(logVerificationError(r2)?.code).toBe('IPQ-L003');
  });

  it('checks checkpoints beyond the entries with consistency proofs', () => {
    const proofs = [
      { old: 4, new: 12, proof: log.tree.consistencyProof(4, 12) },
      { old: 12, new: N, proof: log.tree.consistencyProof(12, N) },
    ];
    const r = run(log.entries.slice(0, 4), [4, 12, N], { consistencyProofs: proofs });
    expect(r.problems.map((x) => x.kind)).toEqual(['missing-entries']);
    // A checkpoint of size N over another tree, with the honest proof: inconsistent.
    const other = new MerkleTree();
    for (let i = 0; i < N; i++) other.append(leafHash(encodeLogEntry(testEntry(i, i < 20 ? '' : 'y'))));
    const fork = signCheckpoint({ origin: log.origin, size: N, rootHash: other.root(N), extensions: [] }, [log.signer]);
    const r2 = verifyLog({ entries: log.entries.slice(0, 4), checkpoints: [...notes([4, 12]), fork], verifier: log.verifier, consistencyProofs: proofs });
    expect(r2.problems.map((x) => x.kind)).toContain('inconsistent');
  });

  it('counts witness cosignatures against the quorum', () => {
    const wk = p.mlDsaKeygen(new Uint8Array(32).fill(4));
    const w = mlDsaCosigner(p, 'w.test/1', wk, () => 1_000);
    const wv = mlDsaCosignatureVerifier(p, 'w.test/1', wk.publicKey);
    const note = log.checkpoints.get(N) as string;
    const text = parseNote(note).text;
    const line = formatSignatureLine({ name: w.name, keyId: w.keyId, signature: w.sign(new TextEncoder().encode(text)) });
    const cosigned = appendSignatureLines(note, [line]);
    expect(verifyLog({ entries: log.entries, checkpoints: [cosigned], verifier: log.verifier, witnesses: [wv], witnessQuorum: 1 }).ok).toBe(true);
    const r = verifyLog({ entries: log.entries, checkpoints: [note], verifier: log.verifier, witnesses: [wv], witnessQuorum: 1 });
    expect(r.problems.map((x) => x.kind)).toEqual(['witness-quorum']);
    expect(logVerificationError(r)?.code).toBe('IPQ-L002');
  });

  it('property: any modification, deletion, reordering or truncation fails, and bisection names the first bad index', async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('modify' as const), i: fc.nat(N - 1) }),
      fc.record({ kind: fc.constant('delete' as const), i: fc.nat(N - 1) }),
      fc.record({ kind: fc.constant('swap' as const), i: fc.nat(N - 2) }),
      fc.record({ kind: fc.constant('truncate' as const), i: fc.nat(N - 1) }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, fc.subarray(ALL_SIZES.slice(1, -1)), async (m, sizes) => {
        let e = [...log.entries];
        if (m.kind === 'modify') e[m.i] = encodeLogEntry(testEntry(m.i, 'changed'));
        else if (m.kind === 'delete') e.splice(m.i, 1);
        else if (m.kind === 'swap') [e[m.i], e[m.i + 1]] = [e[m.i + 1], e[m.i]];
        else e = e.slice(0, m.i);
        const truth = firstDifference(e);
        const r = run(e, [...sizes, N]);
        expect(r.ok).toBe(false);
        expect(r.firstBadIndex).toBeLessThanOrEqual(truth);
        const bad = r.problems.find((x) => x.kind === 'root-mismatch') ?? r.problems.find((x) => x.kind === 'missing-entries');
        const size = bad?.size as number;
        const lo = bad?.index as number;
        if (r.firstBadIndexExact === true) expect(r.firstBadIndex).toBe(truth);
        expect(await locateFirstBadIndex(r.tree, lo, size, log.tree.root(size), honestProof)).toBe(truth);
      }),
      { numRuns: 150 },
    );
  });
});
