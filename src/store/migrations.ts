/**
 * Schema of the SQLite store and its migrations (Kysely `Migrator` with an in-code provider).
 *
 * Migrations are named `NNNN_what` and applied in name order; Kysely records the applied ones in
 * `kysely_migration` (and serialises migrators with `kysely_migration_lock`), so running them again is a no-op.
 * Kysely runs no transaction around a migration on SQLite (its adapter reports no transactional DDL): a migration
 * that must be all-or-nothing opens its own (`0004`). A released migration is never edited: a schema change is a new migration.
 *
 * Types: times are epoch milliseconds in `INTEGER` (64-bit in SQLite), risks in `REAL` (IEEE 754 double, so a
 * JS number round-trips exactly), booleans in `INTEGER` 0/1, arrays and objects as JSON `TEXT`.
 * `CHECK` constraints hold the ranges documented in `core/records.ts` (risks in [0, 1], enumerations), so a
 * batch carrying an impossible value (out-of-range or NaN risk: SQLite binds NaN as NULL) fails as a whole.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { EventType } from '../core/events.js';
import type { AlertSource, RiskClass, Severity } from '../core/records.js';

/** Row of `events`. `body` is the validated wire event as JSON. */
export interface EventsTable {
  id: string;
  type: EventType;
  entity: string;
  ts_ms: number;
  site: string | null;
  risk: number;
  risk_class: RiskClass;
  /** ML confidence in [0, 1], null when no model scored the event (0004). */
  confidence: number | null;
  body: string;
}

/** Row of `alerts`. `ports_accessed`, `reasons`, `techniques` are JSON arrays; booleans are 0/1. */
export interface AlertsTable {
  id: string;
  event_id: string;
  /** An event type, or `scan` (allowed from `0004_scans_and_exposure`). */
  event_type: AlertSource;
  entity: string;
  timestamp: string;
  ts_ms: number;
  ip: string | null;
  task: string | null;
  previous_task: string | null;
  ports_accessed: string;
  intrusion_detected: number;
  reasons: string;
  severity: Severity;
  risk: number;
  techniques: string;
  acked: number;
  acked_by: string | null;
  acked_at_ms: number | null;
}

/** Row of `entities` (threat memory, one per entity key). */
export interface EntitiesTable {
  entity: string;
  kind: 'ip' | 'robot' | 'sensor';
  first_seen_ms: number;
  last_seen_ms: number;
  events: number;
  alerts: number;
  recurrence: number;
  max_risk: number;
  ewma_risk: number;
  risk_class: RiskClass;
  /** In [0, 1]; added by `0004_scans_and_exposure` (0 for rows written before). */
  exposure: number;
}

/** Row of `list_entries`; primary key `(list, entity)`. */
export interface ListEntriesTable {
  list: 'allow' | 'block';
  entity: string;
  source: 'manual' | 'auto';
  reason: string;
  created_ms: number;
}

/** Row of `tokens`; `hash` (SHA-256 hex of the secret) is unique, `scopes` a JSON array, `revoked` 0/1. */
export interface TokensTable {
  id: string;
  hash: string;
  name: string;
  scopes: string;
  created_ms: number;
  revoked: number;
}

/** Row of `state`: a small JSON value by key. */
export interface StateTable {
  key: string;
  value: string;
}

/** Row of `log_entries`: the tamper-evident log (`idx` is the leaf index, contiguous from 0). */
export interface LogEntriesTable {
  idx: number;
  ts_ms: number;
  kind: string;
  data: string;
}

/** Row of `log_checkpoints`: one signed note per tree size. */
export interface LogCheckpointsTable {
  size: number;
  ts_ms: number;
  note: string;
}

/** Row of `log_cosignatures`; primary key `(size, witness)`. */
export interface LogCosignaturesTable {
  size: number;
  witness: string;
  line: string;
  ts_ms: number;
}

/** Row of `devices`. */
export interface DevicesTable {
  device_id: string;
  public_key: string;
  key_id: string;
  status: 'pending' | 'approved' | 'revoked';
  created_ms: number;
  updated_ms: number;
  decided_by: string | null;
}

