/**
 * The decoded view of one captured packet: offsets into the capture buffer and header fields, filled in place by
 * the decoder (`decode.ts`) into one reused {@link PacketInfo} per reader. Nothing here copies packet bytes: a
 * consumer that keeps anything past the callback copies it itself, because the buffer is reused for the next
 * chunk.
 *
 * Sources: pcap (draft-ietf-opsawg-pcap), pcapng (draft-ietf-opsawg-pcapng), link types
 * (https://www.tcpdump.org/linktypes.html), IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768),
 * ICMP (RFC 792), ICMPv6 (RFC 4443), ARP (RFC 826), 802.1Q VLAN.
 */

/** IANA protocol numbers of the transports the flow table tracks (RFC 790 / IANA registry). */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** TCP flag bits (RFC 9293 §3.1; ECE/CWR RFC 3168). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** Link types decoded (tcpdump.org LINKTYPE_* values). */
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/**
 * One raw record as a capture reader hands it out, before decoding. Reused: valid only during the callback.
 */
export interface CaptureRecord {
  /** Buffer holding the record; the packet's bytes are `data[offset, offset + capLen)`. */
  data: Uint8Array;
  offset: number;
  /** Bytes captured (≤ snaplen). */
  capLen: number;
  /** Bytes on the wire (`origLen ≥ capLen`). */
  origLen: number;
  /** Capture time, seconds since the Unix epoch (Zeek `time`; ≈0.2 µs resolution in a double). */
  ts: number;
  /** LINKTYPE_* of the record's interface. */
  linkType: number;
  /** pcapng interface index (0 for pcap). */
  interfaceId: number;
  /** Byte offset of the record (pcap record header / pcapng block) in the whole input, for error messages. */
  fileOffset: number;
}

/**
 * A decoded packet, filled in place by `decodePacket`. Fields of layers the packet does not have keep the values
 * {@link resetPacketInfo} gives them (0 / -1 / false). Addresses: IPv4 as an unsigned 32-bit number
 * (`src4`, `dst4`, network order read big-endian); IPv6 as a byte offset into `data` (`src6Off`, `dst6Off`,
 * 16 bytes each).
 */
export interface PacketInfo {
  /** The record this packet was decoded from (same reused object). */
  record: CaptureRecord;
  data: Uint8Array;
  ts: number;
  /** Bytes on the wire of the whole frame (the record's `origLen`). */
  wireLen: number;

  // Link layer.
  /** Offset of the Ethernet source MAC (6 bytes) in `data`, -1 when the link layer has none. */
  srcMacOff: number;
  dstMacOff: number;
  /** EtherType of the network layer after VLAN tags (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP), 0 if unknown. */
  etherType: number;
  /** Outermost 802.1Q VLAN id, -1 when untagged. */
  vlan: number;

  // ARP (etherType 0x0806, Ethernet/IPv4 only).
  isArp: boolean;
  /** ARP operation: 1 request, 2 reply. */
  arpOp: number;
  /** Offset of the sender hardware address (6 bytes). */
  arpShaOff: number;
  arpSpa: number;
  arpTpa: number;

  // Network layer.
  /** 4, 6 or 0 (no IP). */
  ipVersion: number;
  /** Offset of the IP header in `data`. */
  ipOff: number;
  /** IPv4 header length or 40 + extension headers for IPv6 (bytes up to the transport header). */
  ipHeaderLen: number;
  /** Total IP length from the header (IPv4 total length; IPv6 40 + payload length), bytes. */
  ipLen: number;
  /** TTL or hop limit. */
  ttl: number;
  /** Transport protocol number (after IPv6 extension headers). */
  proto: number;
  src4: number;
  dst4: number;
  src6Off: number;
  dst6Off: number;
  /** True for any IPv4 fragment (MF set or offset ≠ 0) or an IPv6 packet with a Fragment header. */
  isFragment: boolean;
  /** True for a fragment other than the first (offset ≠ 0): it carries no transport header. */
  isLaterFragment: boolean;

  // Transport layer (TCP/UDP/ICMP of a first or unfragmented packet).
  /** True when the transport header was decoded. */
  hasL4: boolean;
  srcPort: number;
  dstPort: number;
  /** ICMP/ICMPv6 type and code (ports stay 0 except as the flow table maps them). */
  icmpType: number;
  icmpCode: number;
  /** TCP flags byte (TCP_* bits). */
  tcpFlags: number;
  /** TCP sequence and acknowledgement numbers, unsigned 32-bit. */
  seq: number;
  ack: number;
  /** TCP window field (unscaled). */
  window: number;
  /** Offset of the transport payload in `data`. */
  payloadOff: number;
  /** Payload bytes present in the capture (may be < `l4PayloadLen` when snaplen cut the packet). */
  payloadCapLen: number;
  /** Payload bytes according to the IP length (what Zeek counts in orig_bytes/resp_bytes). */
  l4PayloadLen: number;
}

/** A fresh {@link PacketInfo} with every field reset. */
export function newPacketInfo(): PacketInfo {
  const record: CaptureRecord = { data: new Uint8Array(0), offset: 0, capLen: 0, origLen: 0, ts: 0, linkType: 0, interfaceId: 0, fileOffset: 0 };
  const p = { record } as PacketInfo;
  resetPacketInfo(p);
  return p;
}

/** Resets every decoded field (not `record`) to its "absent" value. O(1), no allocation. */
export function resetPacketInfo(p: PacketInfo): void {
  p.data = p.record.data;
  p.ts = p.record.ts;
  p.wireLen = p.record.origLen;
  p.srcMacOff = -1;
  p.dstMacOff = -1;
  p.etherType = 0;
  p.vlan = -1;
  p.isArp = false;
  p.arpOp = 0;
  p.arpShaOff = -1;
  p.arpSpa = 0;
  p.arpTpa = 0;
  p.ipVersion = 0;
  p.ipOff = -1;
  p.ipHeaderLen = 0;
  p.ipLen = 0;
  p.ttl = 0;
  p.proto = 0;
  p.src4 = 0;
  p.dst4 = 0;
  p.src6Off = -1;
  p.dst6Off = -1;
  p.isFragment = false;
  p.isLaterFragment = false;
  p.hasL4 = false;
  p.srcPort = 0;
  p.dstPort = 0;
  p.icmpType = 0;
  p.icmpCode = 0;
  p.tcpFlags = 0;
  p.seq = 0;
  p.ack = 0;
  p.window = 0;
  p.payloadOff = -1;
  p.payloadCapLen = 0;
  p.l4PayloadLen = 0;
}
