import { describe, expect, it } from 'vitest';
import { testPqcProvider as p } from './_test-provider.js';
import { buildTestLog, testEntry } from './_test-log.js';
import { openCheckpoint, signCheckpoint } from './checkpoint.js';
import { cosignatureTimestamp, mlDsaCosignatureVerifier } from './cosignature.js';
import { encodeLogEntry } from './log-entry.js';
import { leafHash } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import { appendSignatureLines, parseSignatureLine } from './signed-note.js';
import { Witness } from './witness.js';

const log = buildTestLog(p, 16, [0, 3, 8, 16]);
const wKey = p.mlDsaKeygen(new Uint8Array(32).fill(6));
const wV = mlDsaCosignatureVerifier(p, 'witness.test/w1', wKey.publicKey);
const note = (s: number) => log.checkpoints.get(s) as string;

function witness(): Witness {
  return new Witness(p, { name: 'witness.test/w1', keyPair: wKey, log: log.verifier });
}

describe('Witness', () => {
  it('cosigns the first checkpoint, then only consistent extensions, with verifiable cosignatures', () => {
    const w = witness();
    const first = w.plan(note(3));
    expect(first.action).toBe('cosign');
    if (first.action !== 'cosign') return;
    const d1 = w.accept(first.checkpoint, [], 1_700_000_000_500);
    expect(d1.ok).toBe(true);
    if (!d1.ok) return;
    expect(d1.state.size).toBe(3);
    const sig = parseSignatureLine(d1.cosignature);
    expect(cosignatureTimestamp(sig.signature)).toBe(1_700_000_000);
    // The server attaches the line; a client verifies it as a witness cosignature.
    const opened = openCheckpoint(appendSignatureLines(note(3), [d1.cosignature]), log.verifier, { witnesses: [wV] });
    expect(opened.witnesses).toEqual(['witness.test/w1']);

    const next = w.plan(note(8));
    expect(next).toMatchObject({ action: 'prove', oldSize: 3, newSize: 8 });
    if (next.action !== 'prove') return;
    const d2 = w.accept(next.checkpoint, log.tree.consistencyProof(3, 8), 1_700_000_100_000);
    expect(d2.ok).toBe(true);
    expect(w.state?.size).toBe(8);
    expect(w.plan(note(3))).toMatchObject({ action: 'ignore' });
    expect(w.plan(note(8))).toMatchObject({ action: 'cosign' });
  });

  it('refuses an inconsistent checkpoint and keeps its state', () => {
    const w = new Witness(p, { name: 'witness.test/w1', keyPair: wKey, log: log.verifier, state: { origin: log.origin, size: 8, rootHash: log.tree.root(8) } });
    // A fork: the log signs a size-16 tree whose first 8 entries differ.
    const fork = new MerkleTree();
    for (let i = 0; i < 16; i++) fork.append(leafHash(encodeLogEntry(testEntry(i, i === 2 ? 'fork' : ''))));
    const forkNote = signCheckpoint({ origin: log.origin, size: 16, rootHash: fork.root(16), extensions: [] }, [log.signer]);
    const plan = w.plan(forkNote);
    expect(plan.action).toBe('prove');
    if (plan.action !== 'prove') return;
    const d = w.accept(plan.checkpoint, fork.consistencyProof(8, 16), 1);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.error.code).toBe('IPQ-L003');
    expect(w.state?.size).toBe(8);
    // A second tree of the same size is refused at once.
    const same = signCheckpoint({ origin: log.origin, size: 8, rootHash: fork.root(8), extensions: [] }, [log.signer]);
    const p2 = w.plan(same);
    expect(p2.action).toBe('reject');
    if (p2.action === 'reject') expect(p2.error.code).toBe('IPQ-L003');
    // The honest extension still works afterwards.
    const ok = w.plan(note(16));
    if (ok.action !== 'prove') throw new Error('expected prove');
    expect(w.accept(ok.checkpoint, log.tree.consistencyProof(8, 16), 2).ok).toBe(true);
  });

  it('rejects notes not signed by the pinned log key, and malformed notes', () => {
    const w = witness();
    const stranger = buildTestLog(p, 3, [3], log.origin, 7);
    expect(w.plan(stranger.checkpoints.get(3) as string)).toMatchObject({ action: 'reject', error: expect.objectContaining({ code: 'IPQ-L002' }) });
    expect(w.plan('nonsense')).toMatchObject({ action: 'reject', error: expect.objectContaining({ code: 'IPQ-L004' }) });
    expect(w.state).toBeUndefined();
  });

  it('cosigns after an empty tree without a proof', () => {
    const w = new Witness(p, { name: 'witness.test/w1', keyPair: wKey, log: log.verifier, state: { origin: log.origin, size: 0, rootHash: log.tree.root(0) } });
    const plan = w.plan(note(3));
    expect(plan.action).toBe('cosign');
    if (plan.action === 'cosign') expect(w.accept(plan.checkpoint, [], 0).ok).toBe(true);
  });
});
