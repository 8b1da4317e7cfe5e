/**
 * The classic pcap file format (draft-ietf-opsawg-pcap-05, "PCAP Capture File Format"), parsed record by record
 * straight from the buffer the bytes arrived in. {@link CaptureReader} drives it; it is usable alone through the
 * {@link RecordParser} protocol defined here, which the pcapng parser shares.
 *
 * Layout (§4, §5): a 24-byte file header — magic, major/minor version, two reserved words, SnapLen,
 * LinkType-and-FCS word — in the writer's byte order, told apart by the magic: 0xA1B2C3D4 (µs timestamps) or
 * 0xA1B23C4D (ns timestamps), byte-swapped when written big-endian. Then records: a 16-byte header (seconds,
 * µs or ns, captured length, original length) and the captured bytes. The "modified pcap" of Alexey Kuznetzov's
 * patches (magic 0xA1B2CD34, 24-byte record headers; Wireshark `modpcap`) is read too.
 *
 * Errors carry the byte offset of the file header or record they are about (the input before that offset has been
 * delivered): IPQ-N002 for a bad version or an absurd captured length, IPQ-N003 for a link type the decoder does
 * not handle.
 */
import { IpqsecError } from '../core/errors.js';
import type { ErrorCode } from '../core/errors.js';
import { isSupportedLinkType } from './decode.js';
import type { CaptureRecord } from './packet.js';

/**
 * Largest record or block accepted, bytes. A longer declared length is corruption, reported instead of allocating.
 * (Wireshark's largest per-encapsulation packet is 256 MiB for D-Bus; no Ethernet/IP capture comes near it.)
 */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Captured length accepted regardless of a smaller SnapLen: Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD (262,144),
 * since writers are known to store SnapLen 0 or a value below the real longest packet.
 */
export const STANDARD_MAX_CAPLEN = 262_144;

/** pcap magic numbers as read little-endian (draft-ietf-opsawg-pcap §4). */
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_US_SWAPPED = 0xd4c3b2a1;
const MAGIC_NS_SWAPPED = 0x4d3cb2a1;
/** Kuznetzov's modified pcap (libpcap's savefile.c KUZNETZOV_TCPDUMP_MAGIC), 24-byte record headers. */
const MAGIC_MODIFIED = 0xa1b2cd34;
const MAGIC_MODIFIED_SWAPPED = 0x34cdb2a1;

const FILE_HEADER_BYTES = 24;

/**
 * What a format parser writes into: the reused record, the consumer's callback and the counters the reader
 * reports. One per {@link CaptureReader}; the parsers update it in place (no allocation per record).
 */
export interface RecordSink {
  /** The one record object handed to `onRecord` every time. */
  readonly record: CaptureRecord;
  readonly onRecord: (r: CaptureRecord) => void;
  /** File name for error locations (undefined: none). */
  readonly file: string | undefined;
  /** Skip records of link types the decoder does not handle (counting them in `skipped`) instead of IPQ-N003. */
  readonly skipUnsupported: boolean;
  /** Records delivered. */
  packets: number;
  /** Records skipped for their link type. */
  skipped: number;
  /** Timestamps of the first and the last record delivered, epoch seconds (0 before the first). */
  firstTs: number;
  lastTs: number;
  /** Link types declared by the file header or interface blocks so far. */
  readonly linkTypes: Set<number>;
}

/**
 * One capture format, parsed unit by unit (file header, record, block) from bytes that may sit in any buffer.
 * The driver calls `need` with the bytes available at a unit's start; when they cover the returned size it calls
 * `consume` with exactly that many bytes, at the same place, right after.
 */
export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  /**
   * Bytes the unit at `buf[off]` takes: its header size while fewer bytes than the header are available,
   * else its full size (validated). Throws IPQ-N002 for an invalid header, located at `fileOffset`.
   */
  need(buf: Uint8Array, off: number, avail: number, fileOffset: number): number;
  /** Parses the unit of `size` bytes at `buf[off]` (its start is `fileOffset` in the input) and delivers records. */
  consume(buf: Uint8Array, off: number, size: number, fileOffset: number): void;
}

/** The IpqsecError of a capture problem at `offset` (IPQ-N001/N002/N003), with the sink's file name. */
export function captureError(code: ErrorCode, sink: RecordSink, offset: number, detail: string, details: Record<string, unknown> = {}): IpqsecError {
  const location = sink.file === undefined ? { offset } : { file: sink.file, offset };
  return new IpqsecError(code, detail, { location, details: { offset, ...details } });
}

/** Fills the sink's reused record and hands it to the consumer. Cost O(1). */
export function deliverRecord(
  s: RecordSink,
  data: Uint8Array,
  offset: number,
  capLen: number,
  origLen: number,
  ts: number,
  linkType: number,
  interfaceId: number,
  fileOffset: number,
): void {
  const r = s.record;
  r.data = data;
  r.offset = offset;
  r.capLen = capLen;
  // A writer that stores an original length below the captured one is wrong; CaptureRecord promises origLen ≥ capLen.
  r.origLen = origLen < capLen ? capLen : origLen;
  r.ts = ts;
  r.linkType = linkType;
  r.interfaceId = interfaceId;
  r.fileOffset = fileOffset;
  if (s.packets === 0) s.firstTs = ts;
  s.lastTs = ts;
  s.packets++;
  s.onRecord(r);
}

