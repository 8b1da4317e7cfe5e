/**
 * Streaming capture reader: pcap or pcapng (told apart by the first four bytes), pushed in chunks of any size
 * split at any byte, records handed to a callback as they complete.
 *
 * Zero-copy in the common case: each chunk is parsed in place and the reused {@link CaptureRecord} points into it;
 * only the unfinished tail of a chunk (a record split across chunks) is copied into a reused carry buffer, which
 * is completed from the next chunk and parsed there. The carry grows with the bytes actually received (never to a
 * length a header merely claims) and is released after a record over {@link CARRY_KEEP_BYTES} completes, so a
 * corrupt length cannot make it allocate.
 *
 * Errors: {@link IpqsecError} IPQ-N001 (input ends inside a header, record or block), IPQ-N002 (corrupt, not a
 * capture), IPQ-N003 (link type not decoded). `location.offset` is the byte offset, in the whole input, of the
 * file header, record or block at fault; every record before it has been delivered (and
 * `bytesConsumed === location.offset`). `location.file` is the `file` option. After an error the reader is
 * spent: `feed` and `end` throw the same error again.
 *
 * Sources: draft-ietf-opsawg-pcap-05 (pcap-reader.ts), draft-ietf-opsawg-pcapng-03 (pcapng-reader.ts).
 */
import { createReadStream } from 'node:fs';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import type { CaptureRecord } from './packet.js';
import { PcapParser, captureError, isPcapMagic } from './pcap-reader.js';
import type { RecordParser, RecordSink } from './pcap-reader.js';
import { PcapngParser, isPcapngMagic } from './pcapng-reader.js';

/** A carry buffer larger than this is dropped once the record it held is parsed (keeps the reader's memory bounded). */
export const CARRY_KEEP_BYTES = 8 * 1024 * 1024;
/** Chunk size of {@link readCaptureFile} streams: large enough that records split across chunks are rare. */
export const READ_CHUNK_BYTES = 1024 * 1024;

const INITIAL_CARRY_BYTES = 64 * 1024;

/** Capture file formats read. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** Options of a {@link CaptureReader}. */
export interface CaptureReaderOptions {
  /** Name used in error locations (the path, or `<stdin>`). */
  file?: string;
  /**
   * The record object to fill and hand out (e.g. a `PacketInfo`'s `record`, so that `decodePacket` needs no
   * copy). Default: a new one owned by the reader.
   */
  record?: CaptureRecord;
  /**
   * Records of a link type the decoder does not handle: `'error'` (default) throws IPQ-N003 — at the pcap file
   * header, or at the first packet of such a pcapng interface; `'skip'` drops them and counts them in `skipped`.
   */
  unsupportedLinkType?: 'error' | 'skip';
}

/**
 * What a whole read produced. When the input is truncated or corrupt the read does not throw: `error` holds the
 * IPQ-N001/N002/N003 error (with `location.offset`) and the other fields describe the records delivered before it,
 * so a caller can report them and then exit with the error's exit code (2).
 */
export interface CaptureSummary {
  /** Format detected from the magic; undefined when the input was too short or not a capture. */
  format: CaptureFormat | undefined;
  /** Records delivered to the callback. */
  packets: number;
  /** Records dropped for their link type (option `unsupportedLinkType: 'skip'`). */
  skipped: number;
  /** Bytes read from the input (file bytes, headers included). */
  bytes: number;
  /** Link types declared by the file header or interface blocks, ascending. */
  linkTypes: number[];
  /** Timestamp of the first and the last record delivered, epoch seconds; undefined with no records. */
  firstTs: number | undefined;
  lastTs: number | undefined;
  /** The capture error that ended the read early, if any. */
  error?: IpqsecError;
}

/**
 * Push-based reader of one capture stream. Feed it chunks in order, then call {@link end}. Per record O(1) and no
 * allocation; a record split across chunks costs one copy of its bytes into the carry buffer.
 */
export class CaptureReader {
  private readonly sink: RecordSink;
  private parser: RecordParser | undefined;
  private carry = new Uint8Array(0);
  private carryLen = 0;
  private consumed = 0;
  private fed = 0;
  private ended = false;
  private failure: IpqsecError | undefined;

