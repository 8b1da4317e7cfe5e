/**
 * The bidirectional flow table: turns decoded packets into connections with Zeek conn.log semantics (`uid`,
 * `conn_state`, `history`, byte and packet counts; https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html)
 * plus the per-flow UNSW-NB15 features (Moustafa & Slay, MilCIS 2015, Table 6; docs/flow-features.md), and writes
 * one {@link ConnRecord} per finished connection.
 *
 * Keys. A connection is the unordered pair of endpoints (address, port) plus the IP protocol, so both directions
 * find it: the endpoint that sorts first (address bytes, then port) is "A". ICMP/ICMPv6 use Zeek's ports: the
 * source port is the message type, the destination port its counterpart type for request/reply pairs (echo,
 * timestamp, information, router, address-mask, neighbour discovery, MLD, node information, home agent) and
 * the code otherwise; a message without a counterpart is a one-way connection keyed in its own direction only
 * (Zeek `ICMP4_counterpart` / `ICMP6_counterpart`, `is_one_way`). Other IP protocols (GRE, ESP, OSPF, …) are
 * `unknown_transport` connections between two addresses with ports 0. VLAN tags are not part of the key
 * (Zeek's default); the record carries the first packet's VLAN.
 *
 * Originator: the sender of the first packet seen, except that a first packet carrying SYN+ACK makes its sender
 * the responder ("flipping", history `^`). Zeek decides that flip by its `likely_server_ports`; we flip every
 * SYN-ACK-first connection (its sender answered a SYN, so it is the server) and apply Zeek's port rule to other
 * first packets only when {@link FlowTableOptions.likelyServerPorts} is given.
 *
 * Packets that cannot be keyed — IP fragments after the first (no transport header; Zeek reassembles them, we
 * do not) and TCP/UDP/ICMP packets whose transport header is cut or malformed — are counted in
 * `stats.untracked` and belong to no flow; `update` returns -1 for them and for non-IP frames.
 *
 * Memory (bounded): at most `maxFlows` live connections. Per connection: one 384-byte slot of a typed-array slab
 * (256 bytes of key, times, counters and UNSW statistics, then conn-state.ts's 128 bytes of TCP state, attached
 * to the same slab), 32 bytes of history letters, 32 bytes of IPv6 addresses (allocated once an IPv6 flow is
 * seen), 16 bytes of open-addressing index (pairs of 32-bit words, ≤ 50 % load), 12 bytes of timer-wheel links
 * and generation, and two array references (uid, service strings, made on demand). Slabs start at 4,096 slots
 * and double up to `maxFlows`. Measured: 1 M live flows = 428 MiB of typed arrays + 19 MiB of heap, RSS 551 MiB
 * (625 MiB when every flow's uid string has been requested).
 *
 * Why one interleaved slab, not an array per field: a packet of a known flow touches ~30 fields; in one slot
 * they lie on 4 of its 6 cache lines and one page, instead of ~30 lines on ~30 pages. Measured on one core (CPU
 * time, synthetic TCP streams, 10 M packets): ~100–150 ns per packet while the flows fit the caches (≤ 1 k),
 * ~250 ns with 100 k flows in trains of 8 packets, ~850 ns with 100 k flows hit in uniformly random order (each
 * packet then misses the index, the slot and the TLB).
 *
 * Timeouts, in packet time (never the wall clock):
 * - TCP inactivity 300 s, UDP 60 s, ICMP 60 s, other protocols the UDP value (Zeek `tcp_inactivity_timeout`,
 *   `udp_inactivity_timeout`, `icmp_inactivity_timeout`);
 * - a TCP connection attempt (originator SYN, no answer) ends 5 s after its first SYN (Zeek `tcp_attempt_delay`);
 * - once a TCP close is complete (FIN from both sides, a RST, or a FIN/RST with the peer silent) the connection
 *   ends 5 s after its last time (Zeek `tcp_close_delay`; `tcp_reset_delay` for a RST after a FIN);
 * - a connection longer than the active timeout (3600 s) is written with `end_reason: 'active'` when its next
 *   packet arrives, and goes on under a new uid (not Zeek: NetFlow's active timeout, so long flows are scored);
 * - a new SYN on a closed connection's 5-tuple (or with another initial sequence number) ends the old one and
 *   opens a new one (Zeek `IsReuse`).
 * Expiry is amortised with a timer wheel of 4,096 one-second buckets: each flow sits in the bucket of its
 * deadline as last computed; when packet time passes a bucket, its flows are either expired or re-filed under
 * their current deadline (lazy re-filing, as Zeek re-arms its inactivity timer), so a packet costs O(1) and each
 * flow is re-filed at most once per timeout period. A flow is also checked when its own next packet arrives, so
 * a packet after a deadline never joins the old connection. Expiry runs at most 1 s of packet time late unless
 * {@link FlowTable.expire} is called.
 *
 * Eviction when full: before opening a connection in a full table, the least recently active of the next
 * {@link FlowTableOptions.evictionSample} (16) live slots after a rotating cursor is written with
 * `end_reason: 'evicted'` (sampled LRU, as Redis does; exact LRU when the table holds no more than that many).
 *
 * Hot path: {@link FlowTable.update} allocates nothing for a packet of an existing flow; strings (addresses, uid,
 * history) are made only when a record is written or an accessor is called; one {@link ConnRecord} object per
 * finished connection.
 */
import { formatIPv4, formatIPv6 } from './ip-format.js';
import { createUidGenerator } from './conn-uid.js';
import {
  CONN_STATE_STRIDE,
  ConnStateTable,
  TCP_R_ATTEMPT,
  TCP_R_CLOSE,
  TCP_R_LAST_TIME,
  TCP_R_RESET_TIMER,
  udpConnState,
} from './conn-state.js';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_SYN } from './packet.js';
import type { PacketInfo } from './packet.js';
import type { ConnEndReason, ConnProto, ConnRecord } from './conn-record.js';

