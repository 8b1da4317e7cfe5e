/** Reading the scan API answers: the documented record (src/server/scans.ts) and hostile or partial input (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scansOf, summary } from './scans';

const record = {
  id: 'scan-01',
  status: 'done',
  requested_by: 'admin',
  targets: ['127.0.0.1'],
  ports: 'top-100',
  created_ms: 1000,
  started_ms: 2000,
  finished_ms: 3000,
  error: null,
  report: {
    hosts: [
      {
        address: '127.0.0.1', hostnames: ['localhost'], status: 'up', started_ms: 2000, finished_ms: 3000,
        ports: [
          { port: 6379, proto: 'tcp', state: 'open', service: 'redis', product: 'Redis key-value store', version: '7.0.15', cpe: [], cves: [
            { id: 'CVE-2023-45145', score: 3.6, severity: 'LOW', kev: false, confidence: 'configuration' },
            { id: 'CVE-2022-0543', score: 10, severity: 'CRITICAL', kev: true, confidence: 'configuration' },
          ] },
          { port: 22, proto: 'tcp', state: 'open', service: 'ssh', product: null, version: null, cpe: [], cves: [] },
        ],
      },
    ],
    errors: [],
  },
  diffs: [{ address: '127.0.0.1', first_scan: true, opened: [{ port: 22, proto: 'tcp' }, { port: 6379, proto: 'tcp' }], closed: [], cves_new: [{ port: 6379, proto: 'tcp', id: 'CVE-2022-0543' }], cves_gone: [] }],
};

describe('scansOf', () => {
  it('reads the documented page', () => {
    const [s] = scansOf({ items: [record, { ...record, id: 'scan-02', status: 'queued', started_ms: null, report: null, diffs: null }], next_cursor: null });
    expect(s).toMatchObject({ id: 'scan-01', status: 'done', targets: ['127.0.0.1'], startedMs: 2000, finishedMs: 3000, error: null, opened: 2, cvesNew: 1 });
    expect(summary(s.report)).toEqual({ hosts: 1, ports: 2, cves: 2, kev: 1 });
    const [, q] = scansOf({ items: [record, { ...record, id: 'scan-02', status: 'queued', started_ms: null, report: null, diffs: null }] });
    expect(q).toMatchObject({ id: 'scan-02', report: null, startedMs: 1000, opened: 0 });
  });

  it('never throws and keeps only well-typed parts of arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const scans = scansOf(v);
        for (const s of scans) {
          expect(typeof s.id).toBe('string');
          for (const h of s.report?.hosts ?? []) for (const p of h.ports) expect(Number.isFinite(p.port)).toBe(true);
        }
        expect(scansOf({ items: [v] }).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 400 },
    );
  });
});
