/**
 * FlowTable against Zeek's documented semantics (conn.log `conn_state`/`history`, main.zeek; the TCP analyzer's
 * state machine), hand-derived UNSW-NB15 values, and a naive reference implementation (property tests).
 * Packets are built as PacketInfo values directly (decoder-independent); the real-capture comparison with tshark
 * is in flow-table.pcap.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONN_STATES } from '../core/events.js';
import { createRng } from '../core/rng.js';
import type { ConnRecord } from './conn-record.js';
import { createUidGenerator, isConnUid, rngRandom32 } from './conn-uid.js';
import { FlowTable } from './flow-table.js';
import type { FlowTableOptions } from './flow-table.js';
import { newPacketInfo, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './packet.js';
import type { PacketInfo } from './packet.js';
import { ip6 } from './_test-pcap.js';

const S = TCP_SYN;
const A = TCP_ACK;
const F = TCP_FIN | TCP_ACK;
const R = TCP_RST;
const RA = TCP_RST | TCP_ACK;
const PA = TCP_PSH | TCP_ACK;

function ip4n(s: string): number {
  const [a, b, c, d] = s.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

interface Spec {
  ts: number;
  src: string;
  dst: string;
  proto?: number;
  sp?: number;
  dp?: number;
  flags?: number;
  seq?: number;
  ack?: number;
  len?: number;
  ttl?: number;
  win?: number;
  icmpType?: number;
  icmpCode?: number;
  vlan?: number;
}

/** A decoded packet as decode.ts would fill it (IPv4 or IPv6 by the address form). */
function pkt(s: Spec): PacketInfo {
  const p = newPacketInfo();
  const proto = s.proto ?? 6;
  const len = s.len ?? 0;
  p.ts = s.ts;
  p.ttl = s.ttl ?? 64;
  p.proto = proto;
  p.vlan = s.vlan ?? -1;
  const l4hdr = proto === 6 ? 20 : proto === 17 || proto === 1 || proto === 58 ? 8 : 0;
  if (s.src.includes(':')) {
    p.ipVersion = 6;
    const data = new Uint8Array(40);
    data.set(ip6bytes(s.src), 8);
    data.set(ip6bytes(s.dst), 24);
    p.data = data;
    p.src6Off = 8;
    p.dst6Off = 24;
    p.ipHeaderLen = 40;
  } else {
    p.ipVersion = 4;
    p.src4 = ip4n(s.src);
    p.dst4 = ip4n(s.dst);
    p.ipHeaderLen = 20;
  }
  p.ipLen = p.ipHeaderLen + l4hdr + len;
  p.wireLen = 14 + p.ipLen;
  if (l4hdr > 0) p.hasL4 = true;
  p.srcPort = s.sp ?? 0;
  p.dstPort = s.dp ?? 0;
  p.tcpFlags = s.flags ?? 0;
  p.seq = (s.seq ?? 0) >>> 0;
  p.ack = (s.ack ?? 0) >>> 0;
  p.window = s.win ?? 1000;
  p.icmpType = s.icmpType ?? 0;
  p.icmpCode = s.icmpCode ?? 0;
  p.l4PayloadLen = len;
  return p;
}

const ip6bytes = ip6;

function table(opts: Partial<FlowTableOptions> = {}): { t: FlowTable; out: ConnRecord[] } {
  const out: ConnRecord[] = [];
  const t = new FlowTable({ onRecord: (r) => out.push(r), newUid: createUidGenerator(rngRandom32(createRng(7))), ...opts });
  return { t, out };
}

const C = '10.0.0.1';
const SV = '10.0.0.2';

/** A TCP conversation from the client C:40000 to the server SV:80: [fromClient, flags, payload length]. */
function tcpConv(steps: [boolean, number, number][], t0 = 1000, opts: Partial<FlowTableOptions> = {}): ConnRecord {
  const { t, out } = table(opts);
  let cseq = 1000;
  let sseq = 5000;
  let ts = t0;
  for (const [fromClient, flags, len] of steps) {
    ts += 0.01;
    if (fromClient) {
      t.update(pkt({ ts, src: C, dst: SV, sp: 40000, dp: 80, flags, seq: cseq, ack: sseq, len }));
      cseq += len + ((flags & (TCP_SYN | TCP_FIN)) !== 0 && (flags & TCP_RST) === 0 ? 1 : 0);
    } else {
      t.update(pkt({ ts, src: SV, dst: C, sp: 80, dp: 40000, flags, seq: sseq, ack: cseq, len }));
      sseq += len + ((flags & (TCP_SYN | TCP_FIN)) !== 0 && (flags & TCP_RST) === 0 ? 1 : 0);
    }
  }
  t.flush();
  expect(out).toHaveLength(1);
  return out[0]!;
}

