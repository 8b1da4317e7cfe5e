/**
 * AfterImage: Kitsune's per-packet feature extractor (Mirsky et al., "Kitsune: An Ensemble of Autoencoders for
 * Online Network Intrusion Detection", NDSS 2018, §IV-B, Tables I and II; reference code ymirsky/Kitsune-py
 * `netStat.py` and `AfterImage.py`). For every packet it updates damped statistics ({@link ./damped-stats.ts})
 * of the streams the packet belongs to, at every decay factor λ (default 5, 3, 1, 0.1, 0.01 per second), and
 * writes the statistics after the update as the packet's feature vector.
 *
 * Streams (netStat.py `updateGetStats`), per λ:
 * - MI — source MAC + source IP: packet sizes, 1D (w, mean, std): 3 features.
 * - H — source IP alone: packet sizes, 1D: 3 features. Only with `includeHost` (the paper's 115 features;
 *   netStat.py computes it but leaves it out of the vector, giving 100).
 * - HH — channel source IP → destination IP: packet sizes, 1D of this direction + 2D with the reverse direction
 *   (radius, magnitude, covariance, correlation): 7 features.
 * - HH_jit — the same channel: inter-arrival times (seconds since the previous packet on it; 0 for its first),
 *   1D: 3 features.
 * - HpHp — socket source IP:port → destination IP:port: packet sizes, 1D + 2D with the reverse direction: 7.
 *
 * Feature order (as netStat.py): all MI features (λ by λ: weight, mean, std), then H (when included), HH (λ by
 * λ: weight, mean, std, radius, magnitude, covariance, pcc), HH_jit (weight, mean, std), HpHp (as HH). Names in
 * {@link AfterImage.featureNames} follow N-BaIoT's headers (`MI_dir_L5_weight`, `HH_L0.01_pcc`, …). With the
 * five default λ: 5·(3 + 7 + 3 + 7) = 100 features, or 115 with H.
 *
 * Where this differs from netStat.py (each a documented choice, not an accident):
 * - HH's 1D stream is the channel (src → dst), as the paper's Table II says; netStat.py keys it by the source IP
 *   alone and pairs it with the destination IP's own stream. Likewise HpHp's 1D stream is the directed socket.
 * - The std features are standard deviations, as the headers say; `incStat.allstats_1D` returns the variance.
 * - The channel's jitter stream shares the channel's table slot, so its weight equals HH's weight.
 * - Traffic from a host to itself (or a socket to itself) has no reverse direction: its 2D features are taken
 *   against an empty stream (magnitude |mean|, radius std, covariance and correlation 0); netStat.py pairs
 *   the stream with itself there.
 * - Packets without ports (ICMP, ARP) pass port 0: their socket is the host pair. For non-IP frames pass
 *   `macAsHost(mac)` (host-ids.ts) as the hosts, as netStat.py uses the MACs for ARP.
 * - Values use West's centred update (damped-stats.ts), not raw sums; equal up to rounding.
 *
 * Stream ids are numbers (host-ids.ts: IPv4 uint32, interned IPv6 ids, MAC numbers), never strings. Each stream
 * kind lives in its own open-addressing table: an index of (hash, slot) pairs at most half full (linear probing,
 * backward-shift deletion) over one `Float64Array` slab whose slots hold the key next to the statistics, so a
 * lookup touches two cache lines. A channel or socket and its reverse share one slot (the key is the unordered
 * endpoint pair), so the 2D statistics need one lookup.
 *
 * Bounded: each table holds at most `maxStreams` streams. Inserting a new stream into a full table evicts one:
 * of the 8 slots at the table's clock hand, the one with the smallest weight at the slowest λ decayed to now
 * (sampled approximation of "the stream with the smallest decayed weight", the rule Kitsune's
 * `cleanOutOldRecords` applies by cut-off); the hand then moves on by 8. An evicted stream that returns starts
 * afresh. Memory per stream at five λ: MI/H 176 B, channel 672 B, socket 432 B, plus 16 B of index each: ≈ 87 MB
 * for the default 65,536 streams per table (≈ 100 MB with the host table), allocated at construction.
 *
 * Cost per packet: three (four) hash lookups, five sets of decay factors ({@link DecayFactors}: one `Math.exp`
 * and 13 multiplications each, instead of 25 `Math.pow` at ≈ 89 ns each) and ≈ 150 multiply-adds. No objects,
 * strings or closures per packet; V8 still boxes a few doubles passed between methods it does not inline
 * (measured ≈ 50 bytes of short-lived heap numbers per packet: one 0.15 ms scavenge per 20,000 packets, < 1 % of
 * the time). Measured ≈ 1.4–1.8 µs of CPU per packet on the (shared, loaded) benchmark machine with ≈ 10,000
 * hosts, dominated by cache misses on the tables.
 */
