/**
 * Port scans and host sweeps from connection attempts and their outcomes: the threshold scan detector
 * (Snort's sfPortscan; Jung et al., "Fast portscan detection using sequential hypothesis testing", IEEE S&P
 * 2004, §2 on its limits) with the failure evidence that sets scanners apart from busy clients (Jung et al.'s
 * observation: a scanner's attempts mostly fail, a benign host's mostly succeed).
 *
 * - Port Scan: one originator tries many distinct responder ports (TCP and UDP counted apart) on one responder.
 * - Host Sweep: one originator tries the same transport port (or ICMP echo) on many distinct responders.
 *
 * Evidence per window (`window` seconds of event time, a tumbling window anchored at the first attempt of the
 * key and restarted by the first attempt after it ends): `n` distinct targets (ports, or hosts), `failed` and
 * `answered` outcomes of those attempts (Zeek `conn_state`, {@link FAILED_CONN_STATES} and
 * {@link ANSWERED_CONN_STATES}). With the thresholds `base` and `high` (ports 20 / 100, hosts 32 / 128):
 *
 * | severity | port scan and host sweep                                                          |
 * | -------- | --------------------------------------------------------------------------------- |
 * | high     | n ≥ high, failed ≥ high/2 and failed ≥ 4 × answered                               |
 * | medium   | n ≥ base, failed ≥ base/2 and failed ≥ 2 × answered (mostly failing)              |
 * | medium   | n ≥ high and 2 × answered < n (volume alone, while most are not known to succeed) |
 * | low      | n ≥ base and 2 × answered < n                                                     |
 * | none     | n < base, or 2 × answered ≥ n without mostly failing (a busy client, FTP passive) |
 *
 * Guarantee of the tumbling window: a key with at least 2·base − 1 distinct targets inside some interval of
 * `window` seconds reaches `base` in one window (the interval overlaps at most two windows); a key never reaches
 * `base` unless some window interval holds `base` distinct targets. Slower scans (nmap -T0/-T1) stay below;
 * threat memory (risk.ts) accumulates their rejected connections instead.
 *
 * Why a busy web page load is not a scan: it opens many connections to a few hosts on one or two ports (80/443):
 * per responder 1–2 distinct ports (far below 20); per port the number of distinct hosts is that of the page's
 * servers (13 in the http_espn capture) and they answer. DNS goes to one resolver on one port. An nmap SYN scan
 * (synscan.pcapng: 1,994 SYNs to 1,000 ports of one host in 23 s) reaches 20 ports within its first
 * milliseconds (low), 100 two seconds in (medium), and high once the unanswered attempts are reported (the test
 * replays it from tshark).
 *
 * Memory: two bounded tables ({@link GenerationalCache}, approximate LRU): (orig, resp) pairs (default 32,768)
 * and (orig, proto, port) sweep keys (default 32,768), keyed by numbers built from 32-bit FNV-1a hashes of the
 * host strings ({@link hashString32}; see `pairKey` for the collision bound). Each entry holds a
 * {@link SaturatingIntSet} that stops at `high` members (100 ports → 1 KiB table; 128 host hashes → 1 KiB) but
 * starts at 32 B, so typical pairs (one or two ports) cost about 200 B; the worst case (every entry saturated,
 * plus the free lists of recycled states) is about 2 × 49,152 × 1.2 KiB ≈ 120 MiB. Distinct hosts are counted
 * by their hashes (collision chance < 10⁻⁵ at 128 members). An evicted key starts again from zero (a scan
 * interleaved with a sweep of more than `maxPairs` hosts may be under-counted).
 *
 * Cost: one call per flow start and one per flow end, not per packet. {@link ScanDetector.observeAttempt} hashes
 * the two host strings, does two map lookups with numeric keys and two O(1) set insertions; it allocates only
 * when a key is new and no dropped state is free for reuse (states dropped by the caches are recycled, up to
 * 16,384 per table), or a detection is raised. Measured (Node 20, a 2-core machine under load average 6, so
 * upper bounds): 0.4–0.7 µs per attempt with 1,000 active sources, 1.1–1.5 µs with 5,000, 2–3 µs when every
 * attempt misses under eviction churn (20,000 sources × 4 responders); the first version, string keys
 * concatenated per call in `BoundedLru`s and no recycling, took 3, 4.5 and 30 µs.
 */
import type { ConnState } from '../core/events.js';
import type { Severity } from '../core/records.js';
import { techniquesFor } from './attack-mapping.js';
import {
  ALERT_GATE_DEFAULTS,
  AlertGate,
  type AlertGateOptions,
  GenerationalCache,
  hashString32,
  isFiniteNumber,
  isPort,
  type PacketDetection,
  SaturatingIntSet,
  SEVERITY_RANK,
} from './packet-detection.js';

