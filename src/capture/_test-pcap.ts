/**
 * Test helper (tests only, not part of the public surface): builds synthetic captures byte by byte from the format
 * specifications, independently of the readers under test, and runs tshark on files as an oracle.
 *
 * Three layers, composable as plain byte arrays:
 * - frames: {@link ethernet} (with 802.1Q/802.1ad tags), {@link sll}, {@link sll2}; {@link arp}, {@link ipv4}
 *   (options, fragments, header checksum), {@link ipv6} (extension headers); {@link tcp}, {@link udp}, {@link icmp};
 *   addresses {@link mac}, {@link ip4}, {@link ip6};
 * - files: {@link pcapFile} (either byte order, µs/ns, modified pcap), {@link pcapngFile} (sections in either byte
 *   order with IDB/EPB/SPB/OPB and arbitrary blocks);
 * - oracles: {@link tsharkFields} (tshark -T fields, one row per frame), {@link wiresharkTool} (editcap /
 *   mergecap conversions), {@link writeTempCapture}, {@link sharedCaptures} (the real captures under
 *   `${IPQSEC_DATA:-../shared/data}/pcaps`);
 * - {@link sampleFrames} / {@link samplePcapng}: one frame of every decoded layer and awkward case, in one pcapng.
 *
 * Example: `pcapFile({ records: [{ ts: { sec: 1, frac: 5 }, data: ethernet({ type: 0x0800, payload:
 * ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ srcPort: 1, dstPort: 2 }) }) }) }] })`.
 *
 * Sources: draft-ietf-opsawg-pcap-05 §4–§5, draft-ietf-opsawg-pcapng-03 §3–§4 and Appendix A, RFC 791, RFC 8200,
 * RFC 4302, RFC 9293, RFC 768, RFC 792, RFC 826, IEEE 802.1Q, tcpdump.org LINKTYPE_LINUX_SLL / _SLL2.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaptureRecord } from './packet.js';

// ---------------------------------------------------------------------------------------------------------------
// Bytes and addresses

/** Concatenation of byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Bytes of a string (latin-1 / ASCII), for payloads. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** Big-endian 16-bit bytes. */
export function be16(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
}

/** Big-endian 32-bit bytes. */
export function be32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** A MAC address `aa:bb:cc:dd:ee:ff` as 6 bytes. */
export function mac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new RangeError(`bad MAC ${s}`);
  return Uint8Array.from(parts, (h) => parseInt(h, 16));
}

/** A dotted-quad IPv4 address as 4 bytes. */
export function ip4(s: string): Uint8Array {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new RangeError(`bad IPv4 ${s}`);
  return Uint8Array.from(parts);
}

