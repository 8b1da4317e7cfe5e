import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONN_STATES } from '../core/events.js';
import type { SourceFeatures } from '../features/source-windows.js';
import { evaluateNetworkRules, NETWORK_RULE_DEFAULTS, UNANSWERED_CONN_STATES } from './network-rules.js';
import { DEFAULT_SUSPICIOUS_PORTS } from './suspicious-ports.js';

const quiet: SourceFeatures = {
  rate: 0.05, burst_rate: 0.2, spkts: 10, sbytes: 1_000, ct_src_dport_ltm: 1, ct_dst_ltm: 1, ct_srv_src: 1, flows: 3, burst_flows: 1,
};
const SUS = new Set(DEFAULT_SUSPICIOUS_PORTS);
const web = { resp_p: 443, conn_state: 'SF' as const };

describe('evaluateNetworkRules', () => {
  it('fires nothing and scores 0 on quiet traffic', () => {
    expect(evaluateNetworkRules(quiet, web, NETWORK_RULE_DEFAULTS, SUS)).toEqual({ reasons: [], score: 0 });
  });

  it('Port Scan: 0.7 at the threshold, 0.85 at twice it, not below it', () => {
    expect(evaluateNetworkRules({ ...quiet, ct_src_dport_ltm: 14 }, web, NETWORK_RULE_DEFAULTS, SUS).reasons).toEqual([]);
    const at = evaluateNetworkRules({ ...quiet, ct_src_dport_ltm: 15 }, web, NETWORK_RULE_DEFAULTS, SUS);
    expect(at.reasons).toEqual(['Port Scan']);
    expect(at.score).toBeCloseTo(0.7, 12);
    expect(evaluateNetworkRules({ ...quiet, ct_src_dport_ltm: 30 }, web, NETWORK_RULE_DEFAULTS, SUS).score).toBeCloseTo(0.85, 12);
  });

  it('Traffic Burst needs both the rate and the minimum flow count', () => {
    const burst = { ...quiet, burst_rate: 40, burst_flows: 200 };
    const r = evaluateNetworkRules(burst, web, NETWORK_RULE_DEFAULTS, SUS);
    expect(r.reasons).toEqual(['Traffic Burst']);
    expect(r.score).toBeCloseTo(0.85, 12); // x = 40 / 20 = 2
    // 25 flows/s over a 1 s burst window is only 25 flows: below burstMinFlows (50).
    expect(evaluateNetworkRules({ ...quiet, burst_rate: 25, burst_flows: 25 }, web, NETWORK_RULE_DEFAULTS, SUS).reasons).toEqual([]);
    expect(evaluateNetworkRules({ ...quiet, burst_rate: 19.9, burst_flows: 500 }, web, NETWORK_RULE_DEFAULTS, SUS).reasons).toEqual([]);
  });

  it('Suspicious Port Access on resp_p scores 0.8; an empty set never fires', () => {
    const r = evaluateNetworkRules(quiet, { resp_p: 4444, conn_state: 'SF' }, NETWORK_RULE_DEFAULTS, SUS);
    expect(r).toEqual({ reasons: ['Suspicious Port Access'], score: 0.8 });
    expect(evaluateNetworkRules(quiet, { resp_p: 4444, conn_state: 'SF' })).toEqual({ reasons: [], score: 0 });
  });

  it('a rejected or unanswered connection scores 0.45 without a reason; answered ones score 0', () => {
    for (const cs of CONN_STATES) {
      const r = evaluateNetworkRules(quiet, { resp_p: 443, conn_state: cs }, NETWORK_RULE_DEFAULTS, SUS);
      expect(r.reasons).toEqual([]);
      expect(r.score).toBe(['REJ', 'S0', 'RSTR', 'RSTOS0', 'SH', 'OTH'].includes(cs) ? 0.45 : 0);
    }
    expect(evaluateNetworkRules(quiet, { resp_p: 443, conn_state: undefined }).score).toBe(0);
  });

  it('combines fired rules: all reasons in order, the largest score', () => {
    const f = { ...quiet, ct_src_dport_ltm: 45, burst_rate: 30, burst_flows: 150 };
    const r = evaluateNetworkRules(f, { resp_p: 23, conn_state: 'REJ' }, NETWORK_RULE_DEFAULTS, SUS);
    expect(r.reasons).toEqual(['Port Scan', 'Traffic Burst', 'Suspicious Port Access']);
    expect(r.score).toBeCloseTo(0.9, 12); // port scan x = 3: 1 − 0.3/3
  });

  it('score stays in [0, 1], is positive exactly when something fires, and grows with distinct ports', () => {
    const cs = fc.constantFrom(undefined, ...CONN_STATES);
    fc.assert(
      fc.property(fc.nat(10_000), fc.double({ min: 0, max: 1e4, noNaN: true }), fc.nat(10_000), fc.nat(65_535), cs, (ports, rate, flows, p, state) => {
        const f = { ...quiet, ct_src_dport_ltm: ports, burst_rate: rate, burst_flows: flows };
        const r = evaluateNetworkRules(f, { resp_p: p, conn_state: state }, NETWORK_RULE_DEFAULTS, SUS);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(1);
        const weak = state !== undefined && UNANSWERED_CONN_STATES.has(state);
        expect(r.score > 0).toBe(r.reasons.length > 0 || weak);
        if (r.reasons.length > 0) expect(r.score).toBeGreaterThanOrEqual(0.7);
        const more = evaluateNetworkRules({ ...f, ct_src_dport_ltm: ports + 1 }, { resp_p: p, conn_state: state }, NETWORK_RULE_DEFAULTS, SUS);
        expect(more.score).toBeGreaterThanOrEqual(r.score);
      }),
      { seed: 5 },
    );
  });

  it('rejects nonsense thresholds', () => {
    for (const bad of [{ portScanDistinctPorts: 0 }, { burstRate: 0 }, { burstRate: Number.NaN }, { burstMinFlows: 0.5 }]) {
      expect(() => evaluateNetworkRules(quiet, web, { ...NETWORK_RULE_DEFAULTS, ...bad }, SUS)).toThrow(RangeError);
    }
  });
});
