/**
 * The service's tamper-evident log: an RFC 9162 Merkle tree over every security decision (alerts, list changes,
 * device enrollments, key and model changes), persisted entry by entry in the store, with checkpoints signed by
 * the server identity (ML-DSA-65, C2SP signed note) and witness cosignatures. The pure parts live in `src/ledger`
 * (docs/ledger.md); this class composes them with the store and a clock.
 *
 * Checkpoints: after entries commit, one is issued when {@link AuditLogOptions.checkpointEveryEntries} entries
 * are waiting or {@link AuditLogOptions.checkpointIntervalMs} has passed since the last one, and never more than
 * one per interval (the signing cost stays bounded under any append rate). A checkpoint only ever covers
 * committed entries.
 *
 * Memory: the tree keeps about 64 bytes per entry (merkle-tree.ts); the store holds the entries themselves.
 */
import { IpqsecError } from '../core/errors.js';
import { encodeLogEntryText, type LogEntry } from '../ledger/log-entry.js';
import { MerkleTree } from '../ledger/merkle-tree.js';
import { leafHash } from '../ledger/merkle.js';
import { parseCheckpoint, signCheckpoint } from '../ledger/checkpoint.js';
import type { NoteSigner, NoteVerifier } from '../ledger/note-signer.js';
import { appendSignatureLines, parseNote, parseSignatureLine, verifyNote } from '../ledger/signed-note.js';
import type { CheckpointRecord, LogRecord, Store } from '../store/store.js';
import type { AuditPort } from './audit-port.js';

/** Options of {@link AuditLog.open}. */
export interface AuditLogOptions {
  readonly store: Store;
  /** Checkpoint origin line (C2SP tlog-checkpoint), e.g. `ipqsec.local/log/<key id>`. */
  readonly origin: string;
  /** The server identity's note signer. */
  readonly signer: NoteSigner;
  /** Witnesses whose cosignatures the server accepts and publishes. */
  readonly witnesses?: readonly NoteVerifier[];
  /** Clock, epoch ms. */
  readonly nowMs?: () => number;
  /** Most entries between checkpoints (default 1,000). */
  readonly checkpointEveryEntries?: number;
  /** Least time between checkpoints, and the longest a committed entry waits for one (ms, default 1,000). */
  readonly checkpointIntervalMs?: number;
  /** Reports a failure to sign or store a checkpoint (the next tick retries). */
  readonly onError?: (e: unknown) => void;
}

const encoder = new TextEncoder();

/** The log of one service; open with {@link AuditLog.open}, stop with {@link AuditLog.close}. */
export class AuditLog implements AuditPort {
  readonly #opts: AuditLogOptions;
  readonly #tree: MerkleTree;
  readonly #nowMs: () => number;
  /** Entries staged (in the tree); the store holds a prefix of them. */
  #staged: number;
  /** Entries known committed. */
  #committed: number;
  #failure: unknown = undefined;
  #lastCheckpoint: CheckpointRecord | undefined;
  #lastCheckpointAtMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #issuing: Promise<void> | undefined;

  private constructor(opts: AuditLogOptions, tree: MerkleTree, latest: CheckpointRecord | undefined) {
    this.#opts = opts;
    this.#tree = tree;
    this.#nowMs = opts.nowMs ?? Date.now;
    this.#staged = tree.size;
    this.#committed = tree.size;
    this.#lastCheckpoint = latest;
    // The interval runs from the newest stored checkpoint, or from the start.
    this.#lastCheckpointAtMs = latest?.ts_ms ?? this.#nowMs();
  }

