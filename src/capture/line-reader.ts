/**
 * Line-oriented sensor logs (Zeek conn.log TSV/JSON, Suricata eve.json): a streaming line splitter over a file,
 * stdin or any byte/string chunks, with 1-based line numbers and a bounded line length, and the read loop the
 * readers share (skip-and-count of bad lines, summary counters).
 *
 * Lines end at LF (0x0A); a CR before the LF is dropped (CRLF files), and a last line without LF is still a line.
 * Text is decoded as UTF-8 (invalid sequences become U+FFFD, WHATWG Encoding §4.1 "replacement" mode, which is
 * what `Buffer#toString('utf8')` does). A line longer than {@link LineReadOptions.maxLineBytes} is not kept: its
 * bytes are dropped up to the next LF and it is reported as `tooLong`, so memory stays bounded by the limit plus
 * one chunk whatever the input holds.
 *
 * Cost: one `indexOf` scan per chunk and one string per line (logs are read at ~10^5–10^6 lines/s, far from the
 * per-packet budget; allocation per line is accepted here).
 */
import { createReadStream } from 'node:fs';
import { IpqsecError, isIpqsecError } from '../core/errors.js';

/** Default longest line kept, in bytes (1 MiB: a Zeek conn.log line is ~300 B, a Suricata alert with payload ~10 KiB). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;

/** Where lines come from: a file path (`-` is stdin), or chunks (bytes or strings, split anywhere). */
export type LineSource = string | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** One line of input. */
export interface LogLine {
  /** The line without its LF (and without a CR before it); `''` when {@link tooLong}. */
  readonly text: string;
  /** 1-based line number. */
  readonly line: number;
  /** True when the line exceeded the length limit and was dropped. */
  readonly tooLong: boolean;
}

/** Options of {@link readLines}. */
export interface LineReadOptions {
  /** Longest line kept, in bytes, counting a CR before the LF but not the LF (default {@link DEFAULT_MAX_LINE_BYTES}); ≥ 1. */
  readonly maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines. Async iteration; the source is read chunk by chunk, never whole.
 *
 * @throws IpqsecError IPQ-D001 when `source` is a path that cannot be opened or read (location: the path).
 * @throws RangeError when `maxLineBytes` is not a positive integer.
 */
export async function* readLines(source: LineSource, opts: LineReadOptions = {}): AsyncGenerator<LogLine> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false; // the current line passed the limit: drop bytes until the next LF
  let line = 0;

  const finish = (last: Buffer, end: number): LogLine => {
    line++;
    if (overflow || pendingBytes + end > max) {
      pending.length = 0;
      pendingBytes = 0;
      overflow = false;
      return { text: '', line, tooLong: true };
    }
    let buf: Buffer;
    let len: number;
    if (pending.length === 0) {
      buf = last;
      len = end;
    } else {
      pending.push(last.subarray(0, end));
      buf = Buffer.concat(pending, pendingBytes + end);
      len = buf.length;
      pending.length = 0;
      pendingBytes = 0;
    }
    if (len > 0 && buf[len - 1] === CR) len--;
    return { text: buf.toString('utf8', 0, len), line, tooLong: false };
  };

  for await (const chunk of chunksOf(source)) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        const rest = buf.length - pos;
        if (!overflow) {
          if (pendingBytes + rest > max) {
            overflow = true;
            pending.length = 0;
            pendingBytes = 0;
          } else {
            // Copy: the caller may reuse the chunk's memory after we return from the iteration step.
            pending.push(Buffer.from(buf.subarray(pos)));
            pendingBytes += rest;
          }
        }
        break;
      }
      yield finish(buf.subarray(pos), nl - pos);
      pos = nl + 1;
    }
  }
  if (overflow || pendingBytes > 0) yield finish(Buffer.alloc(0), 0);
}

async function* chunksOf(source: LineSource): AsyncGenerator<Uint8Array | string> {
  if (typeof source !== 'string') {
    yield* source as AsyncIterable<Uint8Array | string>;
    return;
  }
  const stream = source === '-' ? process.stdin : createReadStream(source);
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      throw new IpqsecError('IPQ-D001', `cannot read ${source}: ${(e as Error).message}`, {
        location: { file: source },
        details: { code },
        cause: e,
      });
    }
    throw e;
  }
}

/** Options shared by the sensor log readers. */
export interface LogReadOptions extends LineReadOptions {
  /** File name in error locations (default: the path given, `<stdin>` for `-`, else none). */
  readonly file?: string;
  /** Skip and count malformed lines (IPQ-N004) instead of throwing at the first one. */
  readonly skipBad?: boolean;
  /** How many skipped lines to describe in {@link LogReadSummary.skipExamples} (default 5). */
  readonly maxSkipExamples?: number;
}

/** What a read did; filled in while reading (valid after a throw too, up to the failing line). */
export interface LogReadSummary {
  /** Lines read (the number of the last line seen). */
  lines: number;
  /** Records delivered. */
  records: number;
  /** Malformed lines skipped (only with `skipBad`). */
  skipped: number;
  /** The first skipped lines: line number and error message. */
  readonly skipExamples: { line: number; message: string }[];
}