/** Transport of an attempt, as conn.log `proto` (unknown_transport is not an attempt). */
export type ScanProto = 'tcp' | 'udp' | 'icmp';

/**
 * Zeek `conn_state`s that count as a failed attempt (base/protocols/conn/main.zeek): S0 no reply, REJ rejected,
 * RSTOS0 / SH originator gave up after a bare SYN, RSTR responder reset, RSTRH / SHR responder-only halves.
 */
export const FAILED_CONN_STATES: ReadonlySet<string> = new Set<ConnState>(['S0', 'REJ', 'RSTOS0', 'RSTR', 'RSTRH', 'SH', 'SHR']);
/** `conn_state`s of an attempt the responder accepted: S1 established, SF normal, S2/S3 closing, RSTO originator reset. */
export const ANSWERED_CONN_STATES: ReadonlySet<string> = new Set<ConnState>(['S1', 'SF', 'S2', 'S3', 'RSTO']);

/** Options of {@link ScanDetector} (times in seconds of event time). */
export interface ScanDetectorOptions extends AlertGateOptions {
  /** Window length (> 0; default 60). */
  readonly window: number;
  /** Port Scan `base`: distinct ports on one responder (≥ 2; default 20, the order of sfPortscan's "low" level). */
  readonly portScanPorts: number;
  /** Port Scan `high` (> portScanPorts; default 100). Also the size at which the port set saturates. */
  readonly portScanHighPorts: number;
  /** Host Sweep `base`: distinct responders on one port (≥ 2; default 32). */
  readonly sweepHosts: number;
  /** Host Sweep `high` (> sweepHosts; default 128). */
  readonly sweepHighHosts: number;
  /** Largest number of (orig, resp) pairs tracked (default 32,768). */
  readonly maxPairs: number;
  /** Largest number of (orig, proto, port) sweep keys tracked (default 32,768). */
  readonly maxSweeps: number;
}

/** Defaults (see the module comment for their reasons). */
export const SCAN_DETECTOR_DEFAULTS: Readonly<ScanDetectorOptions> = Object.freeze({
  ...ALERT_GATE_DEFAULTS,
  window: 60,
  portScanPorts: 20,
  portScanHighPorts: 100,
  sweepHosts: 32,
  sweepHighHosts: 128,
  maxPairs: 32_768,
  maxSweeps: 32_768,
});

/** Evidence of one key in its current window. */
interface WindowState {
  start: number;
  /** Last event time seen (for the detail's duration). */
  last: number;
  readonly targets: SaturatingIntSet;
  attempts: number;
  answered: number;
  failed: number;
}

function newState(ts: number, limit: number): WindowState {
  return { start: ts, last: ts, targets: new SaturatingIntSet(limit), attempts: 0, answered: 0, failed: 0 };
}

function reset(st: WindowState, ts: number): void {
  st.start = st.last = ts;
  st.targets.clear();
  st.attempts = st.answered = st.failed = 0;
}

/** Largest number of dropped states kept for reuse per table (and at most half the table's capacity). */
const FREE_LIST_MAX = 16_384;

/** The severity table of the module comment, or null. */
function scanSeverity(n: number, answered: number, failed: number, base: number, high: number): Severity | null {
  if (n < base) return null;
  if (n >= high && failed >= high / 2 && failed >= 4 * answered) return 'high';
  if (failed >= base / 2 && failed >= 2 * answered) return 'medium';
  if (2 * answered >= n) return null;
  return n >= high ? 'medium' : 'low';
}

/** Port key of a transport port: TCP and UDP ports are distinct targets (UDP offset by 65,536), never 0. */
function portKey(proto: 'tcp' | 'udp', port: number): number {
  return (proto === 'udp' ? 65_537 : 1) + port;
}

const TWO_21 = 2_097_152;

/**
 * Numeric key of an (orig, resp) pair: the originator's 32-bit hash and the top 21 bits of the responder's, a
 * 53-bit integer (exact in a double). Two pairs share a key only if both hashes collide that way: with n pairs
 * held, probability ≈ n²/2⁵⁴ (10⁻⁷ at 32,768). A hashed number instead of a concatenated string halves the
 * lookup cost (measured 350 → 200 ns with freshly formatted host strings, hashing included).
 */
function pairKey(hOrig: number, hResp: number): number {
  return hOrig * TWO_21 + (hResp >>> 11);
}

