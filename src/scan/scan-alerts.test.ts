import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertReason, Technique } from '../core/records.js';
import { cve, host, hostReportArb, port } from './_test-reports.js';
import { NEW_PORT_RISK, NEW_VULNERABLE_PORT_RISK, scanAlerts, type ScanAlertOptions } from './scan-alerts.js';
import { diffHost } from './scan-diff.js';

// The real table is detect/attack-mapping.ts (checked end to end in service/scan-service.test.ts); the scan layer
// may not import detect, so here each reason gets techniques that show the union and its order.
const TECHNIQUES: Record<string, readonly Technique[]> = {
  'Known Exploited Vulnerability': [{ id: 'T1190', name: 'Exploit Public-Facing Application' }, { id: 'T1046', name: 'Network Service Discovery' }],
  'Vulnerable Service': [{ id: 'T1190', name: 'Exploit Public-Facing Application' }, { id: 'T1046', name: 'Network Service Discovery' }],
  'New Open Port': [{ id: 'T1046', name: 'Network Service Discovery' }],
};
const TS = Date.UTC(2024, 4, 1, 12, 0, 0);
function opts(): ScanAlertOptions & { ids: string[] } {
  const ids: string[] = [];
  return { ids, scanId: 'scan-1', tsMs: TS, newId: () => { ids.push(`a${ids.length + 1}`); return ids[ids.length - 1]; }, techniques: (r: AlertReason) => TECHNIQUES[r] ?? [] };
}
const severityOf = (r: number) => (r >= 0.9 ? 'critical' : r >= 0.7 ? 'high' : r >= 0.4 ? 'medium' : 'low');

describe('scanAlerts', () => {
  it('a new KEV CVE on a new port: one critical alert, reasons merged, the ports concerned, the scan shape', () => {
    const prev = host('10.0.0.5', [port(22)]);
    const cur = host('10.0.0.5', [port(22, [cve('CVE-2020-15778', 7.8)]), port(80, [cve('CVE-2021-41773', 7.5, { kev: true })]), port(443)]);
    const o = opts();
    const alerts = scanAlerts(diffHost(prev, cur), cur, o);
    expect(alerts).toEqual([
      {
        id: 'a1',
        event_id: 'scan-1',
        event_type: 'scan',
        entity: 'ip:10.0.0.5',
        timestamp: '2024-05-01T12:00:00.000Z',
        ts_ms: TS,
        ip: '10.0.0.5',
        task: null,
        previous_task: null,
        ports_accessed: [22, 80, 443],
        intrusion_detected: true,
        reasons: ['Known Exploited Vulnerability', 'Vulnerable Service', 'New Open Port'],
        severity: 'critical',
        risk: 1,
        techniques: [TECHNIQUES['Vulnerable Service'][0], TECHNIQUES['Vulnerable Service'][1]],
        acked: false,
        acked_by: null,
        acked_at_ms: null,
      },
    ]);
    expect(o.ids).toEqual(['a1']);
  });

  it('severity of a new CVE follows its CVSS v3.1 band (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, else low)', () => {
    const cases: [number | null, string, number][] = [
      [9.8, 'critical', 0.98],
      [8.1, 'high', 0.81],
      [7.0, 'high', 0.7],
      [6.5, 'medium', 0.65],
      [4.0, 'medium', 0.4],
      [3.7, 'low', 0.37],
      [null, 'medium', 0.4],
    ];
    for (const [score, severity, risk] of cases) {
      const cur = host('h', [port(6379, [cve('CVE-2023-28425', score)])]);
      const [a] = scanAlerts(diffHost(host('h', [port(6379)]), cur), cur, opts());
      expect([a.reasons, a.severity, a.risk, a.ports_accessed]).toEqual([['Vulnerable Service'], severity, risk, [6379]]);
    }
  });

  it('a new port without CVE is low, with a CVE at least medium; a first scan alerts on CVEs only', () => {
    const prev = host('h', [port(22)]);
    const plain = host('h', [port(22), port(8080)]);
    const [low] = scanAlerts(diffHost(prev, plain), plain, opts());
    expect([low.reasons, low.severity, low.risk, low.ports_accessed]).toEqual([['New Open Port'], 'low', NEW_PORT_RISK, [8080]]);

    const weak = host('h', [port(22), port(8080, [cve('CVE-X', 2.1)])]);
    const [mid] = scanAlerts(diffHost(prev, weak), weak, opts());
    expect([mid.reasons, mid.severity, mid.risk]).toEqual([['Vulnerable Service', 'New Open Port'], 'medium', NEW_VULNERABLE_PORT_RISK]);

    expect(scanAlerts(diffHost(undefined, plain), plain, opts())).toEqual([]); // first scan, no CVE
    const [first] = scanAlerts(diffHost(undefined, weak), weak, opts());
    expect([first.reasons, first.severity, first.ports_accessed]).toEqual([['Vulnerable Service'], 'low', [8080]]);
  });

  it('closing ports and CVEs going away raise nothing; nor does an unchanged host', () => {
    const prev = host('h', [port(22, [cve('CVE-2020-15778', 7.8)]), port(80)]);
    const cur = host('h', [port(22)]);
    expect(scanAlerts(diffHost(prev, cur), cur, opts())).toEqual([]);
    expect(scanAlerts(diffHost(prev, prev), prev, opts())).toEqual([]);
  });

  it('any diff: at most one alert, risk in [0, 1] with severity its band, ports those of the new findings', () => {
    fc.assert(
      fc.property(fc.option(hostReportArb, { nil: undefined }), hostReportArb, (prev, cur) => {
        const d = diffHost(prev, cur);
        const alerts = scanAlerts(d, cur, opts());
        const expectAlert = d.cves_new.length > 0 || (!d.first_scan && d.opened.length > 0);
        expect(alerts).toHaveLength(expectAlert ? 1 : 0);
        for (const a of alerts) {
          expect(a.risk).toBeGreaterThanOrEqual(0);
          expect(a.risk).toBeLessThanOrEqual(1);
          expect(a.severity).toBe(severityOf(a.risk));
          const ports = new Set([...d.cves_new.map((c) => c.port), ...(d.first_scan ? [] : d.opened.map((p) => p.port))]);
          expect(a.ports_accessed).toEqual([...ports].sort((x, y) => x - y));
          expect(a.reasons.includes('Known Exploited Vulnerability')).toBe(
            d.cves_new.some((r) => cur.ports.some((p) => p.state === 'open' && p.port === r.port && p.proto === r.proto && p.cves.some((c) => c.id === r.id && c.kev))),
          );
        }
      }),
    );
  });
});
