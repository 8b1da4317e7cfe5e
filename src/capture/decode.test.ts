import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from './capture-reader.js';
import {
  DECODE_FRAGMENT,
  DECODE_MALFORMED,
  DECODE_NON_IP,
  DECODE_TRUNCATED,
  DECODE_UNSUPPORTED_LINK,
  decodePacket,
  isSupportedLinkType,
  newDecodeStats,
} from './decode.js';
import type { DecodeStats } from './decode.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_PSH, TCP_SYN, newPacketInfo } from './packet.js';
import type { PacketInfo } from './packet.js';
import {
  EDITCAP,
  TSHARK,
  ascii,
  concat,
  ethernet,
  icmp,
  ip4n,
  ip4Text,
  ip6,
  ip6Text,
  ipv4,
  ipv6,
  macText,
  samplePcapng,
  sampleFrames,
  sharedCaptures,
  sll,
  sll2,
  tcp,
  tempCapturePath,
  tsharkFields,
  udp,
  wiresharkTool,
  writeTempCapture,
} from './_test-pcap.js';
import type { SampleFrame } from './_test-pcap.js';

/** Decodes `data` as one record of `linkType` (captured bytes cut to `capLen`). */
function decode(linkType: number, data: Uint8Array, capLen = data.length, stats?: DecodeStats): PacketInfo {
  const p = newPacketInfo();
  Object.assign(p.record, { data, offset: 0, capLen, origLen: data.length, ts: 1, linkType, interfaceId: 0, fileOffset: 0 });
  decodePacket(p, stats);
  return p;
}

function frame(name: string): SampleFrame {
  const f = sampleFrames().find((x) => x.name === name);
  if (f === undefined) throw new Error(`no sample frame ${name}`);
  return f;
}

function decodeSample(name: string, stats?: DecodeStats): PacketInfo {
  const f = frame(name);
  return decode(f.linkType, f.data, f.snapLen ?? f.data.length, stats);
}