const c = (flags: number, len = 0): [boolean, number, number] => [true, flags, len];
const s = (flags: number, len = 0): [boolean, number, number] => [false, flags, len];
const SA = TCP_SYN | TCP_ACK;

describe('FlowTable: Zeek conn_state and history (main.zeek)', () => {
  // Each case: the packets and the conn_state/history Zeek's TCP analyzer gives (letters per main.zeek:
  // upper case from the originator; a, d, i, q once per direction; S, H, F, R once per sequence number).
  const cases: [string, [boolean, number, number][], string, string][] = [
    ['SF: handshake, data both ways, FIN both ways', [c(S), s(SA), c(A), c(PA, 100), s(A), s(PA, 200), c(F), s(F), c(A)], 'SF', 'ShADadFf'],
    ['S0: SYN, no reply', [c(S)], 'S0', 'S'],
    ['REJ: SYN answered by RST', [c(S), s(RA)], 'REJ', 'Sr'],
    ['S1: established, not closed', [c(S), s(SA), c(A)], 'S1', 'ShA'],
    ['S2: originator FIN, no reply', [c(S), s(SA), c(A), c(F)], 'S2', 'ShAF'],
    ['S3: responder FIN, no reply', [c(S), s(SA), c(A), s(F)], 'S3', 'ShAf'],
    ['RSTO: originator aborts', [c(S), s(SA), c(A), c(PA, 10), s(PA, 10), c(RA)], 'RSTO', 'ShADdR'],
    ['RSTO: half-open scan (SYN, SYN-ACK, RST)', [c(S), s(SA), c(R)], 'RSTO', 'ShR'],
    ['RSTR: responder resets', [c(S), s(SA), c(A), c(PA, 10), s(RA)], 'RSTR', 'ShADr'],
    ['RSTOS0: SYN then RST from the originator', [c(S), c(R)], 'RSTOS0', 'SR'],
    ['SH: SYN then FIN, no SYN-ACK', [c(S), c(F)], 'SH', 'SF'],
    ['OTH: midstream data, no SYN', [c(PA, 50), s(PA, 60), c(A)], 'OTH', 'DdA'],
    ['inconsistent FIN+RST (I) and SYN+FIN (Q)', [c(S), s(SA), c(A), c(TCP_FIN | TCP_RST)], 'RSTO', 'ShAI'],
    ['multi-flag SYN+FIN', [c(TCP_SYN | TCP_FIN)], 'SH', 'Q'],
  ];
  for (const [name, steps, state, history] of cases) {
    it(name, () => {
      const r = tcpConv(steps);
      expect(r.conn_state).toBe(state);
      expect(r.history).toBe(history);
      expect(r.proto).toBe('tcp');
      expect(r.orig_h).toBe(C);
      expect(r.resp_h).toBe(SV);
      expect(r.orig_p).toBe(40000);
      expect(r.resp_p).toBe(80);
    });
  }

  it('S0: a retransmitted SYN (same ISN) is one S; a SYN with another ISN is a new connection (Zeek IsReuse)', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 77 }));
    t.update(pkt({ ts: 2, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 77 }));
    t.update(pkt({ ts: 3, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 78 }));
    t.flush();
    expect(out.map((r) => [r.conn_state, r.history, r.orig_pkts])).toEqual([
      ['S0', 'S', 2],
      ['S0', 'S', 1],
    ]);
  });

  it('flips a connection whose first packet is a SYN-ACK (^): SHR, RSTRH, S1', () => {
    const shr = tcpConv([s(SA), s(F)]);
    expect([shr.conn_state, shr.history, shr.orig_h, shr.resp_h, shr.resp_p]).toEqual(['SHR', '^hf', C, SV, 80]);
    const rstrh = tcpConv([s(SA), s(RA)]);
    expect([rstrh.conn_state, rstrh.history, rstrh.orig_h]).toEqual(['RSTRH', '^hr', C]);
    const s1 = tcpConv([s(SA), c(A), c(PA, 5)]);
    expect([s1.conn_state, s1.history, s1.orig_pkts, s1.resp_pkts]).toEqual(['S1', '^hAD', 2, 1]);
  });

  it('retransmissions (T, scaled at 1 and 10) and zero windows (W)', () => {
    const { t, out } = table();
    let ts = 1;
    const send = (fromC: boolean, flags: number, seq: number, ack: number, len: number, win = 1000) =>
      t.update(pkt({ ts: (ts += 0.01), src: fromC ? C : SV, dst: fromC ? SV : C, sp: fromC ? 40000 : 80, dp: fromC ? 80 : 40000, flags, seq, ack, len, win }));
    send(true, S, 100, 0, 0);
    send(false, SA, 900, 101, 0);
    send(true, A, 101, 901, 0);
    send(true, PA, 101, 901, 50);
    for (let i = 0; i < 10; i++) send(true, PA, 101, 901, 50); // ten retransmissions of the same 50 bytes
    send(false, A, 901, 151, 0, 0); // zero window from the responder
    t.flush();
    expect(out[0]!.history).toBe('ShADTTaw');
    expect(out[0]!.sloss).toBe(10);
    expect(out[0]!.dloss).toBe(0);
    // Sequence numbers count the 50 payload bytes once (Zeek), not 11 × 50.
    expect(out[0]!.orig_bytes).toBe(50);
  });

  it('orig_bytes/resp_bytes: from sequence numbers with a SYN, payload sum without one', () => {
    const sf = tcpConv([c(S), s(SA), c(A), c(PA, 100), s(A), s(PA, 200), c(F), s(F), c(A)]);
    expect([sf.orig_bytes, sf.resp_bytes]).toEqual([100, 200]);
    const oth = tcpConv([c(PA, 50), s(PA, 60), c(PA, 7)]);
    expect([oth.orig_bytes, oth.resp_bytes]).toEqual([57, 60]);
  });

  it('ip bytes, packets and duration (Zeek: the final ACK after both FINs is counted but not timed)', () => {
    const r = tcpConv([c(S), s(SA), c(A), c(PA, 100), s(A), s(PA, 200), c(F), s(F), c(A)], 1000);
    expect(r.orig_pkts).toBe(5);
    expect(r.resp_pkts).toBe(4);
    expect(r.orig_ip_bytes).toBe(5 * 40 + 100);
    expect(r.resp_ip_bytes).toBe(4 * 40 + 200);
    expect(r.ts).toBeCloseTo(1000.01, 9);
    // Last timed packet: the responder's FIN (8th packet, t0 + 0.08), not the final ACK (0.09).
    expect(r.duration).toBeCloseTo(0.07, 9);
    expect(r.last_ts).toBeCloseTo(1000.08, 9);
    expect(r.end_reason).toBe('end_of_input');
    expect(isConnUid(r.uid)).toBe(true);
  });
});

