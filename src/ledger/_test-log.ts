/**
 * Test-only: a small signed log built with the ledger's own pure code (entries, tree, checkpoints), shared by the
 * ledger, agent and CLI tests.
 */
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { signCheckpoint } from './checkpoint.js';
import { encodeLogEntry, LOG_ENTRY_KINDS, type LogEntry } from './log-entry.js';
import { leafHash } from './merkle.js';
import { MerkleTree } from './merkle-tree.js';
import { mlDsaNoteSigner, mlDsaNoteVerifier, mlDsaNoteVerifierKey, type NoteSigner, type NoteVerifier } from './note-signer.js';

/** A signed test log. */
export interface TestLog {
  readonly origin: string;
  readonly key: MlDsaKeyPair;
  readonly signer: NoteSigner;
  readonly verifier: NoteVerifier;
  readonly vkey: string;
  readonly entries: Uint8Array[];
  readonly tree: MerkleTree;
  /** Signed checkpoint notes by size. */
  readonly checkpoints: Map<number, string>;
}

/** Entry i of the test logs (distinct for every i). */
export function testEntry(i: number, salt = ''): LogEntry {
  return { v: 1, kind: LOG_ENTRY_KINDS[i % LOG_ENTRY_KINDS.length], ts_ms: 1_754_000_000_000 + i * 1000, subject: `device:${i}${salt}`, data: { i, risk: (i % 10) / 10, note: salt } };
}

/** Builds a log of `count` entries with signed checkpoints at `sizes`. */
export function buildTestLog(p: PqcProvider, count: number, sizes: readonly number[], origin = 'log.ipqsec.test/main', seedByte = 1): TestLog {
  const key = p.mlDsaKeygen(new Uint8Array(32).fill(seedByte));
  const signer = mlDsaNoteSigner(p, origin, key);
  const tree = new MerkleTree();
  const entries: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const b = encodeLogEntry(testEntry(i));
    entries.push(b);
    tree.append(leafHash(b));
  }
  const checkpoints = new Map<number, string>();
  for (const s of sizes) checkpoints.set(s, signCheckpoint({ origin, size: s, rootHash: tree.root(s), extensions: [] }, [signer]));
  return { origin, key, signer, verifier: mlDsaNoteVerifier(p, origin, key.publicKey), vkey: mlDsaNoteVerifierKey(origin, key.publicKey), entries, tree, checkpoints };
}
