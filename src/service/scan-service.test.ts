/**
 * ScanService over the real SQLite store (in memory) and a real Monitor (rules-only detection engine, as
 * server/_test-deps.ts builds it). The runner is a port: here a function returning fixed reports (the real one,
 * nmap, is tested in scan/scan-run.test.ts); the CVE findings in those reports come from the real NVD records of
 * ../shared/data/nvd through the real matcher, and the facts asserted on (KEV, ATT&CK ids) are read independently.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { expectIpqsecRejection } from '../core/_test-errors.js';
import { IpqsecError } from '../core/errors.js';
import { parseEvents } from '../core/events.js';
import { dataFile } from '../data/_test-data.js';
import { severityOf } from '../detect/alert-builder.js';
import { DetectionEngine } from '../detect/engine.js';
import { CveIndex } from '../scan/cve-matcher.js';
import { readNvdFile } from '../scan/nvd-record.js';
import { scanTargets } from '../scan/scan-run.js';
import { parseScanConfig, type ScanConfig } from '../scan/scan-config.js';
import type { CveFinding, HostReport, PortFinding, ScanReport } from '../scan/scan-report.js';
import { openSqliteStore } from '../store/index.js';
import type { ScanRecord, Store } from '../store/store.js';
import { Monitor } from './monitor.js';
import { ScanService, type ScanRunner } from './scan-service.js';

const records = dataFile('nvd', 'records');
const APACHE_CVE = 'CVE-2021-41773';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** The real index over every record of ../shared/data/nvd/records. */
async function realIndex(): Promise<CveIndex> {
  const idx = new CveIndex();
  for (const f of readdirSync(records.path).filter((x) => x.endsWith('.json'))) {
    for (const r of (await readNvdFile(join(records.path, f))).records) idx.add(r);
  }
  return idx;
}

function port(n: number, product: string | null, version: string | null, cves: readonly CveFinding[] = []): PortFinding {
  return { port: n, proto: 'tcp', state: 'open', service: null, product, version, cpe: [], cves };
}
function host(address: string, finishedMs: number, ports: readonly PortFinding[]): HostReport {
  return { address, hostnames: [], status: 'up', started_ms: finishedMs - 2000, finished_ms: finishedMs, ports };
}

// The production runner fits the port (a compile-time check).
const _production: ScanRunner = scanTargets;
void _production;

let clock = T0;
let ids = 0;
const newId = () => `id-${String(++ids).padStart(6, '0')}`;

interface Harness {
  store: Store;
  monitor: Monitor;
  service: ScanService;
  calls: Parameters<ScanRunner>[0][];
}

/** Real store and monitor; `reports` are returned by successive runner calls (a function: computed at call time). */
async function harness(reports: ((o: Parameters<ScanRunner>[0]) => Promise<ScanReport> | ScanReport)[], o: { config?: ScanConfig; maxQueued?: number; cves?: CveIndex; resolve?: (n: string) => Promise<string[]> } = {}): Promise<Harness> {
  const store = await openSqliteStore({ path: ':memory:' });
  onTestFinished(() => store.close());
  const engine = new DetectionEngine({}, { newId });
  const monitor = await Monitor.open({ store, engine });
  onTestFinished(() => monitor.close());
  const calls: Parameters<ScanRunner>[0][] = [];
  let i = 0;
  const runner: ScanRunner = async (opts) => {
    calls.push(opts);
    const next = reports[i++];
    if (next === undefined) throw new Error('no more fixed reports');
    return next(opts);
  };
  const service = new ScanService({
    store,
    findings: monitor,
    runner,
    config: o.config ?? parseScanConfig(undefined, 'test'),
    nowMs: () => clock,
    newId,
    ...(o.cves === undefined ? {} : { cves: () => o.cves }),
    ...(o.maxQueued === undefined ? {} : { maxQueued: o.maxQueued }),
    ...(o.resolve === undefined ? {} : { resolve: o.resolve }),
  });
  onTestFinished(() => service.close());
  return { store, monitor, service, calls };
}

async function runToEnd(h: Harness, targets: string[], ports?: string): Promise<ScanRecord> {
  const queued = await h.service.start({ targets, ...(ports === undefined ? {} : { ports }) }, 'tester');
  expect(queued.status).toBe('queued');
  await h.service.whenIdle();
  return (await h.service.get(queued.id))!;
}

