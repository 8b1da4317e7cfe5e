/**
 * AuditLog over the real SQLite store: entries committed with batches, checkpoints only over committed entries and
 * at most one per interval, reload at start (a modified database is caught against the signed checkpoint), and a
 * failed write stopping the log. Roots are checked against an independent recomputation (RFC 9162 MTH over the
 * leaf hashes by the recursive definition in merkle.ts), signatures with the log's verifier key.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { openCheckpoint } from '../ledger/checkpoint.js';
import type { LogEntry } from '../ledger/log-entry.js';
import { leafHash, merkleTreeHash } from '../ledger/merkle.js';
import { mlDsaNoteSigner, mlDsaNoteVerifier } from '../ledger/note-signer.js';
import { createPqcProvider } from '../pqc/select-provider.js';
import { openSqliteStore, type SqliteStore } from '../store/index.js';
import { AuditLog } from './audit-log.js';

const p = createPqcProvider('noble');
const identity = p.mlDsaKeygen(new Uint8Array(32).fill(5));
const ORIGIN = 'audit.test/log';
const entry = (i: number): LogEntry => ({ v: 1, kind: 'list', ts_ms: 1_700_000_000_000 + i, subject: `ip:10.0.0.${i % 250}`, data: { op: 'put', list: 'block', by: 'test', n: i } });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
async function fileStore(): Promise<{ dir: string; store: SqliteStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-audit-'));
  dirs.push(dir);
  return { dir, store: await openSqliteStore({ dataDir: dir }) };
}
const open = (store: SqliteStore, clock: { now: number }, extra: Partial<Parameters<typeof AuditLog.open>[0]> = {}) =>
  AuditLog.open({ store, origin: ORIGIN, signer: mlDsaNoteSigner(p, ORIGIN, identity), nowMs: () => clock.now, checkpointIntervalMs: 1000, ...extra });

describe('AuditLog', () => {
  it('checkpoints cover committed entries, at most one per interval, and their roots equal an independent MTH', async () => {
    const { store } = await fileStore();
    const clock = { now: 10_000 };
    const log = await open(store, clock);
    await log.append([entry(0), entry(1), entry(2)]);
    await log.tick(); // the interval runs from the start: nothing yet
    expect(log.latestCheckpoint).toBeUndefined();
    clock.now += 1000;
    await log.tick();
    const cp1 = log.latestCheckpoint!;
    expect(cp1.size).toBe(3);
    await log.append([entry(3)]);
    await log.tick(); // same instant: within the interval, no new checkpoint
    expect(log.latestCheckpoint!.size).toBe(3);
    clock.now += 1000;
    await log.tick();
    expect(log.latestCheckpoint!.size).toBe(4);
    const stored = await store.readLog(0, 4);
    const leaves = stored.map((r) => leafHash(new TextEncoder().encode(r.data)));
    const opened = openCheckpoint(log.latestCheckpoint!.note, mlDsaNoteVerifier(p, ORIGIN, identity.publicKey));
    expect(Buffer.from(opened.checkpoint.rootHash)).toEqual(Buffer.from(merkleTreeHash(leaves)));
    expect((await store.listCheckpoints(0, 10)).map((c) => c.size)).toEqual([3, 4]);
    await log.close();
    await store.close();
  });

  it('reloads from the store; a row modified behind its back is refused with IPQ-L001', async () => {
    const { dir, store } = await fileStore();
    const clock = { now: 10_000 };
    const log = await open(store, clock);
    await log.append([entry(0), entry(1), entry(2), entry(3), entry(4)]);
    await log.close(); // last checkpoint at size 5
    await store.close();
    const again = await openSqliteStore({ dataDir: dir });
    const reopened = await open(again, clock);
    expect(reopened.size).toBe(5);
    expect(reopened.inclusionProof(2, 5).proof.length).toBeGreaterThan(0);
    await reopened.close();
    await again.close();
    // Tamper: change entry 2's text in the database file directly.
    const db = new Database(join(dir, 'ipqsec.db'));
    db.prepare('update log_entries set data = replace(data, \'"n":2\', \'"n":7\') where idx = 2').run();
    db.close();
    const tampered = await openSqliteStore({ dataDir: dir });
    const err = await open(tampered, clock).catch((e: unknown) => e);
    expect(isIpqsecError(err, 'IPQ-L001')).toBe(true);
    await tampered.close();
  });

  it('a failed write stops the log: later appends fail with IPQ-S001 and nothing is left with a gap', async () => {
    const { store } = await fileStore();
    const clock = { now: 10_000 };
    const errors: unknown[] = [];
    const log = await open(store, clock, { onError: (e) => errors.push(e) });
    await log.append([entry(0)]);
    // Index 1 is staged but its batch never reaches the store (as when a commit fails); the next batch, with index
    // 2, would leave a gap: the store refuses it and the log stops.
    log.stage([entry(1)]);
    const e = await log.append([entry(2)]).catch((x: unknown) => x);
    expect(isIpqsecError(e, 'IPQ-S001')).toBe(true);
    expect(() => log.stage([entry(3)])).toThrow(/IPQ-S001/);
    expect(errors.length).toBeGreaterThan(0);
    expect(await store.logSize()).toBe(1);
    await log.close();
    await store.close();
  });

  it('proof requests outside the committed tree are IPQ-L005', async () => {
    const { store } = await fileStore();
    const log = await open(store, { now: 1 });
    await log.append([entry(0), entry(1)]);
    expect(() => log.inclusionProof(2, 2)).toThrow(/IPQ-L005/);
    expect(() => log.inclusionProof(0, 3)).toThrow(/IPQ-L005/);
    expect(() => log.consistencyProof(0, 2)).toThrow(/IPQ-L005/);
    expect(() => log.consistencyProof(2, 1)).toThrow(/IPQ-L005/);
    expect(log.consistencyProof(1, 2)).toHaveLength(1);
    await log.close();
    await store.close();
  });
});