describe('FlowTable: UDP, ICMP, other protocols (Zeek UDP/ICMP analyzers)', () => {
  it('UDP one way is S0 "D"; both ways SF "Dd"; bytes are UDP payloads', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 17, sp: 5353, dp: 53, len: 30 }));
    t.update(pkt({ ts: 2, src: '10.0.0.3', dst: SV, proto: 17, sp: 1000, dp: 53, len: 30 }));
    t.update(pkt({ ts: 2.5, src: SV, dst: '10.0.0.3', proto: 17, sp: 53, dp: 1000, len: 90 }));
    t.flush();
    expect(out.map((r) => [r.orig_h, r.conn_state, r.history, r.orig_bytes, r.resp_bytes, r.orig_ip_bytes, r.resp_ip_bytes])).toEqual([
      [C, 'S0', 'D', 30, 0, 58, 0],
      ['10.0.0.3', 'SF', 'Dd', 30, 90, 58, 118],
    ]);
  });

  it('likelyServerPorts flips a UDP flow whose first packet comes from the server port (^d)', () => {
    const { t, out } = table({ likelyServerPorts: { udp: [53] } });
    t.update(pkt({ ts: 1, src: SV, dst: C, proto: 17, sp: 53, dp: 40000, len: 90 }));
    t.flush();
    expect([out[0]!.orig_h, out[0]!.resp_p, out[0]!.history, out[0]!.conn_state]).toEqual([C, 53, '^d', 'SHR']);
  });

  it('ICMP echo request and reply form one connection (orig_p type 8, resp_p 0), conn_state OTH', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 1, icmpType: 8, len: 56 }));
    t.update(pkt({ ts: 1.001, src: SV, dst: C, proto: 1, icmpType: 0, len: 56 }));
    t.update(pkt({ ts: 2, src: C, dst: SV, proto: 1, icmpType: 8, len: 56 }));
    t.flush();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ proto: 'icmp', orig_h: C, orig_p: 8, resp_h: SV, resp_p: 0, conn_state: 'OTH', history: '', orig_pkts: 2, resp_pkts: 1, orig_bytes: 112, resp_bytes: 56, orig_ip_bytes: 168 });
  });

  it('ICMP messages without a counterpart are one-way: one connection per direction (orig_p type, resp_p code)', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 1, icmpType: 3, icmpCode: 3, len: 28 }));
    t.update(pkt({ ts: 2, src: SV, dst: C, proto: 1, icmpType: 3, icmpCode: 3, len: 28 }));
    t.update(pkt({ ts: 3, src: C, dst: SV, proto: 1, icmpType: 3, icmpCode: 3, len: 28 }));
    t.flush();
    expect(out.map((r) => [r.orig_h, r.orig_p, r.resp_p, r.orig_pkts, r.resp_pkts])).toEqual([
      [SV, 3, 3, 1, 0],
      [C, 3, 3, 2, 0],
    ]);
  });

  it('ICMPv6 echo (128/129) pairs; IPv6 addresses in RFC 5952 form', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: '2001:db8::1', dst: '2001:db8:0:0:1::2', proto: 58, icmpType: 128, len: 8 }));
    t.update(pkt({ ts: 1.1, src: '2001:db8:0:0:1::2', dst: '2001:db8::1', proto: 58, icmpType: 129, len: 8 }));
    t.flush();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ proto: 'icmp', orig_h: '2001:db8::1', resp_h: '2001:db8::1:0:0:2', orig_p: 128, resp_p: 129 });
  });

  it('other IP protocols are unknown_transport between two addresses (ports 0, OTH, IP payload bytes)', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 47, len: 100 }));
    t.update(pkt({ ts: 2, src: SV, dst: C, proto: 47, len: 60 }));
    t.flush();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ proto: 'unknown_transport', orig_p: 0, resp_p: 0, conn_state: 'OTH', orig_bytes: 100, resp_bytes: 60 });
  });

  it('later fragments and cut transport headers are untracked (-1, stats.untracked); non-IP is -1 only', () => {
    const { t } = table();
    const frag = pkt({ ts: 1, src: C, dst: SV, proto: 17, sp: 1, dp: 2 });
    frag.isFragment = true;
    frag.isLaterFragment = true;
    frag.hasL4 = false;
    expect(t.update(frag)).toBe(-1);
    const cut = pkt({ ts: 1, src: C, dst: SV, proto: 6, sp: 1, dp: 2 });
    cut.hasL4 = false;
    expect(t.update(cut)).toBe(-1);
    const arp = newPacketInfo();
    arp.ts = 1;
    arp.isArp = true;
    expect(t.update(arp)).toBe(-1);
    expect(t.stats.untracked).toBe(2);
    expect(t.size).toBe(0);
  });

  it('keeps the first packet VLAN in the record', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 17, sp: 1, dp: 2, vlan: 42 }));
    t.update(pkt({ ts: 2, src: C, dst: '10.9.9.9', proto: 17, sp: 1, dp: 2 }));
    t.flush();
    expect(out.map((r) => r.vlan)).toEqual([42, null]);
  });
});

