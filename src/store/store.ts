/**
 * The store contract of the live service. SQLite (better-sqlite3, WAL) is the embedded default
 * (`sqlite-store.ts`); a PostgreSQL implementation must pass the same contract suite (`store.case.ts`).
 *
 * Every method is async so that a networked database fits the same interface. Durability: when
 * {@link Store.writeBatch} resolves, the batch is committed and survives a kill of the process.
 */
import type { EventType } from '../core/events.js';
import type { Alert, EntityState, ListEntry, ListName, StoredEvent } from '../core/records.js';
import type { CveRecord } from '../scan/nvd-record.js';
import type { HostDiff } from '../scan/scan-diff.js';
import type { HostReport, ScanReport } from '../scan/scan-report.js';

/** API token scopes. `admin` implies the other two. */
export type Scope = 'ingest' | 'read' | 'admin';

/** A stored API token; the secret itself is never stored, only its SHA-256 (hex). */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly created_ms: number;
  readonly revoked: boolean;
}

/** One page of a list query; `next_cursor` is null on the last page. Cursors are opaque strings. */
export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

/** Filters of `GET /events`. Newest first. `limit` 1..1000. */
export interface EventQuery {
  readonly type?: EventType;
  readonly entity?: string;
  /** Only events with `ts_ms >= since_ms`. */
  readonly since_ms?: number;
  readonly min_risk?: number;
  readonly cursor?: string;
  readonly limit: number;
}

/** Filters of `GET /alerts`. Newest first. */
export interface AlertQuery {
  readonly entity?: string;
  readonly since_ms?: number;
  readonly acked?: boolean;
  readonly min_risk?: number;
  readonly cursor?: string;
  readonly limit: number;
}

/** Filters of `GET /entities`. Most recently seen first. */
export interface EntityQuery {
  readonly kind?: EntityState['kind'];
  readonly min_risk?: number;
  readonly cursor?: string;
  readonly limit: number;
}

/**
 * One entry of the tamper-evident log (`src/ledger`): its 0-based index in the Merkle tree and its canonical bytes
 * as text (RFC 8785 canonical JSON is UTF-8, so the text's UTF-8 encoding is exactly the leaf data).
 */
export interface LogRecord {
  readonly index: number;
  /** Entry time, epoch ms (also inside `data`; kept as a column for range reads). */
  readonly ts_ms: number;
  /** Entry kind (`alert`, `enrollment`, `key`, `list`, `model`), also inside `data`. */
  readonly kind: string;
  readonly data: string;
}

/** A signed checkpoint of the log: the C2SP signed note (without cosignatures) for tree size `size`. */
export interface CheckpointRecord {
  readonly size: number;
  readonly ts_ms: number;
  readonly note: string;
}

/** A witness cosignature of the checkpoint of `size`: one signed-note signature line. */
export interface CosignatureRecord {
  readonly size: number;
  /** The witness key name. */
  readonly witness: string;
  readonly line: string;
  readonly ts_ms: number;
}

/** Enrollment status of a device identity. */
export type DeviceStatus = 'pending' | 'approved' | 'revoked';

/** An enrolled device: its ML-DSA-65 identity public key (base64) and approval status. */
export interface DeviceRecord {
  readonly device_id: string;
  readonly public_key: string;
  /** First 8 bytes of SHA-256(public key), hex. */
  readonly key_id: string;
  readonly status: DeviceStatus;
  readonly created_ms: number;
  readonly updated_ms: number;
  /** Who approved or revoked it (token name), null while pending. */
  readonly decided_by: string | null;
}

/** Life cycle of a vulnerability scan: `queued` → `running` → `done` or `failed`. */
export type ScanStatus = 'queued' | 'running' | 'done' | 'failed';

/** What changed on one host since its previous scan (`scan/scan-diff.ts`); the store keeps it as JSON. */
export type ScanHostDiff = HostDiff;

/**
 * One vulnerability scan: the request, its progress and, once done, its report (`scan/scan-report.ts`) and the
 * per-host diffs against each host's previous scan. Times are epoch ms.
 */
export interface ScanRecord {
  readonly id: string;
  readonly status: ScanStatus;
  /** Who asked for it (token name, `schedule:<n>`, `cli`). */
  readonly requested_by: string;
  /** The targets as requested (addresses, CIDRs, host names). */
  readonly targets: readonly string[];
  /** The port specification as requested (`top-1000`, `22,80,8000-8100`). */
  readonly ports: string;
  readonly created_ms: number;
  readonly started_ms: number | null;
  readonly finished_ms: number | null;
  /** Why the scan failed (status `failed`), else null. */
  readonly error: string | null;
  readonly report: ScanReport | null;
  /** Per-host diff against the previous scan of the host (scan/scan-diff.ts HostDiff), null until done. */
  readonly diffs: readonly HostDiff[] | null;
}

/** Paging of `GET /scans`: newest created first. `limit` 1..1000. */
export interface ScanQuery {
  readonly cursor?: string;
  readonly limit: number;
}

/** Counts of one {@link Store.putCves} call; they add up to the number of records given. */
export interface CvePutResult {
  /** Ids not stored before. */
  readonly inserted: number;
  /** Ids stored with an older `lastModified`: replaced. */
  readonly updated: number;
  /** Ids stored with the same or a newer `lastModified`: kept as stored. */
  readonly unchanged: number;
}

