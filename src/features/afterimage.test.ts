import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { AfterImage } from './afterimage.js';
import { KITSUNE_LAMBDAS } from './damped-stats.js';

/** python3 on PATH (the oracle below needs only the standard library). */
const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'import decimal, json'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const PY_NOTE = hasPython ? '(python3 oracle)' : '(SKIPPED: python3 not on PATH)';

/**
 * Oracle: Kitsune's damped statistics with raw sums, as `incStat`/`incStat_cov` of Kitsune-py's
 * AfterImage_NDSS.py define them (CF1/CF2 linear and squared sums, CF3 the sum of residual products, w3 its
 * weight; radius √(var_i + var_j), magnitude √(μ_i² + μ_j²), cov CF3/w3, pcc
 * cov/(σ_i σ_j) with the guards damped-stats.ts documents), with one covariance update per packet as the paper describes, computed in 60-digit decimal
 * arithmetic so the oracle's rounding is negligible. Weights start at 0 rather than Kitsune's 1e-20 (which only
 * avoids 0/0, and leaves a ghost deviation of 1e-10·value on one-value streams that makes pcc noise). Streams keyed as afterimage.ts documents: MI by
 * (MAC, source), channels and sockets directed, paired with their reverse; jitter per directed channel.
 */
const ORACLE_PY = String.raw`
import json, sys
from decimal import Decimal as D, getcontext
getcontext().prec = 60
TWO = D(2)
def dec(x): return D(float(x))  # the exact binary value
class Inc:
    def __init__(s, lam, t, diff=False):
        s.lam = dec(lam); s.cf1 = D(0); s.cf2 = D(0); s.w = D(0); s.t = t; s.diff = diff; s.covs = []
    def decay(s, t):
        dt = t - s.t
        if dt > 0:
            f = TWO ** (-s.lam * dt); s.cf1 *= f; s.cf2 *= f; s.w *= f; s.t = t
    def insert(s, v, t):
        if s.diff:
            dt = t - s.t
            v = dt if dt > 0 else D(0)
        s.decay(t); s.cf1 += v; s.cf2 += v * v; s.w += 1
        for c in s.covs: c.update(s, v, t)
    def mean(s): return s.cf1 / s.w if s.w > 0 else D(0)
    def var(s): return abs(s.cf2 / s.w - s.mean() ** 2) if s.w > 0 else D(0)
    def std(s): return s.var().sqrt()
class Cov:
    def __init__(s, a, b, t):
        s.st = [a, b]; s.res = [D(0), D(0)]; s.cf3 = D(0); s.w3 = D(0); s.t = t
        a.covs.append(s); b.covs.append(s)
    def update(s, who, v, t):
        i = 0 if who is s.st[0] else 1
        o = 1 - i
        s.st[o].decay(t)
        dt = t - s.t
        if dt > 0:
            f = TWO ** (-s.st[i].lam * dt); s.cf3 *= f; s.w3 *= f; s.t = t
        r = v - s.st[i].mean()
        s.cf3 += r * s.res[o]; s.w3 += 1; s.res[i] = r
    def stats(s, who):
        i = 0 if who is s.st[0] else 1
        a = s.st[i]; b = s.st[1 - i]
        cov = s.cf3 / s.w3 if s.w3 > 0 else D(0)
        ss = a.std() * b.std()
        # damped-stats.ts's documented guards on the correlation: resolvable spread, clamp to [-1, 1]
        res = D('1e-12')
        pcc = cov / ss if a.var() > res * a.mean() ** 2 and b.var() > res * b.mean() ** 2 else D(0)
        pcc = max(D(-1), min(D(1), pcc))
        return [(a.var() + b.var()).sqrt(), (a.mean() ** 2 + b.mean() ** 2).sqrt(), cov, pcc]
inp = json.load(sys.stdin)
lams = inp['lambdas']
mi, jit, ch, so = {}, {}, {}, {}
def get(db, key, lam, t, diff=False):
    k = (key, lam)
    if k not in db: db[k] = Inc(lam, t, diff)
    return db[k]
def pair(db, fwd, rev, lam, t):
    a = get(db, fwd, lam, t); b = get(db, rev, lam, t)
    if not any(c.st[0] is b or c.st[1] is b for c in a.covs): Cov(a, b, t)
    return a
rows = []
for ts, size, mac, src, dst, sp, dp in inp['packets']:
    t = dec(ts); v = dec(size)
    f_mi, f_hh, f_jit, f_hp = [], [], [], []
    for lam in lams:
        s = get(mi, (mac, src), lam, t); s.insert(v, t); f_mi += [s.w, s.mean(), s.std()]
    for lam in lams:
        s = pair(ch, (src, dst), (dst, src), lam, t); s.insert(v, t)
        f_hh += [s.w, s.mean(), s.std()] + s.covs[0].stats(s)
    for lam in lams:
        s = get(jit, (src, dst), lam, t, True); s.insert(D(0), t); f_jit += [s.w, s.mean(), s.std()]
    for lam in lams:
        s = pair(so, (src, sp, dst, dp), (dst, dp, src, sp), lam, t); s.insert(v, t)
        f_hp += [s.w, s.mean(), s.std()] + s.covs[0].stats(s)
    rows.append([float(x) for x in f_mi + f_hh + f_jit + f_hp])
json.dump(rows, sys.stdout)
`;