  /**
   * Loads the log from the store (every entry, in pages), rebuilds the tree and checks it against the newest stored
   * checkpoint; starts the checkpoint timer.
   * @throws IpqsecError IPQ-L001 when the stored entries do not produce the root of the newest checkpoint (the
   *   database was modified behind the service's back), naming the size.
   */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    const { store } = opts;
    const size = await store.logSize();
    const tree = new MerkleTree();
    const PAGE = 10_000;
    for (let start = 0; start < size; start += PAGE) {
      const records = await store.readLog(start, Math.min(size, start + PAGE));
      for (const r of records) {
        if (r.index !== tree.size) throw new IpqsecError('IPQ-L001', `stored log has a gap at index ${tree.size}`, { details: { firstBadIndex: tree.size } });
        tree.append(leafHash(encoder.encode(r.data)));
      }
    }
    const latest = await store.latestCheckpoint();
    if (latest !== undefined) {
      const cp = parseCheckpoint(parseNote(latest.note).text);
      if (cp.size > tree.size || !equalBytes(tree.root(cp.size), cp.rootHash)) {
        throw new IpqsecError('IPQ-L001', `stored log entries do not match the signed checkpoint of size ${cp.size} (the database was modified)`, { details: { size: cp.size } });
      }
    }
    const log = new AuditLog(opts, tree, latest);
    const interval = opts.checkpointIntervalMs ?? 1000;
    log.#timer = setInterval(() => void log.tick(), Math.max(10, Math.floor(interval / 4)));
    log.#timer.unref();
    return log;
  }

  /** Entries committed to the store. */
  get size(): number {
    return this.#committed;
  }

  /** The newest checkpoint issued (undefined before the first). */
  get latestCheckpoint(): CheckpointRecord | undefined {
    return this.#lastCheckpoint;
  }

  stage(entries: readonly LogEntry[]): LogRecord[] {
    if (this.#failure !== undefined) {
      throw new IpqsecError('IPQ-S001', 'the tamper-evident log stopped after a failed write; restart the service (it reloads the log from the store)', { cause: this.#failure });
    }
    const out: LogRecord[] = new Array<LogRecord>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const text = encodeLogEntryText(e);
      this.#tree.append(leafHash(encoder.encode(text)));
      out[i] = { index: this.#staged++, ts_ms: e.ts_ms, kind: e.kind, data: text };
    }
    return out;
  }

  committed(records: readonly LogRecord[]): void {
    if (records.length === 0) return;
    const end = records[records.length - 1]!.index + 1;
    if (end > this.#committed) this.#committed = end;
    // Also checked here, not only by the timer: under a steady stream of commits (writer-thread replies) the event
    // loop can go seconds without reaching its timers phase (measured: no timer callback in 3 s of appends).
    if (
      this.#committed - (this.#lastCheckpoint?.size ?? 0) >= (this.#opts.checkpointEveryEntries ?? 1000) ||
      this.#nowMs() - this.#lastCheckpointAtMs >= (this.#opts.checkpointIntervalMs ?? 1000)
    ) {
      void this.tick();
    }
  }

  failed(_records: readonly LogRecord[], err: unknown): void {
    this.#failure ??= err;
    this.#opts.onError?.(err);
  }

  async append(entries: readonly LogEntry[]): Promise<void> {
    const records = this.stage(entries);
    const commit = this.#opts.store.writeBatch({ events: [], alerts: [], entities: [], log: records });
    try {
      await commit;
    } catch (e) {
      this.failed(records, e);
      throw e;
    }
    this.committed(records);
  }

  /**
   * Issues a checkpoint when one is due (see the module comment). Resolves when it is stored. Called by the timer;
   * tests call it directly.
   */
  async tick(): Promise<void> {
    if (this.#issuing !== undefined) return this.#issuing;
    const size = this.#committed;
    const last = this.#lastCheckpoint?.size ?? -1;
    if (size === last) return;
    const now = this.#nowMs();
    const interval = this.#opts.checkpointIntervalMs ?? 1000;
    if (now - this.#lastCheckpointAtMs < interval) return;
    this.#issuing = (async () => {
      try {
        const note = signCheckpoint({ origin: this.#opts.origin, size, rootHash: this.#tree.root(size), extensions: [] }, [this.#opts.signer]);
        const record: CheckpointRecord = { size, ts_ms: now, note };
        // Through the batch path (the writer thread, in order): no lock wait on this thread, and it lands after
        // the entries it covers.
        await this.#opts.store.writeBatch({ events: [], alerts: [], entities: [], checkpoint: record });
        this.#lastCheckpoint = record;
        this.#lastCheckpointAtMs = now;
      } catch (e) {
        this.#opts.onError?.(e);
      } finally {
        this.#issuing = undefined;
      }
    })();
    return this.#issuing;
  }

  /** Forces a checkpoint of every committed entry now (shutdown, tests). */
  async checkpointNow(): Promise<CheckpointRecord | undefined> {
    await this.#issuing;
    this.#lastCheckpointAtMs = -Infinity;
    await this.tick();
    return this.#lastCheckpoint;
  }

  /** The newest checkpoint note with the cosignature lines stored for it appended. */
  async publishedCheckpoint(): Promise<{ size: number; note: string } | undefined> {
    const cp = this.#lastCheckpoint;
    if (cp === undefined) return undefined;
    return { size: cp.size, note: await this.withCosignatures(cp) };
  }

  /** `cp.note` plus its stored cosignature lines (C2SP signed note: extra signature lines). */
  async withCosignatures(cp: CheckpointRecord): Promise<string> {
    const cosigs = await this.#opts.store.listCosignatures(cp.size);
    return cosigs.length === 0 ? cp.note : appendSignatureLines(cp.note, cosigs.map((c) => c.line));
  }

  /**
   * RFC 9162 §2.1.3 inclusion proof of leaf `index` in the tree of `size` entries (committed).
   * @throws IpqsecError IPQ-L005 unless 0 <= index < size <= committed size
   */
  inclusionProof(index: number, size: number): { leafHash: Uint8Array; proof: Uint8Array[] } {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size || size > this.#committed) {
      throw new IpqsecError('IPQ-L005', `inclusion proof of index ${index} in size ${size}: need 0 <= index < size <= ${this.#committed}`);
    }
    return { leafHash: this.#tree.leafHash(index), proof: this.#tree.inclusionProof(index, size) };
  }

  /**
   * RFC 9162 §2.1.4 consistency proof between tree sizes `oldSize` and `newSize`.
   * @throws IpqsecError IPQ-L005 unless 0 < oldSize <= newSize <= committed size
   */
  consistencyProof(oldSize: number, newSize: number): Uint8Array[] {
    if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 1 || oldSize > newSize || newSize > this.#committed) {
      throw new IpqsecError('IPQ-L005', `consistency proof from ${oldSize} to ${newSize}: need 0 < old <= new <= ${this.#committed}`);
    }
    return this.#tree.consistencyProof(oldSize, newSize);
  }

  /**
   * Accepts a witness cosignature of a stored checkpoint: the line must verify with a configured witness key over
   * that checkpoint's body.
   * @throws IpqsecError IPQ-L006 naming why (unknown checkpoint size, unknown witness, bad signature)
   */
  async addCosignature(size: number, line: string): Promise<void> {
    const [cp] = await this.#opts.store.listCheckpoints(size, 1);
    if (cp === undefined || cp.size !== size) throw new IpqsecError('IPQ-L006', `no checkpoint of size ${size}`);
    let sig;
    try {
      sig = parseSignatureLine(line);
    } catch (e) {
      throw new IpqsecError('IPQ-L006', `cosignature of size ${size} is not a signature line: ${e instanceof Error ? e.message : String(e)}`);
    }
    const v = verifyNote({ text: parseNote(cp.note).text, signatures: [sig] }, this.#opts.witnesses ?? []);
    const witness = v.verified[0];
    if (witness === undefined) {
      throw new IpqsecError('IPQ-L006', `cosignature of size ${size} by ${JSON.stringify(sig.name)} does not verify with any configured witness key`);
    }
    await this.#opts.store.putCosignature({ size, witness, line: line.replace(/\n$/, ''), ts_ms: this.#nowMs() });
  }

  /** Stops the timer after a last checkpoint of every committed entry. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#failure === undefined) await this.checkpointNow();
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