/** Options of a {@link FlowTable}. Times in seconds of packet time. */
export interface FlowTableOptions {
  /** Most live connections (default 1,000,000); the least recently active is evicted beyond it. */
  maxFlows?: number;
  /** Zeek `tcp_inactivity_timeout`, default 300 s. */
  tcpInactivityTimeout?: number;
  /** Zeek `udp_inactivity_timeout`, default 60 s; also used for `unknown_transport`. */
  udpInactivityTimeout?: number;
  /** Zeek `icmp_inactivity_timeout`, default 60 s. */
  icmpInactivityTimeout?: number;
  /** A connection longer than this is written and continued under a new uid; default 3600 s. */
  activeTimeout?: number;
  /** Zeek `tcp_close_delay` (and `tcp_reset_delay`), default 5 s. */
  tcpCloseDelay?: number;
  /** Zeek `tcp_attempt_delay`: an unanswered SYN's connection ends this long after it; default 5 s. */
  tcpAttemptDelay?: number;
  /**
   * Receives each finished connection, synchronously (must not call back into `update`, `expire` or `flush`).
   * An exception thrown here propagates out of the call that wrote the record; that connection stays live.
   */
  onRecord: (r: ConnRecord) => void;
  /** Called once per new connection, after its first packet was applied (`lastFromOrig` is set). */
  onNewFlow?: (slot: number, p: PacketInfo) => void;
  /** Uid source (default: {@link createUidGenerator} over node:crypto). */
  newUid?: () => string;
  /**
   * Zeek `likely_server_ports` for the flip of connections whose first packet is not a SYN (TCP) or any UDP
   * first packet (Zeek WantConnection): flip when the source port is listed and the destination port is not
   * (TCP: also when both are and this is not a SYN-ACK and source < destination). Default: none (no port flips).
   */
  likelyServerPorts?: { tcp?: Iterable<number>; udp?: Iterable<number> };
  /** Live slots examined per eviction (sampled LRU), default 16. */
  evictionSample?: number;
}

/** Counters of a {@link FlowTable}. */
export interface FlowTableStats {
  /** Records written. */
  records: number;
  /** Connections evicted because the table was full. */
  evicted: number;
  /** IP packets that belong to no flow (later fragments, cut or malformed transport headers). */
  untracked: number;
  /** Connections opened. */
  flows: number;
}

const P_TCP = 1;
const P_UDP = 2;
const P_ICMP = 3;
const P_UNKNOWN = 4;
const PROTO_NAMES: readonly ConnProto[] = ['unknown_transport', 'tcp', 'udp', 'icmp', 'unknown_transport'];

// Slot layout: 384 bytes, six 64-byte cache lines; a packet touches four of them. Line 1: key, flags and
// the times every packet reads; line 2: the originator's counters; line 3: the responder's (same layout, SIDE
// doubles further on); line 4: fields read only when a flow opens, ends or is re-filed; lines 5-6: TCP state.
const STRIDE = 256 + CONN_STATE_STRIDE; // the last 128 bytes hold conn-state.ts's TCP state (attach())
const CS_OFFSET = 256;
const W_KA = 0; // A's IPv4 address, or a hash of A's IPv6 address
const W_KB = 1;
const W_PORTS = 2; // A port << 16 | B port
const W_META = 3; // IP protocol | 0x100 IPv6 | 0x200 one-way
const B_INUSE = 16;
const B_PROTO = 17;
const B_ORIG_IS_A = 18;
const B_STTL = 19;
const B_DTTL = 20;
const B_FLAGS = 21;
const F_SEEN = 3; // last packet of any kind (timeouts, eviction)
const F_LAST = 4; // Zeek last time (end of `duration`)
const F_START = 5;
const F_CLOSE = 6;
const F_ATTEMPT = 7;
/** Offset (in doubles) from the originator's block to the responder's. */
const SIDE = 8;
const F_PKTS = 8;
const F_IP = 9;
const F_PAY = 10;
const F_PLAST = 11; // last packet of this side
const F_IAT_MEAN = 12; // Welford mean of this side's inter-packet times, s
const F_IAT_M2 = 13;
const F_SYN = 14;
const F_WHEEL = 15; // second of the wheel bucket the slot is filed in (NaN: not filed)
const F_SYNACK = 22;
const F_ACK = 23;
const F_OBASE = 24; // sequence-number size at the last active-timeout rollover
const F_RBASE = 25;
const W_HASH = 52;
const W_SWIN = 53;
const W_DWIN = 54;
const W_VLAN = 55; // VLAN id + 1, 0 untagged
const FL_V6 = 1;
const FL_SYN = 2;
const FL_SYNACK = 4;
const FL_ACK = 8;
const FL_SWIN = 16;
const FL_DWIN = 32;
const FL_STTL = 64;
const FL_DTTL = 128;

const WHEEL_BITS = 12;
const WHEEL_SIZE = 1 << WHEEL_BITS;
const WHEEL_MASK = WHEEL_SIZE - 1;
const INITIAL_SLOTS = 4096;

const R_IDLE = 0;
const R_CLOSED = 1;

// Module scratch of the hot path (not state between calls).
let icmpOneWay = false;
let deadlineReason = R_IDLE;
/** Sink of the cache-line touches in `update` (keeps the loads from being optimised away). */
let _touched = 0;

/** Zeek ICMP4_counterpart: the reply type of a request (and back), or the code for one-way messages. */
function icmp4Counterpart(type: number, code: number): number {
  icmpOneWay = false;
  switch (type) {
    case 8: return 0; // echo → echo reply (RFC 792)
    case 0: return 8;
    case 13: return 14; // timestamp
    case 14: return 13;
    case 15: return 16; // information
    case 16: return 15;
    case 10: return 9; // router solicitation → advertisement (RFC 1256)
    case 9: return 10;
    case 17: return 18; // address mask (RFC 950)
    case 18: return 17;
    default:
      icmpOneWay = true;
      return code;
  }
}