type Packet = [ts: number, size: number, mac: number, src: number, dst: number, sport: number, dport: number];

/** A seeded stream: 4 hosts (two of them IPv4 values, one an IPv6 id ≥ 2^32), 3 ports, gaps 0 to 4 s. */
function syntheticPackets(seed: number, n: number): Packet[] {
  const rng = createRng(seed);
  const hosts = [0xc0a80001, 0xc0a80002, 0x0a000001, 2 ** 32 + 7];
  const macs = [0x001122334455, 0x0000000000aa, 0xfeedfacecafe, 0x020000000001];
  const ports = [80, 443, 50000];
  const out: Packet[] = [];
  let t = 1_700_000_000;
  for (let i = 0; i < n; i++) {
    const g = rng.next();
    t += g < 0.2 ? 0 : g < 0.8 ? rng.next() * 0.3 : rng.next() * 4;
    const a = rng.int(4);
    const b = (a + 1 + rng.int(3)) % 4; // never a → a: see the self-traffic test
    out.push([t, 40 + rng.int(1475), macs[a], hosts[a], hosts[b], ports[rng.int(3)], ports[rng.int(3)]]);
  }
  return out;
}

function closeRel(actual: number, expected: number, rel: number, abs: number): boolean {
  return Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
}

describe('AfterImage feature vector layout', () => {
  it("has netStat.py's 100 features (20 per λ), or the paper's 115 with the host stream, in the documented order", () => {
    const ai = new AfterImage();
    expect(ai.featureCount).toBe(100);
    expect(ai.featureNames).toHaveLength(100);
    expect(ai.featureNames.slice(0, 4)).toEqual(['MI_dir_L5_weight', 'MI_dir_L5_mean', 'MI_dir_L5_std', 'MI_dir_L3_weight']);
    expect(ai.featureNames[15]).toBe('HH_L5_weight');
    expect(ai.featureNames.slice(18, 22)).toEqual(['HH_L5_radius', 'HH_L5_magnitude', 'HH_L5_covariance', 'HH_L5_pcc']);
    expect(ai.featureNames[50]).toBe('HH_jit_L5_weight');
    expect(ai.featureNames[65]).toBe('HpHp_L5_weight');
    expect(ai.featureNames[99]).toBe('HpHp_L0.01_pcc');
    expect(new Set(ai.featureNames).size).toBe(100);
    const withHost = new AfterImage({ includeHost: true });
    expect(withHost.featureCount).toBe(115);
    expect(withHost.featureNames[15]).toBe('H_L5_weight');
    expect(new AfterImage({ lambdas: [1] }).featureCount).toBe(20);
  });

  it('rejects bad options and a short output buffer', () => {
    expect(() => new AfterImage({ maxStreams: 3 })).toThrow(RangeError);
    expect(() => new AfterImage({ lambdas: [1, 0] })).toThrow(RangeError);
    const ai = new AfterImage({ maxStreams: 16 });
    expect(() => ai.update(0, 60, 1, 1, 2, 1, 2, new Float64Array(99))).toThrow(RangeError);
    expect(() => ai.update(Number.NaN, 60, 1, 1, 2, 1, 2, new Float64Array(100))).toThrow(RangeError);
  });
});

