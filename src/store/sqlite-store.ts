/**
 * The embedded {@link Store}: SQLite through better-sqlite3, one file `<dataDir>/ipqsec.db`.
 *
 * - Schema, migrations and every read query go through Kysely (`SqliteDialect`); see `migrations.ts`.
 * - The hot write path ({@link Store.writeBatch}) uses better-sqlite3 prepared statements inside one
 *   `BEGIN IMMEDIATE … COMMIT` (the measured reason is written at `writeBatch` below).
 * - Durability: `journal_mode=WAL` with `synchronous=NORMAL`. A committed transaction survives a kill of the
 *   process (its WAL frames are in the OS page cache and are written back by the kernel); it is NOT guaranteed
 *   to survive an OS crash or power loss, which may roll back the last transactions before the most recent
 *   checkpoint (never corrupt the file). That is the guarantee the service promises (SQLite docs, "WAL mode":
 *   https://www.sqlite.org/pragma.html#pragma_synchronous).
 * - One connection per store; better-sqlite3 is synchronous, so every statement runs to completion on the
 *   event loop and statements of concurrent calls never interleave.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { IpqsecError } from '../core/errors.js';
import type { Alert, AlertReason, EntityState, ListEntry, ListName, StoredEvent, Technique } from '../core/records.js';
import type { CveRecord } from '../scan/nvd-record.js';
import type { HostReport, ScanReport } from '../scan/scan-report.js';
import { applyPragmas, createBatchWriter } from './_batch-writer.js';
import { decodeCursor, encodeCursor, type CursorKey } from './cursor.js';
import { startWriterThread, writerWorkerFile, type WriterThread } from './sqlite-writer-thread.js';
import {
  migrationProvider,
  type AlertsTable,
  type EntitiesTable,
  type EventsTable,
  type ScansTable,
  type StoreSchema,
  type TokensTable,
} from './migrations.js';
import type {
  AlertQuery,
  CheckpointRecord,
  CosignatureRecord,
  CvePutResult,
  DeviceRecord,
  EntityQuery,
  EventQuery,
  LogRecord,
  Page,
  ScanHostDiff,
  ScanQuery,
  ScanRecord,
  Scope,
  Store,
  TokenRecord,
  WriteBatch,
} from './store.js';

/** Name of the database file inside the data directory. */
export const DB_FILE_NAME = 'ipqsec.db';
/** How long a statement waits for another process's lock before failing with SQLITE_BUSY (ms). */
export const BUSY_TIMEOUT_MS = 5000;
/** Largest `limit` of one list page (the API's bound). */
export const MAX_PAGE_LIMIT = 1000;
/** Ids per `IN (…)` list in {@link Store.getEntities} (well below SQLite's 32,766 bound parameters). */
const IN_CHUNK = 500;
/** Default and largest batch of {@link Store.iterateCves} (records; a parsed NVD record is a few KiB). */
const CVE_BATCH_DEFAULT = 1000;
const CVE_BATCH_MAX = 10_000;

const UPSERT_SCAN = `insert into scans (id, status, requested_by, targets, ports, created_ms, started_ms, finished_ms, error, report, diffs)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (id) do update set status = excluded.status, requested_by = excluded.requested_by, targets = excluded.targets,
  ports = excluded.ports, created_ms = excluded.created_ms, started_ms = excluded.started_ms, finished_ms = excluded.finished_ms,
  error = excluded.error, report = excluded.report, diffs = excluded.diffs`;
const DELETE_SCAN_HOSTS = 'delete from scan_hosts where scan_id = ?';
// A report naming one address twice keeps the later host entry.
const PUT_SCAN_HOST = 'insert or replace into scan_hosts (scan_id, address, finished_ms, report) values (?, ?, ?, ?)';
const CVE_MODIFIED = 'select last_modified from cves where id = ?';
const UPSERT_CVE = `insert into cves (id, published, last_modified, vuln_status, record) values (?, ?, ?, ?, ?)
  on conflict (id) do update set published = excluded.published, last_modified = excluded.last_modified,
  vuln_status = excluded.vuln_status, record = excluded.record`;

/** The prepared statements of the scan and CVE writes (see `putScan`, `putCves`). */
interface ScanWrites {
  readonly putScan: (s: ScanRecord) => void;
  readonly putCves: (records: readonly CveRecord[]) => CvePutResult;
}

