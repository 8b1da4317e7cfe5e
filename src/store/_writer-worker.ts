/**
 * The store's writer thread (compiled JS only; started by `sqlite-writer-thread.ts`): its own connection to the
 * database file commits the batches it is sent, in order, and answers each with its sequence number and an
 * error message when the transaction failed (rolled back).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyPragmas, createBatchWriter } from './_batch-writer.js';
import type { WriteBatch } from './store.js';

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path, { timeout: busyTimeoutMs });
applyPragmas(db, busyTimeoutMs);
db.pragma('cache_size = -16384');
const commit = createBatchWriter(db);
parentPort!.on('message', (m: { seq: number; json: string } | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  try {
    commit(JSON.parse(m.json) as WriteBatch);
    parentPort!.postMessage({ seq: m.seq });
  } catch (e) {
    parentPort!.postMessage({ seq: m.seq, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort!.postMessage({ ready: true });