describe('AfterImage vs the reference formulas', () => {
  it.skipIf(!hasPython)(`every feature of 400 packets matches incStat/incStat_cov in exact arithmetic ${PY_NOTE}`, () => {
    const packets = syntheticPackets(7, 400);
    const expected = JSON.parse(
      execFileSync('python3', ['-c', ORACLE_PY], { input: JSON.stringify({ lambdas: KITSUNE_LAMBDAS, packets }), encoding: 'utf8', maxBuffer: 1 << 26 }),
    ) as number[][];
    const ai = new AfterImage({ maxStreams: 64 });
    const out = new Float64Array(ai.featureCount);
    let mismatches = 0;
    const first: string[] = [];
    packets.forEach((p, i) => {
      ai.update(p[0], p[1], p[2], p[3], p[4], p[5], p[6], out);
      for (let k = 0; k < out.length; k++) {
        const name = ai.featureNames[k];
        // Scale of the feature for the absolute tolerance: sizes reach 1514 (variances 1514²).
        const abs = name.endsWith('pcc') ? 1e-7 : 1e-7 * 1514;
        if (!closeRel(out[k], expected[i][k], 1e-8, abs)) {
          mismatches++;
          if (first.length < 40) first.push(`packet ${i} ${name}: ${out[k]} vs ${expected[i][k]}`);
        }
      }
    });
    expect(first).toEqual([]);
    expect(mismatches).toBe(0);
  });

  it('MI features equal an O(n) recomputation from the stream history with weights 2^(−λ(t − tᵢ))', () => {
    const packets = syntheticPackets(3, 200);
    const ai = new AfterImage({ maxStreams: 64 });
    const out = new Float64Array(ai.featureCount);
    const history = new Map<string, { t: number; x: number }[]>();
    for (const p of packets) {
      ai.update(p[0], p[1], p[2], p[3], p[4], p[5], p[6], out);
      const key = `${p[2]}|${p[3]}`;
      const h = history.get(key) ?? [];
      h.push({ t: p[0], x: p[1] });
      history.set(key, h);
      KITSUNE_LAMBDAS.forEach((lam, l) => {
        let w = 0;
        let ls = 0;
        for (const e of h) {
          const wi = 2 ** (-lam * (p[0] - e.t));
          w += wi;
          ls += wi * e.x;
        }
        let m2 = 0;
        for (const e of h) m2 += 2 ** (-lam * (p[0] - e.t)) * (e.x - ls / w) ** 2;
        expect(closeRel(out[3 * l], w, 1e-9, 1e-12)).toBe(true);
        expect(closeRel(out[3 * l + 1], ls / w, 1e-9, 1e-9)).toBe(true);
        expect(closeRel(out[3 * l + 2], Math.sqrt(m2 / w), 1e-6, 1e-5)).toBe(true);
      });
    }
  });

  it('channel: direction matters for 1D, the reverse direction feeds 2D; jitter is the inter-arrival time', () => {
    const ai = new AfterImage({ lambdas: [1], maxStreams: 16 });
    const out = new Float64Array(ai.featureCount); // MI 0–2, HH 3–9, jit 10–12, HpHp 13–19
    ai.update(0, 100, 1, 10, 20, 1000, 80, out);
    expect(Array.from(out.subarray(3, 10))).toEqual([1, 100, 0, 0, 100, 0, 0]);
    expect(Array.from(out.subarray(10, 13))).toEqual([1, 0, 0]); // first packet on the channel: jitter 0
    ai.update(1, 300, 2, 20, 10, 80, 1000, out); // the reply, 1 s later
    // Reverse direction 20→10 has its own 1D stream: w 1, mean 300; magnitude √(300² + 100²).
    expect(out[3]).toBe(1);
    expect(out[4]).toBe(300);
    expect(out[8]).toBeCloseTo(0, 15); // cov: residual 0 times the other's residual 0
    expect(out[7]).toBeCloseTo(Math.hypot(300, 100), 12);
    expect(Array.from(out.subarray(10, 13))).toEqual([1, 0, 0]); // its first packet too
    ai.update(3, 200, 1, 10, 20, 1000, 80, out); // 10→20 again, 3 s after its first packet
    // 1D of 10→20: weights 2^(−3) and 1 → w = 1.125, mean = (12.5 + 200)/1.125.
    expect(out[3]).toBeCloseTo(1.125, 14);
    expect(out[4]).toBeCloseTo(212.5 / 1.125, 12);
    // Jitter of 10→20: values 0 (at t 0) and 3 (at t 3) → mean 3/1.125.
    expect(out[10]).toBeCloseTo(1.125, 14);
    expect(out[11]).toBeCloseTo(3 / 1.125, 12);
    // The socket 10:1000→20:80 is the same pair as 20:80→10:1000: HpHp equals HH here.
    expect(Array.from(out.subarray(13, 20))).toEqual(Array.from(out.subarray(3, 10)));
  });

  it('self-traffic (a host to itself) has an empty reverse direction: magnitude |mean|, radius std, cov and pcc 0', () => {
    const ai = new AfterImage({ lambdas: [1], maxStreams: 16 });
    const out = new Float64Array(ai.featureCount);
    ai.update(0, 100, 1, 5, 5, 7, 7, out);
    ai.update(0, 300, 1, 5, 5, 7, 7, out);
    // 1D: w 2, mean 200, std 100; 2D against nothing.
    expect(Array.from(out.subarray(3, 10))).toEqual([2, 200, 100, 100, 200, 0, 0]);
    expect(Array.from(out.subarray(13, 20))).toEqual([2, 200, 100, 100, 200, 0, 0]);
  });

  it('numeric keys: (MAC 1, host 23) and (MAC 12, host 3) are different streams (no string-concatenation clash)', () => {
    const ai = new AfterImage({ lambdas: [1], maxStreams: 16 });
    const out = new Float64Array(ai.featureCount);
    ai.update(0, 100, 1, 23, 99, 0, 0, out);
    ai.update(0, 500, 12, 3, 99, 0, 0, out);
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(500);
    expect(ai.tableStats().mi.streams).toBe(2);
  });
});