/** Numeric key of an (orig, proto, port) sweep: the originator's hash and 19 bits of proto and port. */
function sweepKey(hOrig: number, proto: ScanProto, port: number): number {
  return hOrig * TWO_21 + (proto === 'tcp' ? 0 : proto === 'udp' ? 65_536 : 131_072) + port;
}

/**
 * Port-scan and host-sweep detector (module comment: evidence, severity table, memory, cost).
 *
 * Call {@link observeAttempt} when a flow starts with an attempt (TCP: the first packet is a SYN without ACK;
 * UDP: the first datagram; ICMP: an echo request, Zeek `orig_p` 8 or 128, with `respP` 0) and
 * {@link observeOutcome} once per flow when its outcome is known, with the flow's start time: at its end with
 * conn.log `conn_state`, or earlier (the responder's first packet: SYN-ACK → `S1`, RST → `REJ`). Earlier is
 * better: answered attempts keep busy clients out, failed ones raise a scan to high. Flows first seen mid-stream
 * are not attempts and must not be reported (their "responder port" is often a client's ephemeral port).
 */
export class ScanDetector {
  readonly #o: ScanDetectorOptions;
  readonly #pairs: GenerationalCache<number, WindowState>;
  readonly #sweeps: GenerationalCache<number, WindowState>;
  readonly #gate: AlertGate;
  /** Dropped states kept for reuse (at most min(16,384, capacity/2) each), so churn does not feed the garbage collector. */
  readonly #freePairs: WindowState[] = [];
  readonly #freeSweeps: WindowState[] = [];

