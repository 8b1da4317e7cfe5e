import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import type { Alert, EntityState } from '../core/records.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { migrationProvider } from './migrations.js';
import { DB_FILE_NAME, openSqliteStore } from './sqlite-store.js';
import { fixtureEntity, fixtureEvent, fixtureHost, fixtureScan, storeContract } from './store.case.js';

const root = mkdtempSync(join(tmpdir(), 'ipqsec-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
let lastDir = '';
const newDir = (): string => join(root, `db-${++dirs}`);

storeContract(
  'sqlite file',
  () => openSqliteStore({ dataDir: (lastDir = newDir()) }),
  () => openSqliteStore({ dataDir: lastDir }),
);
storeContract('sqlite :memory:', () => openSqliteStore({ path: ':memory:' }));

describe('openSqliteStore (SQLite specifics)', () => {
  it('creates the data directory and the database file in it, in WAL mode with synchronous=NORMAL', async () => {
    const dir = join(newDir(), 'nested', 'deeper');
    const s = await openSqliteStore({ dataDir: dir });
    try {
      expect(s.path).toBe(join(dir, DB_FILE_NAME));
      await s.writeBatch({ events: [fixtureEvent('ev-1', 1_700_000_000_000, 'flow', 1, 0.5)], alerts: [], entities: [] });
      expect(statSync(s.path).isFile()).toBe(true);
      // A second connection sees the committed row and the persistent WAL journal mode.
      const probe = new Database(s.path, { readonly: true });
      try {
        expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(probe.prepare('select count(*) as n from events').get()).toEqual({ n: 1 });
        const tables = probe.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as { name: string }[];
        expect(tables.map((t) => t.name)).toEqual(
          expect.arrayContaining(['alerts', 'entities', 'events', 'kysely_migration', 'list_entries', 'state', 'tokens']),
        );
        const applied = probe.prepare('select name from kysely_migration order by name').all() as { name: string }[];
        expect(applied.map((m) => m.name)).toEqual(['0001_initial', '0002_drop_low_selectivity_indexes', '0003_ledger_and_devices', '0004_scans_and_exposure']);
      } finally {
        probe.close();
      }
      expect(statSync(`${s.path}-wal`).isFile()).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('reports path :memory: for an in-memory store', async () => {
    const s = await openSqliteStore({ path: ':memory:' });
    expect(s.path).toBe(':memory:');
    await s.close();
  });

  it('fails with IPQ-S001 naming the path when the directory cannot be created or the file is not a database', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    let err: unknown;
    try {
      await openSqliteStore({ dataDir: file });
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-S001')).toBe(true);
    expect((err as Error).message).toContain(join(file, DB_FILE_NAME));

    const dir = newDir();
    const s = await openSqliteStore({ dataDir: dir });
    await s.close();
    writeFileSync(join(dir, DB_FILE_NAME), 'this is not an SQLite database file, just text that is long enough');
    err = undefined;
    try {
      await openSqliteStore({ dataDir: dir });
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-S001')).toBe(true);
    expect((err as Error).message).toContain(join(dir, DB_FILE_NAME));
  });

  it('pages with index range scans (no full scan, no sort) for each filtered list query', async () => {
    const s = await openSqliteStore({ dataDir: newDir() });
    await s.close();
    const db = new Database(s.path, { readonly: true });
    try {
      const plan = (q: string): string =>
        (db.prepare(`explain query plan ${q}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
      const page = `order by ts_ms desc, id desc limit 11`;
      for (const q of [
        `select * from events where (ts_ms, id) < (1, 'x') ${page}`,
        `select * from events where entity = 'ip:a' and (ts_ms, id) < (1, 'x') ${page}`,
        `select * from events where type = 'flow' and ts_ms >= 5 ${page}`,
        `select * from alerts where acked = 0 ${page}`,
        `select * from entities where kind = 'ip' order by last_seen_ms desc, entity desc limit 11`,
        `select * from scans where (created_ms, id) < (1, 'x') order by created_ms desc, id desc limit 11`,
        `select report from scan_hosts where address = '127.0.0.1' and finished_ms < 5 order by finished_ms desc, scan_id desc limit 1`,
        `select id, record from cves where id > 'CVE-2024-0001' order by id limit 1000`,
      ]) {
        const p = plan(q);
        expect(p, q).toMatch(/USING (COVERING )?INDEX/);
        expect(p, q).not.toMatch(/TEMP B-TREE/);
      }
    } finally {
      db.close();
    }
  });
});

const T0 = 1_700_000_000_000;
const M0003 = '0003_ledger_and_devices';

/** Runs the store's migrations on the database file at `path` up to `target` (Kysely Migrator), then closes it. */
async function migrateFileTo(path: string, target: string): Promise<void> {
  const kdb = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  try {
    const { error, results } = await new Migrator({ db: kdb, provider: migrationProvider }).migrateTo(target);
    if (error !== undefined) throw error;
    expect(results?.every((r) => r.status === 'Success')).toBe(true);
  } finally {
    await kdb.destroy();
  }
}

/** Alerts written with the 0003 schema's columns (written by hand, not by the store's writer). */
const oldAlerts: Alert[] = Array.from({ length: 40 }, (_, i) => ({
  id: `al-${String(i).padStart(3, '0')}`,
  event_id: `ev-${i}`,
  event_type: (['flow', 'robot', 'sensor'] as const)[i % 3],
  entity: i % 3 === 1 ? `robot:r-${i % 5}` : `ip:10.0.0.${i % 7}`,
  timestamp: new Date(T0 + i * 10).toISOString(),
  ts_ms: T0 + (i % 13) * 10,
  ip: i % 3 === 2 ? null : `10.0.0.${i % 7}`,
  task: i % 3 === 1 ? 'weld' : null,
  previous_task: i % 3 === 1 ? 'idle' : null,
  ports_accessed: i % 2 === 0 ? [22, 502] : [],
  intrusion_detected: true,
  reasons: i % 2 === 0 ? ['Port Scan'] : ['Recurring Offender', 'Brute Force'],
  severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4],
  risk: i / 40,
  techniques: i % 2 === 0 ? [{ id: 'T1046', name: 'Network Service Discovery' }] : [],
  acked: i % 5 === 0,
  acked_by: i % 5 === 0 ? 'ops' : null,
  acked_at_ms: i % 5 === 0 ? T0 + 99_000 : null,
}));
const oldEntities: EntityState[] = Array.from({ length: 12 }, (_, i) => fixtureEntity(`ip:10.0.0.${i}`, T0 + i, i / 12, i + 1));

/** A database file at migration 0003 holding {@link oldAlerts}, {@link oldEntities}, one event, one log entry. */
async function databaseAt0003(): Promise<string> {
  const dir = newDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, DB_FILE_NAME);
  await migrateFileTo(path, M0003);
  const db = new Database(path);
  try {
    const insAlert = db.prepare(`insert into alerts (id, event_id, event_type, entity, timestamp, ts_ms, ip, task, previous_task, ports_accessed,
      intrusion_detected, reasons, severity, risk, techniques, acked, acked_by, acked_at_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const insEntity = db.prepare(`insert into entities (entity, kind, first_seen_ms, last_seen_ms, events, alerts, recurrence, max_risk, ewma_risk, risk_class)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    db.transaction(() => {
      for (const a of oldAlerts) {
        insAlert.run(a.id, a.event_id, a.event_type, a.entity, a.timestamp, a.ts_ms, a.ip, a.task, a.previous_task, JSON.stringify(a.ports_accessed), 1,
          JSON.stringify(a.reasons), a.severity, a.risk, JSON.stringify(a.techniques), a.acked ? 1 : 0, a.acked_by, a.acked_at_ms);
      }
      for (const e of oldEntities) insEntity.run(e.entity, e.kind, e.first_seen_ms, e.last_seen_ms, e.events, e.alerts, e.recurrence, e.max_risk, e.ewma_risk, e.risk_class);
      const ev = fixtureEvent('ev-old', T0, 'flow', 1, 0.5);
      db.prepare('insert into events (id, type, entity, ts_ms, site, risk, risk_class, body) values (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(ev.id, ev.type, ev.entity, ev.ts_ms, ev.site, ev.risk, ev.risk_class, JSON.stringify(ev.body));
      db.prepare('insert into log_entries (idx, ts_ms, kind, data) values (0, ?, ?, ?)').run(T0, 'alert', '{"a":1}');
    })();
    // A scan alert is refused at 0003.
    expect(() => insAlert.run('al-scan', 's', 'scan', 'ip:127.0.0.1', 't', T0, null, null, null, '[]', 1, '[]', 'low', 0.5, '[]', 0, null, null)).toThrow(/CHECK/);
  } finally {
    db.close();
  }
  return path;
}

/** `sql` of the alerts table and its indexes, by name. */
function alertsSchema(path: string): Map<string, string> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare(`select name, sql from sqlite_master where tbl_name = 'alerts' and sql is not null order by name`).all() as { name: string; sql: string }[];
    return new Map(rows.map((r) => [r.name, r.sql]));
  } finally {
    db.close();
  }
}

const alertSorted = (a: Alert, b: Alert): number => b.ts_ms - a.ts_ms || (a.id < b.id ? 1 : -1);

describe('migration 0004_scans_and_exposure (from a database at 0003 with rows)', () => {
  it('keeps every alert, entity, event and log row; rebuilds alerts with the same columns, CHECKs and indexes; allows scan alerts', async () => {
    const path = await databaseAt0003();
    const before = alertsSchema(path);
    expect([...before.keys()]).toEqual(['alerts', 'alerts_acked_ts', 'alerts_entity_ts', 'alerts_ts']);
    const s = await openSqliteStore({ dataDir: dirname(path) });
    try {
      const page = await s.listAlerts({ limit: 1000 });
      expect(page.items).toStrictEqual([...oldAlerts].sort(alertSorted));
      expect(await s.listAlerts({ acked: true, limit: 1000 })).toStrictEqual({ items: oldAlerts.filter((a) => a.acked).sort(alertSorted), next_cursor: null });
      expect(await s.getEntities(oldEntities.map((e) => e.entity))).toStrictEqual(oldEntities.map((e) => ({ ...e, exposure: 0 })));
      expect(await s.countEvents()).toBe(1);
      expect(await s.readLog(0, 10)).toStrictEqual([{ index: 0, ts_ms: T0, kind: 'alert', data: '{"a":1}' }]);
      // Scan alerts and exposures are accepted now.
      const scanAlert: Alert = { ...oldAlerts[0], id: 'al-scan', event_type: 'scan', event_id: 'scan-1', entity: 'ip:127.0.0.1', reasons: ['Vulnerable Service'] };
      await s.writeBatch({ events: [], alerts: [scanAlert], entities: [{ ...oldEntities[0], last_seen_ms: T0 + 500, exposure: 0.75 }] });
      expect(await s.getAlert('al-scan')).toStrictEqual(scanAlert);
      expect((await s.getEntities([oldEntities[0].entity]))[0]?.exposure).toBe(0.75);
    } finally {
      await s.close();
    }
    const after = alertsSchema(path);
    // Indexes: the same definitions under the same names.
    for (const name of ['alerts_acked_ts', 'alerts_entity_ts', 'alerts_ts']) expect(after.get(name), name).toBe(before.get(name));
    // The table: the same text but the event_type list (SQLite keeps the CREATE text, renamed).
    const oldSql = before.get('alerts')!;
    expect(oldSql).toContain(`"event_type" in ('flow', 'robot', 'sensor')`);
    expect(after.get('alerts')).toBe(oldSql.replace(`"event_type" in ('flow', 'robot', 'sensor')`, `"event_type" in ('flow', 'robot', 'sensor', 'scan')`));
    const db = new Database(path);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // Every CHECK still holds on the rebuilt table.
      const cols = 'id, event_id, event_type, entity, timestamp, ts_ms, ports_accessed, intrusion_detected, reasons, severity, risk, techniques, acked';
      const ins = db.prepare(`insert into alerts (${cols}) values (?, 'e', ?, 'ip:x', 't', 1, '[]', ?, '[]', ?, ?, '[]', ?)`);
      const cases: [string, string, number, string, number, number][] = [
        ['bad-type', 'nmap', 1, 'low', 0.5, 0],
        ['bad-intrusion', 'flow', 0, 'low', 0.5, 0],
        ['bad-severity', 'flow', 1, 'urgent', 0.5, 0],
        ['bad-risk', 'flow', 1, 'low', 1.5, 0],
        ['bad-acked', 'flow', 1, 'low', 0.5, 2],
      ];
      for (const c of cases) expect(() => ins.run(...c), c[0]).toThrow(/CHECK constraint failed/);
      expect(() => db.prepare(`update entities set exposure = 1.01 where entity = ?`).run(oldEntities[1].entity)).toThrow(/CHECK constraint failed/);
      expect(() => db.prepare(`insert into scans (id, status, requested_by, targets, ports, created_ms) values ('s', 'lost', 'a', '[]', 'p', 1)`).run()).toThrow(/CHECK/);
      // The list query plans are index range scans on the rebuilt table too.
      const plan = (db.prepare(`explain query plan select * from alerts where entity = 'ip:a' and (ts_ms, id) < (1, 'x') order by ts_ms desc, id desc limit 11`).all() as { detail: string }[])
        .map((r) => r.detail).join(' | ');
      expect(plan).toMatch(/USING INDEX alerts_entity_ts/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('a failure inside 0004 rolls all of it back: the 0003 schema and rows stay, and the open fails with IPQ-S001', async () => {
    const path = await databaseAt0003();
    const before = alertsSchema(path);
    const db = new Database(path);
    db.exec('create table cves (x integer)'); // 0004 fails when it creates `cves`, after the alerts rebuild
    db.close();
    let err: unknown;
    try {
      await openSqliteStore({ dataDir: dirname(path) });
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-S001'), String(err)).toBe(true);
    expect((err as Error).message).toContain(path);
    expect(alertsSchema(path)).toEqual(before);
    const probe = new Database(path, { readonly: true });
    try {
      expect(probe.prepare('select count(*) as n from alerts').get()).toEqual({ n: oldAlerts.length });
      expect((probe.prepare('select name from pragma_table_info(?)').all('entities') as { name: string }[]).map((c) => c.name)).not.toContain('exposure');
      expect(probe.prepare(`select count(*) as n from sqlite_master where name in ('alerts_rebuilt', 'scans', 'scan_hosts')`).get()).toEqual({ n: 0 });
      expect((probe.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name)).not.toContain('0004_scans_and_exposure');
    } finally {
      probe.close();
    }
  });

  it('runs as a no-op when its work committed but Kysely did not record it (a kill in between)', async () => {
    const path = await databaseAt0003();
    const s = await openSqliteStore({ dataDir: dirname(path) });
    await s.putScan(fixtureScan('scan-1', T0, [fixtureHost('127.0.0.1', T0 + 100, [[22, 'CVE-2021-41617']])]));
    await s.close();
    const db = new Database(path);
    db.prepare(`delete from kysely_migration where name = '0004_scans_and_exposure'`).run();
    db.close();
    const again = await openSqliteStore({ dataDir: dirname(path) });
    try {
      expect((await again.listAlerts({ limit: 1000 })).items.length).toBe(oldAlerts.length);
      expect((await again.getScan('scan-1'))?.status).toBe('done');
      expect(await again.previousHostReport('127.0.0.1', T0 + 101)).toStrictEqual(fixtureHost('127.0.0.1', T0 + 100, [[22, 'CVE-2021-41617']]));
    } finally {
      await again.close();
    }
    const probe = new Database(path, { readonly: true });
    expect((probe.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name)).toContain('0004_scans_and_exposure');
    probe.close();
  });

  it('down (to 0003) keeps the event alerts, drops scan alerts, exposure and the scan tables; up again works', async () => {
    const path = await databaseAt0003();
    const before = alertsSchema(path);
    const s = await openSqliteStore({ dataDir: dirname(path) });
    await s.writeBatch({ events: [], alerts: [{ ...oldAlerts[1], id: 'al-scan', event_type: 'scan' }], entities: [] });
    await s.close();
    await migrateFileTo(path, M0003);
    expect(alertsSchema(path)).toEqual(before);
    const probe = new Database(path, { readonly: true });
    try {
      expect(probe.prepare('select count(*) as n from alerts').get()).toEqual({ n: oldAlerts.length });
      expect(probe.prepare(`select count(*) as n from sqlite_master where name in ('cves', 'scans', 'scan_hosts')`).get()).toEqual({ n: 0 });
    } finally {
      probe.close();
    }
    const up = await openSqliteStore({ dataDir: dirname(path) });
    try {
      expect((await up.listAlerts({ limit: 1000 })).items).toStrictEqual([...oldAlerts].sort(alertSorted));
    } finally {
      await up.close();
    }
  });
});

describe('cursor', () => {
  it('round-trips a sort key through an opaque base64url string', () => {
    const key = { timeMs: 1_700_000_000_123, id: 'ev:1-A_b.c' };
    const c = encodeCursor(key);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual(key);
    // Known encoding: base64url("[5,\"a\"]") per RFC 4648 §5.
    expect(encodeCursor({ timeMs: 5, id: 'a' })).toBe('WzUsImEiXQ');
  });
});