describe('FlowTable: timeouts, reuse, active timeout (packet time)', () => {
  it('a UDP flow idle for udpInactivityTimeout ends; a later packet opens a new connection', () => {
    const { t, out } = table();
    const a = t.update(pkt({ ts: 100, src: C, dst: SV, proto: 17, sp: 1, dp: 2, len: 1 }));
    t.update(pkt({ ts: 159, src: C, dst: SV, proto: 17, sp: 1, dp: 2, len: 1 })); // 59 s: same flow
    expect(t.lastIsNew).toBe(false);
    t.update(pkt({ ts: 219.5, src: C, dst: SV, proto: 17, sp: 1, dp: 2, len: 1 })); // 60.5 s after: new
    expect(t.lastIsNew).toBe(true);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ end_reason: 'idle', orig_pkts: 2 });
    expect(t.generationOf(a)).toBeGreaterThan(0);
  });

  it('expire(now) ends idle flows by the wheel without a packet of theirs', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 100, src: C, dst: SV, proto: 17, sp: 1, dp: 2 }));
    t.update(pkt({ ts: 100, src: C, dst: SV, proto: 6, sp: 3, dp: 4, flags: PA, len: 5 }));
    t.expire(159.9);
    expect(out).toHaveLength(0);
    t.expire(160);
    expect(out.map((r) => [r.proto, r.end_reason])).toEqual([['udp', 'idle']]);
    // A packet of another flow far later expires the TCP flow (300 s) on the way.
    t.update(pkt({ ts: 500, src: '10.1.1.1', dst: SV, proto: 17, sp: 1, dp: 2 }));
    expect(out.map((r) => [r.proto, r.end_reason])).toEqual([['udp', 'idle'], ['tcp', 'idle']]);
    expect(t.size).toBe(1);
  });

  it('an unanswered SYN ends tcp_attempt_delay (5 s) after the first SYN (S0)', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 10, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 7 }));
    t.update(pkt({ ts: 11, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 7 }));
    t.update(pkt({ ts: 13, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 7 }));
    t.update(pkt({ ts: 17, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 7 }));
    t.flush();
    expect(out.map((r) => [r.conn_state, r.history, r.orig_pkts, r.end_reason])).toEqual([
      ['S0', 'S', 3, 'idle'],
      ['S0', 'S', 1, 'end_of_input'],
    ]);
  });

  it('a closed connection lingers tcp_close_delay (5 s): late ACK joins it, a packet after opens a new one', () => {
    const { t, out } = table();
    const send = (ts: number, fromC: boolean, flags: number, seq: number, ack: number, len = 0) =>
      t.update(pkt({ ts, src: fromC ? C : SV, dst: fromC ? SV : C, sp: fromC ? 40000 : 80, dp: fromC ? 80 : 40000, flags, seq, ack, len }));
    send(1, true, S, 0, 0);
    send(1.1, false, SA, 100, 1);
    send(1.2, true, A, 1, 101);
    send(1.3, true, F, 1, 101);
    send(1.4, false, F, 101, 2);
    send(4, true, A, 2, 102); // within 5 s of the close: same connection
    expect(t.lastIsNew).toBe(false);
    send(7, true, A, 2, 102); // 5.6 s after the last time (1.4): closed
    expect(t.lastIsNew).toBe(true);
    t.flush();
    expect(out.map((r) => [r.conn_state, r.history, r.orig_pkts, r.end_reason])).toEqual([
      ['SF', 'ShAFf', 4, 'closed'],
      ['OTH', 'A', 1, 'end_of_input'],
    ]);
  });

  it('a RST closes after the close delay; the wheel writes it with expire()', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, sp: 1, dp: 2, flags: S }));
    t.update(pkt({ ts: 1.5, src: SV, dst: C, sp: 2, dp: 1, flags: RA, ack: 1 }));
    t.expire(6.4);
    expect(out).toHaveLength(0);
    t.expire(6.5);
    expect(out.map((r) => [r.conn_state, r.end_reason])).toEqual([['REJ', 'closed']]);
  });

  it('a new SYN on a closed 5-tuple (reuse) ends the old connection and opens a new one', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 10 }));
    t.update(pkt({ ts: 1.1, src: SV, dst: C, sp: 2, dp: 1, flags: RA, ack: 11 }));
    t.update(pkt({ ts: 1.2, src: C, dst: SV, sp: 1, dp: 2, flags: S, seq: 5000 }));
    expect(t.lastIsNew).toBe(true);
    t.flush();
    expect(out.map((r) => [r.conn_state, r.history, r.end_reason])).toEqual([
      ['REJ', 'Sr', 'closed'],
      ['S0', 'S', 'end_of_input'],
    ]);
  });

  it('active timeout: a long connection is written every activeTimeout and goes on under a new uid', () => {
    const { t, out } = table({ activeTimeout: 100, udpInactivityTimeout: 1000 });
    const slots = new Set<number>();
    for (let ts = 0; ts <= 250; ts += 10) slots.add(t.update(pkt({ ts, src: C, dst: SV, proto: 17, sp: 1, dp: 2, len: 1 })));
    t.flush();
    expect(slots.size).toBe(1);
    expect(out.map((r) => [r.ts, r.orig_pkts, r.end_reason])).toEqual([
      [0, 10, 'active'],
      [100, 10, 'active'],
      [200, 6, 'end_of_input'],
    ]);
    expect(new Set(out.map((r) => r.uid)).size).toBe(3);
    expect(out[1]!.history).toBe('D');
  });

  it('active timeout on TCP keeps the state and counts bytes from the rollover', () => {
    const { t, out } = table({ activeTimeout: 50 });
    const send = (ts: number, fromC: boolean, flags: number, seq: number, ack: number, len = 0) =>
      t.update(pkt({ ts, src: fromC ? C : SV, dst: fromC ? SV : C, sp: fromC ? 40000 : 80, dp: fromC ? 80 : 40000, flags, seq, ack, len }));
    send(0, true, S, 0, 0);
    send(0.1, false, SA, 100, 1);
    send(0.2, true, A, 1, 101);
    send(10, true, PA, 1, 101, 100);
    send(60, true, PA, 101, 101, 30); // rollover before this packet
    send(61, true, F, 131, 101);
    send(61.1, false, F, 101, 132);
    t.flush();
    expect(out.map((r) => [r.conn_state, r.history, r.orig_bytes, r.end_reason])).toEqual([
      ['S1', 'ShAD', 100, 'active'],
      ['SF', 'DFf', 30, 'end_of_input'],
    ]);
  });
});