import { DAMPED_M2, DAMPED_MEAN, DAMPED_STRIDE, DAMPED_W, DecayFactors, KITSUNE_LAMBDAS, dampedInsert, write2d } from './damped-stats.js';

/** Options of {@link AfterImage}. */
export interface AfterImageOptions {
  /** Largest number of streams in each table (MI, H, channel, socket); integer in [16, 2^24]. Default 65,536. */
  readonly maxStreams?: number;
  /** Decay factors λ in 1/s, each finite and > 0; default {@link KITSUNE_LAMBDAS} (5, 3, 1, 0.1, 0.01). */
  readonly lambdas?: readonly number[];
  /** Include the source-host stream H (the paper's 115 features) — default false (netStat.py's 100). */
  readonly includeHost?: boolean;
}

/** Size and eviction count of one stream table. */
export interface StreamTableStats {
  readonly streams: number;
  readonly capacity: number;
  readonly evictions: number;
}

const DEFAULT_MAX_STREAMS = 65_536;
/** Slots examined per eviction (sampled smallest-weight eviction). */
const EVICTION_SAMPLE = 8;
const TWO32 = 4294967296;

/**
 * Table slot header: key (a, b, c), eviction weight (slowest λ, all directions) and its time. The key sits with
 * the statistics so that a lookup touches two cache lines (index entry, slot) rather than one per key array.
 */
const T_KEY_A = 0;
const T_KEY_B = 1;
const T_KEY_C = 2;
const T_EVICT_W = 3;
const T_EVICT_T = 4;
const T_HDR = 5;
/** 1D stream (MI, H) after the table header: [lastT, count] then per λ one damped record (w, mean, M2). */
const S1_HDR = 2;
/** Pair stream (channel, socket) after the table header: [lastT dir 0, lastT dir 1, count dir 0, count dir 1]. */
const P_HDR = 4;
/** Per λ and direction of a channel: size record + jitter record. */
const HH_DIR = 2 * DAMPED_STRIDE;
/** Per λ of a channel: two directions, then SR, last residual dir 0, last residual dir 1. */
const HH_PER_L = 2 * HH_DIR + 3;
/** Per λ and direction of a socket: size record. */
const HP_DIR = DAMPED_STRIDE;
const HP_PER_L = 2 * HP_DIR + 3;

/** murmur3's 32-bit finaliser (Appleby, MurmurHash3 `fmix32`). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Hash of three non-negative integers < 2^53, each split into its low and high 32 bits; 30 bits, so that V8 keeps
 * it a small integer (an int32 outside ±2^30 is boxed as a heap number when it crosses a call: measured 1 to 2
 * allocations per packet before).
 */