/** Row of `cves`: one NVD CVE (`record` is the `CveRecord` of `scan/nvd-record.ts` as JSON). */
export interface CvesTable {
  /** `CVE-YYYY-NNNN…`. */
  id: string;
  /** NVD `published`, ISO 8601 as NVD writes it (UTC, no zone). */
  published: string;
  /** NVD `lastModified`, same form. */
  last_modified: string;
  vuln_status: string;
  record: string;
}

/** Row of `scans`: one scan request and, when done, its report. `targets`, `report`, `diffs` are JSON. */
export interface ScansTable {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  requested_by: string;
  targets: string;
  ports: string;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  error: string | null;
  report: string | null;
  diffs: string | null;
}

/** Row of `scan_hosts`: one host of a done scan (`report` is its `HostReport` as JSON); primary key `(scan_id, address)`. */
export interface ScanHostsTable {
  scan_id: string;
  address: string;
  finished_ms: number;
  report: string;
}

/** The Kysely database type of the store. */
export interface StoreSchema {
  events: EventsTable;
  alerts: AlertsTable;
  entities: EntitiesTable;
  list_entries: ListEntriesTable;
  tokens: TokensTable;
  state: StateTable;
  log_entries: LogEntriesTable;
  log_checkpoints: LogCheckpointsTable;
  log_cosignatures: LogCosignaturesTable;
  devices: DevicesTable;
  cves: CvesTable;
  scans: ScansTable;
  scan_hosts: ScanHostsTable;
}

