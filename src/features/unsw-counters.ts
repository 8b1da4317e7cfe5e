/**
 * UNSW-NB15 features that are not properties of one flow alone (Moustafa & Slay, "UNSW-NB15: a comprehensive
 * data set for network intrusion detection systems", MilCIS 2015, Table 6 features 36–47, and the data set's
 * NUSW-NB15_features.csv descriptions): the `ct_*` counters over the last 100 connections, `is_sm_ips_ports`,
 * `ct_state_ttl` (with the Argus `state` it is defined on), and the `rate` column of the published partitions.
 *
 * Pure: inputs are plain values of a finished connection (Zeek conn.log names), so the same code serves live
 * flows (capture/flow-table.ts records) and conn.log/EVE imports. Definitions, units and what cannot be derived:
 * docs/flow-features.md.
 */

/** A finished connection as the counters read it (Zeek conn.log names). */
export interface UnswConnection {
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  /** Zeek `service` (`http`, `dns`, …); null, undefined or '' count as UNSW's `-` (no service). */
  service?: string | null;
}

/** The window counters of one connection (each ≥ 1: the connection itself is counted). */
export interface UnswCounterFeatures {
  /** Same service and source address. */
  ct_srv_src: number;
  /** Same service and destination address. */
  ct_srv_dst: number;
  /** Same destination address. */
  ct_dst_ltm: number;
  /** Same source address. */
  ct_src_ltm: number;
  /** Same source address and destination port. */
  ct_src_dport_ltm: number;
  /** Same destination address and source port. */
  ct_dst_sport_ltm: number;
  /** Same source and destination addresses. */
  ct_dst_src_ltm: number;
}

/** UNSW-NB15's window: "in 100 connections according to the last time". */
export const UNSW_WINDOW = 100;

/**
 * The `ct_*` counters of UNSW-NB15: for each connection, how many of the connection itself and the `window − 1`
 * connections written before it share a source address, destination address, service or port with it (the
 * data set orders connections by their last time, Ltime; a flow table writes records in that order).
 *
 * Bounded: a ring of `window` entries. Cost per {@link observe}: O(window) string comparisons, one result object.
 */
export class UnswCounters {
  private readonly window: number;
  private readonly src: string[];
  private readonly dst: string[];
  private readonly srv: string[];
  private readonly sport: Int32Array;
  private readonly dport: Int32Array;
  private next = 0;
  private filled = 0;

  /** @param window connections counted, the current one included (default 100). @throws RangeError unless an integer ≥ 1. */
  constructor(window = UNSW_WINDOW) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`UnswCounters: window must be an integer ≥ 1, got ${window}`);
    this.window = window;
    this.src = new Array<string>(window).fill('');
    this.dst = new Array<string>(window).fill('');
    this.srv = new Array<string>(window).fill('');
    this.sport = new Int32Array(window);
    this.dport = new Int32Array(window);
  }

  /** Counters of `c` over `c` and the connections before it in the window; then `c` joins the window. */
  observe(c: UnswConnection): UnswCounterFeatures {
    const srv = c.service === null || c.service === undefined || c.service === '' ? '-' : c.service;
    const r: UnswCounterFeatures = { ct_srv_src: 1, ct_srv_dst: 1, ct_dst_ltm: 1, ct_src_ltm: 1, ct_src_dport_ltm: 1, ct_dst_sport_ltm: 1, ct_dst_src_ltm: 1 };
    // The current connection is one of the `window`: compare with the window − 1 most recent before it.
    const n = Math.min(this.filled, this.window - 1);
    for (let k = 1; k <= n; k++) {
      const i = (this.next - k + this.window) % this.window;
      const sameSrc = this.src[i] === c.orig_h;
      const sameDst = this.dst[i] === c.resp_h;
      const sameSrv = this.srv[i] === srv;
      if (sameSrc) {
        r.ct_src_ltm++;
        if (sameSrv) r.ct_srv_src++;
        if (this.dport[i] === c.resp_p) r.ct_src_dport_ltm++;
        if (sameDst) r.ct_dst_src_ltm++;
      }
      if (sameDst) {
        r.ct_dst_ltm++;
        if (sameSrv) r.ct_srv_dst++;
        if (this.sport[i] === c.orig_p) r.ct_dst_sport_ltm++;
      }
    }
    this.src[this.next] = c.orig_h;
    this.dst[this.next] = c.resp_h;
    this.srv[this.next] = srv;
    this.sport[this.next] = c.orig_p;
    this.dport[this.next] = c.resp_p;
    this.next = (this.next + 1) % this.window;
    if (this.filled < this.window) this.filled++;
    return r;
  }
}

/** UNSW-NB15 `is_sm_ips_ports`: 1 when source and destination address are equal and so are the ports, else 0. */
export function isSmIpsPorts(c: UnswConnection): 0 | 1 {
  return c.orig_h === c.resp_h && c.orig_p === c.resp_p ? 1 : 0;
}

/**
 * UNSW-NB15 `rate` (a column of the published training/testing partitions, not of Table 6): packets per second
 * over the n − 1 gaps between a flow's n packets, `(spkts + dpkts − 1) / dur`; 0 when `dur` is 0. Matches the
 * testing partition to its printed precision.
 */
