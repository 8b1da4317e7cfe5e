/**
 * The hot write path of the SQLite store, shared by the store's own connection and its writer thread
 * (`_writer-worker.ts`): prepared statements committing one {@link WriteBatch} in one `BEGIN IMMEDIATE`
 * transaction. See `SqliteStoreImpl.writeBatch` for the measured reason it does not go through Kysely.
 */
import type Database from 'better-sqlite3';
import type { WriteBatch } from './store.js';

const EVENT_COLUMNS = 9;
/** Events bound per multi-row insert (400 parameters); the remainder of a batch goes row by row. */
const EVENT_ROWS_PER_STATEMENT = 50;
const insertEventsSql = (rows: number): string =>
  `insert into events (id, type, entity, ts_ms, site, risk, risk_class, confidence, body) values ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} on conflict (id) do nothing`;
const INSERT_ALERT = `insert into alerts (id, event_id, event_type, entity, timestamp, ts_ms, ip, task, previous_task,
  ports_accessed, intrusion_detected, reasons, severity, risk, techniques, acked, acked_by, acked_at_ms)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`;
// A state older than the stored one (last_seen_ms earlier) is ignored: the row keeps the latest state.
const UPSERT_ENTITY = `insert into entities (entity, kind, first_seen_ms, last_seen_ms, events, alerts, recurrence,
  max_risk, ewma_risk, risk_class, exposure) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (entity) do update set kind = excluded.kind, first_seen_ms = excluded.first_seen_ms,
  last_seen_ms = excluded.last_seen_ms, events = excluded.events, alerts = excluded.alerts,
  recurrence = excluded.recurrence, max_risk = excluded.max_risk, ewma_risk = excluded.ewma_risk,
  risk_class = excluded.risk_class, exposure = excluded.exposure
  where excluded.last_seen_ms >= entities.last_seen_ms`;
// No `on conflict`: an index that exists already is a broken log writer, and must fail the batch.
const INSERT_LOG = 'insert into log_entries (idx, ts_ms, kind, data) values (?, ?, ?, ?)';
const UPSERT_CHECKPOINT = 'insert into log_checkpoints (size, ts_ms, note) values (?, ?, ?) on conflict (size) do update set ts_ms = excluded.ts_ms, note = excluded.note';

/** Prepares the statements (the tables must exist) and returns the function committing one batch; throws on failure (rolled back). */
export function createBatchWriter(db: Database.Database): (b: WriteBatch) => void {
  const insertEvents = db.prepare(insertEventsSql(EVENT_ROWS_PER_STATEMENT));
  const insertEvent = db.prepare(insertEventsSql(1));
  const insertAlert = db.prepare(INSERT_ALERT);
  const upsertEntity = db.prepare(UPSERT_ENTITY);
  const insertLog = db.prepare(INSERT_LOG);
  const upsertCheckpoint = db.prepare(UPSERT_CHECKPOINT);
  // Reused parameter array of the multi-row insert (no per-chunk allocation).
  const args: (string | number | null)[] = new Array<string | number | null>(EVENT_ROWS_PER_STATEMENT * EVENT_COLUMNS).fill(null);
  const tx = db.transaction((b: WriteBatch): void => {
    const events = b.events;
    let i = 0;
    for (; i + EVENT_ROWS_PER_STATEMENT <= events.length; i += EVENT_ROWS_PER_STATEMENT) {
      for (let j = 0, o = 0; j < EVENT_ROWS_PER_STATEMENT; j++, o += EVENT_COLUMNS) {
        const e = events[i + j]!;
        args[o] = e.id;
        args[o + 1] = e.type;
        args[o + 2] = e.entity;
        args[o + 3] = e.ts_ms;
        args[o + 4] = e.site;
        args[o + 5] = e.risk;
        args[o + 6] = e.risk_class;
        args[o + 7] = e.confidence;
        args[o + 8] = JSON.stringify(e.body);
      }
      insertEvents.run(args);
    }
    for (; i < events.length; i++) {
      const e = events[i]!;
      insertEvent.run(e.id, e.type, e.entity, e.ts_ms, e.site, e.risk, e.risk_class, e.confidence, JSON.stringify(e.body));
    }
    for (const a of b.alerts) {
      insertAlert.run(
        a.id, a.event_id, a.event_type, a.entity, a.timestamp, a.ts_ms, a.ip, a.task, a.previous_task,
        JSON.stringify(a.ports_accessed), a.intrusion_detected ? 1 : 0, JSON.stringify(a.reasons), a.severity,
        a.risk, JSON.stringify(a.techniques), a.acked ? 1 : 0, a.acked_by, a.acked_at_ms,
      );
    }
    for (const s of b.entities) {
      upsertEntity.run(s.entity, s.kind, s.first_seen_ms, s.last_seen_ms, s.events, s.alerts, s.recurrence, s.max_risk, s.ewma_risk, s.risk_class, s.exposure);
    }
    if (b.log !== undefined) for (const r of b.log) insertLog.run(r.index, r.ts_ms, r.kind, r.data);
    if (b.checkpoint !== undefined) upsertCheckpoint.run(b.checkpoint.size, b.checkpoint.ts_ms, b.checkpoint.note);
  });
  // BEGIN IMMEDIATE takes the write lock up front, so another connection cannot make the commit fail midway
  // with SQLITE_BUSY on lock upgrade (it waits up to busy_timeout instead).
  return tx.immediate;
}

/**
 * The settings of every connection to the store's file. WAL with `synchronous=NORMAL` (durable against a process
 * kill). Checkpoints every 10,000 WAL pages (WAL up to about 40 MiB) with a 32 MiB page cache: measured with
 * 1,000-event batches plus entity upserts, 300 batches, file database, 2026-11-21, the defaults (1,000 pages,
 * 2 MiB) took a median 23.4 ms per batch and these 15.9 ms, because index pages touched by many batches are copied
 * back once per checkpoint instead of once per batch, and stay cached in between.
 */
export function applyPragmas(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('cache_size = -32768');
}