function hash3(a: number, b: number, c: number): number {
  let h = fmix32((a >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ ((a / TWO32) >>> 0));
  h = fmix32(h ^ (b >>> 0));
  h = fmix32(h ^ ((b / TWO32) >>> 0));
  h = fmix32(h ^ (c >>> 0));
  return fmix32(h ^ ((c / TWO32) >>> 0)) & 0x3fffffff;
}

/**
 * A bounded open-addressing table from a key of three numbers to a slot of `stride` float64 in `data` (the first
 * {@link T_HDR} of them the table's own). The index holds (hash, slot + 1) pairs, 0 = empty, at most half full.
 * Eviction as described in the file comment.
 */
class StreamTable {
  readonly capacity: number;
  readonly stride: number;
  readonly data: Float64Array;
  evictions = 0;
  used = 0;
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly slowLambda: number;
  private hand = 0;

  constructor(capacity: number, ownerStride: number, slowLambda: number) {
    this.capacity = capacity;
    this.stride = T_HDR + ownerStride;
    this.slowLambda = slowLambda;
    this.data = new Float64Array(capacity * this.stride);
    let size = 4;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.index = new Int32Array(size * 2);
  }

  /**
   * The offset in `data` of the owner's part of the slot of key (a, b, c), creating the slot (owner part zeroed;
   * evicting when full) if absent. `t` is now, for eviction.
   */
  findOrInsert(a: number, b: number, c: number, t: number): number {
    const h = hash3(a, b, c);
    const mask = this.mask;
    const index = this.index;
    const data = this.data;
    const stride = this.stride;
    let i = h & mask;
    for (;;) {
      const e = index[2 * i + 1];
      if (e === 0) break;
      if (index[2 * i] === h) {
        const o = (e - 1) * stride;
        if (data[o + T_KEY_A] === a && data[o + T_KEY_B] === b && data[o + T_KEY_C] === c) return o + T_HDR;
      }
      i = (i + 1) & mask;
    }
    let slot: number;
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.evictOne(t);
      // The index changed: find the first empty bucket again.
      i = h & mask;
      while (index[2 * i + 1] !== 0) i = (i + 1) & mask;
    }
    index[2 * i] = h;
    index[2 * i + 1] = slot + 1;
    const o = slot * stride;
    data.fill(0, o, o + stride);
    data[o + T_KEY_A] = a;
    data[o + T_KEY_B] = b;
    data[o + T_KEY_C] = c;
    data[o + T_EVICT_T] = t;
    return o + T_HDR;
  }

  /** Records the eviction weight `w` (slowest λ) as of time `t` of the slot whose owner part is at `ownerOff`. */
  touch(ownerOff: number, t: number, w: number): void {
    this.data[ownerOff - T_HDR + T_EVICT_W] = w;
    this.data[ownerOff - T_HDR + T_EVICT_T] = t;
  }

  private evictOne(t: number): number {
    const data = this.data;
    let victim = this.hand;
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < EVICTION_SAMPLE && k < this.capacity; k++) {
      const s = (this.hand + k) % this.capacity;
      const o = s * this.stride;
      const dt = t - data[o + T_EVICT_T];
      const w = dt > 0 ? data[o + T_EVICT_W] * Math.exp(-this.slowLambda * Math.LN2 * dt) : data[o + T_EVICT_W];
      if (w < best) {
        best = w;
        victim = s;
      }
    }
    this.hand = (this.hand + EVICTION_SAMPLE) % this.capacity;
    const o = victim * this.stride;
    const h = hash3(data[o + T_KEY_A], data[o + T_KEY_B], data[o + T_KEY_C]);
    let i = h & this.mask;
    while (this.index[2 * i + 1] !== victim + 1) i = (i + 1) & this.mask;
    this.removeAt(i);
    this.evictions++;
    return victim;
  }

  /** Backward-shift deletion at index position `i` (Knuth, TAOCP vol. 3, §6.4, Algorithm R). */
  private removeAt(i: number): void {
    const index = this.index;
    const mask = this.mask;
    let j = i;
    for (;;) {
      index[2 * i + 1] = 0;
      for (;;) {
        j = (j + 1) & mask;
        if (index[2 * j + 1] === 0) return;
        const home = index[2 * j] & mask;
        // The entry at j may move to i unless its home lies cyclically in (i, j].
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          index[2 * i] = index[2 * j];
          index[2 * i + 1] = index[2 * j + 1];
          i = j;
          break;
        }
      }
    }
  }

  stats(): StreamTableStats {
    return { streams: this.used, capacity: this.capacity, evictions: this.evictions };
  }
}

/** Kitsune's damped per-packet features; see the file comment for streams, order, bounds and sources. */
export class AfterImage {
  /** Length of the feature vector `update` writes: 20·L, or 23·L with the host stream (L = number of λ). */
  readonly featureCount: number;
  /** Decay factors λ (1/s), in feature order. */
  readonly lambdas: readonly number[];
  /** Feature names in vector order (N-BaIoT style, e.g. `HH_L0.1_radius`). */
  readonly featureNames: readonly string[];
  private readonly decay: DecayFactors;
  /** Scratch decay factors per λ: this direction (or the 1D stream) and the other direction. */
  private readonly fD: Float64Array;
  private readonly fO: Float64Array;
  private readonly nL: number;
  private readonly slowIdx: number;
  private readonly mi: StreamTable;
  private readonly host: StreamTable | undefined;
  private readonly hh: StreamTable;
  private readonly hp: StreamTable;
  private readonly offHost: number;
  private readonly offHH: number;
  private readonly offJit: number;
  private readonly offHp: number;
  private packets = 0;