export function unswRate(duration: number, spkts: number, dpkts: number): number {
  return duration > 0 ? (spkts + dpkts - 1) / duration : 0;
}

/** Argus transaction states used by UNSW-NB15's `state` column (NUSW-NB15_features.csv, feature 6). */
export type UnswState = 'ACC' | 'CLO' | 'CON' | 'ECO' | 'ECR' | 'FIN' | 'INT' | 'MAS' | 'PAR' | 'REQ' | 'RST' | 'TST' | 'TXD' | 'URH' | 'URN' | 'URP' | 'RED' | 'SRC';

/**
 * The Argus `state` (UNSW-NB15 feature 6) that best matches a Zeek connection. An approximation: Argus derives
 * its state from its own TCP tracking, and no reference mapping is published. Rules:
 * - TCP: S0 → REQ (request, no reply); REJ, RSTO, RSTR, RSTOS0, RSTRH → RST; SF, S2, S3, SH, SHR → FIN;
 *   S1 → CON, or ACC when the originator never acknowledged the SYN-ACK (history without `A`/`D`);
 *   OTH → CON when both sides sent, else INT.
 * - UDP and other protocols: CON when both sides sent, else INT (one-way).
 * - ICMP (`orig_p` = type, `resp_p` = code or counterpart type, Zeek's convention): echo request → ECO, ECR
 *   once answered; unreachable (3) → URN (net), URH (host, code 1), URP (port, code 3); time exceeded (11) → TXD;
 *   timestamp (13/14) → TST; address mask (17/18) → MAS; parameter problem (12) → PAR; redirect (5) → RED; source
 *   quench (4) → SRC; others INT. ICMPv6 echo (128/129) as echo.
 */
export function unswState(proto: string, connState: string | undefined, history: string | undefined, origPkts: number, respPkts: number, origP: number, respP: number): UnswState {
  const both = origPkts > 0 && respPkts > 0;
  if (proto === 'tcp') {
    switch (connState) {
      case 'S0':
        return 'REQ';
      case 'REJ':
      case 'RSTO':
      case 'RSTR':
      case 'RSTOS0':
      case 'RSTRH':
        return 'RST';
      case 'SF':
      case 'S2':
      case 'S3':
      case 'SH':
      case 'SHR':
        return 'FIN';
      case 'S1':
        return /[AD]/.test(history ?? '') ? 'CON' : 'ACC';
      default:
        return both ? 'CON' : 'INT';
    }
  }
  if (proto === 'icmp') {
    if (origP === 8 || origP === 128) return respPkts > 0 ? 'ECR' : 'ECO';
    if (origP === 0 || origP === 129) return 'ECR';
    if (origP === 3) return respP === 1 ? 'URH' : respP === 3 ? 'URP' : 'URN';
    if (origP === 11) return 'TXD';
    if (origP === 13 || origP === 14) return 'TST';
    if (origP === 17 || origP === 18) return 'MAS';
    if (origP === 12) return 'PAR';
    if (origP === 5) return 'RED';
    if (origP === 4) return 'SRC';
    return 'INT';
  }
  return both ? 'CON' : 'INT';
}

/**
 * UNSW-NB15 `ct_state_ttl` (feature 37: "No. for each state according to specific range of values for
 * source/destination time to live"). The generator's ranges are not published; this table is reconstructed from
 * the official testing partition (82,332 rows) as the majority value of each (state, sttl, dttl) class and
 * reproduces 99.8 % of its rows (src/features/unsw-counters.test.ts checks it against the data):
 * - FIN with sttl ∈ {62, 63, 254, 255} and dttl ∈ {252, 253} → 1;
 * - INT with sttl ∈ {0, 62, 254} and dttl = 0 → 2;
 * - CON with sttl = 62 and dttl ∈ {252, 253}, or sttl = 254 and dttl = 60 → 3; CON or ACC with 254/252 → 4;
 * - CLO with 254/252 → 5; REQ with sttl = 254 and dttl = 0 → 6;
 * - anything else → 0.
 * The values single out the TTLs of the UNSW testbed's attack hosts (254/252, 62/252), which is why sttl, dttl
 * and ct_state_ttl leak the label on that data set (shared/data README): do not expect them to transfer.
 */
export function ctStateTtl(state: string, sttl: number, dttl: number): number {
  switch (state) {
    case 'FIN':
      return (sttl === 62 || sttl === 63 || sttl === 254 || sttl === 255) && (dttl === 252 || dttl === 253) ? 1 : 0;
    case 'INT':
      return (sttl === 0 || sttl === 62 || sttl === 254) && dttl === 0 ? 2 : 0;
    case 'CON':
      if (sttl === 62 && (dttl === 252 || dttl === 253)) return 3;
      if (sttl === 254 && dttl === 60) return 3;
      return sttl === 254 && dttl === 252 ? 4 : 0;
    case 'ACC':
      return sttl === 254 && dttl === 252 ? 4 : 0;
    case 'CLO':
      return sttl === 254 && dttl === 252 ? 5 : 0;
    case 'REQ':
      return sttl === 254 && dttl === 0 ? 6 : 0;
    default:
      return 0;
  }
}
