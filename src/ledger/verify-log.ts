/**
 * Verification of a whole log: entries (canonical bytes) against signed checkpoints, as an auditor or
 * `ipqsec log verify` does it. Pure: the inputs are in memory; proofs are fetched by the caller.
 *
 * Steps ({@link verifyLog}):
 * 1. Each entry must decode as a canonical log entry (log-entry.ts); its leaf hash `SHA-256(0x00 || bytes)` is
 *    appended to a Merkle tree (merkle-tree.ts).
 * 2. Each checkpoint note is parsed strictly and must carry a valid signature of the log key, with the expected
 *    origin (checkpoint.ts), and at least `witnessQuorum` valid cosignatures of the given witnesses.
 * 3. Checkpoints of equal size must have equal roots (else the log showed two trees: inconsistent).
 * 4. Each checkpoint of size S <= number of entries must have the root of the first S entries. A mismatch means
 *    the entries differ from what the log signed (modified, deleted, inserted or reordered) somewhere in
 *    [L, S), L the largest matching checkpoint size below S; but when a *larger* checkpoint matches the entries,
 *    the log itself was rewritten after signing S: inconsistent.
 * 5. A checkpoint beyond the last entry means entries are missing (a truncated tail, or deletions the entries'
 *    checkpoints do not reach): the first bad entry is at or after the largest matching checkpoint size, exactly
 *    the number of entries when a checkpoint of that size matches.
 * 6. Successive checkpoints for which a consistency proof is supplied (RFC 9162 §2.1.4.2) must verify: this
 *    covers checkpoints the entries do not reach.
 *
 * The first bad index is always a lower bound (every entry before it is verified); it is exact for a malformed
 * entry, a failing range of one entry and a tail truncated at a checkpoint. Otherwise it is the start of the
 * smallest failing signed range, refined to the exact index by {@link locateFirstBadIndex} when consistency
 * proofs can be fetched (binary search over prefixes, O(log n) proofs).
 *
 * Problem kinds and their error codes ({@link logVerificationError}): `entry-malformed`, `root-mismatch`,
 * `missing-entries` → `IPQ-L001`; `checkpoint-malformed`, `bad-signature`, `witness-quorum` → `IPQ-L002`;
 * `inconsistent` → `IPQ-L003`.
 */
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { bytesEqual, toBase64 } from './_bytes.js';
import { openCheckpoint, type Checkpoint } from './checkpoint.js';
import { decodeLogEntry } from './log-entry.js';
import { leafHash, verifyConsistency } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import type { NoteVerifier } from './note-signer.js';

/** What went wrong; see the file comment for the mapping to error codes. */
export type LogProblemKind = 'entry-malformed' | 'root-mismatch' | 'missing-entries' | 'checkpoint-malformed' | 'bad-signature' | 'witness-quorum' | 'inconsistent';

/**
 * One problem found. `index`: the entries before it are verified and the first bad entry is at or after it;
 * `size`: the checkpoint's tree size.
 */
export interface LogProblem {
  readonly kind: LogProblemKind;
  readonly index?: number;
  readonly size?: number;
  /** Position of the checkpoint in the input list, when the problem is about one. */
  readonly checkpoint?: number;
  readonly detail: string;
}

/** A consistency proof between two tree sizes, as fetched from the log (`GET /log/proof/consistency`). */
export interface ConsistencyProofRecord {
  readonly old: number;
  readonly new: number;
  readonly proof: readonly Uint8Array[];
}

/** Inputs of {@link verifyLog}. */
export interface LogVerificationInput {
  /** Canonical entry bytes, index order. */
  readonly entries: readonly Uint8Array[];
  /** Signed checkpoint notes, any order. */
  readonly checkpoints: readonly string[];
  /** The log's key. */
  readonly verifier: NoteVerifier;
  /** Expected origin (default `verifier.name`). */
  readonly origin?: string;
  /** Witness keys whose cosignatures count. */
  readonly witnesses?: readonly NoteVerifier[];
  /** Valid witness cosignatures each checkpoint needs (default 0). */
  readonly witnessQuorum?: number;
  /** Consistency proofs between checkpoint sizes, when available. */
  readonly consistencyProofs?: readonly ConsistencyProofRecord[];
  /** Decode every entry as a {@link LogEntry} (default true). */
  readonly decodeEntries?: boolean;
}

/** Result of {@link verifyLog}. */
export interface LogVerification {
  readonly ok: boolean;
  /**
   * Every entry before this index is verified against a signed root, and the first bad entry is at this index or
   * later (exactly here when {@link LogVerification.firstBadIndexExact}).
   */
  readonly firstBadIndex?: number;
  /** True when {@link LogVerification.firstBadIndex} is exact (a malformed entry, or a failing range of one entry). */
  readonly firstBadIndexExact?: boolean;
  readonly problems: readonly LogProblem[];
  /** Entries examined. */
  readonly entries: number;
  /** Checkpoints whose log signature verified. */
  readonly checkpoints: number;
  /** The largest checkpoint whose signature verified. */
  readonly latest?: Checkpoint;
  /** The Merkle tree over the entries (for {@link locateFirstBadIndex} and proofs). */
  readonly tree: MerkleTree;
}