/** A fresh, zeroed {@link LogReadSummary}. */
export function newLogReadSummary(): LogReadSummary {
  return { lines: 0, records: 0, skipped: 0, skipExamples: [] };
}

/** The file name to show in error locations for a source. */
export function sourceLabel(source: LineSource, file: string | undefined): string | undefined {
  if (file !== undefined) return file;
  if (typeof source === 'string') return source === '-' ? '<stdin>' : source;
  return undefined;
}

/**
 * The read loop of the sensor log readers: splits `source` into lines and passes each to `parseLine`, yielding
 * what it returns (`null`: nothing to deliver for that line, e.g. a header or an event type that is not read).
 * A line over the length limit is IPQ-N004. With `skipBad`, IPQ-N004 errors are counted in `summary` and reading
 * goes on; any other error (and every error without `skipBad`) ends the iteration by throwing, after the records
 * of the lines before it were yielded, so a consumer keeps what was accepted.
 */
export async function* parseLogLines<T>(
  source: LineSource,
  parseLine: (text: string, line: number) => T | null,
  opts: LogReadOptions,
  summary: LogReadSummary,
): AsyncGenerator<T> {
  const file = sourceLabel(source, opts.file);
  const maxExamples = opts.maxSkipExamples ?? 5;
  for await (const l of readLines(source, opts)) {
    summary.lines = l.line;
    let record: T | null;
    try {
      if (l.tooLong) {
        throw new IpqsecError('IPQ-N004', `line longer than ${opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES} bytes`, {
          location: { ...(file === undefined ? {} : { file }), line: l.line },
          details: { limit: opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES },
        });
      }
      record = parseLine(l.text, l.line);
    } catch (e) {
      if (opts.skipBad === true && isIpqsecError(e, 'IPQ-N004')) {
        summary.skipped++;
        if (summary.skipExamples.length < maxExamples) summary.skipExamples.push({ line: l.line, message: e.message });
        continue;
      }
      throw e;
    }
    if (record !== null) {
      summary.records++;
      yield record;
    }
  }
}

/**
 * The synchronous form of {@link parseLogLines} over a string already in memory (an HTTP body, a test fixture):
 * same line rules (LF, optional CR, limit in UTF-8 bytes, no line after a final LF), same skip rules; each record
 * goes to `onRecord` as soon as its line is parsed, so on a throw the records before the failing line stand.
 */
export function parseLogText<T>(
  text: string,
  parseLine: (text: string, line: number) => T | null,
  onRecord: (record: T) => void,
  opts: LogReadOptions,
  summary: LogReadSummary,
): void {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
  const maxExamples = opts.maxSkipExamples ?? 5;
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    summary.lines = line;
    let s = text.slice(start, end);
    start = end + 1;
    let record: T | null;
    try {
      // A UTF-16 unit is 1 to 3 UTF-8 bytes: count the bytes only when the unit count cannot decide.
      if (s.length > max || (s.length * 3 > max && Buffer.byteLength(s, 'utf8') > max)) {
        throw new IpqsecError('IPQ-N004', `line longer than ${max} bytes`, {
          location: { ...(opts.file === undefined ? {} : { file: opts.file }), line },
          details: { limit: max },
        });
      }
      if (s.endsWith('\r')) s = s.slice(0, -1);
      record = parseLine(s, line);
    } catch (e) {
      if (opts.skipBad === true && isIpqsecError(e, 'IPQ-N004')) {
        summary.skipped++;
        if (summary.skipExamples.length < maxExamples) summary.skipExamples.push({ line, message: e.message });
        continue;
      }
      throw e;
    }
    if (record !== null) {
      summary.records++;
      onRecord(record);
    }
  }
}

/** A line-oriented log reader (the Zeek conn.log and Suricata eve.json readers): one record per line, a summary. */
export interface LogRecordReader<T, S extends LogReadSummary> {
  parseLine(text: string, line: number): T | null;
  read(source: LineSource): AsyncGenerator<T>;
  readonly summary: S;
}

/**
 * Reads `source` (a path, `-` for stdin, or chunks) with `reader`, calling `onRecord` per record in order; resolves
 * with the reader's summary. On IPQ-N004 (without `skipBad`) the records before the bad line were delivered and
 * the error is thrown after them; IPQ-D001 when the file cannot be read.
 */
export async function readLogWith<T, S extends LogReadSummary>(reader: LogRecordReader<T, S>, source: LineSource, onRecord: (record: T) => void): Promise<S> {
  for await (const e of reader.read(source)) onRecord(e);
  return reader.summary;
}

/** Parses log text already in memory with `reader` (same rules as {@link readLogWith}); returns its summary. */
export function parseTextWith<T, S extends LogReadSummary>(reader: LogRecordReader<T, S>, text: string, onRecord: (record: T) => void, opts: LogReadOptions): S {
  parseLogText(text, (t, l) => reader.parseLine(t, l), onRecord, opts, reader.summary);
  return reader.summary;
}
