/**
 * UNSW-NB15 counters: hand-derived window counts (NUSW-NB15_features.csv definitions), and ct_state_ttl / rate
 * against the official testing partition (UNSW_NB15_testing-set.csv: every row's own state/sttl/dttl and
 * dur/spkts/dpkts give its published ct_state_ttl and rate).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctStateTtl, isSmIpsPorts, UnswCounters, unswRate, unswState } from './unsw-counters.js';
import type { UnswConnection } from './unsw-counters.js';

const conn = (orig_h: string, orig_p: number, resp_h: string, resp_p: number, service: string | null = null): UnswConnection => ({ orig_h, orig_p, resp_h, resp_p, service });

describe('UnswCounters', () => {
  it('counts the connection itself and the ones before it, per the feature definitions', () => {
    const u = new UnswCounters();
    expect(u.observe(conn('a', 1000, 'x', 80, 'http'))).toEqual({ ct_srv_src: 1, ct_srv_dst: 1, ct_dst_ltm: 1, ct_src_ltm: 1, ct_src_dport_ltm: 1, ct_dst_sport_ltm: 1, ct_dst_src_ltm: 1 });
    u.observe(conn('a', 1001, 'y', 80, 'http'));
    u.observe(conn('b', 1000, 'x', 22, null));
    // a → x:80 again: same src as #1, #2; same dst as #1, #3; http from a: #1, #2; http to x: #1;
    // a with dport 80: #1, #2; x with sport 1000: #1, #3; a→x: #1.
    expect(u.observe(conn('a', 1000, 'x', 80, 'http'))).toEqual({ ct_src_ltm: 3, ct_dst_ltm: 3, ct_srv_src: 3, ct_srv_dst: 2, ct_src_dport_ltm: 3, ct_dst_sport_ltm: 3, ct_dst_src_ltm: 2 });
    // No service counts as UNSW's '-': b's two service-less connections share it.
    expect(u.observe(conn('b', 5, 'z', 9, '')).ct_srv_src).toBe(2);
  });

  it('forgets connections older than the window (the current one is one of the 100)', () => {
    const u = new UnswCounters(100);
    for (let i = 0; i < 150; i++) u.observe(conn('s', i, 'd', 1));
    expect(u.observe(conn('s', 1, 'd', 1)).ct_src_ltm).toBe(100);
    const small = new UnswCounters(3);
    small.observe(conn('s', 1, 'd', 1));
    small.observe(conn('s', 1, 'd', 1));
    small.observe(conn('t', 1, 'e', 1));
    expect(small.observe(conn('s', 1, 'd', 1)).ct_src_ltm).toBe(2);
    expect(() => new UnswCounters(0)).toThrow(RangeError);
  });

  it('each counter is within [1, window] and equals a brute-force count (property)', () => {
    const arb = fc.array(fc.record({ s: fc.nat(3), d: fc.nat(3), sp: fc.nat(2), dp: fc.nat(2), srv: fc.constantFrom('http', 'dns', null) }), { maxLength: 60 });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 10 }), (list, w) => {
        const u = new UnswCounters(w);
        const seen: UnswConnection[] = [];
        for (const x of list) {
          const c = conn(`h${x.s}`, x.sp, `h${x.d}`, x.dp, x.srv);
          const got = u.observe(c);
          seen.push(c);
          const win = seen.slice(-w);
          const srv = (v: UnswConnection) => v.service ?? '-';
          const n = (p: (v: UnswConnection) => boolean) => win.filter(p).length;
          expect(got).toEqual({
            ct_srv_src: n((v) => v.orig_h === c.orig_h && srv(v) === srv(c)),
            ct_srv_dst: n((v) => v.resp_h === c.resp_h && srv(v) === srv(c)),
            ct_dst_ltm: n((v) => v.resp_h === c.resp_h),
            ct_src_ltm: n((v) => v.orig_h === c.orig_h),
            ct_src_dport_ltm: n((v) => v.orig_h === c.orig_h && v.resp_p === c.resp_p),
            ct_dst_sport_ltm: n((v) => v.resp_h === c.resp_h && v.orig_p === c.orig_p),
            ct_dst_src_ltm: n((v) => v.orig_h === c.orig_h && v.resp_h === c.resp_h),
          });
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('is_sm_ips_ports, unswState', () => {
  it('is_sm_ips_ports is 1 only for equal addresses and equal ports', () => {
    expect(isSmIpsPorts(conn('10.0.0.1', 80, '10.0.0.1', 80))).toBe(1);
    expect(isSmIpsPorts(conn('10.0.0.1', 80, '10.0.0.1', 81))).toBe(0);
    expect(isSmIpsPorts(conn('10.0.0.1', 80, '10.0.0.2', 80))).toBe(0);
  });

  it('maps Zeek conn_state to Argus states', () => {
    expect(unswState('tcp', 'SF', 'ShADadFf', 5, 4, 1, 80)).toBe('FIN');
    expect(unswState('tcp', 'S0', 'S', 1, 0, 1, 80)).toBe('REQ');
    expect(unswState('tcp', 'REJ', 'Sr', 1, 1, 1, 80)).toBe('RST');
    expect(unswState('tcp', 'S1', 'Sh', 1, 1, 1, 80)).toBe('ACC');
    expect(unswState('tcp', 'S1', 'ShAD', 3, 1, 1, 80)).toBe('CON');
    expect(unswState('udp', 'S0', 'D', 2, 0, 1, 53)).toBe('INT');
    expect(unswState('udp', 'SF', 'Dd', 1, 1, 1, 53)).toBe('CON');
    expect(unswState('icmp', 'OTH', '', 1, 0, 8, 0)).toBe('ECO');
    expect(unswState('icmp', 'OTH', '', 1, 1, 8, 0)).toBe('ECR');
    expect(unswState('icmp', 'OTH', '', 1, 0, 3, 1)).toBe('URH');
    expect(unswState('icmp', 'OTH', '', 1, 0, 11, 0)).toBe('TXD');
    expect(unswState('unknown_transport', 'OTH', '', 3, 0, 0, 0)).toBe('INT');
  });
});

// The real data (features may not import data/_test-data.ts): IPQSEC_DATA, else ../shared/data from the repo root.
const testing = (() => {
  const path = join(process.env.IPQSEC_DATA ?? resolve('..', 'shared', 'data'), 'unsw-nb15', 'UNSW_NB15_testing-set.csv');
  const exists = existsSync(path);
  if (!exists) process.stderr.write(`skipping tests that need ${path}: not found (set IPQSEC_DATA)\n`);
  return { path, exists };
})();

describe.skipIf(!testing.exists)('ct_state_ttl and rate against the UNSW-NB15 testing partition', () => {
  let cache: { head: string[]; rows: string[][] } | undefined;
  /** The partition's header and rows (comma-separated, no quoted fields in this file). */
  const load = () => {
    if (cache === undefined) {
      const lines = readFileSync(testing.path, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0);
      cache = { head: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) };
    }
    return cache;
  };

  it('ct_state_ttl: the reconstructed table gives the published value for ≥ 99.8 % of the 82,332 rows', () => {
    const { head, rows } = load();
    const [st, s, d, ct] = ['state', 'sttl', 'dttl', 'ct_state_ttl'].map((n) => head.indexOf(n)) as [number, number, number, number];
    let ok = 0;
    for (const f of rows) if (ctStateTtl(f[st]!, Number(f[s]), Number(f[d])) === Number(f[ct])) ok++;
    expect(rows.length).toBe(82332);
    expect(ok / rows.length).toBeGreaterThanOrEqual(0.998);
  });

  it('rate = (spkts + dpkts − 1) / dur matches the published rate (to its printed precision) for ≥ 98 % of rows', () => {
    const { head, rows } = load();
    const [dur, sp, dp, rate] = ['dur', 'spkts', 'dpkts', 'rate'].map((n) => head.indexOf(n)) as [number, number, number, number];
    let ok = 0;
    for (const f of rows) {
      const want = Number(f[rate]);
      const got = unswRate(Number(f[dur]), Number(f[sp]), Number(f[dp]));
      if (Math.abs(got - want) <= 1e-3 * Math.max(1, want)) ok++;
    }
    expect(ok / rows.length).toBeGreaterThanOrEqual(0.98);
  });
});