describe('AfterImage is bounded', () => {
  it('never holds more than maxStreams per table, counts evictions, and keeps a busy stream over one-off streams', () => {
    const ai = new AfterImage({ maxStreams: 16, lambdas: [1, 0.01] });
    const out = new Float64Array(ai.featureCount);
    let busyWeight = 0;
    for (let i = 0; i < 5000; i++) {
      const t = i * 0.01;
      if (i % 4 === 0) {
        ai.update(t, 100, 7, 7, 8, 1, 2, out); // the busy host 7 → 8
        // Its weight at λ = 0.01 only grows while it is kept (it would restart at 1 if evicted).
        expect(out[3]).toBeGreaterThan(busyWeight);
        busyWeight = out[3];
      } else {
        ai.update(t, 60, 1000 + i, 1000 + i, 2000 + i, 3, 4, out); // one packet per stream
      }
    }
    const st = ai.tableStats();
    for (const table of [st.mi, st.channel, st.socket]) {
      expect(table.streams).toBeLessThanOrEqual(16);
      expect(table.capacity).toBe(16);
      expect(table.evictions).toBeGreaterThan(3000);
    }
    expect(busyWeight).toBeGreaterThan(1000);
  });

  it('gives finite features for any packets, in any time order (property)', () => {
    const pkt = fc.tuple(
      fc.double({ min: 0, max: 1e5, noNaN: true }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
    );
    fc.assert(
      fc.property(fc.array(pkt, { minLength: 1, maxLength: 80 }), (pkts) => {
        const ai = new AfterImage({ maxStreams: 16 });
        const out = new Float64Array(ai.featureCount);
        for (const [t, size, mac, a, b, sp, dp] of pkts) {
          ai.update(t, size, mac, a, b, sp, dp, out);
          for (let k = 0; k < out.length; k++) if (!Number.isFinite(out[k])) return false;
          for (let k = 0; k < 15; k += 3) if (out[k] < 1 || out[k + 2] < 0) return false; // MI: w ≥ 1 after insert, std ≥ 0
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
