/**
 * The pcapng capture format (draft-ietf-opsawg-pcapng-03, "PCAP Next Generation (pcapng) Capture File Format"),
 * parsed block by block straight from the buffer the bytes arrived in, through the {@link RecordParser} protocol
 * of `pcap-reader.ts`.
 *
 * Read: Section Header Blocks (§4.1; several sections, each in its own byte order, told by the byte-order magic
 * 0x1A2B3C4D), Interface Description Blocks (§4.2; any number per section, each with its link type, SnapLen and the
 * `if_tsresol` (code 9) / `if_tsoffset` (code 14) options that define its timestamps), Enhanced Packet Blocks
 * (§4.3), Simple Packet Blocks (§4.4: interface 0, captured length = min(original length, block room, SnapLen)),
 * and the obsolete Packet Block (Appendix A). Every other block type is skipped by its Block Total Length (§3.1).
 *
 * Checked (IPQ-N002 at the block's byte offset): the byte-order magic, major version 1, Block Total Length ≥ 12
 * (28 for an SHB), a multiple of 4 (§3.1), ≤ {@link MAX_RECORD_BYTES}, equal at both ends of the block; a
 * packet's interface id < the interfaces of its section; its captured length inside its block; IDB options inside
 * their block. IPQ-N003 at the first packet of an interface whose link type the decoder does not handle (unless the
 * reader skips those).
 *
 * Bounded: at most {@link MAX_INTERFACES} interfaces per section (a corrupt stream of IDBs cannot grow the
 * tables without limit); the tables are reset by each SHB.
 */
import type { IpqsecError } from '../core/errors.js';
import { isSupportedLinkType } from './decode.js';
import { MAX_RECORD_BYTES, be32, captureError, deliverRecord, le32 } from './pcap-reader.js';
import type { RecordParser, RecordSink } from './pcap-reader.js';

/** Block types (§11.1 Block Type Codes). */
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_OPB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
/** §4.1: Byte-Order Magic as written by the section's writer. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** IDB options (§4.2). */
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Interfaces accepted per section; more is treated as corruption. */
export const MAX_INTERFACES = 65_536;

/** 2^53: below it a 64-bit timestamp count is an exact double. */
const SAFE = 9_007_199_254_740_992;
/** Largest divisor for which the base-2^16 long division stays exact (divisor × 2^16 < 2^53). */
const EXACT_DIVISOR_MAX = 137_438_953_472;

/** Whether the first four bytes at `buf[off]` are the pcapng Section Header Block type (palindromic, any order). */
export function isPcapngMagic(buf: Uint8Array, off: number): boolean {
  return buf[off] === 0x0a && buf[off + 1] === 0x0d && buf[off + 2] === 0x0d && buf[off + 3] === 0x0a;
}

/**
 * Seconds of a pcapng timestamp: the 64-bit count `high·2^32 + low` of units of 1/`unitsPerSecond` s (§4.3), exact
 * to the double's resolution even when the count exceeds 2^53 (nanosecond timestamps since 1970 do), by long
 * division in base 2^16. Cost O(1), no allocation.
 */
export function pcapngTimestamp(high: number, low: number, unitsPerSecond: number): number {
  const t = high * 4_294_967_296 + low;
  if (t <= SAFE) {
    const sec = Math.floor(t / unitsPerSecond);
    return sec + (t - sec * unitsPerSecond) / unitsPerSecond;
  }
  if (unitsPerSecond > EXACT_DIVISOR_MAX || !Number.isInteger(unitsPerSecond)) return t / unitsPerSecond;
  const q1 = Math.floor(high / unitsPerSecond);
  let r = high - q1 * unitsPerSecond;
  let x = r * 65_536 + (low >>> 16);
  const q2 = Math.floor(x / unitsPerSecond);
  r = x - q2 * unitsPerSecond;
  x = r * 65_536 + (low & 0xffff);
  const q3 = Math.floor(x / unitsPerSecond);
  r = x - q3 * unitsPerSecond;
  return q1 * 4_294_967_296 + q2 * 65_536 + q3 + r / unitsPerSecond;
}

/**
 * Units per second of an `if_tsresol` value (§4.2): most significant bit 0 → 10^-v s, 1 → 2^-(v & 0x7F) s.
 * Absent option: 10^-6.
 */
export function tsresolUnits(v: number): number {
  return (v & 0x80) !== 0 ? 2 ** (v & 0x7f) : 10 ** v;
}

/**
 * Parser of one pcapng stream. Per section: byte order and the interface table (link type, SnapLen, units per
 * second, offset in seconds, whether the decoder handles the link type), in parallel number arrays indexed by
 * interface id. O(1) per packet block, no allocation; O(options) per IDB.
 */