const inList = (col: string, values: readonly string[]) =>
  sql`${sql.ref(col)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
const unitInterval = (col: string) => sql`${sql.ref(col)} >= 0 and ${sql.ref(col)} <= 1`;
const RISK_CLASSES = ['Low', 'Medium', 'High'];
const EVENT_TYPES = ['flow', 'robot', 'sensor'];

/**
 * `0001_initial`: every table, with indexes for the list queries. Each list query orders by `(time DESC, id
 * DESC)` and pages with `(time, id) < cursor`, so every index ends in `(time, id)`: a filtered page is one
 * index range scan with no sort.
 */
const m0001Initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull().check(inList('type', EVENT_TYPES)))
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('ts_ms', 'integer', (c) => c.notNull())
      .addColumn('site', 'text')
      .addColumn('risk', 'real', (c) => c.notNull().check(unitInterval('risk')))
      .addColumn('risk_class', 'text', (c) => c.notNull().check(inList('risk_class', RISK_CLASSES)))
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_ts').on('events').columns(['ts_ms', 'id']).execute();
    await db.schema.createIndex('events_entity_ts').on('events').columns(['entity', 'ts_ms', 'id']).execute();
    await db.schema.createIndex('events_type_ts').on('events').columns(['type', 'ts_ms', 'id']).execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull().check(inList('event_type', EVENT_TYPES)))
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('timestamp', 'text', (c) => c.notNull())
      .addColumn('ts_ms', 'integer', (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('task', 'text')
      .addColumn('previous_task', 'text')
      .addColumn('ports_accessed', 'text', (c) => c.notNull())
      .addColumn('intrusion_detected', 'integer', (c) => c.notNull().check(sql`intrusion_detected = 1`))
      .addColumn('reasons', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull().check(inList('severity', ['low', 'medium', 'high', 'critical'])))
      .addColumn('risk', 'real', (c) => c.notNull().check(unitInterval('risk')))
      .addColumn('techniques', 'text', (c) => c.notNull())
      .addColumn('acked', 'integer', (c) => c.notNull().check(sql`acked in (0, 1)`))
      .addColumn('acked_by', 'text')
      .addColumn('acked_at_ms', 'integer')
      .execute();
    await db.schema.createIndex('alerts_ts').on('alerts').columns(['ts_ms', 'id']).execute();
    await db.schema.createIndex('alerts_entity_ts').on('alerts').columns(['entity', 'ts_ms', 'id']).execute();
    await db.schema.createIndex('alerts_acked_ts').on('alerts').columns(['acked', 'ts_ms', 'id']).execute();

    await db.schema
      .createTable('entities')
      .addColumn('entity', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull().check(inList('kind', ['ip', 'robot', 'sensor'])))
      .addColumn('first_seen_ms', 'integer', (c) => c.notNull())
      .addColumn('last_seen_ms', 'integer', (c) => c.notNull())
      .addColumn('events', 'integer', (c) => c.notNull().check(sql`events >= 0`))
      .addColumn('alerts', 'integer', (c) => c.notNull().check(sql`alerts >= 0`))
      .addColumn('recurrence', 'real', (c) => c.notNull().check(sql`recurrence >= 0`))
      .addColumn('max_risk', 'real', (c) => c.notNull().check(unitInterval('max_risk')))
      .addColumn('ewma_risk', 'real', (c) => c.notNull().check(unitInterval('ewma_risk')))
      .addColumn('risk_class', 'text', (c) => c.notNull().check(inList('risk_class', RISK_CLASSES)))
      .execute();
    await db.schema.createIndex('entities_seen').on('entities').columns(['last_seen_ms', 'entity']).execute();
    await db.schema.createIndex('entities_kind_seen').on('entities').columns(['kind', 'last_seen_ms', 'entity']).execute();

    await db.schema
      .createTable('list_entries')
      .addColumn('list', 'text', (c) => c.notNull().check(inList('list', ['allow', 'block'])))
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull().check(inList('source', ['manual', 'auto'])))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('list_entries_pk', ['list', 'entity'])
      .execute();

    await db.schema
      .createTable('tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_ms', 'integer', (c) => c.notNull())
      .addColumn('revoked', 'integer', (c) => c.notNull().check(sql`revoked in (0, 1)`))
      .execute();

    await db.schema
      .createTable('state')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const t of ['state', 'tokens', 'list_entries', 'entities', 'alerts', 'events']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};

/**
 * `0002_drop_low_selectivity_indexes`: drops `events_type_ts` and `entities_kind_seen`. Every ingest batch writes
 * each of its events and up to one entity row per event, and every index is one more random B-tree insert per row
 * (bench:ingest profile, 2026-11-21: the commit was 60 % of the ingest thread). An event type or entity kind
 * holds about a third of the rows, so those filters page through the time indexes (`events_ts`,
 * `entities_seen`) about as fast, still with no sort.
 */
const m0002DropLowSelectivityIndexes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('events_type_ts').ifExists().execute();
    await db.schema.dropIndex('entities_kind_seen').ifExists().execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex('events_type_ts').on('events').columns(['type', 'ts_ms', 'id']).execute();
    await db.schema.createIndex('entities_kind_seen').on('entities').columns(['kind', 'last_seen_ms', 'entity']).execute();
  },
};

/**
 * `0003_ledger_and_devices`: the tamper-evident log (entries, signed checkpoints, witness cosignatures) and the
 * enrolled device identities (issue 4). `log_entries.idx` is the INTEGER PRIMARY KEY (the rowid): appends are at
 * the end of the B-tree and a range read is one scan.
 */
const m0003LedgerAndDevices: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('log_entries')
      .addColumn('idx', 'integer', (c) => c.primaryKey().check(sql`idx >= 0`))
      .addColumn('ts_ms', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .execute();
    // The log has no gaps: an entry must take the next index. After a failed batch, a later batch that was
    // already on its way (with higher indexes) fails too instead of leaving a hole. max(idx) on the rowid is
    // one B-tree descent.
    await sql`create trigger log_entries_contiguous before insert on log_entries
      when new.idx <> (select coalesce(max(idx) + 1, 0) from log_entries)
      begin select raise(abort, 'log index not contiguous'); end`.execute(db);
    await db.schema
      .createTable('log_checkpoints')
      .addColumn('size', 'integer', (c) => c.primaryKey().check(sql`size >= 0`))
      .addColumn('ts_ms', 'integer', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('log_cosignatures')
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('witness', 'text', (c) => c.notNull())
      .addColumn('line', 'text', (c) => c.notNull())
      .addColumn('ts_ms', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('log_cosignatures_pk', ['size', 'witness'])
      .execute();
    await db.schema
      .createTable('devices')
      .addColumn('device_id', 'text', (c) => c.primaryKey())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(inList('status', ['pending', 'approved', 'revoked'])))
      .addColumn('created_ms', 'integer', (c) => c.notNull())
      .addColumn('updated_ms', 'integer', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    for (const t of ['devices', 'log_cosignatures', 'log_checkpoints', 'log_entries']) await db.schema.dropTable(t).ifExists().execute();
  },
};

/** Columns of `alerts`, in table order (the rebuild copies them by name). */
const ALERT_COLUMNS = [
  'id', 'event_id', 'event_type', 'entity', 'timestamp', 'ts_ms', 'ip', 'task', 'previous_task', 'ports_accessed',
  'intrusion_detected', 'reasons', 'severity', 'risk', 'techniques', 'acked', 'acked_by', 'acked_at_ms',
] as const;

/** Values of `alerts.event_type` from `0004_scans_and_exposure`: the event types and `scan`. */
const ALERT_SOURCES = [...EVENT_TYPES, 'scan'];

/**
 * Rebuilds `alerts` with `event_type` limited to `eventTypes` (SQLite cannot alter a CHECK: "Making Other Kinds Of
 * Table Schema Changes", sqlite.org/lang_altertable.html §7): create the new table, copy every row, drop the old,
 * rename, recreate the indexes of 0001. Every other column and CHECK is as 0001 made it. Runs inside the caller's
 * transaction.
 */
async function rebuildAlerts(tx: Kysely<unknown>, eventTypes: readonly string[]): Promise<void> {
  await tx.schema
    .createTable('alerts_rebuilt')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull().check(inList('event_type', eventTypes)))
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('ts_ms', 'integer', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('task', 'text')
    .addColumn('previous_task', 'text')
    .addColumn('ports_accessed', 'text', (c) => c.notNull())
    .addColumn('intrusion_detected', 'integer', (c) => c.notNull().check(sql`intrusion_detected = 1`))
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(inList('severity', ['low', 'medium', 'high', 'critical'])))
    .addColumn('risk', 'real', (c) => c.notNull().check(unitInterval('risk')))
    .addColumn('techniques', 'text', (c) => c.notNull())
    .addColumn('acked', 'integer', (c) => c.notNull().check(sql`acked in (0, 1)`))
    .addColumn('acked_by', 'text')
    .addColumn('acked_at_ms', 'integer')
    .execute();
  const cols = sql.raw(ALERT_COLUMNS.join(', '));
  await sql`insert into alerts_rebuilt (${cols}) select ${cols} from alerts`.execute(tx);
  await tx.schema.dropTable('alerts').execute();
  await tx.schema.alterTable('alerts_rebuilt').renameTo('alerts').execute();
  await tx.schema.createIndex('alerts_ts').on('alerts').columns(['ts_ms', 'id']).execute();
  await tx.schema.createIndex('alerts_entity_ts').on('alerts').columns(['entity', 'ts_ms', 'id']).execute();
  await tx.schema.createIndex('alerts_acked_ts').on('alerts').columns(['acked', 'ts_ms', 'id']).execute();
}

/**
 * `0004_scans_and_exposure` (issue 7, vulnerability scanning):
 * - `entities.exposure REAL NOT NULL DEFAULT 0 CHECK (0..1)`: a host's exposure from its latest scan (existing
 *   rows get 0, "never scanned").
 * - `alerts.event_type` also accepts `scan`. SQLite cannot alter a CHECK, so the table is rebuilt with the
 *   procedure of https://www.sqlite.org/lang_altertable.html#otheralter ("Making Other Kinds Of Table Schema
 *   Changes"): create `alerts_rebuilt` with the new definition (every other column and CHECK exactly as in
 *   `0001_initial`), copy every row, drop `alerts`, rename the new table to `alerts` (`rebuildAlerts`), recreate its three indexes.
 *   No foreign key, trigger or view refers to `alerts`, so steps 1, 8 and 10 of that procedure do not apply.
 * - `cves` (the offline CVE database), `scans` (requests and reports; index `(created_ms, id)` for newest-first
 *   keyset paging) and `scan_hosts` (one row per host of a done scan; index `(address, finished_ms, scan_id)`
 *   finds a host's previous scan in one descent; rows go with their scan: `on delete cascade`).
 *
 * Kysely's `Migrator` runs no transaction on SQLite (its adapter reports no transactional DDL), so this migration
 * opens its own: a kill midway leaves the 0003 schema intact, never a half-rebuilt `alerts`. A kill between this
 * commit and Kysely's bookkeeping row would run it again; it then finds `scans` and returns (everything it does
 * commits together, so `scans` existing means all of it is there).
 */
const m0004ScansAndExposure: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.transaction().execute(async (tx) => {
      const done = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = 'scans'`.execute(tx);
      if (Number(done.rows[0]?.n ?? 0) > 0) return;

      await tx.schema
        .alterTable('events')
        .addColumn('confidence', 'real', (c) => c.check(sql`confidence is null or (confidence >= 0 and confidence <= 1)`))
        .execute();
      await tx.schema
        .alterTable('entities')
        .addColumn('exposure', 'real', (c) => c.notNull().defaultTo(0).check(unitInterval('exposure')))
        .execute();

      await rebuildAlerts(tx, ALERT_SOURCES);

      await tx.schema
        .createTable('cves')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('published', 'text', (c) => c.notNull())
        .addColumn('last_modified', 'text', (c) => c.notNull())
        .addColumn('vuln_status', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();

      await tx.schema
        .createTable('scans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull().check(inList('status', ['queued', 'running', 'done', 'failed'])))
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('targets', 'text', (c) => c.notNull())
        .addColumn('ports', 'text', (c) => c.notNull())
        .addColumn('created_ms', 'integer', (c) => c.notNull())
        .addColumn('started_ms', 'integer')
        .addColumn('finished_ms', 'integer')
        .addColumn('error', 'text')
        .addColumn('report', 'text')
        .addColumn('diffs', 'text')
        .execute();
      await tx.schema.createIndex('scans_created').on('scans').columns(['created_ms', 'id']).execute();

      await tx.schema
        .createTable('scan_hosts')
        .addColumn('scan_id', 'text', (c) => c.notNull().references('scans.id').onDelete('cascade'))
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('finished_ms', 'integer', (c) => c.notNull())
        .addColumn('report', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('scan_hosts_pk', ['scan_id', 'address'])
        .execute();
      // `scan_id` last: the tie-break of `previousHostReport` (same finished_ms) needs no sort either.
      await tx.schema.createIndex('scan_hosts_address_finished').on('scan_hosts').columns(['address', 'finished_ms', 'scan_id']).execute();
    });
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.transaction().execute(async (tx) => {
      for (const t of ['scan_hosts', 'scans', 'cves']) await tx.schema.dropTable(t).ifExists().execute();
      // Scan alerts cannot live in the 0003 table: they go with the rollback.
      await sql`delete from alerts where event_type = 'scan'`.execute(tx);
      await rebuildAlerts(tx, EVENT_TYPES);
      await tx.schema.alterTable('entities').dropColumn('exposure').execute();
      await tx.schema.alterTable('events').dropColumn('confidence').execute();
    });
  },
};

/** Every migration by name; the names sort in the order they must run. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': m0001Initial,
  '0002_drop_low_selectivity_indexes': m0002DropLowSelectivityIndexes,
  '0003_ledger_and_devices': m0003LedgerAndDevices,
  '0004_scans_and_exposure': m0004ScansAndExposure,
};

/** The in-code {@link MigrationProvider} for Kysely's `Migrator`. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
