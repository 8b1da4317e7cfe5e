import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FlowObservation, type SourceFeatures, SourceWindows } from './source-windows.js';

const flow = (tsMs: number, resp_h: string, resp_p: number, service: string | undefined, orig_pkts = 1, orig_bytes = 0): FlowObservation => ({
  tsMs,
  resp_h,
  resp_p,
  service,
  orig_pkts,
  orig_bytes,
});

/**
 * Naive reference: every committed flow of a source in a plain array; features recomputed from scratch with
 * Sets and string keys. Keeps the last `maxFlows − 1` committed flows plus the current one, filters the window.
 */
class Reference {
  readonly sources = new Map<string, { flows: FlowObservation[]; newest: number }>();
  evictions = 0;
  constructor(
    readonly windowMs: number,
    readonly burstWindowMs: number,
    readonly maxSources: number,
    readonly maxFlows: number,
  ) {}

  observe(source: string, f: FlowObservation, commit: boolean): SourceFeatures {
    const s = this.sources.get(source);
    const t = s === undefined ? f.tsMs : Math.max(f.tsMs, s.newest);
    const cur = { ...f, tsMs: t };
    const prior = s === undefined || this.maxFlows === 1 ? [] : s.flows.slice(-(this.maxFlows - 1));
    const all = [...prior, cur].filter((x) => x.tsMs > t - this.windowMs);
    const num = (v: number): number => (Number.isFinite(v) ? v : 0);
    const key = (x: FlowObservation): string =>
      x.service === undefined || x.service === '' || x.service === '-' ? `port:${x.resp_p}` : `svc:${x.service}`;
    const burst = all.filter((x) => x.tsMs > t - this.burstWindowMs).length;
    const res: SourceFeatures = {
      rate: all.length / (this.windowMs / 1000),
      burst_rate: burst / (this.burstWindowMs / 1000),
      spkts: all.reduce((a, x) => a + num(x.orig_pkts), 0),
      sbytes: all.reduce((a, x) => a + num(x.orig_bytes), 0),
      ct_src_dport_ltm: new Set(all.map((x) => x.resp_p)).size,
      ct_dst_ltm: new Set(all.map((x) => x.resp_h)).size,
      ct_srv_src: all.filter((x) => key(x) === key(cur)).length,
      flows: all.length,
      burst_flows: burst,
    };
    if (commit) {
      if (s === undefined) {
        if (this.sources.size === this.maxSources) {
          this.sources.delete(this.sources.keys().next().value as string);
          this.evictions++;
        }
        this.sources.set(source, { flows: [cur], newest: t });
      } else {
        this.sources.delete(source);
        this.sources.set(source, { flows: [...s.flows, cur], newest: t });
      }
    }
    return res;
  }
}

const HOSTS = Array.from({ length: 40 }, (_, i) => (i % 7 === 0 ? `fe80::${i}` : `10.0.${i >> 3}.${i}`));

const stepArb = fc.record({
  source: fc.constantFrom('a', 'b', 'c', 'd'),
  // Multiples of 50 ms so that flows often sit exactly on a window boundary (windows 1,000 and 250 ms).
  dt: fc.oneof(fc.integer({ min: -8, max: 6 }), fc.integer({ min: 0, max: 60 })).map((k) => k * 50),
  host: fc.integer({ min: 0, max: HOSTS.length - 1 }),
  port: fc.constantFrom(22, 23, 80, 443, 8080, 65535, 0),
  service: fc.constantFrom<string | undefined>(undefined, '-', '', 'http', 'ssh', 'dns'),
  pkts: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(Number.NaN)),
  bytes: fc.integer({ min: 0, max: 100_000 }),
  commit: fc.boolean(),
});

