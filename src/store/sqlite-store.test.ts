import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { DB_FILE_NAME, openSqliteStore } from './sqlite-store.js';
import { fixtureEvent, storeContract } from './store.case.js';

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
        expect(applied.map((m) => m.name)).toEqual(['0001_initial', '0002_drop_low_selectivity_indexes', '0003_ledger_and_devices']);
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