afterEach(() => {
  vi.useRealTimers();
});

describe.skipIf(!records.exists)('ScanService: two scans of a host', () => {
  it('diffs the second scan against the first, raises a KEV alert (T1190), sets the exposure, and raises the risk of traffic to the host', async () => {
    const cves = await realIndex();
    // Independent reading of the record: CISA's KEV date is set.
    const raw = JSON.parse(readFileSync(join(records.path, `${APACHE_CVE}.json`), 'utf8')) as { cisaExploitAdd?: string };
    expect(raw.cisaExploitAdd).toBe('2021-11-03');
    const apache = cves.match({ vendor: 'apache', product: 'http_server', version: '2.4.49' });
    const apacheCve = apache.find((m) => m.id === APACHE_CVE);
    expect(apacheCve).toMatchObject({ kev: true, confidence: 'configuration' });

    const t1 = T0 + 60_000;
    const t2 = T0 + 3_600_000;
    const t3 = T0 + 7_200_000;
    const ssh = port(22, 'OpenSSH', '9.2p1');
    const pg = port(5432, 'PostgreSQL DB', '15.19');
    const httpd = port(80, 'Apache httpd', '2.4.49', apache);
    const h = await harness(
      [
        () => ({ hosts: [host('127.0.0.1', t1, [ssh, pg])], errors: [] }),
        () => ({ hosts: [host('127.0.0.1', t2, [ssh, httpd, pg])], errors: [] }),
        () => ({ hosts: [host('127.0.0.1', t3, [ssh, pg])], errors: [] }),
      ],
      { cves },
    );

    clock = t1;
    const first = await runToEnd(h, ['127.0.0.1'], '22,80,5432');
    expect(first).toMatchObject({ status: 'done', requested_by: 'tester', targets: ['127.0.0.1'], ports: '22,80,5432', error: null });
    expect(first.diffs).toEqual([{ address: '127.0.0.1', first_scan: true, opened: [{ port: 22, proto: 'tcp' }, { port: 5432, proto: 'tcp' }], closed: [], cves_new: [], cves_gone: [] }]);
    // The runner got the configuration and the index.
    expect(h.calls[0]).toMatchObject({ targets: ['127.0.0.1'], ports: { kind: 'list', text: '22,80,5432' }, parallel: 4, hostTimeoutMs: 120_000, nmapPath: 'nmap', postgresUser: 'postgres' });
    expect(h.calls[0].cves).toBe(cves);
    expect((await h.store.listAlerts({ limit: 10 })).items).toEqual([]); // a first scan without CVEs alerts on nothing

    clock = t2;
    const second = await runToEnd(h, ['127.0.0.1'], '22,80,5432');
    expect(second.status).toBe('done');
    const d = second.diffs![0];
    expect(d.first_scan).toBe(false);
    expect(d.opened).toEqual([{ port: 80, proto: 'tcp' }]);
    expect(d.closed).toEqual([]);
    expect(d.cves_new).toContainEqual({ port: 80, proto: 'tcp', id: APACHE_CVE });
    expect(d.cves_new.every((c) => c.port === 80)).toBe(true);
    expect(d.cves_gone).toEqual([]);

    const alerts = (await h.store.listAlerts({ entity: 'ip:127.0.0.1', limit: 10 })).items;
    expect(alerts).toHaveLength(1);
    const a = alerts[0];
    expect(a).toMatchObject({ event_type: 'scan', event_id: second.id, entity: 'ip:127.0.0.1', ip: '127.0.0.1', ts_ms: t2, ports_accessed: [80], severity: 'critical', risk: 1 });
    expect(a.reasons[0]).toBe('Known Exploited Vulnerability');
    expect(a.reasons).toContain('New Open Port');
    expect(a.techniques).toContainEqual({ id: 'T1190', name: 'Exploit Public-Facing Application' });
    expect(a.techniques).toContainEqual({ id: 'T1046', name: 'Network Service Discovery' });
    expect(a.severity).toBe(severityOf(a.risk)); // the same bands as every other alert

    const [state] = await h.store.getEntities(['ip:127.0.0.1']);
    // The scan alert counts among the host's alerts (the first scan raised none: it had no CVE).
    expect(state).toMatchObject({ entity: 'ip:127.0.0.1', kind: 'ip', exposure: 1, risk_class: 'High', events: 0, alerts: 1 });

    // The same flow (telnet from two originators that never sent anything before) aimed at the exposed host and
    // at a host never scanned: the exposed target's flow scores higher.
    const flow = (id: string, orig: string, resp: string) => ({ type: 'flow', id, ts: t2 / 1000 + 10, orig_h: orig, orig_p: 50000, resp_h: resp, resp_p: 23, proto: 'tcp' });
    const [toExposed, toPlain] = await h.monitor.ingest(parseEvents([flow('f1', '10.9.0.1', '127.0.0.1'), flow('f2', '10.9.0.2', '127.0.0.2')], newId), { persist: true, source: 'sim' });
    expect(toPlain.risk).toBeGreaterThan(0);
    expect(toExposed.risk).toBeGreaterThan(toPlain.risk);

    // Third scan: the vulnerable service is gone: diff says so, no alert, exposure back to 0.
    clock = t3;
    const third = await runToEnd(h, ['127.0.0.1'], '22,80,5432');
    expect(third.diffs![0].closed).toEqual([{ port: 80, proto: 'tcp' }]);
    expect(third.diffs![0].cves_gone).toContainEqual({ port: 80, proto: 'tcp', id: APACHE_CVE });
    expect((await h.store.listAlerts({ entity: 'ip:127.0.0.1', limit: 10 })).items).toHaveLength(1);
    const [after] = await h.store.getEntities(['ip:127.0.0.1']);
    expect(after.exposure).toBe(0);

    // Listing: newest first.
    expect((await h.service.list({ limit: 10 })).items.map((s) => s.id)).toEqual([third.id, second.id, first.id]);
  });
});

