/**
 * The alert log: one ECS document per alert, one JSON object per line (NDJSON, https://github.com/ndjson/ndjson-spec),
 * appended to a file that Filebeat or Elastic Agent can tail (`parsers: [ndjson]`). Documents are
 * {@link alertToEcs}'s; the file is opened in append mode and never truncated (rotate it with logrotate's
 * `copytruncate`, or by renaming it and restarting).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IpqsecError } from '../core/errors.js';
import type { Alert } from '../core/records.js';
import { alertToEcs } from './ecs.js';

/** Options of {@link AlertLog.open}. */
export interface AlertLogOptions {
  /**
   * Lines held in memory while the file stream applies backpressure; beyond it the oldest held line is dropped
   * and counted. Default 10,000 (about 10 MB of typical alerts).
   */
  readonly maxBuffered?: number;
  /** Told once when writing fails (IpqsecError `IPQ-S001`); later alerts are dropped and counted. */
  readonly onError?: (err: IpqsecError) => void;
}

/** Counters of {@link AlertLog}. */
export interface AlertLogStats {
  /** Lines handed to the file stream (all on disk once `close()` resolved). */
  readonly written: number;
  /** Lines held while the stream drains. */
  readonly buffered: number;
  /** Lines lost to a full buffer, a write error or an append after close. */
  readonly dropped: number;
}

/**
 * Appends alerts as ECS NDJSON lines.
 *
 * Backpressure: while the write stream's own buffer is above its high-water mark (`write()` returned false),
 * lines wait in a bounded in-memory buffer that is written as one chunk on `drain`; the write stream therefore
 * holds at most one high-water mark plus one chunk.
 */
export class AlertLog {
  readonly #path: string;
  readonly #stream: WriteStream;
  readonly #maxBuffered: number;
  readonly #onError: ((err: IpqsecError) => void) | undefined;
  /** Lines waiting for `drain`: a FIFO with a moving head. */
  #buf: string[] = [];
  #head = 0;
  #waiting = false;
  #failed = false;
  #closing: Promise<void> | undefined;
  #written = 0;
  #dropped = 0;

  private constructor(path: string, stream: WriteStream, opts: AlertLogOptions) {
    this.#path = path;
    this.#stream = stream;
    this.#maxBuffered = opts.maxBuffered ?? 10_000;
    if (!Number.isInteger(this.#maxBuffered) || this.#maxBuffered < 1) {
      throw new RangeError(`maxBuffered must be a positive integer, got ${this.#maxBuffered}`);
    }
    this.#onError = opts.onError;
    stream.on('error', (e) => this.#fail(e));
  }

  /**
   * Opens (creating missing directories, appending to an existing file) the log at `path`.
   *
   * @throws IpqsecError `IPQ-S001` when the directory or file cannot be created or opened
   */
  static async open(path: string, opts: AlertLogOptions = {}): Promise<AlertLog> {
    try {
      await mkdir(dirname(path), { recursive: true });
      const stream = createWriteStream(path, { flags: 'a' });
      await once(stream, 'open');
      return new AlertLog(path, stream, opts);
    } catch (e) {
      throw new IpqsecError('IPQ-S001', `alert log ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        details: { path },
        cause: e,
      });
    }
  }

  /** Appends one alert (never throws; see {@link AlertLogStats} for what is counted). */
  append(alert: Alert): void {
    if (this.#failed || this.#closing !== undefined) {
      this.#dropped++;
      return;
    }
    const line = `${JSON.stringify(alertToEcs(alert))}\n`;
    if (this.#waiting) {
      if (this.#buf.length - this.#head >= this.#maxBuffered) {
        this.#head++;
        this.#dropped++;
      }
      this.#buf.push(line);
      return;
    }
    this.#written++;
    if (!this.#stream.write(line)) this.#waitDrain();
  }

  /** A snapshot of the counters. */
  stats(): AlertLogStats {
    return { written: this.#written, buffered: this.#buf.length - this.#head, dropped: this.#dropped };
  }

  /** Writes the held lines, ends the stream and resolves when the file is closed. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#waiting && !this.#failed) await once(this.#stream, 'drain').catch(() => undefined);
      if (this.#failed) return;
      const closed = once(this.#stream, 'close').catch(() => undefined);
      this.#stream.end();
      await closed;
    })();
    return this.#closing;
  }

  #waitDrain(): void {
    this.#waiting = true;
    this.#stream.once('drain', this.#onDrain);
  }

  readonly #onDrain = (): void => {
    const n = this.#buf.length - this.#head;
    if (n === 0 || this.#failed) {
      this.#waiting = false;
      return;
    }
    const chunk = (this.#head === 0 ? this.#buf : this.#buf.slice(this.#head)).join('');
    this.#buf = [];
    this.#head = 0;
    this.#written += n;
    if (this.#stream.write(chunk)) this.#waiting = false;
    else this.#stream.once('drain', this.#onDrain);
  };

  #fail(e: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#dropped += this.#buf.length - this.#head;
    this.#buf = [];
    this.#head = 0;
    this.#waiting = false;
    const err = new IpqsecError('IPQ-S001', `alert log ${this.#path}: write failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      details: { path: this.#path },
      cause: e,
    });
    try {
      this.#onError?.(err);
    } catch {
      // A failing callback must not escape the stream's error handler; the failure is counted.
    }
  }
}