/** Whether the first four bytes at `buf[off]` are a pcap magic number (either byte order, µs, ns or modified). */
export function isPcapMagic(buf: Uint8Array, off: number): boolean {
  const m = le32(buf, off);
  return m === MAGIC_US || m === MAGIC_NS || m === MAGIC_US_SWAPPED || m === MAGIC_NS_SWAPPED || m === MAGIC_MODIFIED || m === MAGIC_MODIFIED_SWAPPED;
}

/**
 * Parser of one pcap stream (file header, then records). State: the header's byte order, timestamp unit, SnapLen
 * and link type, plus the header fields of the record `need` last read. O(1) per record, no allocation.
 */
export class PcapParser implements RecordParser {
  readonly format = 'pcap' as const;
  private headerDone = false;
  private le = true;
  /** Divisor of the fractional timestamp field: 1e6 (µs) or 1e9 (ns). */
  private fracUnits = 1e6;
  private recordHeaderBytes = 16;
  private linkType = 0;
  private supported = true;
  private maxCapLen = STANDARD_MAX_CAPLEN;
  // Fields of the record header last read by need().
  private sec = 0;
  private frac = 0;
  private capLen = 0;
  private origLen = 0;
  /** SnapLen from the file header (0 before it is read). */
  snapLen = 0;

  constructor(private readonly sink: RecordSink) {}

  need(buf: Uint8Array, off: number, avail: number, fileOffset: number): number {
    if (!this.headerDone) {
      if (avail < FILE_HEADER_BYTES) return FILE_HEADER_BYTES;
      this.readFileHeader(buf, off, fileOffset);
      return FILE_HEADER_BYTES;
    }
    const h = this.recordHeaderBytes;
    if (avail < h) return h;
    // §5: Timestamp (Seconds), Timestamp (Microseconds or nanoseconds), Captured Packet Length, Original Packet Length.
    if (this.le) {
      this.sec = le32(buf, off);
      this.frac = le32(buf, off + 4);
      this.capLen = le32(buf, off + 8);
      this.origLen = le32(buf, off + 12);
    } else {
      this.sec = be32(buf, off);
      this.frac = be32(buf, off + 4);
      this.capLen = be32(buf, off + 8);
      this.origLen = be32(buf, off + 12);
    }
    if (this.capLen > this.maxCapLen) {
      throw captureError('IPQ-N002', this.sink, fileOffset, `record captured length ${this.capLen} exceeds the limit ${this.maxCapLen} (SnapLen ${this.snapLen})`, {
        field: 'captured length',
        capLen: this.capLen,
        snapLen: this.snapLen,
      });
    }
    return h + this.capLen;
  }

  consume(buf: Uint8Array, off: number, size: number, fileOffset: number): void {
    if (!this.headerDone) {
      this.headerDone = true;
      this.sink.linkTypes.add(this.linkType);
      return;
    }
    if (!this.supported) {
      this.sink.skipped++;
      return;
    }
    deliverRecord(this.sink, buf, off + this.recordHeaderBytes, this.capLen, this.origLen, this.sec + this.frac / this.fracUnits, this.linkType, 0, fileOffset);
  }

  private readFileHeader(buf: Uint8Array, off: number, fileOffset: number): void {
    const m = le32(buf, off);
    this.le = m === MAGIC_US || m === MAGIC_NS || m === MAGIC_MODIFIED;
    this.fracUnits = m === MAGIC_NS || m === MAGIC_NS_SWAPPED ? 1e9 : 1e6;
    this.recordHeaderBytes = m === MAGIC_MODIFIED || m === MAGIC_MODIFIED_SWAPPED ? 24 : 16;
    if (!isPcapMagic(buf, off)) {
      throw captureError('IPQ-N002', this.sink, fileOffset, `not a pcap file: magic 0x${m.toString(16).padStart(8, '0')}`, { field: 'magic' });
    }
    const major = this.le ? buf[off + 4] | (buf[off + 5] << 8) : (buf[off + 4] << 8) | buf[off + 5];
    // §4: Major Version 2 (version 1 predates 1998 and has another record layout).
    if (major !== 2) {
      throw captureError('IPQ-N002', this.sink, fileOffset, `unsupported pcap version ${major} (only 2.x)`, { field: 'major version', major });
    }
    this.snapLen = this.le ? le32(buf, off + 16) : be32(buf, off + 16);
    // §4: LinkType and additional information — LinkType in the low 16 bits; FCS length and the f bit above
    // (the FCS, when present, is inside the captured bytes; the decoder bounds payloads by the IP length).
    this.linkType = (this.le ? le32(buf, off + 20) : be32(buf, off + 20)) & 0xffff;
    this.maxCapLen = Math.min(MAX_RECORD_BYTES, Math.max(this.snapLen, STANDARD_MAX_CAPLEN));
    this.supported = isSupportedLinkType(this.linkType);
    if (!this.supported && !this.sink.skipUnsupported) {
      throw captureError('IPQ-N003', this.sink, fileOffset, `link type ${this.linkType} (https://www.tcpdump.org/linktypes.html) is not decoded`, {
        field: 'link type',
        linkType: this.linkType,
      });
    }
  }
}

/** Unsigned little-endian 32-bit read. */
export function le32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/** Unsigned big-endian 32-bit read. */
export function be32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