describe('FlowTable: capacity, eviction, slots', () => {
  it('evicts the least recently active connection when full (exact LRU below the sample size)', () => {
    const { t, out } = table({ maxFlows: 4 });
    for (let i = 0; i < 4; i++) t.update(pkt({ ts: i, src: C, dst: SV, proto: 17, sp: 1000 + i, dp: 53 }));
    t.update(pkt({ ts: 10, src: C, dst: SV, proto: 17, sp: 1000, dp: 53 })); // 1000 is now the most recent
    t.update(pkt({ ts: 11, src: C, dst: SV, proto: 17, sp: 2000, dp: 53 })); // full: evicts 1001
    expect(t.size).toBe(4);
    expect(out.map((r) => [r.orig_p, r.end_reason])).toEqual([[1001, 'evicted']]);
    expect(t.stats.evicted).toBe(1);
    t.flush();
    expect(out.map((r) => r.orig_p)).toEqual([1001, 1002, 1003, 1000, 2000]);
  });

  it('slot generations change when a slot is reused; accessors reject dead slots', () => {
    const { t } = table({ maxFlows: 1 });
    const s1 = t.update(pkt({ ts: 1, src: C, dst: SV, proto: 17, sp: 1, dp: 2 }));
    const g1 = t.generationOf(s1);
    const u1 = t.uidOf(s1);
    expect(t.uidOf(s1)).toBe(u1);
    expect([t.origHostOf(s1), t.origPortOf(s1), t.respHostOf(s1), t.respPortOf(s1), t.protoOf(s1)]).toEqual([C, 1, SV, 2, 'udp']);
    t.setService(s1, 'dns');
    expect(t.serviceOf(s1)).toBe('dns');
    const s2 = t.update(pkt({ ts: 2, src: C, dst: SV, proto: 17, sp: 3, dp: 4 }));
    expect(s2).toBe(s1);
    expect(t.generationOf(s2)).toBe(g1 + 1);
    expect(t.uidOf(s2)).not.toBe(u1);
    expect(t.serviceOf(s2)).toBeNull();
    expect(() => t.uidOf(7)).toThrow(RangeError);
  });

  it('service set on a live flow is written in its record; onNewFlow sees new flows once', () => {
    const seen: number[] = [];
    const { t, out } = table({ onNewFlow: (slot) => seen.push(slot) });
    const sl = t.update(pkt({ ts: 1, src: C, dst: SV, sp: 1, dp: 502, flags: S }));
    expect(t.lastIsNew && t.lastFromOrig).toBe(true);
    t.update(pkt({ ts: 1.1, src: SV, dst: C, sp: 502, dp: 1, flags: SA }));
    expect(t.lastIsNew || t.lastFromOrig).toBe(false);
    t.setService(sl, 'modbus');
    t.flush();
    expect(seen).toEqual([sl]);
    expect(out[0]!.service).toBe('modbus');
  });

  it('rejects bad options', () => {
    expect(() => new FlowTable({ onRecord: () => {}, maxFlows: 0 })).toThrow(RangeError);
    expect(() => new FlowTable({ onRecord: () => {}, udpInactivityTimeout: -1 })).toThrow(RangeError);
  });
});