describe.skipIf(!records.exists || !existsSync('/usr/bin/nmap'))('ScanService with the real runner (nmap) on loopback', () => {
  it('scans Redis on 127.0.0.1:6379, stores the report, alerts on its CVEs and sets the exposure from them', async () => {
    const cves = await realIndex();
    const store = await openSqliteStore({ path: ':memory:' });
    onTestFinished(() => store.close());
    const monitor = await Monitor.open({ store, engine: new DetectionEngine({}, { newId }) });
    onTestFinished(() => monitor.close());
    const service = new ScanService({ store, findings: monitor, runner: scanTargets, config: parseScanConfig({ host_timeout_s: 30 }, 'test'), newId, cves: () => cves });
    onTestFinished(() => service.close());
    const queued = await service.start({ targets: ['127.0.0.1'], ports: '6379' }, 'tester');
    await service.whenIdle();
    const rec = (await service.get(queued.id))!;
    expect(rec.status).toBe('done');
    const redis = rec.report!.hosts[0].ports.find((p) => p.port === 6379)!;
    expect(redis.version).toBe('7.0.15');
    expect(redis.cves.length).toBeGreaterThan(0);
    expect(rec.diffs![0]).toMatchObject({ first_scan: true, opened: [{ port: 6379, proto: 'tcp' }] });
    expect(rec.diffs![0].cves_new.map((c) => c.id).sort()).toEqual(redis.cves.map((c) => c.id).sort());
    // Exposure by hand from the stored report: KEV → 1, else the largest score / 10 (configuration matches).
    const want = redis.cves.some((c) => c.kev) ? 1 : Math.max(...redis.cves.map((c) => (c.score ?? 4) / 10 * (c.confidence === 'affected' ? 0.8 : 1)));
    const [state] = await store.getEntities(['ip:127.0.0.1']);
    expect(state.exposure).toBeCloseTo(want, 4);
    const [alert] = (await store.listAlerts({ entity: 'ip:127.0.0.1', limit: 10 })).items;
    expect(alert).toMatchObject({ event_type: 'scan', event_id: rec.id, ports_accessed: [6379] });
    expect(alert.techniques.map((t) => t.id)).toContain('T1190');
  }, 60_000);
});