// Hand-derived expectations: each value below follows from the bytes the builder lays out per the standard.
describe('decodePacket: layers, against values derived from the standards', () => {
  it('Ethernet/IPv4/TCP SYN: MACs, addresses, TTL, ports, seq, flags, window, options skipped', () => {
    const p = decodeSample('eth ipv4 tcp syn');
    expect(macText(p.data, p.srcMacOff)).toBe('02:00:00:00:00:01');
    expect(macText(p.data, p.dstMacOff)).toBe('02:00:00:00:00:02');
    expect(p.etherType).toBe(0x0800);
    expect(p.vlan).toBe(-1);
    expect([p.ipVersion, p.ipOff, p.ipHeaderLen, p.ipLen, p.ttl, p.proto]).toEqual([4, 14, 20, 20 + 24, 63, IPPROTO_TCP]);
    expect([ip4Text(p.src4), ip4Text(p.dst4)]).toEqual(['192.0.2.1', '198.51.100.7']);
    expect([p.hasL4, p.srcPort, p.dstPort, p.seq, p.ack, p.tcpFlags, p.window]).toEqual([true, 40000, 502, 0x89abcdef, 0, TCP_SYN, 29200]);
    // Data offset 6 words: 20 + 4 option bytes; no payload; Ethernet padding (60-byte minimum) is not payload.
    expect([p.payloadOff, p.payloadCapLen, p.l4PayloadLen]).toEqual([14 + 20 + 24, 0, 0]);
    expect(p.isFragment).toBe(false);
  });

  it('TCP payload bounds: offset, captured and IP-derived lengths', () => {
    const p = decodeSample('eth ipv4 tcp data');
    expect([p.tcpFlags, p.ack, p.l4PayloadLen, p.payloadCapLen]).toEqual([TCP_PSH | TCP_ACK, 0xfffffff0, 13, 13]);
    expect(String.fromCharCode(...p.data.subarray(p.payloadOff, p.payloadOff + p.payloadCapLen))).toBe('hello, sensor');
  });

  it('UDP and ICMP', () => {
    const u = decodeSample('eth ipv4 udp');
    expect([u.proto, u.srcPort, u.dstPort, u.l4PayloadLen, u.payloadOff]).toEqual([IPPROTO_UDP, 40001, 9999, 13, 14 + 20 + 8]);
    const i = decodeSample('eth ipv4 icmp echo');
    expect([i.proto, i.hasL4, i.icmpType, i.icmpCode, i.srcPort, i.l4PayloadLen]).toEqual([IPPROTO_ICMP, true, 8, 0, 0, 13]);
  });

  it('IPv4 options: header length from the IHL', () => {
    const p = decodeSample('eth ipv4 options');
    expect([p.ipHeaderLen, p.srcPort, p.dstPort]).toEqual([24, 40001, 9999]);
  });

  it('802.1Q and QinQ (0x88a8, 0x9100): outermost VLAN id, inner EtherType', () => {
    expect([decodeSample('eth vlan ipv4').vlan, decodeSample('eth vlan ipv4').ipOff]).toEqual([42, 18]);
    const q = decodeSample('eth qinq 88a8');
    expect([q.vlan, q.etherType, q.ipOff, q.srcPort]).toEqual([100, 0x0800, 22, 40001]);
    const o = decodeSample('eth qinq 9100');
    expect([o.vlan, o.etherType, o.ipVersion, o.srcPort]).toEqual([7, 0x86dd, 6, 40001]);
  });

  it('ARP request and reply (RFC 826)', () => {
    const stats = newDecodeStats();
    const r = decodeSample('eth arp request', stats);
    expect([r.isArp, r.arpOp, ip4Text(r.arpSpa), ip4Text(r.arpTpa), macText(r.data, r.arpShaOff), r.ipVersion]).toEqual([true, 1, '192.0.2.1', '192.0.2.254', '02:00:00:00:00:01', 0]);
    expect(stats.lastFlags).toBe(DECODE_NON_IP);
    const a = decodeSample('eth arp reply');
    expect([a.arpOp, ip4Text(a.arpSpa), macText(a.data, a.arpShaOff)]).toEqual([2, '192.0.2.254', '02:00:00:00:00:02']);
  });

  it('802.3 length field (LLC/STP) is non-IP with EtherType 0', () => {
    const stats = newDecodeStats();
    const p = decodeSample('eth 802.3 llc stp', stats);
    expect([p.etherType, p.ipVersion, p.isArp, stats.nonIp]).toEqual([0, 0, false, 1]);
  });

  it('IPv4 fragments: the first carries the transport header, a later one does not (RFC 791 §3.1)', () => {
    const stats = newDecodeStats();
    const f = decodeSample('eth ipv4 first fragment', stats);
    expect([f.isFragment, f.isLaterFragment, f.hasL4, f.srcPort, f.dstPort]).toEqual([true, false, true, 1234, 5678]);
    const l = decodeSample('eth ipv4 later fragment', stats);
    expect([l.isFragment, l.isLaterFragment, l.hasL4, l.proto, l.srcPort, l.ipLen]).toEqual([true, true, false, IPPROTO_UDP, 0, 60]);
    expect([stats.ipv4Fragments, stats.ipv6Fragments, stats.lastFlags]).toEqual([2, 0, DECODE_FRAGMENT]);
  });

  it('IPv4 total length 0 (segmentation offload) reads the captured bytes, as Wireshark does', () => {
    const p = decodeSample('eth ipv4 tso total length 0');
    // The captured IP bytes: the 60-byte minimum frame minus 14, or the packet when longer.
    expect([p.ipLen, p.srcPort, p.l4PayloadLen]).toEqual([p.data.length - 14, 502, p.data.length - 14 - 40]);
  });

  it('IPv6 extension headers: hop-by-hop, destination options, routing, AH skipped (RFC 8200 §4, RFC 4302 §2.2)', () => {
    const p = decodeSample('eth ipv6 ext chain');
    // 8 (HBH) + 16 (dest opts: 2 + 14) + 8 (routing) + 12 (AH: 2 + 10 → 3 words) after the 40-byte header.
    expect([p.ipVersion, p.proto, p.ipHeaderLen, p.srcPort, p.dstPort, p.ttl]).toEqual([6, IPPROTO_TCP, 40 + 8 + 16 + 8 + 12, 502, 40000, 255]);
    expect(ip6Text(p.data, p.src6Off)).toBe('2001:db8::1');
    expect(ip6Text(p.data, p.dst6Off)).toBe('fe80::217:f2ff:fed7:cf65');
    expect(p.l4PayloadLen).toBe(13);
  });

  it('IPv6 fragment header: first fragment decoded, later fragment has no transport (RFC 8200 §4.5)', () => {
    const stats = newDecodeStats();
    const f = decodeSample('eth ipv6 first fragment', stats);
    expect([f.isFragment, f.isLaterFragment, f.proto, f.hasL4, f.srcPort, f.ipHeaderLen]).toEqual([true, false, IPPROTO_UDP, true, 40001, 48]);
    const l = decodeSample('eth ipv6 later fragment', stats);
    expect([l.isFragment, l.isLaterFragment, l.proto, l.hasL4, l.ipHeaderLen]).toEqual([true, true, IPPROTO_UDP, false, 56]);
    expect([stats.ipv6Fragments, stats.ipv4Fragments]).toEqual([2, 0]);
  });

  it('IPv6 "no next header" ends the chain without a transport header', () => {
    const p = decodeSample('eth ipv6 no next header');
    expect([p.proto, p.hasL4, p.ipHeaderLen]).toEqual([59, false, 48]);
  });

  it('ICMPv6 type and code', () => {
    const p = decodeSample('eth ipv6 icmpv6');
    expect([p.proto, p.icmpType, p.icmpCode, p.hasL4]).toEqual([IPPROTO_ICMPV6, 135, 0, true]);
  });

  it('a TCP header cut by the snap length keeps ports and flags, counts as truncated', () => {
    const stats = newDecodeStats();
    const p = decodeSample('eth ipv4 tcp cut by snaplen', stats);
    expect([p.hasL4, p.srcPort, p.dstPort, p.tcpFlags, p.payloadCapLen, p.l4PayloadLen]).toEqual([true, 80, 50000, 0x11, 0, 13]);
    expect([stats.truncated, stats.lastFlags]).toEqual([1, DECODE_TRUNCATED]);
  });

  it('malformed headers: IHL < 5 drops the IP layer, TCP data offset < 5 drops the transport layer', () => {
    const stats = newDecodeStats();
    const a = decodeSample('eth ipv4 ihl 4 (malformed)', stats);
    expect([a.ipVersion, a.etherType, stats.lastFlags]).toEqual([0, 0x0800, DECODE_MALFORMED]);
    const b = decodeSample('eth ipv4 tcp data offset 3 (malformed)', stats);
    expect([b.ipVersion, b.proto, b.hasL4, b.srcPort]).toEqual([4, IPPROTO_TCP, false, 0]);
    expect(stats.malformed).toBe(2);
  });

  it('Linux cooked captures: SLL (with VLAN, ARP) and SLL2', () => {
    const a = decodeSample('sll ipv4 tcp');
    expect([a.srcMacOff, a.dstMacOff, a.ipOff, a.srcPort]).toEqual([6, -1, 16, 502]);
    expect(macText(a.data, a.srcMacOff)).toBe('00:00:5e:00:53:01');
    const v = decodeSample('sll vlan ipv6 udp');
    expect([v.vlan, v.etherType, v.ipOff, v.dstPort]).toEqual([11, 0x86dd, 20, 9999]);
    expect(decodeSample('sll arp').arpOp).toBe(2);
    const b = decodeSample('sll2 ipv6 tcp');
    expect([b.srcMacOff, b.ipOff, b.ipVersion, b.srcPort]).toEqual([12, 20, 6, 40000]);
    const i = decodeSample('sll2 ipv4 icmp');
    // Destination unreachable quoting an IPv4/UDP header: the outer ICMP is the packet; the quote is not followed.
    expect([i.icmpType, i.icmpCode, i.srcPort, i.proto]).toEqual([3, 3, 0, IPPROTO_ICMP]);
  });

  it('raw IP link types 101 (version nibble), 228, 229', () => {
    expect([decodeSample('raw ipv4').ipVersion, decodeSample('raw ipv4').etherType, decodeSample('raw ipv4').srcMacOff]).toEqual([4, 0x0800, -1]);
    expect([decodeSample('raw ipv6').ipVersion, decodeSample('raw ipv6').srcPort]).toEqual([6, 502]);
    expect(decodeSample('ipv4 linktype').dstPort).toBe(502);
    expect(decodeSample('ipv6 linktype').icmpType).toBe(128);
  });

  it('an unsupported link type returns false and is counted', () => {
    const stats = newDecodeStats();
    const p = newPacketInfo();
    Object.assign(p.record, { data: new Uint8Array(40), capLen: 40, origLen: 40, linkType: 127 });
    expect(decodePacket(p, stats)).toBe(false);
    expect([stats.unsupportedLink, stats.lastFlags, p.ipVersion]).toEqual([1, DECODE_UNSUPPORTED_LINK, 0]);
    expect(isSupportedLinkType(127)).toBe(false);
    expect([1, 101, 113, 228, 229, 276].every(isSupportedLinkType)).toBe(true);
  });

  it('decodes a record in the middle of a larger buffer, reading only its captured bytes', () => {
    const f = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ srcPort: 7, dstPort: 9, payload: ascii('x') }) }) });
    const buf = concat(new Uint8Array(100).fill(0xff), f, new Uint8Array(50).fill(0xff));
    const p = newPacketInfo();
    Object.assign(p.record, { data: buf, offset: 100, capLen: f.length, origLen: f.length, linkType: 1 });
    decodePacket(p);
    expect([p.src4, p.dst4, p.srcPort, p.dstPort, p.payloadOff, p.payloadCapLen]).toEqual([ip4n('10.0.0.1'), ip4n('10.0.0.2'), 7, 9, 100 + 42, 1]);
  });

  it('every prefix of every sample frame decodes without throwing, a strict prefix never reads past its end', () => {
    for (const f of sampleFrames()) {
      for (let n = 0; n <= f.data.length; n++) {
        const stats = newDecodeStats();
        const p = decode(f.linkType, f.data.subarray(0, n), n, stats);
        if (p.payloadOff >= 0) expect(p.payloadOff + p.payloadCapLen).toBeLessThanOrEqual(n);
      }
    }
  });

  it('never throws on arbitrary bytes of any link type, and offsets stay inside the record (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 101, 113, 228, 229, 276, 0, 105), fc.uint8Array({ maxLength: 200 }), fc.nat(210), (lt, bytes, cut) => {
        const capLen = Math.min(cut, bytes.length);
        const p = decode(lt, bytes, capLen, newDecodeStats());
        for (const off of [p.srcMacOff, p.ipOff, p.src6Off, p.arpShaOff]) expect(off).toBeLessThan(Math.max(capLen, 1));
        if (p.payloadOff >= 0) expect(p.payloadOff + p.payloadCapLen).toBeLessThanOrEqual(capLen);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated sample frames never make it throw (fast-check)', () => {
    const frames = sampleFrames();
    fc.assert(
      fc.property(fc.nat(frames.length - 1), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (i, flips) => {
        const f = frames[i];
        const d = f.data.slice();
        for (const [at, v] of flips) d[at % d.length] = v;
        decode(f.linkType, d, d.length, newDecodeStats());
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// tshark as the oracle

const FIELDS = [
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'frame.protocols',
  'eth.src',
  'eth.dst',
  'eth.type',
  'ieee8021ad.id',
  'vlan.id',
  'vlan.etype',
  'sll.etype',
  'sll.src.eth',
  'arp.opcode',
  'arp.src.proto_ipv4',
  'arp.dst.proto_ipv4',
  'arp.src.hw_mac',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'ip.proto',
  'ip.len',
  'ip.hdr_len',
  'ip.flags.mf',
  'ip.frag_offset',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'ipv6.plen',
  'ipv6.fraghdr.offset',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.flags',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.window_size_value',
  'tcp.len',
  'tcp.hdr_len',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'icmp.type',
  'icmp.code',
  'icmpv6.type',
  'icmpv6.code',
] as const;
type Field = (typeof FIELDS)[number];

/** One tshark row as first/last occurrence accessors ('' when absent). */
function rowOf(cols: string[]) {
  const all = (f: Field) => {
    const v = cols[FIELDS.indexOf(f)] ?? '';
    return v === '' ? [] : v.split(',');
  };
  return { all, first: (f: Field) => all(f)[0] ?? '', last: (f: Field) => all(f).at(-1) ?? '' };
}

/** tshark's integer text (decimal or 0x hex). */
const int = (s: string) => Number(s);

/** Seconds of tshark's `frame.time_epoch` text (exact decimal digits). */
function epoch(s: string): number {
  const [sec, frac = ''] = s.split('.');
  return Number(sec) + Number(`0.${frac}`);
}

/**
 * Compares every packet of the capture at `path` as the reader + decoder see it with tshark's dissection.
 * Where the views differ by design, the comparison follows the decoder's documented scope:
 * - only the outermost network layer is compared: tshark also dissects the IP header quoted in ICMP errors and
 *   tunnelled packets (its later occurrences), the decoder does not follow them;
 * - the transport is compared when tshark dissects it right after that network layer (so TCP ports quoted in an
 *   ICMP error are not compared; an ICMP type is);
 * - frames tshark flags as malformed at the IP or transport layer are compared only up to the link layer.
 * Returns the number of packets compared.
 */
function compareWithTshark(path: string, bytes: Uint8Array, opts: { spbTimestamps?: boolean } = {}): number {
  const rows = tsharkFields(path, FIELDS).map(rowOf);
  const p = newPacketInfo();
  let i = 0;
  const summary = readCaptureBuffer(
    bytes,
    () => {
      const t = rows[i];
      const where = `${path} frame ${i + 1}`;
      i++;
      expect(t, where).toBeDefined();
      decodePacket(p);
      const r = p.record;
      if (opts.spbTimestamps !== false) expect(Math.abs(r.ts - epoch(t.first('frame.time_epoch'))), `${where} ts`).toBeLessThanOrEqual(1e-6);
      expect([r.origLen, r.capLen], `${where} lengths`).toEqual([int(t.first('frame.len')), int(t.first('frame.cap_len'))]);
      const protos = t.first('frame.protocols').split(':');
      // Link layer.
      if (r.linkType === 1) {
        expect([macText(p.data, p.srcMacOff), macText(p.data, p.dstMacOff)], `${where} MACs`).toEqual([t.first('eth.src'), t.first('eth.dst')]);
      }
      if (t.first('sll.src.eth') !== '') expect(macText(p.data, p.srcMacOff), `${where} SLL MAC`).toBe(t.first('sll.src.eth'));
      // The outermost tag: an 802.1ad S-tag (tshark's ieee8021ad) comes before any 802.1Q C-tag (vlan).
      const vid = t.first('ieee8021ad.id') || t.first('vlan.id');
      expect(p.vlan, `${where} vlan`).toBe(vid === '' ? -1 : int(vid));
      const type = t.last('vlan.etype') || t.first('sll.etype') || t.first('eth.type');
      if (type !== '') expect(p.etherType, `${where} ethertype`).toBe(int(type));
      if (protos.includes('_ws.malformed')) return;
      // Network layer: the first of ip / ipv6 / arp in tshark's protocol stack.
      const net = protos.find((x) => x === 'ip' || x === 'ipv6' || x === 'arp');
      if (net === 'arp') {
        expect([p.isArp, p.arpOp, ip4Text(p.arpSpa), ip4Text(p.arpTpa), macText(p.data, p.arpShaOff)], `${where} arp`).toEqual([
          true,
          int(t.first('arp.opcode')),
          t.first('arp.src.proto_ipv4'),
          t.first('arp.dst.proto_ipv4'),
          t.first('arp.src.hw_mac'),
        ]);
        return;
      }
      if (net === undefined) {
        expect(p.ipVersion, `${where} non-IP`).toBe(0);
        return;
      }
      if (net === 'ip' && t.first('ip.src') === '') {
        // tshark stops at a bogus IPv4 header length (< 20) without showing addresses; the decoder drops the layer.
        expect(p.ipVersion, `${where} bogus ipv4`).toBe(0);
        return;
      }
      if (net === 'ip') {
        const mf = t.first('ip.flags.mf') === '1' || t.first('ip.flags.mf') === 'True';
        const fragOff = int(t.first('ip.frag_offset'));
        expect([p.ipVersion, ip4Text(p.src4), ip4Text(p.dst4), p.ttl, p.proto, p.ipLen, p.ipHeaderLen, p.isFragment, p.isLaterFragment], `${where} ipv4`).toEqual([
          4,
          t.first('ip.src'),
          t.first('ip.dst'),
          int(t.first('ip.ttl')),
          int(t.first('ip.proto')),
          // tshark shows the header's total length (0 for offload captures, where the decoder uses the captured bytes).
          int(t.first('ip.len')) === 0 ? p.ipLen : int(t.first('ip.len')),
          int(t.first('ip.hdr_len')),
          mf || fragOff !== 0,
          fragOff !== 0,
        ]);
      } else {
        const fragOff = t.first('ipv6.fraghdr.offset');
        expect([p.ipVersion, ip6Text(p.data, p.src6Off), ip6Text(p.data, p.dst6Off), p.ttl, p.ipLen, p.isFragment, p.isLaterFragment], `${where} ipv6`).toEqual([
          6,
          t.first('ipv6.src'),
          t.first('ipv6.dst'),
          int(t.first('ipv6.hlim')),
          40 + int(t.first('ipv6.plen')),
          fragOff !== '',
          fragOff !== '' && int(fragOff) !== 0,
        ]);
      }
      // Transport: the protocol tshark dissects right after the network layer (skipping IPv6 extension headers).
      const after = protos.slice(protos.indexOf(net) + 1).find((x) => !x.startsWith('ipv6.') && x !== 'ah');
      if (after === 'tcp' && int(t.first('tcp.hdr_len')) < 20) {
        // "Bogus TCP header length": tshark shows the ports anyway; the decoder drops a malformed transport header.
        expect([p.proto, p.hasL4], `${where} bogus tcp`).toEqual([IPPROTO_TCP, false]);
      } else if (after === 'tcp') {
        expect(p.proto, `${where} proto`).toBe(IPPROTO_TCP);
        expect([p.hasL4, p.srcPort, p.dstPort, p.tcpFlags, p.seq, p.ack, p.window, p.l4PayloadLen], `${where} tcp`).toEqual([
          true,
          int(t.first('tcp.srcport')),
          int(t.first('tcp.dstport')),
          int(t.first('tcp.flags')) & 0xff,
          int(t.first('tcp.seq_raw')),
          int(t.first('tcp.ack_raw')),
          int(t.first('tcp.window_size_value')),
          int(t.first('tcp.len')),
        ]);
      } else if (after === 'udp') {
        expect(p.proto, `${where} proto`).toBe(IPPROTO_UDP);
        // l4PayloadLen follows the IP length (what Zeek counts); tshark's udp.length is the UDP header's field, the
        // whole datagram's length, which a first fragment only begins.
        const udpLen = p.isFragment ? p.l4PayloadLen : int(t.first('udp.length')) - 8;
        expect([p.hasL4, p.srcPort, p.dstPort, p.l4PayloadLen], `${where} udp`).toEqual([true, int(t.first('udp.srcport')), int(t.first('udp.dstport')), udpLen]);
      } else if (after === 'icmp') {
        expect([p.proto, p.hasL4, p.icmpType, p.icmpCode], `${where} icmp`).toEqual([IPPROTO_ICMP, true, int(t.first('icmp.type')), int(t.first('icmp.code'))]);
      } else if (after === 'icmpv6') {
        expect([p.proto, p.hasL4, p.icmpType, p.icmpCode], `${where} icmpv6`).toEqual([IPPROTO_ICMPV6, true, int(t.first('icmpv6.type')), int(t.first('icmpv6.code'))]);
      } else {
        // Later fragments ("data"), "no next header", protocols not decoded: no transport header.
        expect(p.hasL4, `${where} no transport (${after ?? 'none'})`).toBe(false);
      }
    },
    { record: p.record },
  );
  expect(summary.error).toBeUndefined();
  expect(i, `${path}: packet count`).toBe(rows.length);
  return i;
}

const captures = sharedCaptures();

if (TSHARK === undefined) process.stderr.write('skipping the tshark comparisons of decode.test.ts: tshark not installed (/usr/bin/tshark or TSHARK)\n');

describe.skipIf(TSHARK === undefined)('decodePacket against tshark (needs tshark)', () => {
  it('synthetic capture with every link type and layer (sampleFrames, 6 interfaces, µs and ns)', () => {
    const { bytes, frames } = samplePcapng();
    const path = writeTempCapture('sample.pcapng', bytes);
    expect(compareWithTshark(path, bytes)).toBe(frames.length);
  });

  describe.skipIf(captures.length === 0)('real captures under IPQSEC_DATA/pcaps', () => {
    for (const c of captures) {
      it(`${c.name}: every packet matches tshark`, () => {
        const n = compareWithTshark(c.path, readFileSync(c.path));
        expect(n).toBeGreaterThan(0);
      });
    }
  });
});

describe.skipIf(TSHARK === undefined || EDITCAP === undefined || captures.length === 0)('decodePacket on real packets rewritten as raw IP by editcap, against tshark', () => {
  for (const c of captures.filter((x) => x.name === 'wikipedia.pcap' || x.name === 'http_google.pcapng')) {
    it(`${c.name} without its Ethernet headers (LINKTYPE_RAW)`, () => {
      // editcap -C 14 chops the 14 Ethernet bytes, -T rawip relabels the link type: real IPv4/IPv6 packets as raw IP
      // (ARP/STP frames become garbage "IP" for both tshark and the decoder).
      const out = tempCapturePath(`raw-${c.name}`);
      wiresharkTool('editcap', ['-C', '14', '-T', 'rawip', c.path, out]);
      expect(compareWithTshark(out, readFileSync(out))).toBeGreaterThan(0);
    });
  }
});

describe('decode statistics on the real captures', () => {
  it.skipIf(captures.length === 0)('count non-IP frames and nothing truncated or malformed in clean captures', () => {
    const c = captures.find((x) => x.name === 'wikipedia.pcap');
    if (c === undefined) return;
    const stats = newDecodeStats();
    const p = newPacketInfo();
    readCaptureBuffer(readFileSync(c.path), () => decodePacket(p, stats), { record: p.record });
    // tshark -r wikipedia.pcap -T fields -e frame.protocols: 136 frames, 6 ARP + 4 STP (LLC) without IP.
    expect([stats.packets, stats.nonIp, stats.truncated, stats.malformed, stats.unsupportedLink]).toEqual([136, 10, 0, 0, 0]);
  });
});

it('ip6 test helper round-trips RFC 5952 text', () => {
  expect(ip6Text(ip6('2001:db8::1'), 0)).toBe('2001:db8::1');
  expect(ip6Text(ip6('fe80::217:f2ff:fed7:cf65'), 0)).toBe('fe80::217:f2ff:fed7:cf65');
  expect(ip6Text(ip6('::'), 0)).toBe('::');
  expect(ip6Text(ip6('1:0:0:2:0:0:0:3'), 0)).toBe('1:0:0:2::3');
});

it('sample builders produce the frames the expectations assume', () => {
  // Guards against the helper drifting: a TCP segment with 4 option bytes and a padded minimum Ethernet frame.
  expect(tcp({ srcPort: 1, dstPort: 2, options: Uint8Array.of(1, 1, 1, 1) })[12] >> 4).toBe(6);
  expect(ethernet({ type: 0x0800, payload: new Uint8Array(4) }).length).toBe(60);
  expect(icmp({ type: 8 }).length).toBe(8);
  expect(sll({ protocol: 0x0800, payload: new Uint8Array(0) }).length).toBe(16);
  expect(sll2({ protocol: 0x0800, payload: new Uint8Array(0) }).length).toBe(20);
  expect(ipv6({ src: '::1', dst: '::2', nextHeader: 59, payload: new Uint8Array(0), ext: [{ type: 51 }] }).length).toBe(48);
});