  /**
   * @param onRecord called once per packet record with the reused record; the record and the bytes it points to
   *   are valid only during the call.
   */
  constructor(onRecord: (r: CaptureRecord) => void, opts: CaptureReaderOptions = {}) {
    const record: CaptureRecord = opts.record ?? { data: new Uint8Array(0), offset: 0, capLen: 0, origLen: 0, ts: 0, linkType: 0, interfaceId: 0, fileOffset: 0 };
    this.sink = {
      record,
      onRecord,
      file: opts.file,
      skipUnsupported: opts.unsupportedLinkType === 'skip',
      packets: 0,
      skipped: 0,
      firstTs: 0,
      lastTs: 0,
      linkTypes: new Set<number>(),
    };
  }

  /** Records delivered so far. */
  get packets(): number {
    return this.sink.packets;
  }
  /** Records skipped for their link type. */
  get skipped(): number {
    return this.sink.skipped;
  }
  /** Bytes of complete headers, records and blocks parsed: the offset of the next unit in the input. */
  get bytesConsumed(): number {
    return this.consumed;
  }
  /** Bytes fed so far. */
  get bytesFed(): number {
    return this.fed;
  }
  /** Format detected from the magic, undefined until four bytes arrived. */
  get format(): CaptureFormat | undefined {
    return this.parser?.format;
  }
  /** Link types declared so far (pcap file header, pcapng interface blocks). */
  get linkTypes(): ReadonlySet<number> {
    return this.sink.linkTypes;
  }
  /** Timestamp of the first record delivered (epoch seconds), undefined before it. */
  get firstTs(): number | undefined {
    return this.sink.packets > 0 ? this.sink.firstTs : undefined;
  }
  /** Timestamp of the last record delivered (epoch seconds), undefined before the first. */
  get lastTs(): number | undefined {
    return this.sink.packets > 0 ? this.sink.lastTs : undefined;
  }
  /** The capture error that stopped this reader, if any. */
  get error(): IpqsecError | undefined {
    return this.failure;
  }

  /**
   * Feeds the next chunk (any length, any split point). Records completed by it are delivered before it returns.
   * The chunk may be reused by the caller afterwards (its unfinished tail has been copied).
   * Throws IPQ-N002 / IPQ-N003 (records before the offset delivered); TypeError after {@link end}.
   */
  feed(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new TypeError('CaptureReader.feed() after end()');
    this.fed += chunk.length;
    try {
      this.parseChunk(chunk);
    } catch (e) {
      if (isIpqsecError(e) && (e.code === 'IPQ-N001' || e.code === 'IPQ-N002' || e.code === 'IPQ-N003')) this.failure = e;
      throw e;
    }
  }