  /** @throws RangeError when an option is out of range. */
  constructor(opts: AfterImageOptions = {}) {
    const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
    if (!Number.isInteger(maxStreams) || maxStreams < 16 || maxStreams > 1 << 24) {
      throw new RangeError(`AfterImage maxStreams must be an integer in [16, 2^24], got ${maxStreams}`);
    }
    const lambdas = opts.lambdas ?? KITSUNE_LAMBDAS;
    if (lambdas.length < 1 || lambdas.some((l) => !(l > 0) || !Number.isFinite(l))) {
      throw new RangeError(`AfterImage lambdas must be finite numbers > 0, got [${lambdas.join(', ')}]`);
    }
    this.lambdas = Object.freeze([...lambdas]);
    this.decay = new DecayFactors(lambdas);
    const L = lambdas.length;
    this.nL = L;
    this.fD = new Float64Array(L);
    this.fO = new Float64Array(L);
    let slow = 0;
    for (let l = 1; l < L; l++) if (lambdas[l] < lambdas[slow]) slow = l;
    this.slowIdx = slow;
    const slowLambda = lambdas[slow];
    this.mi = new StreamTable(maxStreams, S1_HDR + L * DAMPED_STRIDE, slowLambda);
    this.host = opts.includeHost === true ? new StreamTable(maxStreams, S1_HDR + L * DAMPED_STRIDE, slowLambda) : undefined;
    this.hh = new StreamTable(maxStreams, P_HDR + L * HH_PER_L, slowLambda);
    this.hp = new StreamTable(maxStreams, P_HDR + L * HP_PER_L, slowLambda);
    this.offHost = 3 * L;
    this.offHH = this.host === undefined ? 3 * L : 6 * L;
    this.offJit = this.offHH + 7 * L;
    this.offHp = this.offJit + 3 * L;
    this.featureCount = this.offHp + 7 * L;
    const names: string[] = [];
    const tag = (l: number): string => `L${lambdas[l]}`;
    const oneD = ['weight', 'mean', 'std'];
    const twoD = [...oneD, 'radius', 'magnitude', 'covariance', 'pcc'];
    for (let l = 0; l < L; l++) for (const s of oneD) names.push(`MI_dir_${tag(l)}_${s}`);
    if (this.host !== undefined) for (let l = 0; l < L; l++) for (const s of oneD) names.push(`H_${tag(l)}_${s}`);
    for (let l = 0; l < L; l++) for (const s of twoD) names.push(`HH_${tag(l)}_${s}`);
    for (let l = 0; l < L; l++) for (const s of oneD) names.push(`HH_jit_${tag(l)}_${s}`);
    for (let l = 0; l < L; l++) for (const s of twoD) names.push(`HpHp_${tag(l)}_${s}`);
    this.featureNames = Object.freeze(names);
  }

  /** Packets seen by {@link update}. */
  get packetCount(): number {
    return this.packets;
  }

  /** Size and evictions of each table (`host` only with `includeHost`). Allocates; not for the packet path. */
  tableStats(): { mi: StreamTableStats; host?: StreamTableStats; channel: StreamTableStats; socket: StreamTableStats } {
    return {
      mi: this.mi.stats(),
      ...(this.host === undefined ? {} : { host: this.host.stats() }),
      channel: this.hh.stats(),
      socket: this.hp.stats(),
    };
  }

  /**
   * Updates every stream of one packet and writes its {@link featureCount} features to `out[0..]`.
   *
   * @param ts packet time in seconds (any epoch; float). Earlier than a stream's last time: inserted undecayed.
   * @param size packet size in bytes (Kitsune uses the frame length).
   * @param srcMac source MAC as a 48-bit number (`macFromBytes`), 0 when the link has none.
   * @param srcHost source host id, an integer in [0, 2^53) (host-ids.ts: IPv4 uint32, interned IPv6, MAC host).
   * @param dstHost destination host id, likewise.
   * @param srcPort source port (0–65535; 0 when the protocol has none).
   * @param dstPort destination port (0–65535; 0 when none).
   * @param out receives the features; length ≥ featureCount.
   * @throws RangeError when `out` is too short or `ts`/`size` is not finite.
   */
  update(ts: number, size: number, srcMac: number, srcHost: number, dstHost: number, srcPort: number, dstPort: number, out: Float64Array): void {
    if (out.length < this.featureCount) throw new RangeError(`AfterImage.update: out has ${out.length} slots, needs ${this.featureCount}`);
    if (!Number.isFinite(ts) || !Number.isFinite(size)) throw new RangeError(`AfterImage.update: ts ${ts} and size ${size} must be finite`);
    this.packets++;
    this.update1d(this.mi, this.mi.findOrInsert(srcMac, srcHost, 0, ts), ts, size, out, 0);
    if (this.host !== undefined) this.update1d(this.host, this.host.findOrInsert(srcHost, 0, 0, ts), ts, size, out, this.offHost);
    // Channel: the key is the unordered host pair; direction 0 goes from the smaller id to the larger.
    const chDir = srcHost <= dstHost ? 0 : 1;
    const chOff = chDir === 0 ? this.hh.findOrInsert(srcHost, dstHost, 0, ts) : this.hh.findOrInsert(dstHost, srcHost, 0, ts);
    this.updatePair(this.hh, chOff, chDir, ts, size, true, out, this.offHH);
    // Socket: the key is the unordered endpoint pair, endpoints ordered by (host, port).
    const spDir = srcHost < dstHost || (srcHost === dstHost && srcPort <= dstPort) ? 0 : 1;
    const spOff =
      spDir === 0
        ? this.hp.findOrInsert(srcHost, dstHost, srcPort * 65536 + dstPort, ts)
        : this.hp.findOrInsert(dstHost, srcHost, dstPort * 65536 + srcPort, ts);
    this.updatePair(this.hp, spOff, spDir, ts, size, false, out, this.offHp);
  }

