/**
 * Moves the store's batch commits to a second thread, so the ingest thread validates and scores the next batch
 * while SQLite commits this one (bench:ingest profile, 2026-11-21: the commit was 61 % of the ingest thread, and
 * the second core sat idle). The worker owns a second connection to the same WAL database; commits stay in
 * order (one worker, FIFO messages), and `write` resolves only after the transaction committed, so an
 * acknowledged batch is durable exactly as before. Reads and the rare other writes (lists, tokens, state) stay on
 * the main connection; a write there waits for the worker's transaction through `busy_timeout`.
 *
 * Runs from the compiled JS only (a worker needs a JS file); under the TypeScript test runner the store commits on
 * its own connection, as it did before.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriteBatch } from './store.js';

/** A running writer thread. */
export interface WriterThread {
  /** Commits `batch`; rejects with the SQLite error message when the transaction failed (nothing stored). */
  write(batch: WriteBatch): Promise<void>;
  /** Waits for the queued commits, then stops the thread. Idempotent. */
  close(): Promise<void>;
}

/** The worker's compiled file, or undefined when running from TypeScript sources. */
export function writerWorkerFile(): URL | undefined {
  const url = new URL('./_writer-worker.js', import.meta.url);
  return import.meta.url.endsWith('.js') && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Starts the writer thread on the database file at `path` (already migrated). */
export async function startWriterThread(file: URL, path: string, busyTimeoutMs: number): Promise<WriterThread> {
  // The worker only holds the batches in flight (bounded by the Monitor's admission control): a small heap keeps
  // its garbage collected early (RSS target: 512 MiB with 100,000 tracked entities).
  const worker = new Worker(file, { workerData: { path, busyTimeoutMs }, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 } });
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let seq = 0;
  let failed: Error | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { ready?: boolean; closed?: boolean; seq?: number; error?: string }) => {
      if (m.ready === true) return resolve();
      if (m.closed === true) return void worker.terminate();
      const p = m.seq === undefined ? undefined : pending.get(m.seq);
      if (p === undefined) return;
      pending.delete(m.seq!);
      if (m.error === undefined) p.resolve();
      else p.reject(new Error(m.error));
    });
    worker.once('error', (e) => {
      failed = e;
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
  });
  await ready;
  let closing: Promise<void> | undefined;
  let last: Promise<unknown> = Promise.resolve();
  return {
    write(batch) {
      if (failed !== undefined) return Promise.reject(failed);
      if (closing !== undefined) return Promise.reject(new Error('the writer thread is closed'));
      const n = ++seq;
      const done = new Promise<void>((resolve, reject) => {
        pending.set(n, { resolve, reject });
        // One JSON string instead of the object graph: structured-cloning 1,000 events cost the ingest thread
        // about 7 % of its time (bench:ingest --profile, 2026-11-21), stringifying half as much. NaN and ±Infinity
        // become null, which the NOT NULL columns refuse exactly as they refuse a NaN bound directly.
        worker.postMessage({ seq: n, json: JSON.stringify(batch) });
      });
      last = done.catch(() => undefined);
      return done;
    },
    close: () =>
      (closing ??= (async () => {
        await last; // commits are answered in order: the last one settles after every earlier one
        worker.postMessage('close');
        await Promise.race([exited, new Promise<void>((r) => setTimeout(r, 5000).unref())]);
        await worker.terminate();
      })()),
  };
}