  /** End of input: IPQ-N001 if it ends inside a header, record or block (or holds no file header at all). */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return;
    this.ended = true;
    if (this.carryLen > 0 || this.parser === undefined) {
      const needed = this.carryLen > 0 ? this.need(this.carry, 0, this.carryLen) : 4;
      const what = this.parser === undefined ? 'before the file header' : 'inside a header, record or block';
      this.failure = captureError('IPQ-N001', this.sink, this.consumed, `input ends ${what}: ${this.carryLen} of ${needed} bytes present`, {
        needed,
        available: this.carryLen,
      });
      throw this.failure;
    }
  }

  /** Summary of what was read so far (with `error` when the reader failed). */
  summary(): CaptureSummary {
    const s: CaptureSummary = {
      format: this.format,
      packets: this.sink.packets,
      skipped: this.sink.skipped,
      bytes: this.fed,
      linkTypes: [...this.sink.linkTypes].sort((a, b) => a - b),
      firstTs: this.firstTs,
      lastTs: this.lastTs,
    };
    if (this.failure !== undefined) s.error = this.failure;
    return s;
  }

  private parseChunk(chunk: Uint8Array): void {
    const len = chunk.length;
    let pos = 0;
    // 1. Complete the unit carried over from earlier chunks, reading from this one only what it lacks.
    if (this.carryLen > 0) {
      for (;;) {
        const n = this.need(this.carry, 0, this.carryLen);
        if (n <= this.carryLen) {
          this.consumeUnit(this.carry, 0, n);
          this.carryLen = 0;
          if (this.carry.length > CARRY_KEEP_BYTES) this.carry = new Uint8Array(0);
          break;
        }
        if (pos >= len) return;
        const take = Math.min(n - this.carryLen, len - pos);
        this.append(chunk, pos, take);
        pos += take;
      }
    }
    // 2. Whole units inside the chunk: parsed in place, no copy.
    while (pos < len) {
      const avail = len - pos;
      const n = this.need(chunk, pos, avail);
      if (n > avail) break;
      this.consumeUnit(chunk, pos, n);
      pos += n;
    }
    // 3. The unfinished tail waits in the carry buffer.
    if (pos < len) this.append(chunk, pos, len - pos);
  }

  private need(buf: Uint8Array, off: number, avail: number): number {
    if (this.parser === undefined) {
      if (avail < 4) return 4;
      if (isPcapngMagic(buf, off)) this.parser = new PcapngParser(this.sink);
      else if (isPcapMagic(buf, off)) this.parser = new PcapParser(this.sink);
      else {
        const magic = Array.from(buf.subarray(off, off + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
        throw captureError('IPQ-N002', this.sink, this.consumed, `not a pcap or pcapng file (first bytes ${magic})`, { field: 'magic' });
      }
    }
    return this.parser.need(buf, off, avail, this.consumed);
  }

  private consumeUnit(buf: Uint8Array, off: number, n: number): void {
    (this.parser as RecordParser).consume(buf, off, n, this.consumed);
    this.consumed += n;
  }

  private append(src: Uint8Array, pos: number, n: number): void {
    const want = this.carryLen + n;
    if (want > this.carry.length) {
      let cap = Math.max(INITIAL_CARRY_BYTES, this.carry.length);
      while (cap < want) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
    }
    this.carry.set(src.subarray(pos, pos + n), this.carryLen);
    this.carryLen = want;
  }
}

/**
 * Reads a whole capture held in memory, synchronously (benchmarks, tests, small files): one in-place pass, no
 * copy. Returns the summary; a truncated or corrupt capture sets `summary.error` instead of throwing (records before
 * the offset were delivered). Errors thrown by `onRecord` propagate.
 */
export function readCaptureBuffer(buf: Uint8Array, onRecord: (r: CaptureRecord) => void, opts: CaptureReaderOptions = {}): CaptureSummary {
  const reader = new CaptureReader(onRecord, opts);
  try {
    reader.feed(buf);
    reader.end();
  } catch (e) {
    if (e !== reader.error) throw e;
  }
  return reader.summary();
}

/** Options of {@link readCaptureFile}. */
export interface ReadCaptureFileOptions extends Omit<CaptureReaderOptions, 'file'> {
  /** Read chunk size, bytes (default {@link READ_CHUNK_BYTES}). */
  highWaterMark?: number;
  /** Stream read for the path `-` (default `process.stdin`); tests pass their own. */
  stdin?: AsyncIterable<Uint8Array>;
  /**
   * Awaited before each chunk is fed: a consumer that queues work (a sensor sending to a server) returns a promise
   * while it is full, which stops reading the stream — back-pressure on a pipe instead of a growing queue.
   */
  beforeChunk?: () => Promise<void> | void;
}

/** File-system errors that mean "this path cannot be read" (reported as IPQ-D001). */
const UNREADABLE = new Set(['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Reads a capture file, or standard input when `path` is `-` (`tcpdump -w - | ipqsec sensor --pcap -`), through
 * a stream of {@link READ_CHUNK_BYTES} chunks, calling `onRecord` per packet record.
 *
 * Resolves with the {@link CaptureSummary}. A truncated or corrupt capture does not reject: the summary carries
 * `error` (IPQ-N001/N002/N003 with `location.file` and `location.offset`) and the records delivered before it stand,
 * so the caller reports them and exits with code 2. Rejects with IPQ-D001 when the path cannot be opened, and with
 * whatever `onRecord` throws.
 */
export async function readCaptureFile(path: string, onRecord: (r: CaptureRecord) => void, opts: ReadCaptureFileOptions = {}): Promise<CaptureSummary> {
  const stdin = path === '-';
  const reader = new CaptureReader(onRecord, { ...opts, file: stdin ? '<stdin>' : path });
  const input: AsyncIterable<Uint8Array> = stdin ? (opts.stdin ?? process.stdin) : createReadStream(path, { highWaterMark: opts.highWaterMark ?? READ_CHUNK_BYTES });
  try {
    // Leaving the loop early (an error) calls the iterator's return(), which destroys the stream.
    const before = opts.beforeChunk;
    for await (const chunk of input) {
      if (before !== undefined) await before();
      reader.feed(chunk);
    }
    reader.end();
  } catch (e) {
    if (e === reader.error) return reader.summary();
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code === 'string' && UNREADABLE.has(code)) {
      throw new IpqsecError('IPQ-D001', `cannot read capture: ${(e as Error).message}`, { location: { file: path }, details: { errno: code }, cause: e });
    }
    throw e;
  }
  return reader.summary();
}