export class PcapngParser implements RecordParser {
  readonly format = 'pcapng' as const;
  private le = true;
  private ifLinkType: number[] = [];
  private ifSnapLen: number[] = [];
  private ifUnits: number[] = [];
  private ifOffset: number[] = [];
  private ifSupported: boolean[] = [];
  private blockType = 0;

  constructor(private readonly sink: RecordSink) {}

  /** Interfaces declared in the current section. */
  get interfaceCount(): number {
    return this.ifLinkType.length;
  }

  need(buf: Uint8Array, off: number, avail: number, fileOffset: number): number {
    if (isPcapngMagic(buf, off)) {
      // SHB: the byte-order magic (bytes 8–11) must be read before the length.
      if (avail < 12) return 12;
      const bom = le32(buf, off + 8);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else throw captureError('IPQ-N002', this.sink, fileOffset, `bad byte-order magic 0x${bom.toString(16).padStart(8, '0')} in section header`, { field: 'byte-order magic' });
      this.blockType = BT_SHB;
    } else {
      if (avail < 8) return 8;
      this.blockType = this.le ? le32(buf, off) : be32(buf, off);
    }
    const len = this.le ? le32(buf, off + 4) : be32(buf, off + 4);
    const min = this.blockType === BT_SHB ? 28 : 12;
    if (len < min || (len & 3) !== 0 || len > MAX_RECORD_BYTES) {
      throw captureError('IPQ-N002', this.sink, fileOffset, `invalid block total length ${len} (block type 0x${this.blockType.toString(16)})`, {
        field: 'block total length',
        blockType: this.blockType,
        blockLength: len,
      });
    }
    return len;
  }

  consume(buf: Uint8Array, off: number, size: number, fileOffset: number): void {
    const le = this.le;
    const trailer = le ? le32(buf, off + size - 4) : be32(buf, off + size - 4);
    if (trailer !== size) {
      throw this.corrupt(fileOffset, `trailing block total length ${trailer} differs from the leading ${size}`, { field: 'trailing block total length', trailer });
    }
    switch (this.blockType) {
      case BT_EPB: {
        // §4.3: Interface ID, Timestamp (Upper), Timestamp (Lower), Captured Packet Length, Original Packet Length, data.
        if (size < 32) throw this.corrupt(fileOffset, `enhanced packet block of ${size} bytes (minimum 32)`, { field: 'block total length' });
        const id = le ? le32(buf, off + 8) : be32(buf, off + 8);
        const capLen = le ? le32(buf, off + 20) : be32(buf, off + 20);
        const origLen = le ? le32(buf, off + 24) : be32(buf, off + 24);
        if (capLen > size - 32) throw this.corrupt(fileOffset, `captured length ${capLen} exceeds the block (${size} bytes)`, { field: 'captured length', capLen });
        this.packet(buf, off + 28, capLen, origLen, id, le ? le32(buf, off + 12) : be32(buf, off + 12), le ? le32(buf, off + 16) : be32(buf, off + 16), fileOffset);
        return;
      }
      case BT_SPB: {
        // §4.4: Original Packet Length, data; interface 0; no timestamp.
        if (size < 16) throw this.corrupt(fileOffset, `simple packet block of ${size} bytes (minimum 16)`, { field: 'block total length' });
        if (this.ifLinkType.length === 0) throw this.corrupt(fileOffset, 'simple packet block before any interface description block', { field: 'interface' });
        const origLen = le ? le32(buf, off + 8) : be32(buf, off + 8);
        let capLen = size - 16 < origLen ? size - 16 : origLen;
        const snap = this.ifSnapLen[0];
        if (snap > 0 && snap < capLen) capLen = snap;
        if (!this.admit(0, fileOffset)) return;
        // No timestamp in an SPB: the previous packet's time keeps the stream monotonic for flow timeouts.
        deliverRecord(this.sink, buf, off + 12, capLen, origLen, this.sink.lastTs, this.ifLinkType[0], 0, fileOffset);
        return;
      }
      case BT_IDB:
        this.readInterface(buf, off, size, fileOffset);
        return;
      case BT_SHB:
        this.readSection(buf, off, fileOffset);
        return;
      case BT_OPB: {
        // Appendix A (obsolete Packet Block): Interface ID (2), Drops Count (2), timestamps, lengths, data.
        if (size < 32) throw this.corrupt(fileOffset, `packet block of ${size} bytes (minimum 32)`, { field: 'block total length' });
        const id = le ? buf[off + 8] | (buf[off + 9] << 8) : (buf[off + 8] << 8) | buf[off + 9];
        const capLen = le ? le32(buf, off + 20) : be32(buf, off + 20);
        const origLen = le ? le32(buf, off + 24) : be32(buf, off + 24);
        if (capLen > size - 32) throw this.corrupt(fileOffset, `captured length ${capLen} exceeds the block (${size} bytes)`, { field: 'captured length', capLen });
        this.packet(buf, off + 28, capLen, origLen, id, le ? le32(buf, off + 12) : be32(buf, off + 12), le ? le32(buf, off + 16) : be32(buf, off + 16), fileOffset);
        return;
      }
      default:
      // Name resolution, statistics, decryption secrets, custom and unknown blocks: skipped (§3.1).
    }
  }