/** Zeek ICMP6_counterpart (RFC 4443 echo, RFC 4861 ND, RFC 2710 MLD, RFC 4620 node information, RFC 6275 HAAD). */
function icmp6Counterpart(type: number, code: number): number {
  icmpOneWay = false;
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 130: return 131;
    case 131: return 130;
    case 139: return 140;
    case 140: return 139;
    case 144: return 145;
    case 145: return 144;
    default:
      icmpOneWay = true;
      return code;
  }
}

/** MurmurHash3 (x86_32) mixing of one 32-bit word into `h`. */
function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3 finaliser. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function be32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/** 32-bit hash of a 16-byte IPv6 address. */
function hash16(d: Uint8Array, o: number): number {
  let h = 0x2545f491;
  h = mixWord(h, be32(d, o));
  h = mixWord(h, be32(d, o + 4));
  h = mixWord(h, be32(d, o + 8));
  h = mixWord(h, be32(d, o + 12));
  return fmix(h ^ 16);
}

/** Sign of the byte-wise comparison of two 16-byte addresses. */
function cmp16(d: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 16; i++) {
    const x = d[a + i]!;
    const y = d[b + i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Bidirectional flow table with Zeek connection semantics and bounded memory (see the file comment for keys,
 * timeouts, eviction and costs).
 */
export class FlowTable {
  /** Direction of the last packet given to {@link update}: true when its sender is the connection's originator. */
  lastFromOrig = false;
  /** Whether the last packet given to {@link update} opened its connection. */
  lastIsNew = false;
  /**
   * Inside `onRecord`: the slot of the connection being written (its `generationOf` still the connection's), so a
   * consumer keeping per-flow state by slot can drop it; -1 outside the callback.
   */
  recordSlot = -1;
  /** Counters (updated in place). */
  readonly stats: FlowTableStats = { records: 0, evicted: 0, untracked: 0, flows: 0 };

  private readonly maxFlows: number;
  private readonly tcpTimeout: number;
  private readonly udpTimeout: number;
  private readonly icmpTimeout: number;
  private readonly activeTimeout: number;
  private readonly closeDelay: number;
  private readonly attemptDelay: number;
  private readonly onRecord: (r: ConnRecord) => void;
  private readonly onNewFlow: ((slot: number, p: PacketInfo) => void) | undefined;
  private readonly newUid: () => string;
  private readonly evictionSample: number;
  private readonly tcpServerPorts: Uint8Array | undefined;
  private readonly udpServerPorts: Uint8Array | undefined;

  private cap = 0;
  private buf!: ArrayBuffer;
  private f64!: Float64Array;
  private u32!: Uint32Array;
  private u8!: Uint8Array;
  private v6: Uint8Array | undefined;
  private generation!: Uint32Array;
  private wNext!: Int32Array;
  private wPrev!: Int32Array;
  private freeStack!: Int32Array;
  private freeTop = 0;
  private highWater = 0;
  private live = 0;
  private readonly cs: ConnStateTable;
  private uids: (string | undefined)[] = [];
  private services: (string | undefined)[] = [];

  /** Open-addressing index, interleaved pairs [slot + 1 (0: empty), hash] so a probe reads one cache line. */
  private idx!: Int32Array;
  private idxMask = 0;

  private readonly wheelHead = new Int32Array(WHEEL_SIZE).fill(-1);
  /** Last second whose bucket was processed; NaN before the first packet. */
  private cursor = Number.NaN;
  /** Packet-time clock: the largest timestamp seen. */
  private clock = -Infinity;
  private evictCursor = 0;

  /**
   * @throws RangeError when a timeout or `maxFlows` is not a positive number.
   */
  constructor(opts: FlowTableOptions) {
    const pos = (v: number | undefined, d: number, name: string): number => {
      const x = v ?? d;
      if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`FlowTable: ${name} must be a positive finite number, got ${v}`);
      return x;
    };
    this.maxFlows = Math.floor(pos(opts.maxFlows, 1_000_000, 'maxFlows'));
    if (this.maxFlows > 0x3fffffff) throw new RangeError(`FlowTable: maxFlows too large (${opts.maxFlows})`);
    this.tcpTimeout = pos(opts.tcpInactivityTimeout, 300, 'tcpInactivityTimeout');
    this.udpTimeout = pos(opts.udpInactivityTimeout, 60, 'udpInactivityTimeout');
    this.icmpTimeout = pos(opts.icmpInactivityTimeout, 60, 'icmpInactivityTimeout');
    this.activeTimeout = pos(opts.activeTimeout, 3600, 'activeTimeout');
    this.closeDelay = pos(opts.tcpCloseDelay, 5, 'tcpCloseDelay');
    this.attemptDelay = pos(opts.tcpAttemptDelay, 5, 'tcpAttemptDelay');
    this.evictionSample = Math.max(1, Math.floor(pos(opts.evictionSample, 16, 'evictionSample')));
    if (typeof opts.onRecord !== 'function') throw new TypeError('FlowTable: onRecord must be a function');
    this.onRecord = opts.onRecord;
    this.onNewFlow = opts.onNewFlow;
    this.newUid = opts.newUid ?? createUidGenerator();
    const bitmap = (ports: Iterable<number> | undefined): Uint8Array | undefined => {
      if (ports === undefined) return undefined;
      const m = new Uint8Array(65536);
      for (const p of ports) {
        if (!Number.isInteger(p) || p < 0 || p > 65535) throw new RangeError(`FlowTable: port ${p} out of range`);
        m[p] = 1;
      }
      return m;
    };
    this.tcpServerPorts = bitmap(opts.likelyServerPorts?.tcp);
    this.udpServerPorts = bitmap(opts.likelyServerPorts?.udp);
    const initial = Math.min(INITIAL_SLOTS, this.maxFlows);
    this.cs = new ConnStateTable(0);
    this.allocate(initial);
  }

  /** Live connections. */
  get size(): number {
    return this.live;
  }

  /**
   * Tracks one decoded packet (see the file comment). Expires due connections first (amortised), then finds or
   * opens the packet's connection and applies the packet.
   *
   * @returns the connection's slot (≥ 0; valid until the connection ends, see {@link generationOf}), or -1 when
   *   the packet has no IP 5-tuple (non-IP, later fragment, cut transport header).
   * Cost: O(1) amortised; no allocation unless a connection opens or a record is written.
   */
  update(p: PacketInfo): number {
    this.lastIsNew = false;
    this.lastFromOrig = false;
    const ts = p.ts;
    if (ts > this.clock) {
      this.clock = ts;
      if (!(Math.floor(ts) - 1 <= this.cursor)) this.advance(ts);
    }
    if (p.ipVersion === 0) return -1;
    if (p.isLaterFragment) {
      this.stats.untracked++;
      return -1;
    }
    const ipProto = p.proto;
    let code: number;
    let sp = 0;
    let dp = 0;
    let oneWay = false;
    if (ipProto === IPPROTO_TCP || ipProto === IPPROTO_UDP) {
      if (!p.hasL4) {
        this.stats.untracked++;
        return -1;
      }
      code = ipProto === IPPROTO_TCP ? P_TCP : P_UDP;
      sp = p.srcPort;
      dp = p.dstPort;
    } else if (ipProto === IPPROTO_ICMP || ipProto === IPPROTO_ICMPV6) {
      if (!p.hasL4) {
        this.stats.untracked++;
        return -1;
      }
      code = P_ICMP;
      sp = p.icmpType;
      dp = ipProto === IPPROTO_ICMP ? icmp4Counterpart(sp, p.icmpCode) : icmp6Counterpart(sp, p.icmpCode);
      oneWay = icmpOneWay;
    } else code = P_UNKNOWN;

    // Canonical key: A is the endpoint that sorts first (one-way ICMP: the sender).
    const v6 = p.ipVersion === 6;
    const d = p.data;
    let aFirst: boolean;
    let kA: number;
    let kB: number;
    if (!v6) {
      const s4 = p.src4 >>> 0;
      const d4 = p.dst4 >>> 0;
      aFirst = oneWay || s4 < d4 || (s4 === d4 && sp <= dp);
      kA = aFirst ? s4 : d4;
      kB = aFirst ? d4 : s4;
    } else {
      const c = cmp16(d, p.src6Off, p.dst6Off);
      aFirst = oneWay || c < 0 || (c === 0 && sp <= dp);
      const hs = hash16(d, p.src6Off);
      const hd = hash16(d, p.dst6Off);
      kA = aFirst ? hs : hd;
      kB = aFirst ? hd : hs;
    }
    const ports = (aFirst ? (sp << 16) | dp : (dp << 16) | sp) >>> 0;
    const meta = ipProto | (v6 ? 0x100 : 0) | (oneWay ? 0x200 : 0);
    const aOff = aFirst ? p.src6Off : p.dst6Off;
    const bOff = aFirst ? p.dst6Off : p.src6Off;
    const h = fmix(mixWord(mixWord(mixWord(mixWord(0x6a09e667, kA), kB), ports), meta) ^ 16);

    let s = this.find(h, kA, kB, ports, meta, v6, d, aOff, bOff);
    if (s >= 0) {
      // An existing connection: has it ended before this packet (deadline passed, TCP reuse)?
      const fb = s * (STRIDE >> 3);
      const f = this.f64;
      // Touch the slot's other hot cache lines now (both sides' counters, the two lines of TCP state), so their
      // misses overlap with the work below instead of stalling one after another (a software prefetch).
      _touched = f[fb + F_PKTS]! + f[fb + SIDE + F_PKTS]! + f[fb + (CS_OFFSET >> 3)]! + f[fb + (CS_OFFSET >> 3) + 8]!;
      if (ts >= this.deadline(s)) {
        this.finish(s, deadlineReason === R_CLOSED ? 'closed' : 'idle');
        s = -1;
      } else if (code === P_TCP && this.cs.tcpIsReuse(s, p.tcpFlags, p.seq)) {
        this.finish(s, 'closed');
        s = -1;
      } else if (ts - f[fb + F_START]! >= this.activeTimeout) this.rollover(s, ts);
    }
    let isNew = false;
    if (s < 0) {
      s = this.open(p, code, h, kA, kB, ports, meta, v6, d, aOff, bOff, aFirst, sp, dp);
      isNew = true;
    }
    this.apply(s, p, code, aFirst === (this.u8[s * STRIDE + B_ORIG_IS_A] === 1));
    if (isNew) {
      this.lastIsNew = true;
      this.file(s, this.deadline(s));
      if (this.onNewFlow !== undefined) this.onNewFlow(s, p);
    }
    return s;
  }

  /**
   * Expires every connection whose deadline is at or before `now` (seconds of packet time; the clock never moves
   * back). O(expired + buckets passed).
   */
  expire(now: number): void {
    if (!(now > this.clock)) now = this.clock;
    else this.clock = now;
    if (Number.isNaN(this.cursor)) return;
    this.advance(now);
    // The current second's bucket holds flows due within it: check them without marking the bucket done.
    this.processBucket(Math.floor(now), now);
  }

  /**
   * Writes every live connection with `reason` (default `end_of_input`) in order of last activity, and empties
   * the table. O(n log n).
   */
  flush(reason: ConnEndReason = 'end_of_input'): void {
    const slots: number[] = [];
    for (let s = 0; s < this.highWater; s++) if (this.u8[s * STRIDE + B_INUSE] === 1) slots.push(s);
    const f = this.f64;
    const w = STRIDE >> 3;
    slots.sort((a, b) => f[a * w + F_SEEN]! - f[b * w + F_SEEN]! || f[a * w + F_START]! - f[b * w + F_START]! || a - b);
    for (const s of slots) this.finish(s, reason);
  }

  /** The uid of live connection `slot` (made on first request). @throws RangeError for a slot not in use. */
  uidOf(slot: number): string {
    this.check(slot);
    let u = this.uids[slot];
    if (u === undefined) {
      u = this.newUid();
      this.uids[slot] = u;
    }
    return u;
  }

  /** Originator address text (IPv4 dotted quad, IPv6 RFC 5952). @throws RangeError for a slot not in use. */
  origHostOf(slot: number): string {
    this.check(slot);
    return this.hostText(slot, this.u8[slot * STRIDE + B_ORIG_IS_A] === 1);
  }

  /** Responder address text. @throws RangeError for a slot not in use. */
  respHostOf(slot: number): string {
    this.check(slot);
    return this.hostText(slot, this.u8[slot * STRIDE + B_ORIG_IS_A] !== 1);
  }

  /** Originator port (ICMP: the message type). @throws RangeError for a slot not in use. */
  origPortOf(slot: number): number {
    this.check(slot);
    return this.portOf(slot, this.u8[slot * STRIDE + B_ORIG_IS_A] === 1);
  }

  /** Responder port (ICMP: the counterpart type or the code). @throws RangeError for a slot not in use. */
  respPortOf(slot: number): number {
    this.check(slot);
    return this.portOf(slot, this.u8[slot * STRIDE + B_ORIG_IS_A] !== 1);
  }

  /** conn.log `proto` of live connection `slot`. @throws RangeError for a slot not in use. */
  protoOf(slot: number): ConnProto {
    this.check(slot);
    return PROTO_NAMES[this.u8[slot * STRIDE + B_PROTO]!]!;
  }

  /** Sets the `service` of live connection `slot` (replacing any earlier value). @throws RangeError for a slot not in use. */
  setService(slot: number, service: string): void {
    this.check(slot);
    this.services[slot] = service;
  }

  /** The `service` of live connection `slot`, or null. @throws RangeError for a slot not in use. */
  serviceOf(slot: number): string | null {
    this.check(slot);
    return this.services[slot] ?? null;
  }

  /**
   * Generation of `slot`: it increases each time a connection in the slot ends, so a consumer keeping per-flow
   * state by slot can tell a new connection from the one it knew. Any slot number below the capacity is valid.
   */
  generationOf(slot: number): number {
    if (!(slot >= 0 && slot < this.cap)) throw new RangeError(`FlowTable: slot ${slot} out of range`);
    return this.generation[slot]!;
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private check(slot: number): void {
    if (!(slot >= 0 && slot < this.highWater) || this.u8[slot * STRIDE + B_INUSE] !== 1) {
      throw new RangeError(`FlowTable: slot ${slot} holds no live connection`);
    }
  }

  private hostText(s: number, a: boolean): string {
    const b = s * STRIDE;
    if ((this.u8[b + B_FLAGS]! & FL_V6) !== 0) return formatIPv6(this.v6!, s * 32 + (a ? 0 : 16));
    return formatIPv4(this.u32[(b >> 2) + (a ? W_KA : W_KB)]!);
  }

  private portOf(s: number, a: boolean): number {
    const w = this.u32[((s * STRIDE) >> 2) + W_PORTS]!;
    return a ? w >>> 16 : w & 0xffff;
  }

  /** Allocates (or grows to) `n` slots, keeping live data, and rebuilds the index. */
  private allocate(n: number): void {
    const old = this.cap;
    const nb = new ArrayBuffer(n * STRIDE);
    const nu8 = new Uint8Array(nb);
    if (old > 0) nu8.set(this.u8);
    this.buf = nb;
    this.f64 = new Float64Array(nb);
    this.u32 = new Uint32Array(nb);
    this.u8 = nu8;
    const gen = new Uint32Array(n);
    const wn = new Int32Array(n);
    const wp = new Int32Array(n);
    const fs = new Int32Array(n);
    if (old > 0) {
      gen.set(this.generation);
      wn.set(this.wNext);
      wp.set(this.wPrev);
      fs.set(this.freeStack.subarray(0, this.freeTop));
      if (this.v6 !== undefined) {
        const v = new Uint8Array(n * 32);
        v.set(this.v6);
        this.v6 = v;
      }
    }
    this.generation = gen;
    this.wNext = wn;
    this.wPrev = wp;
    this.freeStack = fs;
    this.cs.attach(nb, STRIDE, CS_OFFSET, n);
    this.cap = n;
    // Index at ≤ 50 % load.
    const isz = nextPow2(Math.max(16, n * 2));
    this.idx = new Int32Array(isz * 2);
    this.idxMask = isz - 1;
    for (let s = 0; s < this.highWater; s++) {
      if (this.u8[s * STRIDE + B_INUSE] === 1) this.indexInsert(s, this.u32[((s * STRIDE) >> 2) + W_HASH]!);
    }
  }

  private find(h: number, kA: number, kB: number, ports: number, meta: number, v6: boolean, d: Uint8Array, aOff: number, bOff: number): number {
    const idx = this.idx;
    const u = this.u32;
    const mask = this.idxMask;
    const hi = h | 0;
    let i = h & mask;
    for (;;) {
      const e = idx[2 * i]!;
      if (e === 0) return -1;
      if (idx[2 * i + 1] === hi) {
        const s = e - 1;
        const w = (s * STRIDE) >> 2;
        if (u[w + W_KA] === kA && u[w + W_KB] === kB && u[w + W_PORTS] === ports && u[w + W_META] === meta) {
          if (!v6) return s;
          const v = this.v6!;
          const o = s * 32;
          let eq = true;
          for (let j = 0; j < 16; j++) {
            if (v[o + j] !== d[aOff + j] || v[o + 16 + j] !== d[bOff + j]) {
              eq = false;
              break;
            }
          }
          if (eq) return s;
        }
      }
      i = (i + 1) & mask;
    }
  }

  private indexInsert(s: number, h: number): void {
    const idx = this.idx;
    const mask = this.idxMask;
    let i = h & mask;
    while (idx[2 * i] !== 0) i = (i + 1) & mask;
    idx[2 * i] = s + 1;
    idx[2 * i + 1] = h | 0;
  }

  /** Removes slot `s` from the index with backward-shift deletion (no tombstones). */
  private indexRemove(s: number): void {
    const idx = this.idx;
    const mask = this.idxMask;
    let i = this.u32[((s * STRIDE) >> 2) + W_HASH]! & mask;
    while (idx[2 * i] !== s + 1) i = (i + 1) & mask;
    for (;;) {
      idx[2 * i] = 0;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        if (idx[2 * j] === 0) return;
        const k = idx[2 * j + 1]! & mask;
        // The entry at j may move to i unless its home k lies cyclically in (i, j].
        const stays = i <= j ? i < k && k <= j : i < k || k <= j;
        if (!stays) break;
      }
      idx[2 * i] = idx[2 * j]!;
      idx[2 * i + 1] = idx[2 * j + 1]!;
      i = j;
    }
  }

  private allocSlot(): number {
    if (this.live >= this.maxFlows) this.evict();
    if (this.freeTop > 0) return this.freeStack[--this.freeTop]!;
    if (this.highWater === this.cap) this.allocate(Math.min(this.cap * 2, this.maxFlows));
    return this.highWater++;
  }

  /** Sampled LRU: the least recently active of the next `evictionSample` live slots is written as evicted. */
  private evict(): void {
    const n = this.highWater;
    const u8 = this.u8;
    const f = this.f64;
    let best = -1;
    let bestSeen = Infinity;
    let found = 0;
    let c = this.evictCursor;
    for (let scanned = 0; scanned < n && found < this.evictionSample; scanned++) {
      if (c >= n) c = 0;
      if (u8[c * STRIDE + B_INUSE] === 1) {
        found++;
        const seen = f[c * (STRIDE >> 3) + F_SEEN]!;
        if (seen < bestSeen) {
          bestSeen = seen;
          best = c;
        }
      }
      c++;
    }
    this.evictCursor = c;
    if (best >= 0) {
      this.stats.evicted++;
      this.finish(best, 'evicted');
    }
  }

  private open(
    p: PacketInfo, code: number, h: number, kA: number, kB: number, ports: number, meta: number, v6: boolean,
    d: Uint8Array, aOff: number, bOff: number, aFirst: boolean, sp: number, dp: number,
  ): number {
    const s = this.allocSlot();
    const b = s * STRIDE;
    const u8 = this.u8;
    u8.fill(0, b, b + CS_OFFSET);
    const w = b >> 2;
    const u = this.u32;
    u[w + W_KA] = kA;
    u[w + W_KB] = kB;
    u[w + W_PORTS] = ports;
    u[w + W_META] = meta;
    u[w + W_HASH] = h;
    u[w + W_VLAN] = p.vlan >= 0 ? p.vlan + 1 : 0;
    if (v6) {
      if (this.v6 === undefined) this.v6 = new Uint8Array(this.cap * 32);
      this.v6.set(d.subarray(aOff, aOff + 16), s * 32);
      this.v6.set(d.subarray(bOff, bOff + 16), s * 32 + 16);
      u8[b + B_FLAGS] = FL_V6;
    }
    const f = this.f64;
    const fb = b >> 3;
    const ts = p.ts;
    f[fb + F_START] = ts;
    f[fb + F_LAST] = ts;
    f[fb + F_SEEN] = ts;
    f[fb + F_CLOSE] = Infinity;
    f[fb + F_ATTEMPT] = Infinity;
    f[fb + F_WHEEL] = Number.NaN;
    u8[b + B_INUSE] = 1;
    u8[b + B_PROTO] = code;
    // Flip: the sender of a first SYN-ACK is the responder; Zeek's port heuristic for other first packets.
    let flip = false;
    if (code === P_TCP) {
      const fl = p.tcpFlags;
      if ((fl & TCP_SYN) !== 0 && (fl & TCP_ACK) !== 0) flip = true;
      else if ((fl & TCP_SYN) === 0 && this.tcpServerPorts !== undefined && this.tcpServerPorts[sp] === 1) {
        flip = this.tcpServerPorts[dp] === 1 ? sp < dp : true;
      }
    } else if (code === P_UDP && this.udpServerPorts !== undefined) {
      flip = this.udpServerPorts[sp] === 1 && this.udpServerPorts[dp] !== 1;
    }
    u8[b + B_ORIG_IS_A] = aFirst !== flip ? 1 : 0;
    this.cs.reset(s);
    if (flip) this.cs.flipped(s);
    this.uids[s] = undefined;
    this.services[s] = undefined;
    this.indexInsert(s, h);
    this.live++;
    this.stats.flows++;
    return s;
  }

  /** Applies packet `p` to connection `s`. */
  private apply(s: number, p: PacketInfo, code: number, fromOrig: boolean): void {
    this.lastFromOrig = fromOrig;
    const b = s * STRIDE;
    const fb = b >> 3;
    const f = this.f64;
    const u8 = this.u8;
    const ts = p.ts;
    if (ts > f[fb + F_SEEN]!) f[fb + F_SEEN] = ts;
    const ipLen = p.ipLen;
    let flags = u8[b + B_FLAGS]!;
    // Counters and inter-packet statistics of the sender's side (Welford's running mean and M2).
    const sd = fb + (fromOrig ? 0 : SIDE);
    const n = f[sd + F_PKTS]!;
    if (n > 0) {
      const dt = ts - f[sd + F_PLAST]!;
      const mean = f[sd + F_IAT_MEAN]!;
      const nm = mean + (dt - mean) / n;
      f[sd + F_IAT_MEAN] = nm;
      f[sd + F_IAT_M2] = f[sd + F_IAT_M2]! + (dt - mean) * (dt - nm);
    }
    f[sd + F_PKTS] = n + 1;
    f[sd + F_PLAST] = ts;
    f[sd + F_IP] = f[sd + F_IP]! + ipLen;
    if (fromOrig) {
      if ((flags & FL_STTL) === 0) {
        flags |= FL_STTL;
        u8[b + B_STTL] = p.ttl;
      }
    } else if ((flags & FL_DTTL) === 0) {
      flags |= FL_DTTL;
      u8[b + B_DTTL] = p.ttl;
    }

    if (code === P_TCP) {
      const fl = p.tcpFlags;
      const len = p.l4PayloadLen;
      if ((fl & 0x04) === 0) f[sd + F_PAY] = f[sd + F_PAY]! + len;
      const res = this.cs.tcpPacket(s, fromOrig, fl, p.seq, p.ack, len, p.window);
      if ((res & TCP_R_LAST_TIME) !== 0 && ts > f[fb + F_LAST]!) f[fb + F_LAST] = ts;
      if ((res & TCP_R_ATTEMPT) !== 0 && f[fb + F_ATTEMPT] === Infinity) f[fb + F_ATTEMPT] = ts + this.attemptDelay;
      if ((res & (TCP_R_CLOSE | TCP_R_RESET_TIMER)) !== 0) {
        const at = (res & TCP_R_CLOSE) !== 0 ? f[fb + F_LAST]! + this.closeDelay : ts + this.closeDelay;
        if (at < f[fb + F_CLOSE]!) {
          f[fb + F_CLOSE] = at;
          // The deadline moved earlier than where the flow is filed: re-file now.
          const filed = f[fb + F_WHEEL]!;
          if (!Number.isNaN(filed) && Math.floor(at) < filed) {
            this.unfile(s);
            this.file(s, at);
          }
        }
      }
      // Windows (first advertised by each side) and handshake timing (UNSW synack/ackdat).
      const w = b >> 2;
      if (fromOrig) {
        if ((flags & FL_SWIN) === 0) {
          flags |= FL_SWIN;
          this.u32[w + W_SWIN] = p.window;
        }
        if ((fl & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
          if ((flags & FL_SYNACK) === 0) {
            flags |= FL_SYN;
            f[fb + F_SYN] = ts;
          }
        } else if ((fl & (TCP_SYN | TCP_ACK)) === TCP_ACK && (flags & (FL_SYNACK | FL_ACK)) === FL_SYNACK) {
          flags |= FL_ACK;
          f[fb + F_ACK] = ts;
        }
      } else {
        if ((flags & FL_DWIN) === 0) {
          flags |= FL_DWIN;
          this.u32[w + W_DWIN] = p.window;
        }
        if ((fl & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && (flags & (FL_SYN | FL_SYNACK)) === FL_SYN) {
          flags |= FL_SYNACK;
          f[fb + F_SYNACK] = ts;
        }
      }
    } else {
      if (ts > f[fb + F_LAST]!) f[fb + F_LAST] = ts;
      // UDP/ICMP payload; other protocols: the IP payload.
      f[sd + F_PAY] = f[sd + F_PAY]! + (code === P_UNKNOWN ? Math.max(0, ipLen - p.ipHeaderLen) : p.l4PayloadLen);
      if (code === P_UDP) this.cs.udpPacket(s, fromOrig);
    }
    u8[b + B_FLAGS] = flags;
  }

  /** Deadline of connection `s` (sets `deadlineReason`). */
  private deadline(s: number): number {
    const fb = s * (STRIDE >> 3);
    const f = this.f64;
    const code = this.u8[s * STRIDE + B_PROTO]!;
    const t = code === P_TCP ? this.tcpTimeout : code === P_ICMP ? this.icmpTimeout : this.udpTimeout;
    let d = f[fb + F_SEEN]! + t;
    deadlineReason = R_IDLE;
    const c = f[fb + F_CLOSE]!;
    if (c <= d) {
      d = c;
      deadlineReason = R_CLOSED;
    }
    if (code === P_TCP) {
      const a = f[fb + F_ATTEMPT]!;
      if (a < d && this.cs.tcpIsAttempt(s)) {
        d = a;
        deadlineReason = R_IDLE;
      }
    }
    return d;
  }

  /** Files slot `s` in the wheel bucket of `deadline` (never a bucket already passed). */
  private file(s: number, deadline: number): void {
    let sec = Math.floor(deadline);
    if (Number.isNaN(this.cursor)) this.cursor = Math.floor(this.clock) - 1;
    if (sec <= this.cursor) sec = this.cursor + 1;
    const bi = sec & WHEEL_MASK;
    const head = this.wheelHead[bi]!;
    this.wNext[s] = head;
    this.wPrev[s] = -1;
    if (head >= 0) this.wPrev[head] = s;
    this.wheelHead[bi] = s;
    this.f64[s * (STRIDE >> 3) + F_WHEEL] = sec;
  }

  private unfile(s: number): void {
    const fi = s * (STRIDE >> 3) + F_WHEEL;
    const sec = this.f64[fi]!;
    if (Number.isNaN(sec)) return;
    const nx = this.wNext[s]!;
    const pv = this.wPrev[s]!;
    if (pv >= 0) this.wNext[pv] = nx;
    else this.wheelHead[sec & WHEEL_MASK] = nx;
    if (nx >= 0) this.wPrev[nx] = pv;
    this.f64[fi] = Number.NaN;
  }

  /** Processes every bucket whose second lies before floor(now). */
  private advance(now: number): void {
    const target = Math.floor(now) - 1;
    if (Number.isNaN(this.cursor)) {
      this.cursor = target;
      return;
    }
    if (target <= this.cursor) return;
    let from = this.cursor + 1;
    // A jump of more than one rotation: every bucket once is enough (each flow is expired or re-filed).
    if (target - from >= WHEEL_SIZE) from = target - WHEEL_SIZE + 1;
    for (let sec = from; sec <= target; sec++) {
      this.cursor = sec;
      this.processBucket(sec, now);
    }
    this.cursor = target;
  }

  /** Expires or re-files every flow in the bucket of second `sec`. */
  private processBucket(sec: number, now: number): void {
    const bi = sec & WHEEL_MASK;
    let s = this.wheelHead[bi]!;
    if (s < 0) return;
    this.wheelHead[bi] = -1;
    const f = this.f64;
    const w = STRIDE >> 3;
    while (s >= 0) {
      const next = this.wNext[s]!;
      f[s * w + F_WHEEL] = Number.NaN; // detached
      const d = this.deadline(s);
      if (d <= now) this.finish(s, deadlineReason === R_CLOSED ? 'closed' : 'idle');
      else this.file(s, d);
      s = next;
    }
  }

  /** Writes the record of `s` and frees the slot. */
  private finish(s: number, reason: ConnEndReason): void {
    this.emit(s, reason);
    this.unfile(s);
    this.indexRemove(s);
    this.u8[s * STRIDE + B_INUSE] = 0;
    this.generation[s] = (this.generation[s]! + 1) >>> 0;
    this.uids[s] = undefined;
    this.services[s] = undefined;
    this.freeStack[this.freeTop++] = s;
    this.live--;
  }

  /** Active timeout: writes the record so far and continues the connection under a new uid from packet time `ts`. */
  private rollover(s: number, ts: number): void {
    this.emit(s, 'active');
    const b = s * STRIDE;
    const fb = b >> 3;
    const f = this.f64;
    if (this.u8[b + B_PROTO] === P_TCP) {
      f[fb + F_OBASE] = this.cs.tcpSize(s, true);
      f[fb + F_RBASE] = this.cs.tcpSize(s, false);
    }
    for (let i = F_PKTS; i <= F_IAT_M2; i++) {
      f[fb + i] = 0;
      f[fb + SIDE + i] = 0;
    }
    f[fb + F_SYN] = 0;
    f[fb + F_SYNACK] = 0;
    f[fb + F_ACK] = 0;
    f[fb + F_START] = ts;
    f[fb + F_LAST] = ts;
    this.u8[b + B_FLAGS] = this.u8[b + B_FLAGS]! & FL_V6;
    this.u8[b + B_STTL] = 0;
    this.u8[b + B_DTTL] = 0;
    this.u32[(b >> 2) + W_SWIN] = 0;
    this.u32[(b >> 2) + W_DWIN] = 0;
    this.cs.clearHistory(s);
    this.uids[s] = undefined;
  }

  /** Builds and hands out the record of connection `s`. */
  private emit(s: number, reason: ConnEndReason): void {
    const b = s * STRIDE;
    const fb = b >> 3;
    const w = b >> 2;
    const f = this.f64;
    const u = this.u32;
    const u8 = this.u8;
    const code = u8[b + B_PROTO]!;
    const origIsA = u8[b + B_ORIG_IS_A] === 1;
    const flags = u8[b + B_FLAGS]!;
    const cs = this.cs;
    const start = f[fb + F_START]!;
    const last = f[fb + F_LAST]!;
    const duration = last > start ? last - start : 0;
    const op = f[fb + F_PKTS]!;
    const rp = f[fb + SIDE + F_PKTS]!;
    const oip = f[fb + F_IP]!;
    const rip = f[fb + SIDE + F_IP]!;
    let ob = f[fb + F_PAY]!;
    let rb = f[fb + SIDE + F_PAY]!;
    let state: ConnRecord['conn_state'];
    let history = '';
    let sloss = 0;
    let dloss = 0;
    if (code === P_TCP) {
      // Zeek counts TCP bytes from sequence numbers; without a SYN from that side we sum the payloads.
      if (cs.tcpSynSeen(s, true)) ob = Math.max(0, cs.tcpSize(s, true) - f[fb + F_OBASE]!);
      if (cs.tcpSynSeen(s, false)) rb = Math.max(0, cs.tcpSize(s, false) - f[fb + F_RBASE]!);
      history = cs.history(s);
      state = cs.tcpConnState(s, history);
      sloss = cs.tcpRetransmissions(s, true);
      dloss = cs.tcpRetransmissions(s, false);
    } else if (code === P_UDP) {
      state = udpConnState(op > 0, rp > 0);
      history = cs.history(s);
    } else state = 'OTH';
    const synack = (flags & FL_SYNACK) !== 0 ? f[fb + F_SYNACK]! - f[fb + F_SYN]! : 0;
    const ackdat = (flags & FL_ACK) !== 0 ? f[fb + F_ACK]! - f[fb + F_SYNACK]! : 0;
    const vlan = u[w + W_VLAN]!;
    const uid = this.uids[s] ?? this.newUid();
    const rec: ConnRecord = {
      ts: start,
      uid,
      orig_h: this.hostText(s, origIsA),
      orig_p: this.portOf(s, origIsA),
      resp_h: this.hostText(s, !origIsA),
      resp_p: this.portOf(s, !origIsA),
      proto: PROTO_NAMES[code]!,
      service: this.services[s] ?? null,
      duration,
      orig_bytes: ob,
      resp_bytes: rb,
      conn_state: state,
      history,
      orig_pkts: op,
      orig_ip_bytes: oip,
      resp_pkts: rp,
      resp_ip_bytes: rip,
      end_reason: reason,
      last_ts: start + duration,
      vlan: vlan > 0 ? vlan - 1 : null,
      sttl: u8[b + B_STTL]!,
      dttl: u8[b + B_DTTL]!,
      // UNSW-NB15 load (Argus): 8 × bytes over the n − 1 inter-packet gaps of n packets, per second of the flow.
      sload: duration > 0 && op > 0 ? (8 * oip * (op - 1)) / op / duration : 0,
      dload: duration > 0 && rp > 0 ? (8 * rip * (rp - 1)) / rp / duration : 0,
      sinpkt: op > 1 ? f[fb + F_IAT_MEAN]! * 1000 : 0,
      dinpkt: rp > 1 ? f[fb + SIDE + F_IAT_MEAN]! * 1000 : 0,
      sjit: op > 2 ? Math.sqrt(Math.max(0, f[fb + F_IAT_M2]!) / (op - 1)) * 1000 : 0,
      djit: rp > 2 ? Math.sqrt(Math.max(0, f[fb + SIDE + F_IAT_M2]!) / (rp - 1)) * 1000 : 0,
      swin: code === P_TCP ? u[w + W_SWIN]! : 0,
      dwin: code === P_TCP ? u[w + W_DWIN]! : 0,
      synack,
      ackdat,
      tcprtt: synack + ackdat,
      smean: op > 0 ? oip / op : 0,
      dmean: rp > 0 ? rip / rp : 0,
      sloss,
      dloss,
    };
    this.stats.records++;
    this.recordSlot = s;
    try {
      this.onRecord(rec);
    } finally {
      this.recordSlot = -1;
    }
  }
}