describe('FlowTable: UNSW-NB15 per-flow features (hand-derived)', () => {
  it('sttl/dttl, swin/dwin, synack/ackdat/tcprtt, smean, sinpkt, sjit, sload', () => {
    const { t, out } = table();
    const p = (ts: number, fromC: boolean, flags: number, seq: number, ack: number, len: number, ttl: number, win: number) =>
      t.update(pkt({ ts, src: fromC ? C : SV, dst: fromC ? SV : C, sp: fromC ? 40000 : 80, dp: fromC ? 80 : 40000, flags, seq, ack, len, ttl, win }));
    p(10.0, true, S, 0, 0, 0, 64, 29200);
    p(10.1, false, SA, 100, 1, 0, 128, 65535);
    p(10.3, true, A, 1, 101, 0, 63, 229);
    p(10.7, true, PA, 1, 101, 60, 63, 229);
    p(11.0, false, F, 101, 61, 0, 128, 256);
    p(11.5, true, F, 61, 102, 0, 63, 229);
    t.flush();
    const r = out[0]!;
    expect([r.sttl, r.dttl, r.swin, r.dwin]).toEqual([64, 128, 29200, 65535]);
    expect(r.synack).toBeCloseTo(0.1, 9);
    expect(r.ackdat).toBeCloseTo(0.2, 9);
    expect(r.tcprtt).toBeCloseTo(0.3, 9);
    // orig: 4 packets, IP bytes 40 + 40 + 100 + 40 = 220; gaps 0.3, 0.4, 0.8 s.
    expect(r.smean).toBeCloseTo(55, 9);
    expect(r.dmean).toBeCloseTo(40, 9);
    expect(r.sinpkt).toBeCloseTo(500, 6); // ms: mean of 300, 400, 800
    const m = 500;
    expect(r.sjit).toBeCloseTo(Math.sqrt(((300 - m) ** 2 + (400 - m) ** 2 + (800 - m) ** 2) / 3), 6);
    expect(r.dinpkt).toBeCloseTo(900, 6);
    expect(r.djit).toBe(0);
    expect(r.duration).toBeCloseTo(1.5, 9);
    expect(r.sload).toBeCloseTo((8 * 220 * 3) / 4 / 1.5, 6);
    expect(r.dload).toBeCloseTo((8 * 80 * 1) / 2 / 1.5, 6);
    expect([r.sloss, r.dloss]).toEqual([0, 0]);
  });

  it('non-TCP flows have zero windows and handshake times', () => {
    const { t, out } = table();
    t.update(pkt({ ts: 1, src: C, dst: SV, proto: 17, sp: 1, dp: 2, ttl: 254, len: 10 }));
    t.flush();
    expect(out[0]).toMatchObject({ sttl: 254, dttl: 0, swin: 0, dwin: 0, synack: 0, ackdat: 0, tcprtt: 0, sinpkt: 0, sjit: 0, sload: 0 });
  });
});

