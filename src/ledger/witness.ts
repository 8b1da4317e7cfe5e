/**
 * The decision logic of a witness (C2SP tlog-witness semantics, without its HTTP protocol): a witness cosigns a
 * log's checkpoint only after verifying the log's signature and that the new tree extends the last tree it
 * cosigned (RFC 9162 §2.1.4.2 consistency proof). It never cosigns two different trees of one size, nor a tree
 * that does not extend its last one: with several independent witnesses a log cannot show different histories
 * (a split view) to different clients without some witness noticing.
 *
 * Pure: the caller fetches notes and proofs and stores {@link WitnessState}. Use:
 * 1. `plan(note)` → `cosign` (first checkpoint seen, or the same tree again), `prove` (fetch the consistency
 *    proof `old → new` the plan names), `ignore` (older than what was seen) or `reject` (with the error).
 * 2. for `prove`: `accept(plan.checkpoint, proof, nowMs)`; for `cosign`: `accept(plan.checkpoint, [], nowMs)`.
 *    It returns the cosignature line to POST and the new state, or the rejection.
 */
import { IpqsecError } from '../core/errors.js';
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { bytesEqual, toBase64, utf8 } from './_bytes.js';
import { formatCheckpoint, openCheckpoint, type Checkpoint } from './checkpoint.js';
import { mlDsaCosigner } from './cosignature.js';
import { verifyConsistency } from './merkle.js';
import type { NoteSigner, NoteVerifier } from './note-signer.js';
import { formatSignatureLine } from './signed-note.js';

/** What a witness remembers of a log: the last tree it cosigned. */
export interface WitnessState {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
}

/** Options of {@link Witness}. */
export interface WitnessOptions {
  /** The witness's key name (its cosignature lines carry it), e.g. `witness.example/w1`. */
  readonly name: string;
  /** The witness's own ML-DSA-65 key pair. */
  readonly keyPair: MlDsaKeyPair;
  /** The log's pinned key. */
  readonly log: NoteVerifier;
  /** The log's origin (default `log.name`). */
  readonly origin?: string;
  /** The last tree cosigned, when known (from the state file). */
  readonly state?: WitnessState;
}

/** What to do with a checkpoint. */
export type WitnessPlan =
  | { readonly action: 'cosign'; readonly checkpoint: Checkpoint; readonly reason: string }
  | { readonly action: 'prove'; readonly checkpoint: Checkpoint; readonly oldSize: number; readonly newSize: number }
  | { readonly action: 'ignore'; readonly checkpoint: Checkpoint; readonly reason: string }
  | { readonly action: 'reject'; readonly error: IpqsecError };

/** Outcome of {@link Witness.accept}. */
export type WitnessDecision =
  | { readonly ok: true; readonly cosignature: string; readonly state: WitnessState }
  | { readonly ok: false; readonly error: IpqsecError };

/** A witness for one log; see the file comment. Holds the state in memory; the caller persists {@link Witness.state}. */
export class Witness {
  private readonly signer: NoteSigner;
  private readonly log: NoteVerifier;
  private readonly origin: string;
  private current: WitnessState | undefined;
  private clock = 0;

  /** @throws TypeError/RangeError for a bad name or key */
  constructor(p: PqcProvider, o: WitnessOptions) {
    this.signer = mlDsaCosigner(p, o.name, o.keyPair, () => this.clock);
    this.log = o.log;
    this.origin = o.origin ?? o.log.name;
    if (o.state !== undefined && o.state.origin !== this.origin) throw new TypeError(`witness state is for ${o.state.origin}, not ${this.origin}`);
    this.current = o.state;
  }

  /** The last tree cosigned (undefined before the first). */
  get state(): WitnessState | undefined {
    return this.current;
  }

  /** The witness's key name. */
  get name(): string {
    return this.signer.name;
  }

  /** Decides what to do with a checkpoint note fetched from the log. Never throws. */
  plan(note: string): WitnessPlan {
    let checkpoint: Checkpoint;
    try {
      checkpoint = openCheckpoint(note, this.log, { origin: this.origin }).checkpoint;
    } catch (e) {
      return { action: 'reject', error: e instanceof IpqsecError ? e : new IpqsecError('IPQ-L004', String(e)) };
    }
    const s = this.current;
    if (s === undefined) return { action: 'cosign', checkpoint, reason: 'first checkpoint seen of this log (trust on first use)' };
    if (checkpoint.size < s.size) return { action: 'ignore', checkpoint, reason: `size ${checkpoint.size} is older than the last cosigned size ${s.size}` };
    if (checkpoint.size === s.size) {
      if (bytesEqual(checkpoint.rootHash, s.rootHash)) return { action: 'cosign', checkpoint, reason: 'same tree as last cosigned' };
      return { action: 'reject', error: this.inconsistent(checkpoint, `a second tree of size ${s.size}: root ${toBase64(checkpoint.rootHash)}, cosigned ${toBase64(s.rootHash)}`) };
    }
    if (s.size === 0) return { action: 'cosign', checkpoint, reason: 'the last cosigned tree was empty' };
    return { action: 'prove', checkpoint, oldSize: s.size, newSize: checkpoint.size };
  }

  /**
   * Verifies the consistency of `checkpoint` (from a `cosign` or `prove` plan) with the state and, when it holds,
   * cosigns it and advances the state. `proof` is the consistency proof old → new (empty when the plan was
   * `cosign`). Never throws.
   * @param nowMs the cosignature's time, epoch ms
   */
  accept(checkpoint: Checkpoint, proof: readonly Uint8Array[], nowMs: number): WitnessDecision {
    const s = this.current;
    if (checkpoint.origin !== this.origin) return { ok: false, error: new IpqsecError('IPQ-L002', `checkpoint origin ${checkpoint.origin} is not ${this.origin}`) };
    if (s !== undefined && s.size > 0) {
      if (checkpoint.size < s.size) return { ok: false, error: this.inconsistent(checkpoint, `size ${checkpoint.size} is smaller than the cosigned ${s.size}`) };
      if (!verifyConsistency(s.size, checkpoint.size, s.rootHash, checkpoint.rootHash, proof)) {
        return { ok: false, error: this.inconsistent(checkpoint, `the consistency proof from size ${s.size} to ${checkpoint.size} does not verify`) };
      }
    }
    this.clock = nowMs;
    const text = formatCheckpoint(checkpoint);
    const signature = this.signer.sign(utf8(text));
    const state: WitnessState = { origin: this.origin, size: checkpoint.size, rootHash: checkpoint.rootHash.slice() };
    this.current = state;
    return { ok: true, cosignature: formatSignatureLine({ name: this.signer.name, keyId: this.signer.keyId, signature }), state };
  }

  private inconsistent(c: Checkpoint, why: string): IpqsecError {
    return new IpqsecError('IPQ-L003', `witness ${this.signer.name} refuses the checkpoint of size ${c.size} of ${this.origin}: ${why}`, { details: { size: c.size } });
  }
}
