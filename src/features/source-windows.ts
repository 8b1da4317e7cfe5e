/**
 * Per-source behavioural features of live flows over sliding windows of event time.
 *
 * The features follow UNSW-NB15's connection-history features (Moustafa and Slay, "UNSW-NB15: a comprehensive
 * data set for network intrusion detection systems", MilCIS 2015, Table 6: `ct_srv_src`, `ct_dst_ltm`,
 * `ct_src_dport_ltm`, `spkts`, `sbytes`, `rate`) and Kitsune's idea of per-host behaviour statistics (Mirsky et
 * al., "Kitsune: an ensemble of autoencoders for online network intrusion detection", NDSS 2018), but count over
 * a window of event time (`windowMs`, default 60 s) instead of UNSW's "last 100 connections", so that a rate
 * means the same thing whatever the traffic volume.
 *
 * Windows: a flow at effective time `t` sees the stored flows of its source with time in `(t − windowMs, t]`
 * (the burst window likewise with `burstWindowMs`), plus itself. At most `maxFlowsPerSource` flows, the most
 * recent ones, are kept per source (counting the current flow), so the counts saturate there: with the
 * defaults a source opening more than 512 flows a minute reads as 512 flows (`rate` ≤ 512 / 60 s ≈ 8.5 /s);
 * the burst window (5 s) stays exact up to 512 flows in 5 s (102 /s).
 *
 * Out-of-order events: a flow whose `tsMs` is older than the newest flow already stored for its source is
 * treated as happening at that newest time (effective time `t = max(tsMs, newest)`). Sensors deliver in
 * roughly time order; this keeps each source's ring sorted by time and never lets a late flow resurrect
 * expired history.
 *
 * Bounds and eviction: at most `maxSources` sources ({@link BoundedLru}, least recently *committed* source
 * evicted first); each source a ring buffer of typed arrays that starts at 8 slots, doubles up to
 * `maxFlowsPerSource`, and shrinks back to 8 when the whole window has expired. Worst case (every source busy)
 * about 46 bytes × `maxSources` × `maxFlowsPerSource` plus the destination strings.
 *
 * Cost per {@link SourceWindows.observe}: O(flows of the source in the window) with no allocation besides the
 * returned object (distinct ports by a stamp array, distinct destinations by an open-addressing table of ring
 * indices, both reused across calls); a new source allocates its ring.
 */
import { BoundedLru } from './bounded-lru.js';

/** The fields of a flow that the window features read. */
export interface FlowObservation {
  /** Event time, epoch milliseconds (finite). */
  readonly tsMs: number;
  /** Responder address (Zeek `id.resp_h`). */
  readonly resp_h: string;
  /** Responder port, an integer in [0, 65535]. */
  readonly resp_p: number;
  /** Zeek `service`; `undefined`, `''` or `'-'` mean unknown (then the port stands for the service). */
  readonly service: string | undefined;
  /** Packets sent by the originator; a non-finite value (missing) counts as 0. */
  readonly orig_pkts: number;
  /** Payload bytes sent by the originator; a non-finite value (missing) counts as 0. */
  readonly orig_bytes: number;
}

/**
 * Window features of one flow's source, computed over the source's flows in the window including this flow
 * (UNSW-NB15 names where they exist).
 */
export interface SourceFeatures {
  /** Flows per second over `windowMs`: `flows / (windowMs / 1000)`. */
  readonly rate: number;
  /** Flows per second over `burstWindowMs`: `burst_flows / (burstWindowMs / 1000)`. */
  readonly burst_rate: number;
  /** Sum of `orig_pkts` over the window. */
  readonly spkts: number;
  /** Sum of `orig_bytes` over the window. */
  readonly sbytes: number;
  /** Distinct responder ports in the window. */
  readonly ct_src_dport_ltm: number;
  /** Distinct responder addresses in the window. */
  readonly ct_dst_ltm: number;
  /**
   * Flows in the window with this flow's service: the same `service` when this flow has one, otherwise flows
   * without a service to the same `resp_p`.
   */
  readonly ct_srv_src: number;
  /** Flows in the window (≥ 1, ≤ `maxFlowsPerSource`). */
  readonly flows: number;
  /** Flows in the burst window (≥ 1, ≤ `flows`). */
  readonly burst_flows: number;
}