/** Where the database lives: a directory (created if missing) holding {@link DB_FILE_NAME}, or in memory. */
export type SqliteStoreOptions = { readonly dataDir: string } | { readonly path: ':memory:' };

/** A {@link Store} backed by SQLite; `path` is the database file (absolute) or `:memory:`. */
export interface SqliteStore extends Store {
  readonly path: string;
}

/**
 * Opens (creating if needed) the SQLite store and applies pending migrations, so the store is ready to use;
 * {@link Store.migrate} may still be called and is a no-op.
 *
 * Pragmas: `journal_mode=WAL` (file databases; `:memory:` stays in `memory` mode), `synchronous=NORMAL`,
 * `wal_autocheckpoint=10000`, `cache_size=-32768` (32 MiB),
 * `busy_timeout=`{@link BUSY_TIMEOUT_MS}, `foreign_keys=ON`. Durable against a process kill (see the module
 * comment). Cost: a few milliseconds (file open, pragma round trips, migration bookkeeping).
 *
 * @throws IpqsecError `IPQ-S001` naming the path when the directory cannot be created, the file cannot be
 *   opened (permissions, not a database) or a migration fails.
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  const memory = 'path' in opts;
  if (memory && opts.path !== ':memory:') throw new TypeError(`openSqliteStore: path must be ':memory:', got ${String(opts.path)}`);
  const path = memory ? ':memory:' : resolve(opts.dataDir, DB_FILE_NAME);
  let db: Database.Database | undefined;
  try {
    if (!memory) mkdirSync(opts.dataDir, { recursive: true });
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    applyPragmas(db, BUSY_TIMEOUT_MS);
  } catch (e) {
    db?.close();
    throw new IpqsecError('IPQ-S001', `cannot open ${path}: ${messageOf(e)}`, { details: { path }, cause: e });
  }
  const store = new SqliteStoreImpl(db, path);
  try {
    await store.migrate();
    store.prepareWrites();
    await store.startWriterThread();
  } catch (e) {
    await store.close();
    throw e instanceof IpqsecError ? e : new IpqsecError('IPQ-S001', `cannot prepare ${path}: ${messageOf(e)}`, { details: { path }, cause: e });
  }
  return store;
}

class SqliteStoreImpl implements SqliteStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #kdb: Kysely<StoreSchema>;
  #closed = false;
  /** Set while a migration transaction is open (it spans awaits); writes wait for it. */
  #migrating: Promise<void> | undefined;
  #commit: ((b: WriteBatch) => void) | undefined;
  #scanWrites: ScanWrites | undefined;
  #writer: WriterThread | undefined;

  constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
    this.#kdb = new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: db }) });
  }

  /** Prepares the hot-path statements (after migration: they need the tables). */
  prepareWrites(): void {
    this.#commit = createBatchWriter(this.#db);
    this.#scanWrites = createScanWrites(this.#db);
  }

  /** Commits batches on a second thread from now on (file databases, compiled JS; sqlite-writer-thread.ts). */
  async startWriterThread(): Promise<void> {
    const file = writerWorkerFile();
    if (file === undefined || this.path === ':memory:') return;
    this.#writer = await startWriterThread(file, this.path, BUSY_TIMEOUT_MS);
    // This connection now only reads and makes the rare small writes: the big page cache lives in the writer's
    // (bench:ingest with 100,000 entities: RSS 550 MiB with 32 MiB on both connections, over the 512 MiB target).
    this.#db.pragma('cache_size = -4096');
  }

  async migrate(): Promise<void> {
    this.#assertOpen();
    while (this.#migrating !== undefined) await this.#migrating;
    const run = (async () => {
      const { error } = await new Migrator({ db: this.#kdb, provider: migrationProvider }).migrateToLatest();
      if (error !== undefined) {
        throw new IpqsecError('IPQ-S001', `cannot migrate ${this.path}: ${messageOf(error)}`, { details: { path: this.path }, cause: error });
      }
    })();
    this.#migrating = run.catch(() => undefined);
    try {
      await run;
    } finally {
      this.#migrating = undefined;
    }
  }

  /**
   * Commits the batch in one transaction: events (ignored when the id exists), alerts (ignored when the id
   * exists), entity states (upserted; an older `last_seen_ms` than the stored one is ignored). Any failure
   * (a CHECK such as a risk outside [0, 1], a NaN bound as NULL into a NOT NULL column, disk full) rolls the
   * whole batch back and rejects with `IPQ-S001`.
   *
   * Why not Kysely here (measured with a throw-away script, batches of 1,000 flow events + 10 alerts + 50
   * entity states, this schema, median CPU time of 100 batches after 20 warm-up, better-sqlite3 12.11 /
   * SQLite 3.53, Node 20, on a shared 2-vCPU VM under load average 7–9, so absolute numbers are pessimistic):
   * these prepared statements (events 50 rows per `insert`) 10.5 ms in memory / 16.9 ms on file; Kysely
   * multi-row `insert … values` (100 rows each) inside `kdb.transaction()` 16.4 / 24.2 ms; Kysely one
   * `insert` per row 55 / 68 ms (query building plus a fresh `prepare` per statement). Binding 50 rows per
   * statement instead of one saves a further ~15 % (12.6 → 10.8 ms). What remains is SQLite's own work: five
   * B-tree inserts per event (table, id key, three indexes) and `JSON.stringify` of the body (~1 ms per 1,000).
   */
  async writeBatch(batch: WriteBatch): Promise<void> {
    this.#assertOpen();
    if (this.#migrating !== undefined) await this.#migrating;
    if (batch.events.length + batch.alerts.length + batch.entities.length + (batch.log?.length ?? 0) === 0 && batch.checkpoint === undefined) return;
    try {
      if (this.#writer !== undefined) await this.#writer.write(batch);
      else this.#commit!(batch);
    } catch (e) {
      throw new IpqsecError('IPQ-S001', `write of ${batch.events.length} events, ${batch.alerts.length} alerts, ${batch.entities.length} entities, ${batch.log?.length ?? 0} log entries to ${this.path} failed, nothing stored: ${messageOf(e)}`, {
        details: { path: this.path },
        cause: e,
      });
    }
  }

  async listEvents(q: EventQuery): Promise<Page<StoredEvent>> {
    this.#assertOpen();
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    return this.#guard('listEvents', async () => {
      let sel = this.#kdb.selectFrom('events').selectAll();
      if (q.type !== undefined) sel = sel.where('type', '=', q.type);
      if (q.entity !== undefined) sel = sel.where('entity', '=', q.entity);
      if (q.since_ms !== undefined) sel = sel.where('ts_ms', '>=', q.since_ms);
      if (q.min_risk !== undefined) sel = sel.where('risk', '>=', q.min_risk);
      if (after !== undefined) sel = sel.where(({ eb, refTuple, tuple }) => eb(refTuple('ts_ms', 'id'), '<', tuple(after.timeMs, after.id)));
      const rows = await sel.orderBy('ts_ms', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
      return toPage(rows, q.limit, toEvent, (r) => ({ timeMs: r.ts_ms, id: r.id }));
    });
  }

  async countEvents(): Promise<number> {
    this.#assertOpen();
    return this.#guard('countEvents', async () => {
      const r = await this.#kdb.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    });
  }

  async getEvent(id: string): Promise<StoredEvent | undefined> {
    this.#assertOpen();
    return this.#guard('getEvent', async () => {
      const r = await this.#kdb.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toEvent(r);
    });
  }

  async listAlerts(q: AlertQuery): Promise<Page<Alert>> {
    this.#assertOpen();
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    return this.#guard('listAlerts', async () => {
      let sel = this.#kdb.selectFrom('alerts').selectAll();
      if (q.entity !== undefined) sel = sel.where('entity', '=', q.entity);
      if (q.since_ms !== undefined) sel = sel.where('ts_ms', '>=', q.since_ms);
      if (q.acked !== undefined) sel = sel.where('acked', '=', q.acked ? 1 : 0);
      if (q.min_risk !== undefined) sel = sel.where('risk', '>=', q.min_risk);
      if (after !== undefined) sel = sel.where(({ eb, refTuple, tuple }) => eb(refTuple('ts_ms', 'id'), '<', tuple(after.timeMs, after.id)));
      const rows = await sel.orderBy('ts_ms', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
      return toPage(rows, q.limit, toAlert, (r) => ({ timeMs: r.ts_ms, id: r.id }));
    });
  }

  async getAlert(id: string): Promise<Alert | undefined> {
    this.#assertOpen();
    return this.#guard('getAlert', async () => {
      const r = await this.#kdb.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toAlert(r);
    });
  }

  /** Acknowledges once: a second call keeps the first `acked_by`/`acked_at_ms` and returns the alert unchanged. */
  async ackAlert(id: string, by: string, atMs: number): Promise<Alert | undefined> {
    this.#assertOpen();
    return this.#guard('ackAlert', async () => {
      await this.#kdb
        .updateTable('alerts')
        .set({ acked: 1, acked_by: by, acked_at_ms: atMs })
        .where('id', '=', id)
        .where('acked', '=', 0)
        .execute();
      const r = await this.#kdb.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toAlert(r);
    });
  }

  async listEntities(q: EntityQuery): Promise<Page<EntityState>> {
    this.#assertOpen();
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    return this.#guard('listEntities', async () => {
      let sel = this.#kdb.selectFrom('entities').selectAll();
      if (q.kind !== undefined) sel = sel.where('kind', '=', q.kind);
      if (q.min_risk !== undefined) sel = sel.where('max_risk', '>=', q.min_risk);
      if (after !== undefined) {
        sel = sel.where(({ eb, refTuple, tuple }) => eb(refTuple('last_seen_ms', 'entity'), '<', tuple(after.timeMs, after.id)));
      }
      const rows = await sel.orderBy('last_seen_ms', 'desc').orderBy('entity', 'desc').limit(q.limit + 1).execute();
      return toPage(rows, q.limit, toEntity, (r) => ({ timeMs: r.last_seen_ms, id: r.entity }));
    });
  }

  /** States of the given entities in the order of `ids`; unknown ids are skipped, repeated ids returned once. */
  async getEntities(ids: readonly string[]): Promise<EntityState[]> {
    this.#assertOpen();
    return this.#guard('getEntities', async () => {
      const byId = new Map<string, EntityState>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += IN_CHUNK) {
        const rows = await this.#kdb.selectFrom('entities').selectAll().where('entity', 'in', unique.slice(i, i + IN_CHUNK)).execute();
        for (const r of rows) byId.set(r.entity, toEntity(r));
      }
      const out: EntityState[] = [];
      for (const id of unique) {
        const s = byId.get(id);
        if (s !== undefined) out.push(s);
      }
      return out;
    });
  }

  /** Most recently seen first, ties by entity descending (the order of {@link listEntities}). */
  async recentEntities(limit: number): Promise<EntityState[]> {
    this.#assertOpen();
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`recentEntities: limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    return this.#guard('recentEntities', async () => {
      const rows = await this.#kdb.selectFrom('entities').selectAll().orderBy('last_seen_ms', 'desc').orderBy('entity', 'desc').limit(limit).execute();
      return rows.map(toEntity);
    });
  }

  /** Entries of one list ordered by entity. */
  async listEntries(list: ListName): Promise<ListEntry[]> {
    this.#assertOpen();
    return this.#guard('listEntries', async () => {
      const rows = await this.#kdb.selectFrom('list_entries').selectAll().where('list', '=', list).orderBy('entity').execute();
      return rows.map((r) => ({ list: r.list, entity: r.entity, source: r.source, reason: r.reason, created_ms: r.created_ms }));
    });
  }

  async putListEntry(entry: ListEntry): Promise<void> {
    this.#assertOpen();
    await this.#guard('putListEntry', async () => {
      await this.#kdb
        .insertInto('list_entries')
        .values({ list: entry.list, entity: entry.entity, source: entry.source, reason: entry.reason, created_ms: entry.created_ms })
        .onConflict((oc) =>
          oc.columns(['list', 'entity']).doUpdateSet((eb) => ({
            source: eb.ref('excluded.source'),
            reason: eb.ref('excluded.reason'),
            created_ms: eb.ref('excluded.created_ms'),
          })),
        )
        .execute();
    });
  }

  async deleteListEntry(list: ListName, entity: string): Promise<boolean> {
    this.#assertOpen();
    return this.#guard('deleteListEntry', async () => {
      const r = await this.#kdb.deleteFrom('list_entries').where('list', '=', list).where('entity', '=', entity).executeTakeFirst();
      return r.numDeletedRows > 0n;
    });
  }

  /** Inserts a token; an existing `id` or `hash` rejects with `IPQ-S001` (UNIQUE constraint). */
  async createToken(t: TokenRecord): Promise<void> {
    this.#assertOpen();
    await this.#guard('createToken', async () => {
      await this.#kdb
        .insertInto('tokens')
        .values({ id: t.id, hash: t.hash, name: t.name, scopes: JSON.stringify(t.scopes), created_ms: t.created_ms, revoked: t.revoked ? 1 : 0 })
        .execute();
    });
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    this.#assertOpen();
    return this.#guard('findTokenByHash', async () => {
      const r = await this.#kdb.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return r === undefined ? undefined : toToken(r);
    });
  }

  /** Every token (revoked ones too), oldest first (by `created_ms`, then `id`). */
  async listTokens(): Promise<TokenRecord[]> {
    this.#assertOpen();
    return this.#guard('listTokens', async () => {
      const rows = await this.#kdb.selectFrom('tokens').selectAll().orderBy('created_ms').orderBy('id').execute();
      return rows.map(toToken);
    });
  }

  /** True when a token with this id exists (it is revoked afterwards, also when it already was); false otherwise. */
  async revokeToken(id: string): Promise<boolean> {
    this.#assertOpen();
    return this.#guard('revokeToken', async () => {
      const r = await this.#kdb.updateTable('tokens').set({ revoked: 1 }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    });
  }

  async readLog(start: number, end: number): Promise<LogRecord[]> {
    this.#assertOpen();
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new RangeError(`readLog: need 0 <= start <= end, got ${start}, ${end}`);
    return this.#guard('readLog', async () => {
      const rows = await this.#kdb.selectFrom('log_entries').selectAll().where('idx', '>=', start).where('idx', '<', end).orderBy('idx').execute();
      return rows.map((r) => ({ index: r.idx, ts_ms: r.ts_ms, kind: r.kind, data: r.data }));
    });
  }

  async logSize(): Promise<number> {
    this.#assertOpen();
    return this.#guard('logSize', async () => {
      const r = await this.#kdb.selectFrom('log_entries').select((eb) => eb.fn.max('idx').as('m')).executeTakeFirst();
      return r?.m === null || r?.m === undefined ? 0 : Number(r.m) + 1;
    });
  }

  async putCheckpoint(c: CheckpointRecord): Promise<void> {
    this.#assertOpen();
    await this.#guard('putCheckpoint', async () => {
      await this.#kdb
        .insertInto('log_checkpoints')
        .values({ size: c.size, ts_ms: c.ts_ms, note: c.note })
        .onConflict((oc) => oc.column('size').doUpdateSet((eb) => ({ ts_ms: eb.ref('excluded.ts_ms'), note: eb.ref('excluded.note') })))
        .execute();
    });
  }

  async listCheckpoints(startSize: number, limit: number): Promise<CheckpointRecord[]> {
    this.#assertOpen();
    checkLimit(limit);
    return this.#guard('listCheckpoints', () =>
      this.#kdb.selectFrom('log_checkpoints').selectAll().where('size', '>=', startSize).orderBy('size').limit(limit).execute(),
    );
  }

  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    this.#assertOpen();
    return this.#guard('latestCheckpoint', () => this.#kdb.selectFrom('log_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst());
  }

  async putCosignature(c: CosignatureRecord): Promise<void> {
    this.#assertOpen();
    await this.#guard('putCosignature', async () => {
      await this.#kdb
        .insertInto('log_cosignatures')
        .values({ size: c.size, witness: c.witness, line: c.line, ts_ms: c.ts_ms })
        .onConflict((oc) => oc.columns(['size', 'witness']).doUpdateSet((eb) => ({ line: eb.ref('excluded.line'), ts_ms: eb.ref('excluded.ts_ms') })))
        .execute();
    });
  }

  async listCosignatures(size: number): Promise<CosignatureRecord[]> {
    this.#assertOpen();
    return this.#guard('listCosignatures', () => this.#kdb.selectFrom('log_cosignatures').selectAll().where('size', '=', size).orderBy('witness').execute());
  }

  async putDevice(d: DeviceRecord): Promise<void> {
    this.#assertOpen();
    await this.#guard('putDevice', async () => {
      await this.#kdb
        .insertInto('devices')
        .values({ ...d })
        .onConflict((oc) =>
          oc.column('device_id').doUpdateSet((eb) => ({
            public_key: eb.ref('excluded.public_key'),
            key_id: eb.ref('excluded.key_id'),
            status: eb.ref('excluded.status'),
            created_ms: eb.ref('excluded.created_ms'),
            updated_ms: eb.ref('excluded.updated_ms'),
            decided_by: eb.ref('excluded.decided_by'),
          })),
        )
        .execute();
    });
  }

  async getDevice(deviceId: string): Promise<DeviceRecord | undefined> {
    this.#assertOpen();
    return this.#guard('getDevice', () => this.#kdb.selectFrom('devices').selectAll().where('device_id', '=', deviceId).executeTakeFirst());
  }

  async listDevices(): Promise<DeviceRecord[]> {
    this.#assertOpen();
    return this.#guard('listDevices', () => this.#kdb.selectFrom('devices').selectAll().orderBy('created_ms').orderBy('device_id').execute());
  }

  /**
   * One `BEGIN IMMEDIATE` transaction on this connection (better-sqlite3 prepared statements, like the batch
   * writer): the scan row upsert, then its host rows deleted and, for a done scan with a report, rewritten. A
   * constraint failure (an unknown `status`) rolls it back and rejects with `IPQ-S001`.
   */
  async putScan(scan: ScanRecord): Promise<void> {
    this.#assertOpen();
    await this.#guard('putScan', () => Promise.resolve(this.#scanWrites!.putScan(scan)));
  }

  async getScan(id: string): Promise<ScanRecord | undefined> {
    this.#assertOpen();
    return this.#guard('getScan', async () => {
      const r = await this.#kdb.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toScan(r);
    });
  }

  async listScans(q: ScanQuery): Promise<Page<ScanRecord>> {
    this.#assertOpen();
    checkLimit(q.limit);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    return this.#guard('listScans', async () => {
      let sel = this.#kdb.selectFrom('scans').selectAll();
      if (after !== undefined) sel = sel.where(({ eb, refTuple, tuple }) => eb(refTuple('created_ms', 'id'), '<', tuple(after.timeMs, after.id)));
      const rows = await sel.orderBy('created_ms', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
      return toPage(rows, q.limit, toScan, (r) => ({ timeMs: r.created_ms, id: r.id }));
    });
  }

  /** One descent of `scan_hosts_address_finished` (`(address, finished_ms, scan_id)`). */
  async previousHostReport(address: string, beforeMs: number): Promise<HostReport | undefined> {
    this.#assertOpen();
    return this.#guard('previousHostReport', async () => {
      const r = await this.#kdb
        .selectFrom('scan_hosts')
        .select('report')
        .where('address', '=', address)
        .where('finished_ms', '<', beforeMs)
        .orderBy('finished_ms', 'desc')
        .orderBy('scan_id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r === undefined ? undefined : (JSON.parse(r.report) as HostReport);
    });
  }

  /**
   * One `BEGIN IMMEDIATE` transaction (taking the write lock before the reads, so the writer thread cannot commit
   * between a record's read and its write): for each record, its stored `last_modified` by primary key, then an
   * insert or replace when new or newer (see `isLater`). Cost (measured 2026-11-22, file database, shared 2-vCPU
   * VM under load ≈ 4, throw-away script): 1,000 copies of the real CVE-2021-41617 record (7.2 KB of JSON each) in
   * one call, median of 20: 27.6 ms to insert, 2.6 ms when all are unchanged; `iterateCves` read the 20,000 back
   * in 755 ms (mostly `JSON.parse`).
   */
  async putCves(records: readonly CveRecord[]): Promise<CvePutResult> {
    this.#assertOpen();
    if (records.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
    return this.#guard('putCves', () => Promise.resolve(this.#scanWrites!.putCves(records)));
  }

  async countCves(): Promise<number> {
    this.#assertOpen();
    return this.#guard('countCves', async () => {
      const r = await this.#kdb.selectFrom('cves').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    });
  }

  /**
   * Keyset pages on the primary key (`id > last`), so each batch is one range scan and a record written while
   * iterating is either seen once or not at all.
   * @throws RangeError (on the first `next()`) when `batchSize` is not an integer in 1..10,000.
   */
  async *iterateCves(batchSize = CVE_BATCH_DEFAULT): AsyncIterable<CveRecord[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > CVE_BATCH_MAX) {
      throw new RangeError(`iterateCves: batchSize must be an integer in 1..${CVE_BATCH_MAX}, got ${batchSize}`);
    }
    let last: string | undefined;
    for (;;) {
      this.#assertOpen();
      const rows = await this.#guard('iterateCves', async () => {
        let sel = this.#kdb.selectFrom('cves').select(['id', 'record']);
        if (last !== undefined) sel = sel.where('id', '>', last);
        return sel.orderBy('id').limit(batchSize).execute();
      });
      if (rows.length === 0) return;
      yield rows.map((r) => JSON.parse(r.record) as CveRecord);
      if (rows.length < batchSize) return;
      last = rows[rows.length - 1]!.id;
    }
  }

  /** The JSON value stored under `key`, or `undefined`. */
  async getState(key: string): Promise<unknown> {
    this.#assertOpen();
    return this.#guard('getState', async () => {
      const r = await this.#kdb.selectFrom('state').select('value').where('key', '=', key).executeTakeFirst();
      return r === undefined ? undefined : (JSON.parse(r.value) as unknown);
    });
  }

  /**
   * Stores `value` as JSON under `key` (replacing); `undefined` deletes the key. `value` must be JSON-safe to
   * round-trip (NaN becomes null, as in `JSON.stringify`).
   * @throws TypeError when `value` cannot be serialised (a BigInt, a cycle).
   */
  async setState(key: string, value: unknown): Promise<void> {
    this.#assertOpen();
    const text = JSON.stringify(value) as string | undefined;
    await this.#guard('setState', async () => {
      if (text === undefined) {
        await this.#kdb.deleteFrom('state').where('key', '=', key).execute();
        return;
      }
      await this.#kdb
        .insertInto('state')
        .values({ key, value: text })
        .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    });
  }

  /** Closes the database (SQLite checkpoints the WAL into the file). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#migrating !== undefined) await this.#migrating;
    await this.#writer?.close();
    await this.#kdb.destroy();
  }

  #assertOpen(): void {
    if (this.#closed) throw new IpqsecError('IPQ-S001', `store ${this.path} is closed`, { details: { path: this.path } });
  }

  /** Runs a query; a database failure becomes `IPQ-S001` naming the operation and the path. */
  async #guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#migrating !== undefined) await this.#migrating;
    try {
      return await fn();
    } catch (e) {
      if (e instanceof IpqsecError) throw e;
      throw new IpqsecError('IPQ-S001', `${op} on ${this.path} failed: ${messageOf(e)}`, { details: { path: this.path }, cause: e });
    }
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new RangeError(`limit must be an integer in 1..${MAX_PAGE_LIMIT}, got ${limit}`);
  }
}

/** One page from up to `limit + 1` rows: the extra row only tells that another page exists. */
function toPage<R, T>(rows: R[], limit: number, map: (r: R) => T, key: (r: R) => CursorKey): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), next_cursor: more ? encodeCursor(key(kept[kept.length - 1])) : null };
}

function toEvent(r: EventsTable): StoredEvent {
  return {
    id: r.id,
    type: r.type,
    entity: r.entity,
    ts_ms: r.ts_ms,
    site: r.site,
    risk: r.risk,
    risk_class: r.risk_class,
    confidence: r.confidence,
    body: JSON.parse(r.body) as Record<string, unknown>,
  };
}

function toAlert(r: AlertsTable): Alert {
  return {
    id: r.id,
    event_id: r.event_id,
    event_type: r.event_type,
    entity: r.entity,
    timestamp: r.timestamp,
    ts_ms: r.ts_ms,
    ip: r.ip,
    task: r.task,
    previous_task: r.previous_task,
    ports_accessed: JSON.parse(r.ports_accessed) as number[],
    intrusion_detected: true,
    reasons: JSON.parse(r.reasons) as AlertReason[],
    severity: r.severity,
    risk: r.risk,
    techniques: JSON.parse(r.techniques) as Technique[],
    acked: r.acked === 1,
    acked_by: r.acked_by,
    acked_at_ms: r.acked_at_ms,
  };
}

function toEntity(r: EntitiesTable): EntityState {
  return {
    entity: r.entity,
    kind: r.kind,
    first_seen_ms: r.first_seen_ms,
    last_seen_ms: r.last_seen_ms,
    events: r.events,
    alerts: r.alerts,
    recurrence: r.recurrence,
    max_risk: r.max_risk,
    ewma_risk: r.ewma_risk,
    risk_class: r.risk_class,
    exposure: r.exposure,
  };
}

function toScan(r: ScansTable): ScanRecord {
  return {
    id: r.id,
    status: r.status,
    requested_by: r.requested_by,
    targets: JSON.parse(r.targets) as string[],
    ports: r.ports,
    created_ms: r.created_ms,
    started_ms: r.started_ms,
    finished_ms: r.finished_ms,
    error: r.error,
    report: r.report === null ? null : (JSON.parse(r.report) as ScanReport),
    diffs: r.diffs === null ? null : (JSON.parse(r.diffs) as ScanHostDiff[]),
  };
}

/**
 * Epoch ms of an NVD timestamp: ISO 8601 (ECMA-262 date time string format), UTC when it carries no zone (NVD
 * writes `2024-11-21T05:09:06.283`, no zone, meaning UTC); NaN when not a date.
 */
function nvdTimeMs(s: string): number {
  return Date.parse(/(?:Z|[+-]\d{2}:\d{2})$/i.test(s) || !s.includes('T') ? s : `${s}Z`);
}

/** True when NVD timestamp `a` is later than `b`: by time when both parse, else by code-unit order of the text. */
function isLater(a: string, b: string): boolean {
  const ta = nvdTimeMs(a);
  const tb = nvdTimeMs(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a > b : ta > tb;
}

/** Prepares the scan and CVE write statements on `db` (the tables must exist). */
function createScanWrites(db: Database.Database): ScanWrites {
  const upsertScan = db.prepare(UPSERT_SCAN);
  const deleteHosts = db.prepare(DELETE_SCAN_HOSTS);
  const putHost = db.prepare(PUT_SCAN_HOST);
  const cveModified = db.prepare<[string], { last_modified: string }>(CVE_MODIFIED);
  const upsertCve = db.prepare(UPSERT_CVE);
  const putScan = db.transaction((s: ScanRecord): void => {
    upsertScan.run(
      s.id, s.status, s.requested_by, JSON.stringify(s.targets), s.ports, s.created_ms, s.started_ms, s.finished_ms, s.error,
      s.report === null ? null : JSON.stringify(s.report), s.diffs === null ? null : JSON.stringify(s.diffs),
    );
    deleteHosts.run(s.id);
    if (s.status === 'done' && s.report !== null) {
      for (const h of s.report.hosts) putHost.run(s.id, h.address, h.finished_ms, JSON.stringify(h));
    }
  });
  const putCves = db.transaction((records: readonly CveRecord[]): CvePutResult => {
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    for (const r of records) {
      const stored = cveModified.get(r.id);
      if (stored !== undefined && !isLater(r.lastModified, stored.last_modified)) {
        unchanged++;
        continue;
      }
      upsertCve.run(r.id, r.published, r.lastModified, r.vulnStatus, JSON.stringify(r));
      if (stored === undefined) inserted++;
      else updated++;
    }
    return { inserted, updated, unchanged };
  });
  // BEGIN IMMEDIATE, as the batch writer: the write lock is taken up front (waiting up to busy_timeout for the
  // writer thread) instead of failing with SQLITE_BUSY when a read transaction upgrades.
  return { putScan: (s) => putScan.immediate(s), putCves: (r) => putCves.immediate(r) };
}

function toToken(r: TokensTable): TokenRecord {
  return { id: r.id, name: r.name, hash: r.hash, scopes: JSON.parse(r.scopes) as Scope[], created_ms: r.created_ms, revoked: r.revoked === 1 };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