// ---- property tests against a naive reference ----------------------------------------------------------------

interface RefFlow {
  key: string;
  orig: string;
  first: number;
  seen: number;
  opk: number;
  rpk: number;
  oip: number;
  rip: number;
}

/**
 * Naive reference: a Map keyed by the sorted endpoint strings, splitting a flow when a packet comes
 * `timeout` seconds or more after its last one (UDP / ICMP echo / unknown protocol only: no TCP state).
 */
function reference(pkts: PacketInfo[], timeout: number): string[] {
  const live = new Map<string, RefFlow>();
  const done: RefFlow[] = [];
  const ep = (a: number, port: number) => `${a >>> 0}/${port}`;
  for (const p of pkts) {
    let sp = p.srcPort;
    let dp = p.dstPort;
    if (p.proto === 1) {
      sp = p.icmpType;
      dp = p.icmpType === 8 ? 0 : 8;
    } else if (p.proto !== 17) sp = dp = 0;
    const a = ep(p.src4, sp);
    const b = ep(p.dst4, dp);
    const key = `${p.proto}|${a < b ? a : b}|${a < b ? b : a}`;
    let f = live.get(key);
    if (f !== undefined && p.ts - f.seen >= timeout) {
      done.push(f);
      f = undefined;
    }
    if (f === undefined) {
      f = { key, orig: a, first: p.ts, seen: p.ts, opk: 0, rpk: 0, oip: 0, rip: 0 };
      live.set(key, f);
    }
    f.seen = Math.max(f.seen, p.ts);
    if (a === f.orig) {
      f.opk++;
      f.oip += p.ipLen;
    } else {
      f.rpk++;
      f.rip += p.ipLen;
    }
  }
  done.push(...live.values());
  return done.map((f) => `${f.key}|${f.orig}|${f.first}|${f.opk}|${f.rpk}|${f.oip}|${f.rip}`).sort();
}

function viaTable(pkts: PacketInfo[], timeout: number, maxFlows = 1_000_000): string[] {
  const { t, out } = table({ udpInactivityTimeout: timeout, icmpInactivityTimeout: timeout, maxFlows });
  for (const p of pkts) t.update(p);
  t.flush();
  return out
    .map((r) => {
      const n = (h: string) => String(ip4n(h));
      const proto = r.proto === 'udp' ? 17 : r.proto === 'icmp' ? 1 : 47;
      const a = `${n(r.orig_h)}/${r.orig_p}`;
      const b = `${n(r.resp_h)}/${r.resp_p}`;
      return `${proto}|${a < b ? a : b}|${a < b ? b : a}|${a}|${r.ts}|${r.orig_pkts}|${r.resp_pkts}|${r.orig_ip_bytes}|${r.resp_ip_bytes}`;
    })
    .sort();
}

const packetArb = (nHosts: number, nPorts: number) =>
  fc.record({
    dt: fc.integer({ min: 0, max: 40 }),
    src: fc.integer({ min: 0, max: nHosts - 1 }),
    dst: fc.integer({ min: 0, max: nHosts - 1 }),
    sp: fc.integer({ min: 0, max: nPorts - 1 }),
    dp: fc.integer({ min: 0, max: nPorts - 1 }),
    kind: fc.constantFrom('udp', 'udp', 'udp', 'ping', 'pong', 'gre'),
    len: fc.integer({ min: 0, max: 1400 }),
  });

function build(list: { dt: number; src: number; dst: number; sp: number; dp: number; kind: string; len: number }[], hostBase: number): PacketInfo[] {
  let ts = 1_000_000;
  return list.map((x) => {
    ts += x.dt / 4;
    const src = hostBase + x.src * 0x01010101;
    const dst = hostBase + x.dst * 0x01010101;
    const toText = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    if (x.kind === 'udp') return pkt({ ts, src: toText(src), dst: toText(dst), proto: 17, sp: 1 + x.sp, dp: 1 + x.dp, len: x.len });
    if (x.kind === 'gre') return pkt({ ts, src: toText(src), dst: toText(dst), proto: 47, len: x.len });
    return pkt({ ts, src: toText(src), dst: toText(dst), proto: 1, icmpType: x.kind === 'ping' ? 8 : 0, len: x.len });
  });
}