/** Options of {@link SourceWindows}. */
export interface SourceWindowsOptions {
  /** Long window in milliseconds (default 60,000). */
  readonly windowMs?: number;
  /** Burst window in milliseconds, ≤ `windowMs` (default 5,000). */
  readonly burstWindowMs?: number;
  /** Largest number of sources tracked (default 100,000); the least recently committed is evicted. */
  readonly maxSources?: number;
  /** Flows kept per source, 1 to 65,536 (default 512). */
  readonly maxFlowsPerSource?: number;
}

const INITIAL_SLOTS = 8;
const MAX_FLOWS_LIMIT = 65_536;

/** One source's flows, oldest first, in a ring over parallel typed arrays. */
class SourceRing {
  ts: Float64Array;
  pkts: Float64Array;
  bytes: Float64Array;
  port: Uint16Array;
  hostHash: Int32Array;
  host: string[];
  /** Service key: the service name, or `undefined` when the port stands for it. */
  svc: (string | undefined)[];
  start = 0;
  len = 0;
  /** Newest effective time stored (never decreases while the source is tracked). */
  newest = Number.NEGATIVE_INFINITY;

  constructor(slots: number) {
    // One ArrayBuffer for the five numeric columns (8+8+8+4+2 bytes per slot, each view aligned to its element
    // size): five separate buffers cost about 450 bytes more per source (buffer objects and allocations), 45 MB
    // at 100,000 sources (bench:ingest RSS target).
    const buf = new ArrayBuffer(slots * 30);
    this.ts = new Float64Array(buf, 0, slots);
    this.pkts = new Float64Array(buf, slots * 8, slots);
    this.bytes = new Float64Array(buf, slots * 16, slots);
    this.hostHash = new Int32Array(buf, slots * 24, slots);
    this.port = new Uint16Array(buf, slots * 28, slots);
    this.host = new Array<string>(slots).fill('');
    this.svc = new Array<string | undefined>(slots).fill(undefined);
  }

  get slots(): number {
    return this.ts.length;
  }

  /** Reallocates to `slots` (≥ len) with the flows moved to the front in order. */
  resize(slots: number): void {
    const old = this.slots;
    const next = new SourceRing(slots);
    for (let i = 0; i < this.len; i++) {
      let j = this.start + i;
      if (j >= old) j -= old;
      next.ts[i] = this.ts[j];
      next.pkts[i] = this.pkts[j];
      next.bytes[i] = this.bytes[j];
      next.port[i] = this.port[j];
      next.hostHash[i] = this.hostHash[j];
      next.host[i] = this.host[j];
      next.svc[i] = this.svc[j];
    }
    this.ts = next.ts;
    this.pkts = next.pkts;
    this.bytes = next.bytes;
    this.port = next.port;
    this.hostHash = next.hostHash;
    this.host = next.host;
    this.svc = next.svc;
    this.start = 0;
  }
}

/** FNV-1a, 32 bits, over UTF-16 code units (only a hash-table key here; equality is checked on strings). */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function positiveFinite(name: string, v: number): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`SourceWindows ${name} must be a positive finite number, got ${v}`);
  return v;
}

/**
 * Sliding-window feature state of many sources (a source is usually `orig_h`). See the module comment for the
 * window definition, out-of-order handling, bounds and cost.
 */
export class SourceWindows {
  /** Long window, milliseconds. */
  readonly windowMs: number;
  /** Burst window, milliseconds (≤ `windowMs`). */
  readonly burstWindowMs: number;
  /** Largest number of sources tracked. */
  readonly maxSources: number;
  /** Flows kept per source. */
  readonly maxFlowsPerSource: number;