interface Signed {
  readonly pos: number;
  readonly cp: Checkpoint;
}

/** Verifies entries against checkpoints; see the file comment. Never throws for bad inputs (reports problems). */
export function verifyLog(input: LogVerificationInput): LogVerification {
  const problems: LogProblem[] = [];
  const tree = new MerkleTree();
  const decode = input.decodeEntries ?? true;
  input.entries.forEach((e, i) => {
    tree.append(leafHash(e));
    if (decode) {
      try {
        decodeLogEntry(e, i);
      } catch (err) {
        problems.push({ kind: 'entry-malformed', index: i, detail: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  const n = input.entries.length;
  const quorum = input.witnessQuorum ?? 0;
  const signed: Signed[] = [];
  input.checkpoints.forEach((note, pos) => {
    try {
      const v = openCheckpoint(note, input.verifier, { witnesses: input.witnesses ?? [], ...(input.origin === undefined ? {} : { origin: input.origin }) });
      signed.push({ pos, cp: v.checkpoint });
      if (v.witnesses.length < quorum) {
        problems.push({
          kind: 'witness-quorum',
          size: v.checkpoint.size,
          checkpoint: pos,
          detail: `checkpoint of size ${v.checkpoint.size} has ${v.witnesses.length} valid witness cosignature(s), ${quorum} required${v.failedWitnesses.length > 0 ? ` (invalid: ${v.failedWitnesses.join(', ')})` : ''}`,
        });
      }
    } catch (err) {
      const kind = isIpqsecError(err, 'IPQ-L004') ? 'checkpoint-malformed' : 'bad-signature';
      problems.push({ kind, checkpoint: pos, detail: `checkpoint ${pos + 1}: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  signed.sort((a, b) => a.cp.size - b.cp.size || a.pos - b.pos);

  // One checkpoint per size; two different roots for one size is a split view.
  const bySize: Signed[] = [];
  for (const s of signed) {
    const prev = bySize[bySize.length - 1];
    if (prev !== undefined && prev.cp.size === s.cp.size) {
      if (!bytesEqual(prev.cp.rootHash, s.cp.rootHash)) {
        problems.push({
          kind: 'inconsistent',
          size: s.cp.size,
          checkpoint: s.pos,
          detail: `two signed checkpoints of size ${s.cp.size} with different roots (${toBase64(prev.cp.rootHash)} and ${toBase64(s.cp.rootHash)})`,
        });
      }
      continue;
    }
    bySize.push(s);
  }

  // Which checkpoints the entries reach and match.
  const matches = bySize.map((s) => (s.cp.size <= n ? bytesEqual(tree.root(s.cp.size), s.cp.rootHash) : undefined));
  let largestMatch = -1;
  matches.forEach((m, i) => {
    if (m === true) largestMatch = i;
  });
  let lastGood = 0;
  bySize.forEach((s, i) => {
    const m = matches[i];
    if (m === true) {
      lastGood = s.cp.size;
      return;
    }
    if (m === false) {
      if (i < largestMatch) {
        const later = bySize[largestMatch].cp.size;
        problems.push({
          kind: 'inconsistent',
          index: lastGood,
          size: s.cp.size,
          checkpoint: s.pos,
          detail: `the checkpoint of size ${s.cp.size} does not match the entries, but the later checkpoint of size ${later} does: the log was rewritten after signing it (first difference in entries ${lastGood}..${s.cp.size - 1})`,
        });
      } else {
        problems.push({
          kind: 'root-mismatch',
          index: lastGood,
          size: s.cp.size,
          checkpoint: s.pos,
          detail:
            s.cp.size - lastGood === 1
              ? `entry ${lastGood} does not match the checkpoint of size ${s.cp.size}`
              : `the first ${s.cp.size} entries do not match the signed root of that size: an entry in ${lastGood}..${s.cp.size - 1} was modified, deleted, inserted or reordered`,
        });
      }
    }
  });
  const beyond = bySize.filter((s) => s.cp.size > n);
  if (beyond.length > 0) {
    const last = beyond[beyond.length - 1];
    const unchecked = lastGood < n ? `; entries ${lastGood}..${n - 1} are not covered by a signed checkpoint, so the first bad entry is at or after ${lastGood}` : '';
    problems.push({
      kind: 'missing-entries',
      index: lastGood,
      size: last.cp.size,
      checkpoint: last.pos,
      detail: `only ${n} entries, but a checkpoint of size ${last.cp.size} was signed: entries are missing (truncated or deleted)${unchecked}`,
    });
  }

  // Consistency proofs between successive checkpoints, when supplied.
  const proofs = input.consistencyProofs ?? [];
  for (let i = 1; i < bySize.length; i++) {
    const a = bySize[i - 1].cp;
    const b = bySize[i].cp;
    const rec = proofs.find((r) => r.old === a.size && r.new === b.size);
    if (rec === undefined || a.size === 0) continue;
    if (!verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, rec.proof)) {
      problems.push({
        kind: 'inconsistent',
        size: b.size,
        checkpoint: bySize[i].pos,
        detail: `the consistency proof from size ${a.size} to ${b.size} does not verify: the checkpoint of size ${b.size} does not extend the one of size ${a.size}`,
      });
    }
  }

  let first: LogProblem | undefined;
  for (const p of problems) if (p.index !== undefined && (first === undefined || p.index < (first.index as number))) first = p;
  const firstBadIndex = first?.index;
  const exact =
    first !== undefined &&
    (first.kind === 'entry-malformed' || (first.size !== undefined && (first.kind === 'missing-entries' ? first.index === n : first.size - (first.index as number) === 1)));
  const latest = bySize.length > 0 ? bySize[bySize.length - 1].cp : undefined;
  return {
    ok: problems.length === 0,
    ...(firstBadIndex === undefined ? {} : { firstBadIndex, firstBadIndexExact: exact }),
    problems,
    entries: n,
    checkpoints: signed.length,
    ...(latest === undefined ? {} : { latest }),
    tree,
  };
}

/**
 * Finds the exact first bad entry below a signed checkpoint the entries do not match, by binary search over
 * prefix lengths m: prefix m is good when a consistency proof (fetched with `consistencyProof(m, size)`) links the
 * root of the first m local entries to the signed root. A valid proof cannot be forged for a wrong prefix
 * (SHA-256 collision resistance), so a log serving bad proofs can only make the index come out earlier, never hide
 * a bad entry. O(log(size − goodSize)) proofs.
 *
 * @param tree the Merkle tree over the local entries (e.g. {@link LogVerification.tree})
 * @param goodSize a prefix length known good (0, or a matching checkpoint's size), < size
 * @param size, root the signed checkpoint the entries do not match
 * @returns the index of the first entry that differs from the signed log (or the number of local entries when they
 *   are a good but short prefix)
 */
export async function locateFirstBadIndex(
  tree: MerkleTree,
  goodSize: number,
  size: number,
  root: Uint8Array,
  consistencyProof: (oldSize: number, newSize: number) => Promise<readonly Uint8Array[]>,
): Promise<number> {
  const top = Math.min(size, tree.size);
  const good = async (m: number): Promise<boolean> => {
    if (m === 0) return true;
    if (m === size) return bytesEqual(tree.root(m), root);
    return verifyConsistency(m, size, tree.root(m), root, await consistencyProof(m, size));
  };
  let lo = Math.max(0, Math.min(goodSize, top));
  let hi = top + 1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await good(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

const CODE_OF: Record<LogProblemKind, 'IPQ-L001' | 'IPQ-L002' | 'IPQ-L003'> = {
  'entry-malformed': 'IPQ-L001',
  'root-mismatch': 'IPQ-L001',
  'missing-entries': 'IPQ-L001',
  'checkpoint-malformed': 'IPQ-L002',
  'bad-signature': 'IPQ-L002',
  'witness-quorum': 'IPQ-L002',
  inconsistent: 'IPQ-L003',
};

/** The error code of a problem kind. */
export function problemCode(kind: LogProblemKind): 'IPQ-L001' | 'IPQ-L002' | 'IPQ-L003' {
  return CODE_OF[kind];
}

/**
 * The error to raise for a failed verification, or undefined when it passed. The code is the most serious kind
 * present: `IPQ-L002` (a signature) before `IPQ-L003` (a rewritten log) before `IPQ-L001` (entries); the message
 * names the first bad index and the first problem of that code.
 */
export function logVerificationError(v: Pick<LogVerification, 'ok' | 'problems' | 'firstBadIndex' | 'firstBadIndexExact'>): IpqsecError | undefined {
  if (v.ok || v.problems.length === 0) return undefined;
  const code = (['IPQ-L002', 'IPQ-L003', 'IPQ-L001'] as const).find((c) => v.problems.some((p) => CODE_OF[p.kind] === c)) ?? 'IPQ-L001';
  const first = v.problems.find((p) => CODE_OF[p.kind] === code) as LogProblem;
  const where = v.firstBadIndex === undefined ? '' : v.firstBadIndexExact === false ? `first bad index ${v.firstBadIndex} or later: ` : `first bad index ${v.firstBadIndex}: `;
  const more = v.problems.length > 1 ? ` (${v.problems.length - 1} more problem(s))` : '';
  return new IpqsecError(code, `${where}${first.detail}${more}`, {
    details: { ...(v.firstBadIndex === undefined ? {} : { firstBadIndex: v.firstBadIndex }), problems: v.problems.slice(0, 20) },
  });
}
