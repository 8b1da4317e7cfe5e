/**
 * Checkpoints (C2SP tlog-checkpoint): the signed tree head of the log, as a C2SP signed note.
 *
 * Note text (byte-exact, every line ends in U+000A):
 * 1. origin: the log's identity, non-empty, no control characters (IPqSEC also refuses Unicode spaces and `+`,
 *    since the log's key name equals its origin);
 * 2. tree size: ASCII decimal without leading zeros (`0` for the empty tree), at most 2^53 − 1 here;
 * 3. root hash: standard padded base64 (RFC 4648 §4) of the 32-byte RFC 9162 root;
 * 4. extension lines: optional, each non-empty (IPqSEC writes none).
 *
 * The log signs the text with its ML-DSA-65 note key (note-signer.ts); witnesses add cosignature lines
 * (cosignature.ts). Parsing is strict and names the line of the first problem (`IPQ-L004`).
 */
import { IpqsecError } from '../core/errors.js';
import { bytesEqual, controlCharAt, fromBase64, toBase64 } from './_bytes.js';
import { HASH_BYTES } from './merkle.js';
import type { NoteSigner, NoteVerifier } from './note-signer.js';
import { isValidKeyName, parseNote, signNote, verifyNote, type Note } from './signed-note.js';

/** A checkpoint's content: origin, tree size, root hash and extension lines (without newlines). */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function checkpointProblem(c: Checkpoint): string | undefined {
  if (!isValidKeyName(c.origin)) return 'origin must be non-empty, without spaces, "+" or control characters';
  if (!Number.isSafeInteger(c.size) || c.size < 0) return `size must be an integer 0..2^53-1, got ${String(c.size)}`;
  if (!(c.rootHash instanceof Uint8Array) || c.rootHash.length !== HASH_BYTES) return `root hash must be ${HASH_BYTES} bytes`;
  for (const e of c.extensions ?? []) if (typeof e !== 'string' || e.length === 0 || e.includes('\n')) return 'extension lines must be non-empty single lines';
  return undefined;
}

/** The note text (body) of a checkpoint, ending in a newline. @throws TypeError for an invalid checkpoint */
export function formatCheckpoint(c: Checkpoint): string {
  const why = checkpointProblem(c);
  if (why !== undefined) throw new TypeError(`checkpoint: ${why}`);
  return [c.origin, String(c.size), toBase64(c.rootHash), ...(c.extensions ?? [])].map((l) => `${l}\n`).join('');
}

function lineError(line: number, why: string): IpqsecError {
  return new IpqsecError('IPQ-L004', `checkpoint line ${line}: ${why}`, { location: { line } });
}

/**
 * Parses checkpoint note text (the body, without signatures).
 * @throws IpqsecError `IPQ-L004` naming the line; never anything else
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new IpqsecError('IPQ-L004', 'checkpoint: not a string');
  if (!text.endsWith('\n')) throw new IpqsecError('IPQ-L004', 'checkpoint: text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw lineError(lines.length + 1, 'a checkpoint needs origin, tree size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!isValidKeyName(origin)) throw lineError(1, 'origin must be non-empty, without spaces, "+" or control characters');
  if (!DECIMAL.test(sizeText)) throw lineError(2, `tree size must be decimal without leading zeros, got ${JSON.stringify(sizeText.slice(0, 40))}`);
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw lineError(2, 'tree size above 2^53 - 1');
  const rootHash = fromBase64(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_BYTES) throw lineError(3, `root hash must be the base64 of ${HASH_BYTES} bytes`);
  extensions.forEach((e, i) => {
    if (e.length === 0 || controlCharAt(e, false) >= 0) throw lineError(4 + i, 'extension lines must be non-empty');
  });
  return { origin, size, rootHash, extensions };
}

/** True when the two checkpoints have the same origin, size and root hash (extension lines are not compared). */
export function sameTreeHead(a: Checkpoint, b: Checkpoint): boolean {
  return a.origin === b.origin && a.size === b.size && bytesEqual(a.rootHash, b.rootHash);
}

/**
 * Signs a checkpoint: the log's signature first, then any others (e.g. cosigners), as a signed note.
 * @throws TypeError for an invalid checkpoint
 */
export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): string {
  if (signers.length === 0) throw new TypeError('signCheckpoint needs at least the log signer');
  return signNote(formatCheckpoint(c), signers);
}

/** A checkpoint whose log signature verified. */
export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The parsed note (text and every signature line). */
  readonly note: Note;
  /** Names of the witnesses whose cosignature verified. */
  readonly witnesses: readonly string[];
  /** Names of the witnesses with a cosignature line that does not verify. */
  readonly failedWitnesses: readonly string[];
}

/**
 * Opens a checkpoint note: parses it strictly, verifies the log's signature and the origin, and checks the
 * cosignatures of the given witnesses (reported, not thrown: a quorum policy is the caller's).
 *
 * @param origin the expected origin (default: the log verifier's key name, which IPqSEC logs set to their origin)
 * @throws IpqsecError `IPQ-L004` when malformed, `IPQ-L002` when no valid signature of the log key is present,
 *   a signature line of the log key does not verify, or the origin is not the expected one
 */
export function openCheckpoint(noteText: string, log: NoteVerifier, options: { witnesses?: readonly NoteVerifier[]; origin?: string } = {}): VerifiedCheckpoint {
  const note = parseNote(noteText);
  const checkpoint = parseCheckpoint(note.text);
  const v = verifyNote(note, [log]);
  if (v.failed.length > 0) throw new IpqsecError('IPQ-L002', `checkpoint of size ${checkpoint.size}: the signature of ${log.name} does not verify`, { details: { size: checkpoint.size } });
  if (v.verified.length === 0) throw new IpqsecError('IPQ-L002', `checkpoint of size ${checkpoint.size}: no signature of ${log.name} (key id mismatch or missing)`, { details: { size: checkpoint.size } });
  const origin = options.origin ?? log.name;
  if (checkpoint.origin !== origin) {
    throw new IpqsecError('IPQ-L002', `checkpoint of size ${checkpoint.size}: origin ${JSON.stringify(checkpoint.origin)} is not the expected log ${JSON.stringify(origin)}`, {
      details: { size: checkpoint.size },
    });
  }
  const w = verifyNote(note, (options.witnesses ?? []).filter((x) => !(x.name === log.name && bytesEqual(x.keyId, log.keyId))));
  return { checkpoint, note, witnesses: w.verified, failedWitnesses: w.failed };
}