  /** @throws RangeError on an invalid option (non-positive window, thresholds out of order, capacities < 1). */
  constructor(options: Partial<ScanDetectorOptions> = {}) {
    const o: ScanDetectorOptions = { ...SCAN_DETECTOR_DEFAULTS, ...options };
    if (!(o.window > 0) || !Number.isFinite(o.window)) throw new RangeError(`window must be a positive finite number of seconds, got ${o.window}`);
    for (const [b, h, name] of [
      [o.portScanPorts, o.portScanHighPorts, 'portScan'],
      [o.sweepHosts, o.sweepHighHosts, 'sweep'],
    ] as const) {
      if (!Number.isInteger(b) || b < 2 || !Number.isInteger(h) || h <= b || h > 65_536) {
        throw new RangeError(`${name} thresholds must be integers with 2 <= base < high <= 65536, got ${b}, ${h}`);
      }
    }
    this.#o = o;
    const pairsFree = Math.min(FREE_LIST_MAX, o.maxPairs >> 1);
    const sweepsFree = Math.min(FREE_LIST_MAX, o.maxSweeps >> 1);
    this.#pairs = new GenerationalCache(o.maxPairs, (st) => {
      if (this.#freePairs.length < pairsFree) this.#freePairs.push(st);
    });
    this.#sweeps = new GenerationalCache(o.maxSweeps, (st) => {
      if (this.#freeSweeps.length < sweepsFree) this.#freeSweeps.push(st);
    });
    this.#gate = new AlertGate(o);
  }

  /** Keys held: (orig, resp) pairs, sweep keys, alert keys (each bounded by its option). */
  get sizes(): { pairs: number; sweeps: number; alertKeys: number } {
    return { pairs: this.#pairs.size, sweeps: this.#sweeps.size, alertKeys: this.#gate.size };
  }

  /**
   * A connection attempt. Returns a Port Scan or Host Sweep detection when this attempt brings a key to a
   * severity the de-duplication gate lets through (the higher of the two when both do; the other is reported on
   * a later call while its evidence holds), else null. Invalid input (non-finite `ts`, port outside 0..65535,
   * another `proto`) is ignored (null).
   * @param ts flow start time, epoch seconds.
   * @param proto `tcp`/`udp` count towards both kinds, `icmp` (echo) only towards Host Sweep.
   */
  observeAttempt(ts: number, origH: string, respH: string, respP: number, proto: ScanProto): PacketDetection | null {
    if (!isFiniteNumber(ts) || !isPort(respP) || (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp')) return null;
    const ho = hashString32(origH);
    const hr = hashString32(respH);
    let scan: PacketDetection | null = null;
    if (proto !== 'icmp') {
      const st = this.#window(this.#pairs, pairKey(ho, hr), ts, this.#o.portScanHighPorts);
      st.attempts++;
      if (st.targets.add(portKey(proto, respP))) scan = this.#evalScan(st, ts, origH, respH);
    }
    const sw = this.#window(this.#sweeps, sweepKey(ho, proto, respP), ts, this.#o.sweepHighHosts);
    sw.attempts++;
    const sweep = sw.targets.add(hr) ? this.#evalSweep(sw, ts, origH, respP, proto) : null;
    return pickHigher(scan, sweep);
  }

  /**
   * The outcome of an attempt reported before, attributed to the window its attempt fell in: counted when that
   * window is still the key's current one (`ts` ≥ its start), dropped otherwise. `conn_state`s neither failed
   * nor answered (OTH, unknown strings) are ignored. Returns a detection when the new evidence raises a key's
   * severity past the gate, else null.
   * @param ts the flow's START time (conn.log `ts`), epoch seconds.
   */
  observeOutcome(ts: number, origH: string, respH: string, respP: number, proto: ScanProto, connState: string): PacketDetection | null {
    if (!isFiniteNumber(ts) || !isPort(respP) || (proto !== 'tcp' && proto !== 'udp' && proto !== 'icmp')) return null;
    const failed = FAILED_CONN_STATES.has(connState);
    if (!failed && !ANSWERED_CONN_STATES.has(connState)) return null;
    const ho = hashString32(origH);
    let scan: PacketDetection | null = null;
    if (proto !== 'icmp') {
      const st = this.#pairs.peek(pairKey(ho, hashString32(respH)));
      if (st !== undefined && ts >= st.start && ts < st.start + this.#o.window) {
        if (failed) st.failed++;
        else st.answered++;
        scan = this.#evalScan(st, ts, origH, respH);
      }
    }
    let sweep: PacketDetection | null = null;
    const sw = this.#sweeps.peek(sweepKey(ho, proto, respP));
    if (sw !== undefined && ts >= sw.start && ts < sw.start + this.#o.window) {
      if (failed) sw.failed++;
      else sw.answered++;
      sweep = this.#evalSweep(sw, ts, origH, respP, proto);
    }
    return pickHigher(scan, sweep);
  }

  /** The key's state, its window restarted when `ts` is past its end; created (or recycled) when absent. */
  #window(lru: GenerationalCache<number, WindowState>, key: number, ts: number, limit: number): WindowState {
    let st = lru.get(key);
    if (st === undefined) {
      st = (lru === this.#pairs ? this.#freePairs : this.#freeSweeps).pop();
      if (st === undefined) st = newState(ts, limit);
      else reset(st, ts);
      lru.set(key, st);
    } else if (ts - st.start >= this.#o.window) {
      reset(st, ts);
    }
    if (ts > st.last) st.last = ts;
    return st;
  }

  #evalScan(st: WindowState, ts: number, origH: string, respH: string): PacketDetection | null {
    const o = this.#o;
    const severity = scanSeverity(st.targets.size, st.answered, st.failed, o.portScanPorts, o.portScanHighPorts);
    if (severity === null || !this.#gate.admit(`Port Scan|${origH}|${respH}`, ts, severity)) return null;
    return {
      ts,
      reason: 'Port Scan',
      severity,
      origH,
      respH,
      detail: `${origH} tried ${count(st.targets)} distinct ports on ${respH} in ${seconds(st)}: ${evidence(st)}`,
      techniques: techniquesFor('Port Scan', { eventType: 'flow' }),
    };
  }

  #evalSweep(st: WindowState, ts: number, origH: string, respP: number, proto: ScanProto): PacketDetection | null {
    const o = this.#o;
    const severity = scanSeverity(st.targets.size, st.answered, st.failed, o.sweepHosts, o.sweepHighHosts);
    if (severity === null || !this.#gate.admit(`Host Sweep|${origH}|${proto}/${respP}`, ts, severity)) return null;
    const what = proto === 'icmp' ? 'ICMP echo' : `${proto} port ${respP}`;
    return {
      ts,
      reason: 'Host Sweep',
      severity,
      origH,
      respP,
      detail: `${origH} tried ${what} on ${count(st.targets)} distinct hosts in ${seconds(st)}: ${evidence(st)}`,
      techniques: techniquesFor('Host Sweep', { eventType: 'flow' }),
    };
  }
}

function pickHigher(a: PacketDetection | null, b: PacketDetection | null): PacketDetection | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] ? b : a;
}

function count(s: SaturatingIntSet): string {
  return s.saturated ? `at least ${s.size}` : String(s.size);
}

function seconds(st: WindowState): string {
  return `${Math.max(0, st.last - st.start).toFixed(1)} s`;
}

function evidence(st: WindowState): string {
  return `${st.attempts} attempts, ${st.failed} failed, ${st.answered} answered`;
}