/** A dotted-quad IPv4 address as the unsigned 32-bit number `PacketInfo.src4` holds. */
export function ip4n(s: string): number {
  const b = ip4(s);
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/** An IPv6 address (RFC 4291 §2.2 text form, `::` allowed, no embedded IPv4) as 16 bytes. */
export function ip6(s: string): Uint8Array {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new RangeError(`bad IPv6 ${s}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >>> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

/** Text form of 16 IPv6 bytes at `d[off]`, as tshark prints it (RFC 5952 compression). */
export function ip6Text(d: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((d[off + 2 * i] << 8) | d[off + 2 * i + 1]);
  // RFC 5952 §4.2: compress the longest run (≥ 2) of zero groups, the first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((v) => v.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Text form of a uint32 IPv4 address. */
export function ip4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** Text form (`aa:bb:...`) of 6 MAC bytes at `d[off]`. */
export function macText(d: Uint8Array, off: number): string {
  return Array.from(d.subarray(off, off + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

// ---------------------------------------------------------------------------------------------------------------
// Transport

/** TCP header fields (RFC 9293 §3.1). `flags` is the 8-bit flags byte (TCP_* bits of packet.ts). */
export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  /** Option bytes (padded with zero to a multiple of 4). */
  options?: Uint8Array;
  payload?: Uint8Array;
  /** Data offset in 32-bit words, overriding the computed one (to build malformed headers). */
  dataOffset?: number;
}

/** A TCP segment (header + payload; checksum 0 — tshark does not verify it by default). */
export function tcp(s: TcpSpec): Uint8Array {
  const opts = s.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const h = new Uint8Array(20 + optLen);
  h.set(be16(s.srcPort), 0);
  h.set(be16(s.dstPort), 2);
  h.set(be32(s.seq ?? 0), 4);
  h.set(be32(s.ack ?? 0), 8);
  h[12] = (s.dataOffset ?? (20 + optLen) / 4) << 4;
  h[13] = s.flags ?? 0;
  h.set(be16(s.window ?? 65535), 14);
  h.set(opts, 20);
  return concat(h, s.payload ?? new Uint8Array(0));
}

/** A UDP datagram (RFC 768); `length` overrides the length field. Checksum 0 (none). */
export function udp(s: { srcPort: number; dstPort: number; payload?: Uint8Array; length?: number }): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  return concat(be16(s.srcPort), be16(s.dstPort), be16(s.length ?? 8 + payload.length), be16(0), payload);
}

/** An ICMP (RFC 792) or ICMPv6 (RFC 4443) message: type, code, checksum 0, 4 bytes `rest`, payload. */
export function icmp(s: { type: number; code?: number; rest?: Uint8Array; payload?: Uint8Array }): Uint8Array {
  return concat(Uint8Array.of(s.type, s.code ?? 0, 0, 0), s.rest ?? new Uint8Array(4), s.payload ?? new Uint8Array(0));
}

// ---------------------------------------------------------------------------------------------------------------
// Network

/** IPv4 header fields (RFC 791 §3.1). Addresses as dotted quads. */
export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** Option bytes (padded with zero to a multiple of 4). */
  options?: Uint8Array;
  /** Total length field, overriding header + payload (to build truncated or malformed packets). */
  totalLength?: number;
  /** IHL field in 32-bit words, overriding the computed one. */
  ihl?: number;
  /** Version nibble, overriding 4. */
  version?: number;
}

/** An IPv4 packet with a correct header checksum (RFC 1071). */
export function ipv4(s: Ipv4Spec): Uint8Array {
  const opts = s.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const hl = 20 + optLen;
  const h = new Uint8Array(hl);
  h[0] = ((s.version ?? 4) << 4) | (s.ihl ?? hl / 4);
  h.set(be16(s.totalLength ?? hl + s.payload.length), 2);
  h.set(be16(s.id ?? 0), 4);
  const fo = (s.fragOffset ?? 0) / 8;
  h.set(be16((s.df === true ? 0x4000 : 0) | (s.mf === true ? 0x2000 : 0) | fo), 6);
  h[8] = s.ttl ?? 64;
  h[9] = s.proto;
  h.set(ip4(s.src), 12);
  h.set(ip4(s.dst), 16);
  h.set(opts, 20);
  let sum = 0;
  for (let i = 0; i < hl; i += 2) sum += (h[i] << 8) | h[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.set(be16(~sum & 0xffff), 10);
  return concat(h, s.payload);
}

/**
 * One IPv6 extension header (RFC 8200 §4). `type` is its own protocol number (0 hop-by-hop, 43 routing,
 * 44 fragment, 51 AH, 60 destination options, 135 mobility, …); `body` the bytes after the next-header and length
 * bytes (padded to the header's unit); for a fragment header `fragOffset` (bytes), `more`, `id`.
 */
export interface Ipv6Ext {
  type: number;
  body?: Uint8Array;
  fragOffset?: number;
  more?: boolean;
  id?: number;
}

/** IPv6 header fields (RFC 8200 §3). `nextHeader` is the upper-layer protocol after the extension headers. */
export interface Ipv6Spec {
  src: string;
  dst: string;
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  ext?: Ipv6Ext[];
  /** Payload length field, overriding the computed one. */
  payloadLength?: number;
}

function ipv6ExtBytes(e: Ipv6Ext, next: number): Uint8Array {
  if (e.type === 44) {
    const v = ((e.fragOffset ?? 0) & 0xfff8) | (e.more === true ? 1 : 0);
    return concat(Uint8Array.of(next, 0), be16(v), be32(e.id ?? 0));
  }
  // Default body: one PadN option of 4 bytes (RFC 8200 §4.2), the smallest valid options header.
  const body = e.body ?? Uint8Array.of(1, 4, 0, 0, 0, 0);
  if (e.type === 51) {
    // RFC 4302 §2.2: Payload Len = length in 4-octet units minus 2.
    const total = (2 + body.length + 3) & ~3;
    const out = new Uint8Array(Math.max(total, 8));
    out[0] = next;
    out[1] = out.length / 4 - 2;
    out.set(body, 2);
    return out;
  }
  // RFC 8200 §4.3 (and RFC 6564): Hdr Ext Len = length in 8-octet units not counting the first 8.
  const total = Math.max(8, (2 + body.length + 7) & ~7);
  const out = new Uint8Array(total);
  out[0] = next;
  out[1] = total / 8 - 1;
  out.set(body, 2);
  return out;
}

/** An IPv6 packet with its extension headers chained in order. */
export function ipv6(s: Ipv6Spec): Uint8Array {
  const ext = s.ext ?? [];
  const exts = ext.map((e, i) => ipv6ExtBytes(e, i + 1 < ext.length ? ext[i + 1].type : s.nextHeader));
  const rest = concat(...exts, s.payload);
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h.set(be16(s.payloadLength ?? rest.length), 4);
  h[6] = ext.length > 0 ? ext[0].type : s.nextHeader;
  h[7] = s.hopLimit ?? 64;
  h.set(ip6(s.src), 8);
  h.set(ip6(s.dst), 24);
  return concat(h, rest);
}

/** An Ethernet/IPv4 ARP packet (RFC 826): op 1 request, 2 reply. */
export function arp(s: { op: number; sha: string; spa: string; tha?: string; tpa: string }): Uint8Array {
  return concat(be16(1), be16(0x0800), Uint8Array.of(6, 4), be16(s.op), mac(s.sha), ip4(s.spa), mac(s.tha ?? '00:00:00:00:00:00'), ip4(s.tpa));
}

// ---------------------------------------------------------------------------------------------------------------
// Link

/** One 802.1Q / 802.1ad tag: TPID (default 0x8100), VLAN id, priority. */
export interface VlanTag {
  tpid?: number;
  vid: number;
  pcp?: number;
}

/**
 * An Ethernet II frame: destination, source, [tags], type, payload; padded with zeros to the 60-byte minimum
 * (IEEE 802.3 §3.2.8, without FCS) unless `pad` is false.
 */
export function ethernet(s: { dst?: string; src?: string; type: number; payload: Uint8Array; vlans?: VlanTag[]; pad?: boolean }): Uint8Array {
  const tags = (s.vlans ?? []).map((t) => concat(be16(t.tpid ?? 0x8100), be16(((t.pcp ?? 0) << 13) | (t.vid & 0x0fff))));
  const f = concat(mac(s.dst ?? '00:00:5e:00:53:02'), mac(s.src ?? '00:00:5e:00:53:01'), ...tags, be16(s.type), s.payload);
  if (s.pad === false || f.length >= 60) return f;
  return concat(f, new Uint8Array(60 - f.length));
}

/**
 * A Linux cooked v1 frame (LINKTYPE_LINUX_SLL): packet type (0 to us, 4 outgoing…), ARPHRD type (1 Ethernet),
 * address length, address (padded to 8), protocol (EtherType).
 */
export function sll(s: { protocol: number; payload: Uint8Array; packetType?: number; arphrd?: number; addr?: string }): Uint8Array {
  const a = mac(s.addr ?? '00:00:5e:00:53:01');
  const addr = new Uint8Array(8);
  addr.set(a);
  return concat(be16(s.packetType ?? 0), be16(s.arphrd ?? 1), be16(a.length), addr, be16(s.protocol), s.payload);
}

/**
 * A Linux cooked v2 frame (LINKTYPE_LINUX_SLL2): protocol, reserved, interface index, ARPHRD type, packet type,
 * address length, address (padded to 8).
 */
export function sll2(s: { protocol: number; payload: Uint8Array; ifIndex?: number; packetType?: number; arphrd?: number; addr?: string }): Uint8Array {
  const a = mac(s.addr ?? '00:00:5e:00:53:01');
  const addr = new Uint8Array(8);
  addr.set(a);
  return concat(be16(s.protocol), be16(0), be32(s.ifIndex ?? 1), be16(s.arphrd ?? 1), Uint8Array.of(s.packetType ?? 0, a.length), addr, s.payload);
}

// ---------------------------------------------------------------------------------------------------------------
// Files

type ByteOrder = 'le' | 'be';

function u16(v: number, order: ByteOrder): Uint8Array {
  return order === 'be' ? be16(v) : Uint8Array.of(v & 0xff, (v >>> 8) & 0xff);
}

function u32(v: number, order: ByteOrder): Uint8Array {
  return order === 'be' ? be32(v) : Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}

function u64(v: bigint, order: ByteOrder): Uint8Array {
  const x = BigInt.asUintN(64, v);
  const hi = Number(x >> 32n);
  const lo = Number(x & 0xffffffffn);
  return order === 'be' ? concat(be32(hi), be32(lo)) : concat(u32(lo, 'le'), u32(hi, 'le'));
}

/** A pcap record: timestamp as exact seconds + fraction (µs or ns per the file), the bytes, the original length. */
export interface PcapRecordSpec {
  ts: { sec: number; frac: number };
  data: Uint8Array;
  /** Original length (default: `data.length`). */
  origLen?: number;
  /** Captured-length field, overriding `data.length` (to build corrupt records). */
  capLen?: number;
}

/** A pcap file (draft-ietf-opsawg-pcap §4–§5). `modified`: Kuznetzov's 0xA1B2CD34 format with 24-byte record headers. */
export function pcapFile(s: {
  byteOrder?: ByteOrder;
  nanos?: boolean;
  modified?: boolean;
  snapLen?: number;
  linkType?: number;
  major?: number;
  records: PcapRecordSpec[];
}): Uint8Array {
  const o = s.byteOrder ?? 'le';
  const magic = s.modified === true ? 0xa1b2cd34 : s.nanos === true ? 0xa1b23c4d : 0xa1b2c3d4;
  const parts = [u32(magic, o), u16(s.major ?? 2, o), u16(4, o), u32(0, o), u32(0, o), u32(s.snapLen ?? 65535, o), u32(s.linkType ?? 1, o)];
  for (const r of s.records) {
    parts.push(u32(r.ts.sec, o), u32(r.ts.frac, o), u32(r.capLen ?? r.data.length, o), u32(r.origLen ?? r.data.length, o));
    if (s.modified === true) parts.push(u32(0, o), u16(0, o), Uint8Array.of(0, 0));
    parts.push(r.data);
  }
  return concat(...parts);
}

/** One pcapng block (draft-ietf-opsawg-pcapng §4, Appendix A), or any block type with a raw body. */
export type PcapngBlockSpec =
  | { type: 'idb'; linkType: number; snapLen?: number; tsresol?: number; tsoffset?: bigint; options?: { code: number; value: Uint8Array }[] }
  | { type: 'epb'; interfaceId: number; ts: bigint; data: Uint8Array; origLen?: number; capLen?: number }
  | { type: 'spb'; data: Uint8Array; origLen?: number }
  | { type: 'opb'; interfaceId: number; ts: bigint; data: Uint8Array; origLen?: number }
  | { type: 'raw'; blockType: number; body: Uint8Array };

/** A pcapng section: its byte order, SHB version, and the blocks that follow the SHB. */
export interface PcapngSectionSpec {
  byteOrder?: ByteOrder;
  major?: number;
  blocks: PcapngBlockSpec[];
}

function pad4(b: Uint8Array): Uint8Array {
  return b.length % 4 === 0 ? b : concat(b, new Uint8Array(4 - (b.length % 4)));
}

function block(type: number, body: Uint8Array, o: ByteOrder): Uint8Array {
  const b = pad4(body);
  const len = 12 + b.length;
  return concat(u32(type, o), u32(len, o), b, u32(len, o));
}

function options(list: { code: number; value: Uint8Array }[], o: ByteOrder): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  return concat(...list.map((x) => concat(u16(x.code, o), u16(x.value.length, o), pad4(x.value))), u16(0, o), u16(0, o));
}

/** A pcapng file: one SHB per section (section length −1, no options) followed by its blocks. */
export function pcapngFile(sections: PcapngSectionSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const sec of sections) {
    const o = sec.byteOrder ?? 'le';
    parts.push(block(0x0a0d0d0a, concat(u32(0x1a2b3c4d, o), u16(sec.major ?? 1, o), u16(0, o), u64(-1n, o)), o));
    for (const b of sec.blocks) {
      switch (b.type) {
        case 'idb': {
          const opts = [...(b.options ?? [])];
          if (b.tsresol !== undefined) opts.push({ code: 9, value: Uint8Array.of(b.tsresol) });
          if (b.tsoffset !== undefined) opts.push({ code: 14, value: u64(b.tsoffset, o) });
          parts.push(block(1, concat(u16(b.linkType, o), u16(0, o), u32(b.snapLen ?? 0, o), options(opts, o)), o));
          break;
        }
        case 'epb': {
          const ts = BigInt.asUintN(64, b.ts);
          const body = concat(u32(b.interfaceId, o), u32(Number(ts >> 32n), o), u32(Number(ts & 0xffffffffn), o), u32(b.capLen ?? b.data.length, o), u32(b.origLen ?? b.data.length, o), pad4(b.data));
          parts.push(block(6, body, o));
          break;
        }
        case 'spb':
          parts.push(block(3, concat(u32(b.origLen ?? b.data.length, o), pad4(b.data)), o));
          break;
        case 'opb': {
          const ts = BigInt.asUintN(64, b.ts);
          const body = concat(u16(b.interfaceId, o), u16(0, o), u32(Number(ts >> 32n), o), u32(Number(ts & 0xffffffffn), o), u32(b.data.length, o), u32(b.origLen ?? b.data.length, o), pad4(b.data));
          parts.push(block(2, body, o));
          break;
        }
        case 'raw':
          parts.push(block(b.blockType, b.body, o));
          break;
      }
    }
  }
  return concat(...parts);
}

// ---------------------------------------------------------------------------------------------------------------
// Oracles and data

/** A plain, comparable copy of a delivered record: its fields and an FNV-1a hash of its captured bytes. */
export interface RecordDigest {
  fileOffset: number;
  ts: number;
  capLen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  hash: number;
}

/** The {@link RecordDigest} of a (reused) record, to keep past the callback. */
export function recordDigest(r: CaptureRecord): RecordDigest {
  let h = 0x811c9dc5;
  for (let i = r.offset, e = r.offset + r.capLen; i < e; i++) h = Math.imul(h ^ r.data[i], 0x01000193) >>> 0;
  return { fileOffset: r.fileOffset, ts: r.ts, capLen: r.capLen, origLen: r.origLen, linkType: r.linkType, interfaceId: r.interfaceId, hash: h };
}

/** Path of tshark when installed (`TSHARK` env or /usr/bin/tshark), else undefined. */
export const TSHARK: string | undefined = [process.env.TSHARK, '/usr/bin/tshark', '/usr/local/bin/tshark'].find((p): p is string => p !== undefined && existsSync(p));

/** Path of editcap next to tshark, when installed. */
export const EDITCAP: string | undefined = TSHARK === undefined ? undefined : [TSHARK.replace(/tshark$/, 'editcap')].find((p) => existsSync(p));

/** Path of mergecap next to tshark, when installed. */
export const MERGECAP: string | undefined = TSHARK === undefined ? undefined : [TSHARK.replace(/tshark$/, 'mergecap')].find((p) => existsSync(p));

/**
 * Runs `tshark -n -r path -T fields -e f1 -e f2 …` (tab-separated; a field occurring several times in a frame
 * gives its values joined by `,`, outermost first; IPv4/IPv6 reassembly off so that each fragment shows its own
 * headers) and returns one row of strings per frame. `args` adds options (e.g. `-o` preferences). Throws when
 * tshark is missing or fails.
 */
export function tsharkFields(path: string, fields: readonly string[], args: readonly string[] = []): string[][] {
  if (TSHARK === undefined) throw new Error('tshark not installed');
  const out = execFileSync(
    TSHARK,
    ['-n', '-r', path, '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', ...args, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split('\t'));
}

/**
 * Runs editcap (`tool` 'editcap') or mergecap with `args` (Wireshark's converters: another independent writer of
 * pcap/pcapng files, e.g. `['-F', 'nsecpcap', in, out]`, `['-C', '14', '-T', 'rawip', in, out]`). Throws when the
 * tool is missing or fails.
 */
export function wiresharkTool(tool: 'editcap' | 'mergecap', args: readonly string[]): void {
  const bin = tool === 'editcap' ? EDITCAP : MERGECAP;
  if (bin === undefined) throw new Error(`${tool} not installed`);
  execFileSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

let tempDir: string | undefined;

/** A path for `name` in the temporary directory of {@link writeTempCapture} (nothing written). */
export function tempCapturePath(name: string): string {
  tempDir ??= mkdtempSync(join(tmpdir(), 'ipqsec-pcap-'));
  return join(tempDir, name);
}

/** Writes `bytes` to a fresh temporary directory (one per test process) as `name`; returns the path. */
export function writeTempCapture(name: string, bytes: Uint8Array): string {
  const path = tempCapturePath(name);
  writeFileSync(path, bytes);
  return path;
}

/** The real-data folder (`IPQSEC_DATA`, else `<repo>/../shared/data`). */
export const TEST_DATA_DIR = process.env.IPQSEC_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));

/** Folder of the real captures. */
export const TEST_PCAPS_DIR = join(TEST_DATA_DIR, 'pcaps');

/**
 * The real captures (`*.pcap`, `*.pcapng`) under {@link TEST_PCAPS_DIR}, sorted by name; empty (and a note on
 * stderr, so that skipped tests say why) when the folder is missing.
 */
export function sharedCaptures(): { name: string; path: string }[] {
  if (!existsSync(TEST_PCAPS_DIR)) {
    process.stderr.write(`skipping tests that need ${TEST_PCAPS_DIR}: not found (set IPQSEC_DATA; README "Data sets")\n`);
    return [];
  }
  return readdirSync(TEST_PCAPS_DIR)
    .filter((n) => n.endsWith('.pcap') || n.endsWith('.pcapng'))
    .sort()
    .map((name) => ({ name, path: join(TEST_PCAPS_DIR, name) }));
}

// ---------------------------------------------------------------------------------------------------------------
// A capture with one of everything

/** A named synthetic frame of a given link type (LINKTYPE_*), optionally cut to `snapLen` captured bytes. */
export interface SampleFrame {
  name: string;
  linkType: number;
  data: Uint8Array;
  snapLen?: number;
}

/**
 * Frames covering every decoded layer and the awkward cases: 802.1Q, QinQ (0x88a8 and 0x9100), ARP, 802.3/LLC,
 * IPv4 with options, fragments (first and later), TSO total length 0, IPv6 with each extension header kind and a
 * fragment header, ICMP/ICMPv6, SLL, SLL2, raw IPv4/IPv6 (101, 228, 229), a TCP header cut by the snap length and
 * malformed headers. Link types: 1, 101, 113, 228, 229, 276.
 */
export function sampleFrames(): SampleFrame[] {
  const payload = ascii('hello, sensor');
  const tcpSyn = tcp({ srcPort: 40000, dstPort: 502, seq: 0x89abcdef, flags: 0x02, window: 29200, options: Uint8Array.of(2, 4, 5, 180) });
  const tcpData = tcp({ srcPort: 502, dstPort: 40000, seq: 1, ack: 0xfffffff0, flags: 0x18, window: 512, payload });
  const v4 = (proto: number, l4: Uint8Array, extra: Partial<Ipv4Spec> = {}) => ipv4({ src: '192.0.2.1', dst: '198.51.100.7', proto, payload: l4, ttl: 63, ...extra });
  const v6 = (nextHeader: number, l4: Uint8Array, ext: Ipv6Ext[] = []) => ipv6({ src: '2001:db8::1', dst: 'fe80::217:f2ff:fed7:cf65', nextHeader, payload: l4, hopLimit: 255, ext });
  const eth = (type: number, p: Uint8Array, vlans?: VlanTag[]) => ethernet({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02', type, payload: p, vlans });
  const udpData = udp({ srcPort: 40001, dstPort: 9999, payload });
  return [
    { name: 'eth ipv4 tcp syn', linkType: 1, data: eth(0x0800, v4(6, tcpSyn)) },
    { name: 'eth ipv4 tcp data', linkType: 1, data: eth(0x0800, v4(6, tcpData, { df: true })) },
    { name: 'eth ipv4 udp', linkType: 1, data: eth(0x0800, v4(17, udpData)) },
    { name: 'eth ipv4 icmp echo', linkType: 1, data: eth(0x0800, v4(1, icmp({ type: 8, rest: Uint8Array.of(0, 1, 0, 1), payload }))) },
    { name: 'eth ipv4 options', linkType: 1, data: eth(0x0800, v4(17, udpData, { options: Uint8Array.of(0x94, 4, 0, 0) })) },
    { name: 'eth vlan ipv4', linkType: 1, data: eth(0x0800, v4(6, tcpData), [{ vid: 42, pcp: 5 }]) },
    { name: 'eth qinq 88a8', linkType: 1, data: eth(0x0800, v4(17, udpData), [{ tpid: 0x88a8, vid: 100 }, { vid: 200 }]) },
    { name: 'eth qinq 9100', linkType: 1, data: eth(0x86dd, v6(17, udpData), [{ tpid: 0x9100, vid: 7 }, { vid: 4094 }]) },
    { name: 'eth arp request', linkType: 1, data: ethernet({ src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806, payload: arp({ op: 1, sha: '02:00:00:00:00:01', spa: '192.0.2.1', tpa: '192.0.2.254' }) }) },
    { name: 'eth arp reply', linkType: 1, data: eth(0x0806, arp({ op: 2, sha: '02:00:00:00:00:02', spa: '192.0.2.254', tha: '02:00:00:00:00:01', tpa: '192.0.2.1' })) },
    { name: 'eth 802.3 llc stp', linkType: 1, data: ethernet({ dst: '01:80:c2:00:00:00', type: 38, payload: concat(Uint8Array.of(0x42, 0x42, 0x03), new Uint8Array(35)) }) },
    { name: 'eth ipv4 first fragment', linkType: 1, data: eth(0x0800, v4(17, udp({ srcPort: 1234, dstPort: 5678, length: 1008, payload: new Uint8Array(16) }), { id: 77, mf: true })) },
    { name: 'eth ipv4 later fragment', linkType: 1, data: eth(0x0800, v4(17, new Uint8Array(40), { id: 77, fragOffset: 24 })) },
    { name: 'eth ipv4 tso total length 0', linkType: 1, data: eth(0x0800, v4(6, tcpData, { totalLength: 0 })) },
    { name: 'eth ipv6 tcp', linkType: 1, data: eth(0x86dd, v6(6, tcpSyn)) },
    { name: 'eth ipv6 icmpv6', linkType: 1, data: eth(0x86dd, v6(58, icmp({ type: 135, payload: ip6('2001:db8::2') }))) },
    {
      name: 'eth ipv6 ext chain',
      linkType: 1,
      data: eth(0x86dd, v6(6, tcpData, [{ type: 0 }, { type: 60, body: concat(Uint8Array.of(1, 12), new Uint8Array(12)) }, { type: 43, body: concat(Uint8Array.of(0, 0), new Uint8Array(4)) }, { type: 51, body: new Uint8Array(10) }])),
    },
    { name: 'eth ipv6 first fragment', linkType: 1, data: eth(0x86dd, v6(17, udpData, [{ type: 44, more: true, id: 9 }])) },
    { name: 'eth ipv6 later fragment', linkType: 1, data: eth(0x86dd, v6(17, new Uint8Array(24), [{ type: 0 }, { type: 44, fragOffset: 1232, id: 9 }])) },
    { name: 'eth ipv6 no next header', linkType: 1, data: eth(0x86dd, v6(59, new Uint8Array(0), [{ type: 60 }])) },
    { name: 'eth ipv4 tcp cut by snaplen', linkType: 1, data: eth(0x0800, v4(6, tcp({ srcPort: 80, dstPort: 50000, flags: 0x11, options: new Uint8Array(12), payload }))), snapLen: 14 + 20 + 24 },
    { name: 'eth ipv4 ihl 4 (malformed)', linkType: 1, data: eth(0x0800, v4(6, tcpData, { ihl: 4 })) },
    { name: 'eth ipv4 tcp data offset 3 (malformed)', linkType: 1, data: eth(0x0800, v4(6, tcp({ srcPort: 1, dstPort: 2, dataOffset: 3 }))) },
    { name: 'sll ipv4 tcp', linkType: 113, data: sll({ protocol: 0x0800, packetType: 4, payload: v4(6, tcpData) }) },
    { name: 'sll vlan ipv6 udp', linkType: 113, data: sll({ protocol: 0x8100, payload: concat(be16(11), be16(0x86dd), v6(17, udpData)) }) },
    { name: 'sll arp', linkType: 113, data: sll({ protocol: 0x0806, payload: arp({ op: 2, sha: '00:00:5e:00:53:01', spa: '10.0.0.1', tpa: '10.0.0.2' }) }) },
    { name: 'sll2 ipv4 icmp', linkType: 276, data: sll2({ protocol: 0x0800, ifIndex: 3, payload: v4(1, icmp({ type: 3, code: 3, payload: v4(17, udpData).subarray(0, 28) })) }) },
    { name: 'sll2 ipv6 tcp', linkType: 276, data: sll2({ protocol: 0x86dd, payload: v6(6, tcpSyn) }) },
    { name: 'raw ipv4', linkType: 101, data: v4(17, udpData) },
    { name: 'raw ipv6', linkType: 101, data: v6(6, tcpData) },
    { name: 'ipv4 linktype', linkType: 228, data: v4(6, tcpSyn) },
    { name: 'ipv6 linktype', linkType: 229, data: v6(58, icmp({ type: 128, rest: Uint8Array.of(0, 7, 0, 1) })) },
  ];
}

/**
 * The {@link sampleFrames} in one pcapng (little-endian, one IDB per link type in order of first use, tsresol
 * 10^-9 on even interfaces and the default 10^-6 on odd ones), frame i at 1_700_000_000 + i + 0.123456 s.
 * Returns the bytes and the frames in file order.
 */
export function samplePcapng(): { bytes: Uint8Array; frames: SampleFrame[] } {
  const frames = sampleFrames();
  const ifOf = new Map<number, number>();
  const blocks: PcapngBlockSpec[] = [];
  frames.forEach((f, i) => {
    let id = ifOf.get(f.linkType);
    if (id === undefined) {
      id = ifOf.size;
      ifOf.set(f.linkType, id);
      blocks.push({ type: 'idb', linkType: f.linkType, snapLen: 262144, tsresol: id % 2 === 0 ? 9 : undefined });
    }
    const units = id % 2 === 0 ? 1_000_000_000n : 1_000_000n;
    const ts = BigInt(1_700_000_000 + i) * units + (units * 123_456n) / 1_000_000n;
    const data = f.snapLen === undefined ? f.data : f.data.subarray(0, f.snapLen);
    blocks.push({ type: 'epb', interfaceId: id, ts, data, origLen: f.data.length });
  });
  return { bytes: pcapngFile([{ blocks }]), frames };
}