  readonly #sources: BoundedLru<string, SourceRing>;
  /** Stamp per port: equal to #epoch when the port was seen in the current scan. */
  readonly #portStamp = new Uint32Array(65_536);
  /** Open-addressing table of destinations seen in the current scan: stamp and ring index (-1 = this flow). */
  readonly #hostStamp: Uint32Array;
  readonly #hostSlot: Int32Array;
  readonly #hostMask: number;
  #epoch = 0;

  /**
   * @throws RangeError when `windowMs` or `burstWindowMs` is not a positive finite number, `burstWindowMs`
   *   exceeds `windowMs`, `maxSources` is not a positive safe integer, or `maxFlowsPerSource` is not an integer
   *   in [1, 65536].
   */
  constructor(options: SourceWindowsOptions = {}) {
    this.windowMs = positiveFinite('windowMs', options.windowMs ?? 60_000);
    this.burstWindowMs = positiveFinite('burstWindowMs', options.burstWindowMs ?? 5_000);
    if (this.burstWindowMs > this.windowMs) {
      throw new RangeError(`SourceWindows burstWindowMs (${this.burstWindowMs}) must not exceed windowMs (${this.windowMs})`);
    }
    const maxSources = options.maxSources ?? 100_000;
    if (!Number.isSafeInteger(maxSources) || maxSources < 1) {
      throw new RangeError(`SourceWindows maxSources must be a positive integer, got ${maxSources}`);
    }
    const maxFlows = options.maxFlowsPerSource ?? 512;
    if (!Number.isInteger(maxFlows) || maxFlows < 1 || maxFlows > MAX_FLOWS_LIMIT) {
      throw new RangeError(`SourceWindows maxFlowsPerSource must be an integer in [1, ${MAX_FLOWS_LIMIT}], got ${maxFlows}`);
    }
    this.maxSources = maxSources;
    this.maxFlowsPerSource = maxFlows;
    this.#sources = new BoundedLru(maxSources);
    let tableSize = 16;
    while (tableSize < 2 * maxFlows) tableSize *= 2; // load factor ≤ 1/2
    this.#hostStamp = new Uint32Array(tableSize);
    this.#hostSlot = new Int32Array(tableSize);
    this.#hostMask = tableSize - 1;
  }

  /** Number of sources tracked (≤ `maxSources`). */
  get size(): number {
    return this.#sources.size;
  }

  /** Number of sources evicted for capacity since construction. */
  get evictions(): number {
    return this.#sources.evictions;
  }

  /** True when `source` is tracked. */
  has(source: string): boolean {
    return this.#sources.has(source);
  }