describe('SourceWindows', () => {
  it('computes hand-checked features over the window and the burst window', () => {
    const w = new SourceWindows({ windowMs: 10_000, burstWindowMs: 2_000 });
    const a = 'ip:10.0.0.9';
    w.observe(a, flow(0, 'h1', 80, 'http', 2, 100), true);
    w.observe(a, flow(1_000, 'h2', 443, undefined, 3, 200), true);
    w.observe(a, flow(9_000, 'h1', 80, 'http', 4, 300), true);
    // At 10,500 the window is (500, 10500]: flows at 1,000, 9,000 and this one; burst window (8500, 10500]: 2.
    expect(w.observe(a, flow(10_500, 'h3', 22, '-', 5, 400), true)).toEqual({
      rate: 0.3,
      burst_rate: 1,
      spkts: 3 + 4 + 5,
      sbytes: 200 + 300 + 400,
      ct_src_dport_ltm: 3,
      ct_dst_ltm: 3,
      ct_srv_src: 1, // '-' counts as no service: only flows to port 22 without a service (just itself)
      flows: 3,
      burst_flows: 2,
    });
    // A late flow (ts 5,000 < newest 10,500) is taken at 10,500: same window as above plus this flow.
    const late = w.observe(a, flow(5_000, 'h1', 80, 'http', 1, 1), true);
    expect(late.flows).toBe(4);
    expect(late.burst_flows).toBe(3);
    expect(late.ct_srv_src).toBe(2); // the http flow at 9,000 and itself
    expect(late.ct_dst_ltm).toBe(3);
    // The boundary is open on the old side: at exactly 19,000 the flow at 9,000 has left.
    const edge = w.observe(a, flow(19_000, 'h9', 80, undefined, 1, 1), false);
    expect(edge.flows).toBe(3); // 10,500 twice and itself
    expect(edge.ct_srv_src).toBe(1); // the earlier port-80 flows carry the service http
  });

  it('keeps the newest time across several late flows', () => {
    const w = new SourceWindows({ windowMs: 10_000, burstWindowMs: 1_000 });
    w.observe('s', flow(10_000, 'h', 80, undefined), true);
    w.observe('s', flow(5_000, 'h', 80, undefined), true); // taken at 10,000
    w.observe('s', flow(6_000, 'h', 80, undefined), true); // still taken at 10,000, not 6,000
    // Burst window (9500, 10500]: all three stored flows (at 10,000) plus the probe.
    expect(w.observe('s', flow(10_500, 'h', 80, undefined), false).burst_flows).toBe(4);
    // Window (9999, 19999]: all three stored flows plus the probe.
    expect(w.observe('s', flow(19_999, 'h', 80, undefined), false).flows).toBe(4);
    expect(w.observe('s', flow(20_000, 'h', 80, undefined), false).flows).toBe(1);
  });

  it('tells apart destinations whose FNV-1a hashes collide', () => {
    // FNV-1a 32 of both strings is 0x4638a2c0 (found by brute force over 10.c.a.b addresses).
    const w = new SourceWindows();
    w.observe('s', flow(0, '10.0.107.237', 80, undefined), true);
    w.observe('s', flow(1, '10.2.219.40', 80, undefined), true);
    expect(w.observe('s', flow(2, '10.0.107.237', 80, undefined), true).ct_dst_ltm).toBe(2);
    expect(w.observe('s', flow(3, '10.2.219.40', 80, undefined), true).ct_dst_ltm).toBe(2);
    expect(w.observe('s', flow(4, '10.9.9.9', 80, undefined), true).ct_dst_ltm).toBe(3);
  });

  it('matches a naive reference on random streams (eviction, capacity, out-of-order, commit=false)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 5, 8, 9, 16, 64),
        fc.integer({ min: 1, max: 3 }),
        fc.array(stepArb, { minLength: 1, maxLength: 150 }),
        (maxFlows, maxSources, steps) => {
          const opts = { windowMs: 1_000, burstWindowMs: 250, maxSources, maxFlowsPerSource: maxFlows };
          const w = new SourceWindows(opts);
          const ref = new Reference(1_000, 250, maxSources, maxFlows);
          let t = 1.7e12;
          for (const s of steps) {
            t += s.dt;
            const f = flow(t, HOSTS[s.host], s.port, s.service, s.pkts, s.bytes);
            expect(w.observe(s.source, f, s.commit)).toEqual(ref.observe(s.source, f, s.commit));
            expect(w.size).toBe(ref.sources.size);
            expect(w.size).toBeLessThanOrEqual(maxSources);
            expect(w.evictions).toBe(ref.evictions);
          }
        },
      ),
      { seed: 7, numRuns: 400 },
    );
  });

  it('counts many distinct destinations exactly (hash collisions in the probe table)', () => {
    const w = new SourceWindows({ maxFlowsPerSource: 64 });
    let last: SourceFeatures | undefined;
    for (let i = 0; i < 200; i++) last = w.observe('s', flow(1_000 + i, `192.168.${i % 3}.${i % 50}`, 1000 + (i % 70), 'x'), true);
    // The ring holds the last 64 flows: i = 136..199. Distinct (i mod 3, i mod 50) pairs there: i mod 150,
    // all distinct over 64 consecutive i; ports 1000 + i mod 70: 64 distinct.
    expect(last?.flows).toBe(64);
    expect(last?.ct_dst_ltm).toBe(64);
    expect(last?.ct_src_dport_ltm).toBe(64);
    expect(last?.ct_srv_src).toBe(64);
  });

  it('commit=false changes nothing: a twin without the probes answers identically afterwards', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 120 }), (steps) => {
        const opts = { windowMs: 1_000, burstWindowMs: 250, maxSources: 2, maxFlowsPerSource: 6 };
        const probed = new SourceWindows(opts);
        const twin = new SourceWindows(opts);
        let t = 1.7e12;
        for (const s of steps) {
          t += s.dt;
          const f = flow(t, HOSTS[s.host], s.port, s.service, s.pkts, s.bytes);
          if (s.commit) {
            expect(probed.observe(s.source, f, true)).toEqual(twin.observe(s.source, f, true));
          } else {
            // A probe far in the future must not expire anything or refresh recency.
            probed.observe(s.source, { ...f, tsMs: f.tsMs + 1e6 }, false);
            expect(probed.has(s.source)).toBe(twin.has(s.source));
          }
          expect(probed.size).toBe(twin.size);
          expect(probed.evictions).toBe(twin.evictions);
        }
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('holds at most maxSources sources, evicting the least recently committed', () => {
    const w = new SourceWindows({ maxSources: 10 });
    for (let i = 0; i < 1_000; i++) w.observe(`src${i}`, flow(i, 'h', 80, undefined), true);
    expect(w.size).toBe(10);
    expect(w.evictions).toBe(990);
    w.observe('src990', flow(2_000, 'h', 80, undefined), true); // refresh the oldest survivor
    w.observe('new', flow(2_001, 'h', 80, undefined), true);
    expect(w.has('src990')).toBe(true);
    expect(w.has('src991')).toBe(false);
    expect(w.observe('src990', flow(2_002, 'h', 80, undefined), false).flows).toBe(3);
  });

  it('rejects nonsense options and inputs with RangeError', () => {
    for (const o of [
      { windowMs: 0 },
      { windowMs: Number.NaN },
      { burstWindowMs: -1 },
      { windowMs: 1_000, burstWindowMs: 2_000 },
      { maxSources: 0 },
      { maxSources: 1.5 },
      { maxFlowsPerSource: 0 },
      { maxFlowsPerSource: 70_000 },
    ]) {
      expect(() => new SourceWindows(o)).toThrow(RangeError);
    }
    const w = new SourceWindows();
    expect(() => w.observe('s', flow(Number.NaN, 'h', 80, undefined), true)).toThrow(RangeError);
    expect(() => w.observe('s', flow(0, 'h', 65_536, undefined), true)).toThrow(RangeError);
    expect(() => w.observe('s', flow(0, 'h', 1.5, undefined), true)).toThrow(RangeError);
    expect(w.size).toBe(0);
  });
});
