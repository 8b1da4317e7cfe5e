import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cve, host, hostReportArb, port } from './_test-reports.js';
import { diffHost, isEmptyDiff, isOpenPort } from './scan-diff.js';

describe('diffHost', () => {
  it('reports ports opened and closed and CVEs new and gone (hand-computed)', () => {
    const prev = host('10.0.0.5', [port(22, [cve('CVE-2020-15778', 7.8)]), port(80, [cve('CVE-2013-2028', 7.5)]), port(443)]);
    const cur = host('10.0.0.5', [
      port(22, [cve('CVE-2020-15778', 7.8), cve('CVE-2021-41617', 7.0)]), // one CVE added
      port(443), // unchanged
      port(8080, [cve('CVE-2021-41773', 7.5, { kev: true })]), // opened with a CVE
      // 80 closed with its CVE
    ]);
    expect(diffHost(prev, cur)).toEqual({
      address: '10.0.0.5',
      first_scan: false,
      opened: [{ port: 8080, proto: 'tcp' }],
      closed: [{ port: 80, proto: 'tcp' }],
      cves_new: [
        { port: 22, proto: 'tcp', id: 'CVE-2021-41617' },
        { port: 8080, proto: 'tcp', id: 'CVE-2021-41773' },
      ],
      cves_gone: [{ port: 80, proto: 'tcp', id: 'CVE-2013-2028' }],
    });
  });

  it('first scan: every open port opened, every CVE new, nothing closed or gone', () => {
    const cur = host('127.0.0.1', [port(6379, [cve('CVE-2023-28425', 5.5)]), port(5432), port(161, [], { proto: 'udp', state: 'open|filtered' })]);
    const d = diffHost(undefined, cur);
    expect(d.first_scan).toBe(true);
    expect(d.opened).toEqual([
      { port: 5432, proto: 'tcp' },
      { port: 6379, proto: 'tcp' },
    ]);
    expect(d.cves_new).toEqual([{ port: 6379, proto: 'tcp', id: 'CVE-2023-28425' }]);
    expect(d.closed).toEqual([]);
    expect(d.cves_gone).toEqual([]);
  });

  it('tells tcp from udp on the same number and ignores ports that are not exactly open', () => {
    const prev = host('::1', [port(53, [], { proto: 'udp' }), port(25, [cve('CVE-2011-2523', 9.8)], { state: 'filtered' })]);
    const cur = host('::1', [port(53, [], { proto: 'tcp' }), port(25, [cve('CVE-2011-2523', 9.8)], { state: 'open|filtered' })]);
    const d = diffHost(prev, cur);
    expect(d.opened).toEqual([{ port: 53, proto: 'tcp' }]);
    expect(d.closed).toEqual([{ port: 53, proto: 'udp' }]);
    expect(d.cves_new).toEqual([]); // a CVE on a filtered port is not an exposed service, before or after
    expect(d.cves_gone).toEqual([]);
    expect(isOpenPort({ state: 'open|filtered' })).toBe(false);
    expect(isOpenPort({ state: 'open' })).toBe(true);
  });

  it('a CVE moving from one port to another is gone on the first and new on the second', () => {
    const c = cve('CVE-2013-2028', 7.5);
    const d = diffHost(host('h', [port(80, [c])]), host('h', [port(8080, [c])]));
    expect(d.cves_gone).toEqual([{ port: 80, proto: 'tcp', id: c.id }]);
    expect(d.cves_new).toEqual([{ port: 8080, proto: 'tcp', id: c.id }]);
  });

  it('is symmetric: diff(a, b).opened = diff(b, a).closed and cves_new = cves_gone', () => {
    fc.assert(
      fc.property(hostReportArb, hostReportArb, (a, b) => {
        const ab = diffHost(a, b);
        const ba = diffHost(b, a);
        expect(ab.opened).toEqual(ba.closed);
        expect(ab.closed).toEqual(ba.opened);
        expect(ab.cves_new).toEqual(ba.cves_gone);
        expect(ab.cves_gone).toEqual(ba.cves_new);
      }),
    );
  });

  it('a report diffed against itself is empty; against nothing, everything it holds is new (and sorted, unique)', () => {
    fc.assert(
      fc.property(hostReportArb, (a) => {
        expect(isEmptyDiff(diffHost(a, a))).toBe(true);
        const d = diffHost(undefined, a);
        const open = a.ports.filter((p) => p.state === 'open');
        const byProtoPort = (x: { proto: string; port: number }, y: { proto: string; port: number }) => x.proto.localeCompare(y.proto) || x.port - y.port;
        const unique = [...new Map(open.map((p) => [`${p.proto}/${p.port}`, { port: p.port, proto: p.proto }])).values()].sort(byProtoPort);
        expect(d.opened).toEqual(unique);
        const cves = new Set(open.flatMap((p) => p.cves.map((c) => `${p.proto}/${p.port}/${c.id}`)));
        expect(d.cves_new).toHaveLength(cves.size);
      }),
    );
  });
});
