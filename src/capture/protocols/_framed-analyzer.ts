/**
 * Shared reassembly for length-framed binary protocols (Modbus/TCP, MQTT, DNP3): PDUs split across TCP segments,
 * several PDUs in one segment, resynchronisation after garbage, oversized PDUs. Folder-private.
 *
 * Per direction the analyzer keeps one buffer that only ever holds the unfinished tail of the stream (≤ `cap`
 * bytes, allocated on first need and grown by doubling). Whole PDUs are parsed in place from the caller's
 * segment, so the common case (one or more whole PDUs per segment) copies nothing; only a PDU cut by a segment
 * boundary is copied, once. A PDU longer than `cap` (an MQTT PUBLISH of 1 MiB) is parsed from its first `cap`
 * bytes and the rest is skipped without buffering.
 *
 * Garbage (a header the subclass rejects) is counted in `malformed`; the subclass chooses the resynchronisation:
 * drop everything up to the end of the current segment and try again at the next one (Modbus, MQTT: no sync
 * marker, but senders start segments at PDU boundaries), or scan for a sync marker (DNP3 `05 64`). After
 * `maxFailures` consecutive errors the direction is abandoned (a non-protocol stream costs nothing afterwards).
 */
import { clampRange } from './_bytes.js';
import type { AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** Default bound of a direction's reassembly buffer, bytes. */
export const STREAM_BUFFER_CAP = 65_536;

/** {@link FramedAnalyzer.frameLength} result: the header is not complete yet. */
export const NEED_MORE = 0;
/** {@link FramedAnalyzer.frameLength} result: the bytes at the offset are not a valid header. */
export const GARBAGE = -1;

/** Scratch for {@link clampRange}; read immediately after each call, so one per module is enough. */
const RANGE = new Int32Array(1);

/** Reassembly state of one direction. */
class FrameDirection {
  buf: Uint8Array | null = null;
  len = 0;
  /** Bytes of an oversized PDU still to discard. */
  skip = 0;
  /** Consecutive framing errors. */
  failures = 0;
  /** Parsing abandoned for this direction. */
  stopped = false;
}

/** How {@link FramedAnalyzer} behaves; fixed per protocol. */
export interface FramingOptions {
  /** Buffer bound per direction, bytes (default {@link STREAM_BUFFER_CAP}). */
  cap?: number;
  /** Consecutive framing errors after which the direction is abandoned (default 8; `Infinity` = never). */
  maxFailures?: number;
  /** Datagram transport (UDP): each `feed` is parsed on its own; a PDU cut at its end is malformed. */
  datagram?: boolean;
  /** On garbage, drop the rest of the current segment (true) or call {@link FramedAnalyzer.resync} (false). */
  resyncAtSegment?: boolean;
}

/** Base of the length-framed analyzers; subclasses say how long a PDU is and what to do with it. */
export abstract class FramedAnalyzer implements ProtocolAnalyzer {
  abstract readonly service: string;
  malformed = 0;
  private readonly dirs: readonly [FrameDirection, FrameDirection] = [new FrameDirection(), new FrameDirection()];
  private readonly cap: number;
  private readonly maxFailures: number;
  private readonly datagram: boolean;
  private readonly resyncAtSegment: boolean;

  protected constructor(opts: FramingOptions) {
    this.cap = opts.cap ?? STREAM_BUFFER_CAP;
    this.maxFailures = opts.maxFailures ?? 8;
    this.datagram = opts.datagram ?? false;
    this.resyncAtSegment = opts.resyncAtSegment ?? true;
  }

  /**
   * Total length of the PDU starting at `b[o]` given `avail` bytes present: > 0 the length (may exceed
   * `avail` and the buffer cap), {@link NEED_MORE}, or {@link GARBAGE}. Must not read past `o + avail`.
   */
  protected abstract frameLength(b: Uint8Array, o: number, avail: number): number;

  /** One PDU `b[o, o + n)`; `n < total` only for a PDU longer than the buffer cap (its tail is skipped). */
  protected abstract onFrame(b: Uint8Array, o: number, n: number, total: number, flow: FlowRef, emit: (e: AppEvent) => void): void;

  /** Bytes (≥ 1, ≤ avail) to drop after garbage at `b[o]` when `resyncAtSegment` is false. Default: all. */
  protected resync(_b: Uint8Array, _o: number, avail: number): number {
    return avail;
  }

  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, emit: (e: AppEvent) => void): void {
    const end = clampRange(data, off, len, RANGE);
    let o = RANGE[0]!;
    const d = this.dirs[flow.fromOrig ? 0 : 1];
    while (o < end && !d.stopped) {
      if (d.skip > 0) {
        const n = Math.min(d.skip, end - o);
        d.skip -= n;
        o += n;
        continue;
      }
      if (d.len === 0) {
        // Fast path: whole PDUs straight from the caller's segment.
        const r = this.parse(d, data, o, end, flow, emit);
        if (r < 0) break;
        o = r;
        if (o < end && d.skip === 0 && !d.stopped) {
          if (this.datagram) {
            this.malformed++; // a datagram ends inside a PDU
            break;
          }
          const n = Math.min(end - o, this.cap);
          this.append(d, data, o, n);
          o += n;
        }
      } else {
        const n = Math.min(end - o, this.cap - d.len);
        this.append(d, data, o, n);
        o += n;
        const buf = d.buf!;
        const r = this.parse(d, buf, 0, d.len, flow, emit);
        if (r < 0) {
          d.len = 0;
          break; // garbage: the rest of this segment goes too
        }
        if (r === 0 && d.len >= this.cap) {
          // No progress with a full buffer (a subclass asking for more than `cap` header bytes): give up the tail.
          this.malformed++;
          d.len = 0;
          break;
        }
        if (r > 0) {
          buf.copyWithin(0, r, d.len);
          d.len -= r;
        }
      }
    }
    if (this.datagram) {
      d.len = 0;
      d.skip = 0;
    }
  }

  /** Parses PDUs from `b[o, end)`; returns the offset of the first byte not consumed, or -1 to drop the rest. */
  private parse(d: FrameDirection, b: Uint8Array, o: number, end: number, flow: FlowRef, emit: (e: AppEvent) => void): number {
    while (o < end) {
      const avail = end - o;
      const total = this.frameLength(b, o, avail);
      if (total > 0) {
        if (total <= avail) {
          d.failures = 0;
          this.onFrame(b, o, total, total, flow, emit);
          o += total;
          continue;
        }
        if (avail >= this.cap) {
          // Oversized PDU: parse its head, skip its tail as it arrives.
          d.failures = 0;
          this.onFrame(b, o, avail, total, flow, emit);
          d.skip = total - avail;
          return end;
        }
        return o;
      }
      if (total === NEED_MORE) return o;
      this.malformed++;
      if (++d.failures >= this.maxFailures) {
        d.stopped = true;
        d.len = 0;
        return -1;
      }
      if (this.resyncAtSegment) return -1;
      o += Math.min(avail, Math.max(1, this.resync(b, o, avail)));
    }
    return o;
  }

  /** Appends `data[o, o + n)` to the direction's buffer (n ≤ cap − len), growing it by doubling up to `cap`. */
  private append(d: FrameDirection, data: Uint8Array, o: number, n: number): void {
    if (n <= 0) return;
    const need = d.len + n;
    if (d.buf === null || d.buf.length < need) {
      let size = d.buf === null ? 512 : d.buf.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.cap));
      if (d.buf !== null) grown.set(d.buf.subarray(0, d.len));
      d.buf = grown;
    }
    d.buf.set(data.subarray(o, o + n), d.len);
    d.len = need;
  }
}