describe('ScanService: requests, failures, queue, schedules', () => {
  it('refuses targets outside the scope (naming the rule) and invalid targets or ports before storing anything', async () => {
    const h = await harness([], { resolve: async (n) => (n === 'printer.lan' ? ['10.0.0.9'] : ['127.0.0.1']) });
    const outside = await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.1', '10.0.0.1'] }, 't'), 'IPQ-V004');
    expect(outside.message).toMatch(/allowlist 127\.0\.0\.0\/8, ::1\/128/);
    await expectIpqsecRejection(() => h.service.start({ targets: ['printer.lan'] }, 't'), 'IPQ-V004');
    await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.1 -oN /tmp/x'] }, 't'), 'IPQ-V005');
    await expectIpqsecRejection(() => h.service.start({ targets: ['--script=x'] }, 't'), 'IPQ-V005');
    await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.1'], ports: '22,70000' }, 't'), 'IPQ-V005');
    await expectIpqsecRejection(() => h.service.start({ targets: [] }, 't'), 'IPQ-V005');
    await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.0/8'] }, 't'), 'IPQ-V005'); // 16 M hosts > 4,096
    expect((await h.service.list({ limit: 10 })).items).toEqual([]);
    expect(h.calls).toEqual([]);
  });

  it('the deny list wins over the allowlist', async () => {
    const config = parseScanConfig({ deny: ['127.0.0.5'] }, 'test');
    const h = await harness([], { config });
    const e = await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.5'] }, 't'), 'IPQ-V004');
    expect(e.message).toMatch(/deny 127\.0\.0\.5\/32/);
  });

  it('a runner failure stores the scan failed with the error; per-host errors keep the scan done', async () => {
    const h = await harness([
      () => {
        throw new IpqsecError('IPQ-V006', 'nmap: not found (Debian: apt-get install nmap)');
      },
      () => ({ hosts: [host('127.0.0.1', T0 + 5000, [port(6379, 'Redis key-value store', '7.0.15')])], errors: [{ target: '127.0.0.2', code: 'IPQ-V007', message: 'timed out' }] }),
    ]);
    const failed = await runToEnd(h, ['127.0.0.1']);
    expect(failed).toMatchObject({ status: 'failed', report: null, diffs: null });
    expect(failed.error).toMatch(/IPQ-V006.*apt-get install nmap/);
    expect(failed.finished_ms).not.toBeNull();
    const partial = await runToEnd(h, ['127.0.0.1', '127.0.0.2']);
    expect(partial.status).toBe('done');
    expect(partial.report?.errors).toEqual([{ target: '127.0.0.2', code: 'IPQ-V007', message: 'timed out' }]);
    expect(partial.diffs?.map((d) => d.address)).toEqual(['127.0.0.1']);
  });

  it('a host down at its previous scan is diffed as a first scan (no burst of New Open Port)', async () => {
    const down: HostReport = { ...host('127.0.0.1', T0 + 1000, []), status: 'down' };
    const h = await harness([() => ({ hosts: [down], errors: [] }), () => ({ hosts: [host('127.0.0.1', T0 + 9000, [port(22, 'OpenSSH', '9.2p1')])], errors: [] })]);
    const s1 = await runToEnd(h, ['127.0.0.1']);
    expect(s1.diffs).toEqual([]); // down hosts are not assessed
    const s2 = await runToEnd(h, ['127.0.0.1']);
    expect(s2.diffs![0].first_scan).toBe(true);
    expect((await h.store.listAlerts({ limit: 10 })).items).toEqual([]);
  });

  it('queues at most maxQueued scans (IPQ-S005 beyond), runs them one at a time in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let maxRunning = 0;
    const slow = (finished: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate;
      running--;
      return { hosts: [host('127.0.0.1', finished, [])], errors: [] };
    };
    const h = await harness([slow(T0 + 1), slow(T0 + 2), slow(T0 + 3)], { maxQueued: 2 });
    const a = await h.service.start({ targets: ['127.0.0.1'] }, 't'); // runs at once
    const b = await h.service.start({ targets: ['127.0.0.1'] }, 't');
    const c = await h.service.start({ targets: ['::1'] }, 't');
    expect(h.service.queued).toBe(2);
    const full = await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.1'] }, 't'), 'IPQ-S005');
    expect(full.message).toMatch(/limit 2/);
    expect((await h.service.get(b.id))?.status).toBe('queued');
    expect((await h.service.get(a.id))?.status).toBe('running');
    release();
    await h.service.whenIdle();
    expect(maxRunning).toBe(1);
    expect(h.calls.map((x) => x.targets)).toEqual([['127.0.0.1'], ['127.0.0.1'], ['::1']]);
    for (const id of [a.id, b.id, c.id]) expect((await h.service.get(id))?.status).toBe('done');
  });

  it('close aborts the running scan and fails the queued ones; later requests are refused', async () => {
    const aborting = (o: Parameters<ScanRunner>[0]) =>
      new Promise<ScanReport>((_resolve, reject) => o.signal?.addEventListener('abort', () => reject(o.signal?.reason), { once: true }));
    const h = await harness([aborting]);
    const a = await h.service.start({ targets: ['127.0.0.1'] }, 't');
    const b = await h.service.start({ targets: ['127.0.0.1'] }, 't');
    await vi.waitFor(() => expect(h.calls).toHaveLength(1)); // a's runner is running
    await h.service.close();
    expect(await h.service.get(a.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/shutting down/) });
    expect(await h.service.get(b.id)).toMatchObject({ status: 'failed', error: 'service stopped before the scan ran', started_ms: null });
    await expectIpqsecRejection(() => h.service.start({ targets: ['127.0.0.1'] }, 't'), 'IPQ-S001');
  });

  it('a scan aborted before its runner starts is failed without calling it', async () => {
    const h = await harness([]);
    const a = await h.service.start({ targets: ['127.0.0.1'] }, 't');
    await h.service.close(); // a is between "running" and the runner call
    expect(await h.service.get(a.id)).toMatchObject({ status: 'failed', report: null, error: expect.stringMatching(/^aborted: /) });
    expect(h.calls).toEqual([]);
  });

  it('a runner that returns its partial report on abort (as scanTargets does): kept, scan failed, findings not applied', async () => {
    const partial = (o: Parameters<ScanRunner>[0]) =>
      new Promise<ScanReport>((resolve) =>
        o.signal?.addEventListener(
          'abort',
          () => resolve({ hosts: [host('127.0.0.1', T0 + 1, [port(80, 'Apache httpd', '2.4.49', [{ id: APACHE_CVE, score: 7.5, severity: 'HIGH', kev: true, confidence: 'configuration' }])])], errors: [{ target: '127.0.0.2', code: 'IPQ-V007', message: 'aborted' }] }),
          { once: true },
        ),
      );
    const h = await harness([partial]);
    const a = await h.service.start({ targets: ['127.0.0.1', '127.0.0.2'] }, 't');
    await vi.waitFor(() => expect(h.calls).toHaveLength(1)); // the runner is running
    await h.service.close();
    const rec = await h.service.get(a.id);
    expect(rec).toMatchObject({ status: 'failed', diffs: null, error: expect.stringMatching(/^aborted: .*shutting down/) });
    expect(rec?.report?.hosts.map((x) => x.address)).toEqual(['127.0.0.1']);
    expect((await h.store.listAlerts({ limit: 10 })).items).toEqual([]);
    expect(await h.store.getEntities(['ip:127.0.0.1'])).toEqual([]);
  });

  it('schedules run every every_s seconds and skip a tick while their previous scan still runs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const config = parseScanConfig({ schedules: [{ targets: ['127.0.0.1'], ports: 'top-10', every_s: 60 }] }, 'test');
    const h = await harness(
      [
        async () => {
          await gate;
          return { hosts: [host('127.0.0.1', T0 + 1, [])], errors: [] };
        },
        () => ({ hosts: [host('127.0.0.1', T0 + 2, [])], errors: [] }),
      ],
      { config },
    );
    h.service.startSchedules();
    h.service.startSchedules(); // idempotent: still one timer
    await vi.advanceTimersByTimeAsync(59_999);
    expect(h.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(h.calls).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(60_000); // previous still running: skipped
    release();
    await h.service.whenIdle();
    expect(h.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(() => expect(h.calls).toHaveLength(2));
    await h.service.whenIdle();
    const scans = (await h.service.list({ limit: 10 })).items;
    expect(scans.map((s) => [s.requested_by, s.ports, s.status])).toEqual([
      ['schedule:0', 'top-10', 'done'],
      ['schedule:0', 'top-10', 'done'],
    ]);
  });
});