  private packet(buf: Uint8Array, dataOff: number, capLen: number, origLen: number, id: number, high: number, low: number, fileOffset: number): void {
    if (id >= this.ifLinkType.length) {
      throw this.corrupt(fileOffset, `interface id ${id} not declared (section has ${this.ifLinkType.length})`, { field: 'interface id', interfaceId: id });
    }
    if (!this.admit(id, fileOffset)) return;
    const ts = pcapngTimestamp(high, low, this.ifUnits[id]) + this.ifOffset[id];
    deliverRecord(this.sink, buf, dataOff, capLen, origLen, ts, this.ifLinkType[id], id, fileOffset);
  }

  /** False (and counted) when the interface's link type is skipped; IPQ-N003 when it is not decoded and not skipped. */
  private admit(id: number, fileOffset: number): boolean {
    if (this.ifSupported[id]) return true;
    if (this.sink.skipUnsupported) {
      this.sink.skipped++;
      return false;
    }
    const linkType = this.ifLinkType[id];
    throw captureError('IPQ-N003', this.sink, fileOffset, `interface ${id} has link type ${linkType} (https://www.tcpdump.org/linktypes.html), which is not decoded`, {
      field: 'link type',
      linkType,
      interfaceId: id,
    });
  }

  /** §4.1: Byte-Order Magic (read in need()), Major Version 1, Minor Version, Section Length; options ignored. */
  private readSection(buf: Uint8Array, off: number, fileOffset: number): void {
    const major = this.le ? buf[off + 12] | (buf[off + 13] << 8) : (buf[off + 12] << 8) | buf[off + 13];
    if (major !== 1) throw this.corrupt(fileOffset, `unsupported pcapng major version ${major} (only 1)`, { field: 'major version', major });
    this.ifLinkType.length = 0;
    this.ifSnapLen.length = 0;
    this.ifUnits.length = 0;
    this.ifOffset.length = 0;
    this.ifSupported.length = 0;
  }

  /** §4.2: LinkType (2), Reserved (2), SnapLen (4), options (code, length, value padded to 32 bits). */
  private readInterface(buf: Uint8Array, off: number, size: number, fileOffset: number): void {
    const le = this.le;
    if (size < 20) throw this.corrupt(fileOffset, `interface description block of ${size} bytes (minimum 20)`, { field: 'block total length' });
    if (this.ifLinkType.length >= MAX_INTERFACES) throw this.corrupt(fileOffset, `more than ${MAX_INTERFACES} interfaces in one section`, { field: 'interface count' });
    const linkType = le ? buf[off + 8] | (buf[off + 9] << 8) : (buf[off + 8] << 8) | buf[off + 9];
    const snapLen = le ? le32(buf, off + 12) : be32(buf, off + 12);
    let units = 1e6;
    let offsetSeconds = 0;
    const optEnd = off + size - 4;
    let o = off + 16;
    while (optEnd - o >= 4) {
      const code = le ? buf[o] | (buf[o + 1] << 8) : (buf[o] << 8) | buf[o + 1];
      const len = le ? buf[o + 2] | (buf[o + 3] << 8) : (buf[o + 2] << 8) | buf[o + 3];
      if (code === OPT_ENDOFOPT) break;
      if (len > optEnd - o - 4) throw this.corrupt(fileOffset, `interface option ${code} of ${len} bytes overruns its block`, { field: 'option length', option: code });
      if (code === OPT_IF_TSRESOL && len >= 1) units = tsresolUnits(buf[o + 4]);
      else if (code === OPT_IF_TSOFFSET && len >= 8) {
        // Signed 64-bit seconds added to every timestamp of the interface.
        const lo = le ? le32(buf, o + 4) : be32(buf, o + 8);
        const hi = le ? le32(buf, o + 8) : be32(buf, o + 4);
        offsetSeconds = (hi | 0) * 4_294_967_296 + lo;
      }
      o += 4 + ((len + 3) & ~3);
    }
    this.ifLinkType.push(linkType);
    this.ifSnapLen.push(snapLen);
    this.ifUnits.push(units);
    this.ifOffset.push(offsetSeconds);
    this.ifSupported.push(isSupportedLinkType(linkType));
    this.sink.linkTypes.add(linkType);
  }

  private corrupt(fileOffset: number, detail: string, details: Record<string, unknown>): IpqsecError {
    return captureError('IPQ-N002', this.sink, fileOffset, detail, { blockType: this.blockType, ...details });
  }
}