/** What one ingest commits, in one transaction. Events whose id already exists are ignored (idempotent retry). */
export interface WriteBatch {
  readonly events: readonly StoredEvent[];
  readonly alerts: readonly Alert[];
  /** Upserted by `entity`. */
  readonly entities: readonly EntityState[];
  /**
   * Log entries appended in the same transaction. Each index must be the next one (the stored size, then +1):
   * any other rejects the whole batch, so the log never has a gap or a duplicate. Batches commit in call order, so a writer that assigns indexes and
   * calls `writeBatch` in one synchronous step keeps the log contiguous.
   */
  readonly log?: readonly LogRecord[];
  /**
   * A checkpoint stored after this batch's log entries (replacing one of the same size). Through the batch path it
   * is committed in order after every earlier batch, so it never covers entries not yet stored.
   */
  readonly checkpoint?: CheckpointRecord;
}

/** Persistence of events, alerts, threat memory, lists, tokens and small state blobs. */
export interface Store {
  /** Applies pending schema migrations (idempotent). Throws IPQ-S001 when the database cannot be opened. */
  migrate(): Promise<void>;
  /** Commits a batch atomically. */
  writeBatch(batch: WriteBatch): Promise<void>;

  listEvents(q: EventQuery): Promise<Page<StoredEvent>>;
  /** Number of stored events (for tests and health). */
  countEvents(): Promise<number>;
  getEvent(id: string): Promise<StoredEvent | undefined>;

  listAlerts(q: AlertQuery): Promise<Page<Alert>>;
  getAlert(id: string): Promise<Alert | undefined>;
  /** Marks an alert acknowledged; returns the updated alert or undefined when no such id. Idempotent. */
  ackAlert(id: string, by: string, atMs: number): Promise<Alert | undefined>;

  listEntities(q: EntityQuery): Promise<Page<EntityState>>;
  getEntities(ids: readonly string[]): Promise<EntityState[]>;
  /** The `limit` most recently seen entities (threat memory warm start). */
  recentEntities(limit: number): Promise<EntityState[]>;

  listEntries(list: ListName): Promise<ListEntry[]>;
  /** Inserts or replaces the entry for (list, entity). */
  putListEntry(entry: ListEntry): Promise<void>;
  /** Returns true when an entry was removed. */
  deleteListEntry(list: ListName, entity: string): Promise<boolean>;

  createToken(t: TokenRecord): Promise<void>;
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  /** Returns true when a token was revoked. */
  revokeToken(id: string): Promise<boolean>;

  /** Log records with `start <= index < end`, ascending. */
  readLog(start: number, end: number): Promise<LogRecord[]>;
  /** Number of log records (one past the largest index; the log has no gaps). */
  logSize(): Promise<number>;
  /** Stores a checkpoint (replacing one of the same size). */
  putCheckpoint(c: CheckpointRecord): Promise<void>;
  /** Checkpoints with `size >= startSize`, ascending size, at most `limit` (1..1000). */
  listCheckpoints(startSize: number, limit: number): Promise<CheckpointRecord[]>;
  /** The checkpoint of the largest size, if any. */
  latestCheckpoint(): Promise<CheckpointRecord | undefined>;
  /** Stores a cosignature (replacing the same witness's for the same size). */
  putCosignature(c: CosignatureRecord): Promise<void>;
  /** Cosignatures of the checkpoint of `size`, by witness name. */
  listCosignatures(size: number): Promise<CosignatureRecord[]>;

  /** Inserts or replaces a device by `device_id`. */
  putDevice(d: DeviceRecord): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  /** Every device, oldest enrollment first. */
  listDevices(): Promise<DeviceRecord[]>;

  /**
   * Inserts or replaces a scan by `id`. When `status` is `done` and `report` is set, the report's hosts are
   * (re)written as the scan's host rows read by {@link previousHostReport}, in the same transaction; any other
   * status removes the scan's host rows (only done scans are a host's "previous scan").
   */
  putScan(s: ScanRecord): Promise<void>;
  getScan(id: string): Promise<ScanRecord | undefined>;
  /** Scans newest created first (`created_ms` descending, then `id` descending), keyset cursor paging as {@link listAlerts}. */
  listScans(q: ScanQuery): Promise<Page<ScanRecord>>;
  /**
   * The report of `address` from its latest done scan whose host `finished_ms < beforeMs` (ties: the larger scan
   * id), or undefined when the host has none.
   */
  previousHostReport(address: string, beforeMs: number): Promise<HostReport | undefined>;
  /**
   * Upserts NVD CVE records by `id`, keeping the newer `lastModified`: a record replaces the stored one only when
   * its `lastModified` is later (so re-importing an old feed never downgrades). Atomic per call; a record
   * repeated within one call counts once per occurrence against what is stored at that point.
   */
  putCves(records: readonly CveRecord[]): Promise<CvePutResult>;
  /** Number of stored CVE records. */
  countCves(): Promise<number>;
  /**
   * Every stored CVE record, ascending `id`, in arrays of at most `batchSize` (default 1,000; 1..10,000), read
   * one batch at a time (keyset on `id`, so memory holds one batch, not the database).
   */
  iterateCves(batchSize?: number): AsyncIterable<CveRecord[]>;

  /** Small JSON state (learned task-transition counts, service settings) by key. */
  getState(key: string): Promise<unknown>;
  setState(key: string, value: unknown): Promise<void>;

  /** Flushes and closes; later calls reject. */
  close(): Promise<void>;
}