  /**
   * The window features of `flow` from `source`, including the flow itself.
   *
   * @param commit `true`: store the flow (expiring flows that left the window, making the source the most
   *   recently used, evicting the least recently used source when a new one exceeds `maxSources`). `false`:
   *   change nothing (not even recency) and return what `commit = true` would have returned.
   * @throws RangeError when `flow.tsMs` is not finite or `flow.resp_p` is not an integer in [0, 65535].
   */
  observe(source: string, flow: FlowObservation, commit: boolean): SourceFeatures {
    const tsMs = flow.tsMs;
    const resp_p = flow.resp_p;
    if (!Number.isFinite(tsMs)) throw new RangeError(`SourceWindows.observe: tsMs must be finite, got ${tsMs}`);
    if (!Number.isInteger(resp_p) || resp_p < 0 || resp_p > 65_535) {
      throw new RangeError(`SourceWindows.observe: resp_p must be an integer in [0, 65535], got ${resp_p}`);
    }
    const resp_h = flow.resp_h;
    const service = flow.service;
    const svc = service === undefined || service === '' || service === '-' ? undefined : service;
    const pkts = Number.isFinite(flow.orig_pkts) ? flow.orig_pkts : 0;
    const bytes = Number.isFinite(flow.orig_bytes) ? flow.orig_bytes : 0;
    const hash = fnv1a(resp_h);

    let ring = commit ? this.#sources.get(source) : this.#sources.peek(source);
    const t = ring === undefined ? tsMs : Math.max(tsMs, ring.newest);

    // New scan: fresh stamps (on wrap-around, clear the tables once).
    let epoch = (this.#epoch + 1) >>> 0;
    if (epoch === 0) {
      this.#portStamp.fill(0);
      this.#hostStamp.fill(0);
      epoch = 1;
    }
    this.#epoch = epoch;
    const portStamp = this.#portStamp;
    const hostStamp = this.#hostStamp;
    const hostSlot = this.#hostSlot;
    const mask = this.#hostMask;

    let flows = 1;
    let burst = 1;
    let spkts = pkts;
    let sbytes = bytes;
    let srv = 1;
    let dports = 1;
    let dhosts = 1;
    portStamp[resp_p] = epoch;
    let h = hash & mask;
    hostStamp[h] = epoch;
    hostSlot[h] = -1;

    let skip = 0;
    if (ring !== undefined) {
      const slots = ring.slots;
      const ts = ring.ts;
      const len = ring.len;
      const cutoff = t - this.windowMs;
      let j = ring.start;
      while (skip < len && ts[j] <= cutoff) {
        skip++;
        if (++j === slots) j = 0;
      }
      // Keep room for this flow within maxFlowsPerSource.
      if (len - skip >= this.maxFlowsPerSource) skip = len - this.maxFlowsPerSource + 1;
      const burstCutoff = t - this.burstWindowMs;
      const { pkts: rp, bytes: rb, port: rport, hostHash: rhash, host: rhost, svc: rsvc } = ring;
      j = ring.start + skip;
      if (j >= slots) j -= slots;
      for (let i = skip; i < len; i++) {
        flows++;
        if (ts[j] > burstCutoff) burst++;
        spkts += rp[j];
        sbytes += rb[j];
        const p = rport[j];
        if (portStamp[p] !== epoch) {
          portStamp[p] = epoch;
          dports++;
        }
        if (svc === undefined ? rsvc[j] === undefined && p === resp_p : rsvc[j] === svc) srv++;
        // Distinct destinations: linear probing on the FNV hash, equality on the string.
        const hj = rhash[j];
        h = hj & mask;
        for (;;) {
          if (hostStamp[h] !== epoch) {
            hostStamp[h] = epoch;
            hostSlot[h] = j;
            dhosts++;
            break;
          }
          const k = hostSlot[h];
          if (k < 0 ? hash === hj && resp_h === rhost[j] : rhash[k] === hj && rhost[k] === rhost[j]) break;
          h = (h + 1) & mask;
        }
        if (++j === slots) j = 0;
      }
    }

    if (commit) {
      if (ring === undefined) {
        ring = new SourceRing(Math.min(INITIAL_SLOTS, this.maxFlowsPerSource));
        this.#sources.set(source, ring);
      } else if (skip > 0) {
        const { host: rhost, svc: rsvc } = ring;
        for (let i = 0, j = ring.start; i < skip; i++) {
          rhost[j] = ''; // drop references to expired strings
          rsvc[j] = undefined;
          if (++j === ring.slots) j = 0;
        }
        ring.len -= skip;
        ring.start += skip;
        if (ring.start >= ring.slots) ring.start -= ring.slots;
        if (ring.len === 0) {
          ring.start = 0;
          if (ring.slots > INITIAL_SLOTS) ring.resize(INITIAL_SLOTS); // idle for a whole window: give memory back
        }
      }
      if (ring.len === ring.slots) ring.resize(Math.min(ring.slots * 2, this.maxFlowsPerSource));
      let j = ring.start + ring.len;
      if (j >= ring.slots) j -= ring.slots;
      ring.ts[j] = t;
      ring.pkts[j] = pkts;
      ring.bytes[j] = bytes;
      ring.port[j] = resp_p;
      ring.hostHash[j] = hash;
      ring.host[j] = resp_h;
      ring.svc[j] = svc;
      ring.len++;
      ring.newest = t;
    }

    return {
      rate: flows / (this.windowMs / 1000),
      burst_rate: burst / (this.burstWindowMs / 1000),
      spkts,
      sbytes,
      ct_src_dport_ltm: dports,
      ct_dst_ltm: dhosts,
      ct_srv_src: srv,
      flows,
      burst_flows: burst,
    };
  }
}