describe('FlowTable: property tests against a Map<string> reference', () => {
  it('groups random packet sequences into the same flows (revisits, timeouts, index deletions)', () => {
    fc.assert(
      fc.property(fc.array(packetArb(4, 3), { maxLength: 300 }), fc.constantFrom(2, 5, 60), (list, timeout) => {
        const pkts = build(list, 0x0a000001);
        expect(viaTable(pkts, timeout)).toEqual(reference(pkts, timeout));
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('thousands of distinct flows (index probing and backward-shift deletion under load)', () => {
    fc.assert(
      fc.property(fc.array(packetArb(64, 64), { minLength: 2000, maxLength: 4000 }), (list) => {
        const pkts = build(list, 0xc0a80001);
        expect(viaTable(pkts, 3)).toEqual(reference(pkts, 3));
      }),
      { numRuns: 8, seed: 7 },
    );
  });

  it('never holds more than maxFlows and writes every packet into exactly one record', () => {
    fc.assert(
      fc.property(fc.array(packetArb(16, 16), { maxLength: 500 }), fc.integer({ min: 1, max: 20 }), (list, maxFlows) => {
        const pkts = build(list, 0x0a000001);
        const { t, out } = table({ maxFlows });
        for (const p of pkts) {
          t.update(p);
          expect(t.size).toBeLessThanOrEqual(maxFlows);
        }
        t.flush();
        expect(t.size).toBe(0);
        expect(out.reduce((n, r) => n + r.orig_pkts + r.resp_pkts, 0)).toBe(pkts.length);
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});

describe('FlowTable: robustness (arbitrary packets)', () => {
  const anyPacket = fc.record({
    dt: fc.integer({ min: -3, max: 400 }),
    v6: fc.boolean(),
    src: fc.nat(3),
    dst: fc.nat(3),
    proto: fc.constantFrom(6, 6, 6, 17, 1, 58, 47),
    sp: fc.nat(3),
    dp: fc.nat(3),
    flags: fc.nat(255),
    seq: fc.oneof(fc.nat(20), fc.nat({ max: 0xffffffff })),
    ack: fc.oneof(fc.nat(20), fc.nat({ max: 0xffffffff })),
    len: fc.oneof(fc.constant(0), fc.nat(1500)),
    icmpType: fc.constantFrom(0, 3, 8, 11, 128, 129, 135),
    win: fc.constantFrom(0, 1, 65535),
  });
  it('never throws, stays bounded, and writes every tracked packet and IP byte exactly once', () => {
    fc.assert(
      fc.property(fc.array(anyPacket, { maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (list, maxFlows) => {
        const { t, out } = table({ maxFlows, activeTimeout: 500 });
        let ts = 5000;
        let ipBytes = 0;
        let tracked = 0;
        for (const x of list) {
          ts += x.dt / 10;
          const addr = (i: number) => (x.v6 ? `2001:db8::${i + 1}` : `10.0.0.${i + 1}`);
          const q = pkt({ ts, src: addr(x.src), dst: addr(x.dst), proto: x.proto, sp: x.sp, dp: x.dp, flags: x.flags, seq: x.seq, ack: x.ack, len: x.len, icmpType: x.icmpType, win: x.win });
          if (t.update(q) >= 0) {
            tracked++;
            ipBytes += q.ipLen;
          }
          expect(t.size).toBeLessThanOrEqual(maxFlows);
        }
        t.expire(ts + 10_000);
        t.flush();
        expect(t.size).toBe(0);
        expect(out.reduce((n, r) => n + r.orig_pkts + r.resp_pkts, 0)).toBe(tracked);
        expect(out.reduce((n, r) => n + r.orig_ip_bytes + r.resp_ip_bytes, 0)).toBe(ipBytes);
        expect(new Set(out.map((r) => r.uid)).size).toBe(out.length);
        for (const r of out) {
          expect(CONN_STATES).toContain(r.conn_state);
          expect(r.history).toMatch(/^[\^ShHADadFfRrTtWwIiQq]{0,32}$/);
          expect(r.duration).toBeGreaterThanOrEqual(0);
          expect(r.orig_bytes).toBeGreaterThanOrEqual(0);
          expect(r.resp_bytes).toBeGreaterThanOrEqual(0);
          expect(Number.isFinite(r.sload) && Number.isFinite(r.sjit) && Number.isFinite(r.tcprtt)).toBe(true);
        }
      }),
      { numRuns: 300, seed: 21 },
    );
  });
});
