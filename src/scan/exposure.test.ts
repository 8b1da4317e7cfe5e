import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cve, host, hostReportArb, port } from './_test-reports.js';
import { cveWeight, exposureOf } from './exposure.js';

describe('cveWeight', () => {
  it('KEV is 1 whatever the score; otherwise score / 10, × 0.8 for affected-only, 4.0 when unscored (hand-computed)', () => {
    expect(cveWeight(cve('CVE-2021-41773', 7.5, { kev: true }))).toBe(1);
    expect(cveWeight(cve('X', 0, { kev: true }))).toBe(1);
    expect(cveWeight(cve('X', 9.8))).toBe(0.98);
    expect(cveWeight(cve('X', 7.5))).toBe(0.75);
    expect(cveWeight(cve('X', 9.8, { confidence: 'affected' }))).toBe(0.784);
    expect(cveWeight(cve('X', 7.0, { confidence: 'affected' }))).toBe(0.56);
    expect(cveWeight(cve('X', null))).toBe(0.4);
    expect(cveWeight(cve('X', null, { confidence: 'affected' }))).toBe(0.32);
    expect(cveWeight(cve('X', 0))).toBe(0);
  });

  it('CVSS v3.1 bands land on the service thresholds: 4.0 → 0.4, 7.0 → 0.7, 9.0 → 0.9 exactly', () => {
    expect(cveWeight(cve('X', 4.0))).toBe(0.4);
    expect(cveWeight(cve('X', 6.9))).toBe(0.69);
    expect(cveWeight(cve('X', 7.0))).toBe(0.7);
    expect(cveWeight(cve('X', 8.9))).toBe(0.89);
    expect(cveWeight(cve('X', 9.0))).toBe(0.9);
    expect(cveWeight(cve('X', 10))).toBe(1);
  });
});

describe('exposureOf', () => {
  it('is the largest weight over open ports, ignoring filtered ports; 0 with no CVE', () => {
    expect(exposureOf(host('h', []))).toBe(0);
    expect(exposureOf(host('h', [port(22), port(80)]))).toBe(0);
    const h = host('h', [
      port(22, [cve('A', 5.3), cve('B', 7.8)]),
      port(80, [cve('C', 9.8, { confidence: 'affected' })]),
      port(25, [cve('D', 10, { kev: true })], { state: 'filtered' }),
    ]);
    expect(exposureOf(h)).toBe(0.784);
    expect(exposureOf(host('h', [...h.ports, port(8080, [cve('CVE-2021-41773', 7.5, { kev: true })])]))).toBe(1);
  });

  it('stays in [0, 1], is 1 when an open port has a KEV CVE, and never falls when a CVE is added', () => {
    fc.assert(
      fc.property(hostReportArb, (h) => {
        const e = exposureOf(h);
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(1);
        const kevOpen = h.ports.some((p) => p.state === 'open' && p.cves.some((c) => c.kev));
        if (kevOpen) expect(e).toBe(1);
        const more = host(h.address, [...h.ports, port(9999, [cve('CVE-2099-0001', 3.1)])]);
        expect(exposureOf(more)).toBeGreaterThanOrEqual(e);
      }),
    );
  });
});
