/**
 * Schema of the SQLite store and its migrations (Kysely `Migrator` with an in-code provider).
 *
 * Migrations are named `NNNN_what` and applied in name order inside one transaction each; Kysely records the
 * applied ones in `kysely_migration` (and serialises migrators with `kysely_migration_lock`), so running them
 * again is a no-op. A released migration is never edited: a schema change is a new migration.
 *
 * Types: times are epoch milliseconds in `INTEGER` (64-bit in SQLite), risks in `REAL` (IEEE 754 double, so a
 * JS number round-trips exactly), booleans in `INTEGER` 0/1, arrays and objects as JSON `TEXT`.
 * `CHECK` constraints hold the ranges documented in `core/records.ts` (risks in [0, 1], enumerations), so a
 * batch carrying an impossible value (out-of-range or NaN risk: SQLite binds NaN as NULL) fails as a whole.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { EventType } from '../core/events.js';
import type { RiskClass, Severity } from '../core/records.js';

/** Row of `events`. `body` is the validated wire event as JSON. */
export interface EventsTable {
  id: string;
  type: EventType;
  entity: string;
  ts_ms: number;
  site: string | null;
  risk: number;
  risk_class: RiskClass;
  body: string;
}

/** Row of `alerts`. `ports_accessed`, `reasons`, `techniques` are JSON arrays; booleans are 0/1. */
export interface AlertsTable {
  id: string;
  event_id: string;
  event_type: EventType;
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

/** Every migration by name; the names sort in the order they must run. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': m0001Initial,
  '0002_drop_low_selectivity_indexes': m0002DropLowSelectivityIndexes,
  '0003_ledger_and_devices': m0003LedgerAndDevices,
};

/** The in-code {@link MigrationProvider} for Kysely's `Migrator`. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