  /** 1D stream (MI, H) at data offset `b`: insert `v` at every λ and write w, mean, std per λ at out[k..]. */
  private update1d(tbl: StreamTable, b: number, ts: number, v: number, out: Float64Array, k: number): void {
    const s = tbl.data;
    const n = s[b + 1];
    const f = this.fD;
    this.decay.compute(n > 0 ? ts - s[b] : 0, f);
    let wSlow = 0;
    for (let l = 0; l < this.nL; l++) {
      const o = b + S1_HDR + l * DAMPED_STRIDE;
      dampedInsert(s, o, f[l], v);
      const w = s[o + DAMPED_W];
      out[k] = w;
      out[k + 1] = s[o + DAMPED_MEAN];
      out[k + 2] = Math.sqrt(s[o + DAMPED_M2] / w);
      k += 3;
      if (l === this.slowIdx) wSlow = w;
    }
    if (n === 0 || ts > s[b]) s[b] = ts;
    s[b + 1] = n + 1;
    tbl.touch(b, ts, wSlow);
  }

  /**
   * Pair stream (channel or socket) at data offset `b`, direction `dir`: insert `v` into this direction at every
   * λ, update the residual products, write 1D + 2D (7 per λ) at out[k..]; for a channel also the jitter stream
   * (3 per λ at `offJit`).
   */
  private updatePair(tbl: StreamTable, b: number, dir: number, ts: number, v: number, jitter: boolean, out: Float64Array, k: number): void {
    const s = tbl.data;
    const other = 1 - dir;
    const tD = s[b + dir];
    const tO = s[b + other];
    const nD = s[b + 2 + dir];
    const nO = s[b + 2 + other];
    const dtD = nD > 0 ? ts - tD : 0;
    const dtO = nO > 0 ? ts - tO : 0;
    const fD = this.fD;
    const fO = this.fO;
    this.decay.compute(dtD, fD);
    this.decay.compute(dtO, fO);
    // SR decays from the pair's last update, max(tD, tO) over the directions seen: its factor is fD or fO.
    const fP = nD > 0 && (nO === 0 || tD >= tO) ? fD : fO;
    const jit = dtD > 0 ? dtD : 0;
    const per = jitter ? HH_PER_L : HP_PER_L;
    const dirW = jitter ? HH_DIR : HP_DIR;
    let kj = this.offJit;
    let wSlow = 0;
    for (let l = 0; l < this.nL; l++) {
      const o = b + P_HDR + l * per;
      const od = o + dir * dirW;
      const oo = o + other * dirW;
      const r = dampedInsert(s, od, fD[l], v);
      const oSr = o + 2 * dirW;
      const sr = s[oSr] * fP[l] + r * s[oSr + 1 + other];
      s[oSr] = sr;
      s[oSr + 1 + dir] = r;
      const wD = s[od + DAMPED_W];
      const meanD = s[od + DAMPED_MEAN];
      const varD = s[od + DAMPED_M2] / wD;
      const wORaw = s[oo + DAMPED_W];
      const wO = wORaw * fO[l];
      const varO = wORaw > 0 ? s[oo + DAMPED_M2] / wORaw : 0;
      out[k] = wD;
      out[k + 1] = meanD;
      out[k + 2] = Math.sqrt(varD);
      write2d(out, k + 3, wD, meanD, varD, wO, s[oo + DAMPED_MEAN], varO, sr);
      k += 7;
      if (jitter) {
        const oj = od + DAMPED_STRIDE;
        dampedInsert(s, oj, fD[l], jit);
        const wj = s[oj + DAMPED_W];
        out[kj] = wj;
        out[kj + 1] = s[oj + DAMPED_MEAN];
        out[kj + 2] = Math.sqrt(s[oj + DAMPED_M2] / wj);
        kj += 3;
      }
      if (l === this.slowIdx) wSlow = wD + wO;
    }
    if (nD === 0 || dtD > 0) s[b + dir] = ts;
    s[b + 2 + dir] = nD + 1;
    tbl.touch(b, ts, wSlow);
  }
}
