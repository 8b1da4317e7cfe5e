/**
 * The vulnerability-scan service: scan requests (API, schedules) in; stored scans, per-host diffs, alerts and
 * host exposure out.
 *
 * Flow of one scan:
 * 1. {@link ScanService.start} validates the request before anything is queued, with the runner's own check
 *    (scan/nmap-runner.ts `resolveScanTargets`): every target parses (IPQ-V005), the port specification parses
 *    (`parsePortSpec`, IPQ-V005), the scan holds at most `maxHosts` addresses (IPQ-V005) and every address, CIDR
 *    and resolved host-name address is inside the configured scope (allowlist minus denylist, IPQ-V004 naming the
 *    rule). The scan is then stored as `queued` and returned.
 * 2. Queued scans run one at a time, in request order (nmap already scans `parallel` hosts at once; two scans at
 *    once would only double the load on the network). The runner (scan/scan-run.ts `scanTargets` in production)
 *    resolves and checks the scope again (DNS may have changed since the request) and returns the report.
 * 3. For each host that is up: its previous report (`Store.previousHostReport`, latest done scan of the address
 *    before this host finished) → `diffHost` → `scanAlerts` (event_type `scan`, ATT&CK techniques from
 *    detect/attack-mapping.ts) and `exposureOf`. A host that was not up at its previous scan is diffed as if first
 *    scanned (so that coming back up does not report every port as newly opened).
 * 4. The alerts and exposures go to the monitor (`applyScanFindings`: threat memory, store, stream, webhooks) and
 *    then the scan is stored `done` with its report and diffs. Findings first: if storing the scan fails after
 *    them, the next scan repeats the alerts (diffed against the older baseline) rather than losing them.
 * A runner failure (nmap missing, scope refused at run time, abort) stores the scan `failed` with the error; a
 * failure after the report (monitor or store) stores it `failed` with the report kept. Hosts nmap could not scan
 * are in the report's `errors` and the scan is still `done`.
 *
 * Bounds: at most `maxQueued` scans wait (default 16; beyond, `start` refuses with IPQ-S005, HTTP 503 with
 * Retry-After); at most {@link MAX_SCHEDULES} schedule timers; one scan runs at a time.
 *
 * Schedules (`config.schedules`): a timer per schedule fires every `every_s` seconds (first run one period after
 * {@link ScanService.startSchedules}; timers are unref'd so they never keep the process alive). A tick is skipped
 * while the schedule's previous scan is still queued or running. Scans it starts are requested by `schedule:<index>`.
 *
 * Shutdown ({@link ScanService.close}): timers stop, new requests are refused (IPQ-S001), the running scan is
 * aborted through its AbortSignal and stored `failed` (with the partial report when the runner returns one; its
 * findings are not applied), queued scans are stored `failed` ("service stopped before the scan ran").
 * Scans left `queued` or `running` by a crash stay so in the store (not resumed).
 */
import { lookup } from 'node:dns/promises';
import { IpqsecError } from '../core/errors.js';
import type { Alert, AlertReason } from '../core/records.js';
import { techniquesFor } from '../detect/attack-mapping.js';
import type { CveIndex } from '../scan/cve-matcher.js';
import { exposureOf } from '../scan/exposure.js';
import { resolveScanTargets, type NmapRunOptions } from '../scan/nmap-runner.js';
import { scanAlerts } from '../scan/scan-alerts.js';
import { MAX_SCAN_TARGETS, MAX_SCHEDULES, type ScanConfig } from '../scan/scan-config.js';
import { diffHost, type HostDiff } from '../scan/scan-diff.js';
import type { HostReport, ScanReport } from '../scan/scan-report.js';
import { parsePortSpec, scanScope, type PortSpec, type ScanScope } from '../scan/scan-target.js';
import type { Page, ScanQuery, ScanRecord, Store } from '../store/store.js';
import type { MonitorPort } from './monitor-port.js';

/** Runs one scan and returns its report (scan/scan-run.ts `scanTargets` in production; a port for tests). */
export type ScanRunner = (o: NmapRunOptions & { cves?: CveIndex; postgresUser?: string }) => Promise<ScanReport>;

/** A structured log call (same shape as the server's `LogFn`). */
export type ScanLogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Options of {@link ScanService}. */
export interface ScanServiceOptions {
  readonly store: Store;
  /** Where findings go (the Monitor). */
  readonly findings: Pick<MonitorPort, 'applyScanFindings'>;
  readonly runner: ScanRunner;
  /** The validated `scan` configuration (scan/scan-config.ts). */
  readonly config: ScanConfig;
  /** Clock, epoch ms (default Date.now): scan times, alert times. */
  readonly nowMs?: () => number;
  /** Unique ids for scans and scan alerts. */
  readonly newId: () => string;
  /**
   * The CVE index to match against, asked for at the start of each scan (undefined: no CVE matching). May be async
   * (service/cve-database.ts rebuilds the index when the store's CVE records changed).
   */
  readonly cves?: () => CveIndex | undefined | Promise<CveIndex | undefined>;
  /** Most scans waiting to run (integer ≥ 1, default 16). */
  readonly maxQueued?: number;
  /** Most addresses one CIDR target may expand to (default 4,096). */
  readonly maxHosts?: number;
  /** Host-name resolution of `start`'s scope check (default: `dns.lookup` with `all: true`); also given to the runner. */
  readonly resolve?: (name: string) => Promise<string[]>;
  readonly log?: ScanLogFn;
}

/** A scan request (`POST /api/v1/scans` body). */
export interface ScanRequest {
  /** Addresses, CIDRs or host names, 1..64. */
  readonly targets: readonly string[];
  /** Port specification; default the configuration's `ports`. */
  readonly ports?: string;
}

/** Default of {@link ScanServiceOptions.maxQueued}. */
export const DEFAULT_MAX_QUEUED_SCANS = 16;
/** Default of {@link ScanServiceOptions.maxHosts}. */
export const DEFAULT_MAX_SCAN_HOSTS = 4096;
/** Longest error text kept in a failed scan record (characters). */
const MAX_ERROR_CHARS = 2000;

/** Every address a host name resolves to (A and AAAA), via the system resolver. */
async function defaultResolve(name: string): Promise<string[]> {
  const r = await lookup(name, { all: true, verbatim: true });
  return r.map((a) => a.address);
}

const techniques = (reason: AlertReason) => techniquesFor(reason, { eventType: 'flow' }); // scan findings are network facts

function errorText(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.length > MAX_ERROR_CHARS ? `${s.slice(0, MAX_ERROR_CHARS)}…` : s;
}

/** Normalised text of a port specification, as stored in the scan record. */
function portSpecText(p: PortSpec): string {
  return p.kind === 'top' ? `top-${p.n}` : p.text;
}

/** The scan service; see the file comment. */
export class ScanService {
  private readonly scope: ScanScope;
  private readonly nowMs: () => number;
  private readonly maxQueued: number;
  private readonly maxHosts: number;
  private readonly resolve: (name: string) => Promise<string[]>;
  /** Scans waiting to run, in order (≤ maxQueued). */
  private queue: ScanRecord[] = [];
  /** Slots taken by `start` calls still storing their record (counted against maxQueued). */
  private reserved = 0;
  private loop: Promise<void> | undefined;
  private current: AbortController | undefined;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** scan id → schedule index, for scans a schedule started that are not finished (≤ schedules). */
  private readonly scheduled = new Map<string, number>();
  /** Schedules whose scan is being requested, queued or running (≤ schedules). */
  private readonly activeSchedules = new Set<number>();

  /** @throws IpqsecError IPQ-V005 when a scope entry of the configuration is not a CIDR or address */
  constructor(private readonly o: ScanServiceOptions) {
    this.scope = scanScope(o.config.allow, o.config.deny);
    this.nowMs = o.nowMs ?? Date.now;
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED_SCANS;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 1) throw new RangeError(`maxQueued must be an integer >= 1, got ${this.maxQueued}`);
    this.maxHosts = o.maxHosts ?? DEFAULT_MAX_SCAN_HOSTS;
    this.resolve = o.resolve ?? defaultResolve;
  }

  /** Scans waiting to run (not counting the one running). */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Validates and queues a scan; resolves with its record (status `queued`) once stored.
   * @param by who asks (token name, `schedule:<n>`)
   * @throws IpqsecError IPQ-V005 (bad target, port list, too many targets or hosts), IPQ-V004 (outside the scope,
   *   naming the rule), IPQ-S005 (queue full), IPQ-S001 (shutting down, or the store failed)
   */
  start(req: ScanRequest, by: string): Promise<ScanRecord> {
    return this.enqueue(req, by, undefined);
  }

  private async enqueue(req: ScanRequest, by: string, schedule: number | undefined): Promise<ScanRecord> {
    if (this.closed) throw new IpqsecError('IPQ-S001', 'the scan service is shutting down');
    if (req.targets.length < 1 || req.targets.length > MAX_SCAN_TARGETS) {
      throw new IpqsecError('IPQ-V005', `a scan takes 1..${MAX_SCAN_TARGETS} targets, got ${req.targets.length}`);
    }
    const ports = parsePortSpec(req.ports ?? this.o.config.ports);
    // The runner's own validation (parse every target, resolve names, scope of every address, host bound), so the
    // request is refused now exactly as the run would refuse it later.
    await resolveScanTargets({ targets: req.targets, scope: this.scope, maxHosts: this.maxHosts, resolve: this.resolve });
    if (this.closed) throw new IpqsecError('IPQ-S001', 'the scan service is shutting down');
    if (this.queue.length + this.reserved >= this.maxQueued) {
      throw new IpqsecError('IPQ-S005', `${this.queue.length + this.reserved} scans are waiting (limit ${this.maxQueued})`, {
        details: { queued: this.queue.length + this.reserved, limit: this.maxQueued },
      });
    }
    const record: ScanRecord = {
      id: this.o.newId(),
      status: 'queued',
      requested_by: by,
      targets: [...req.targets],
      ports: portSpecText(ports),
      created_ms: this.nowMs(),
      started_ms: null,
      finished_ms: null,
      error: null,
      report: null,
      diffs: null,
    };
    this.reserved++;
    try {
      await this.o.store.putScan(record);
    } finally {
      this.reserved--;
    }
    if (this.closed) {
      await this.o.store.putScan({ ...record, status: 'failed', finished_ms: this.nowMs(), error: 'service stopped before the scan ran' });
      throw new IpqsecError('IPQ-S001', 'the scan service is shutting down');
    }
    if (schedule !== undefined) this.scheduled.set(record.id, schedule);
    this.queue.push(record);
    this.kick();
    return record;
  }

  /** One scan by id. */
  get(id: string): Promise<ScanRecord | undefined> {
    return this.o.store.getScan(id);
  }

  /** Scans, newest first (cursor paging). */
  list(q: ScanQuery): Promise<Page<ScanRecord>> {
    return this.o.store.listScans(q);
  }

  /** Starts the schedule timers of the configuration (once; later calls do nothing). */
  startSchedules(): void {
    if (this.closed || this.timers.length > 0) return;
    this.o.config.schedules.slice(0, MAX_SCHEDULES).forEach((s, i) => {
      const timer = setInterval(() => void this.tick(i), s.every_s * 1000);
      timer.unref();
      this.timers.push(timer);
    });
  }

  /** Resolves when no scan is queued or running. */
  async whenIdle(): Promise<void> {
    while (this.loop !== undefined || this.reserved > 0) {
      if (this.loop !== undefined) await this.loop;
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops timers, refuses new scans, aborts the running scan and fails the queued ones; resolves when all is stored. */
  async close(): Promise<void> {
    if (this.closed) return this.whenIdle();
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    const waiting = this.queue;
    this.queue = [];
    this.current?.abort(new IpqsecError('IPQ-S001', 'the scan service is shutting down'));
    for (const r of waiting) {
      this.finishedSchedule(r.id);
      try {
        await this.o.store.putScan({ ...r, status: 'failed', finished_ms: this.nowMs(), error: 'service stopped before the scan ran' });
      } catch (e) {
        this.o.log?.('error', 'scan: storing a cancelled scan failed', { scan: r.id, error: errorText(e) });
      }
    }
    await this.whenIdle();
  }

  private async tick(i: number): Promise<void> {
    if (this.closed) return;
    if (this.activeSchedules.has(i)) {
      this.o.log?.('info', 'scan schedule skipped: its previous scan is still queued or running', { schedule: i });
      return;
    }
    const s = this.o.config.schedules[i];
    this.activeSchedules.add(i);
    try {
      await this.enqueue({ targets: s.targets, ...(s.ports === undefined ? {} : { ports: s.ports }) }, `schedule:${i}`, i);
    } catch (e) {
      this.activeSchedules.delete(i);
      this.o.log?.('warn', 'scheduled scan not started', { schedule: i, error: errorText(e) });
    }
  }

  private finishedSchedule(scanId: string): void {
    const i = this.scheduled.get(scanId);
    if (i === undefined) return;
    this.scheduled.delete(scanId);
    this.activeSchedules.delete(i);
  }

  /** Starts the run loop unless it runs (it drains the queue; its last step and `loop = undefined` are one synchronous step). */
  private kick(): void {
    if (this.loop !== undefined || this.queue.length === 0) return;
    this.loop = (async () => {
      try {
        for (let r = this.queue.shift(); r !== undefined; r = this.queue.shift()) {
          try {
            await this.runOne(r);
          } catch (e) {
            this.o.log?.('error', 'scan: storing the outcome failed', { scan: r.id, error: errorText(e) });
          } finally {
            this.finishedSchedule(r.id);
          }
        }
      } finally {
        this.loop = undefined;
      }
    })();
  }

  private async runOne(rec: ScanRecord): Promise<void> {
    const { store, config } = this.o;
    const ctl = new AbortController();
    this.current = ctl;
    let running: ScanRecord = { ...rec, status: 'running', started_ms: this.nowMs() };
    try {
      await store.putScan(running);
      if (ctl.signal.aborted) {
        await store.putScan({ ...running, status: 'failed', finished_ms: this.nowMs(), error: `aborted: ${errorText(ctl.signal.reason)}` });
        return;
      }
      let report: ScanReport;
      try {
        report = await this.o.runner({
          targets: rec.targets,
          ports: parsePortSpec(rec.ports),
          scope: this.scope,
          parallel: config.parallel,
          hostTimeoutMs: config.host_timeout_s * 1000,
          maxHosts: this.maxHosts,
          nmapPath: config.nmap_path,
          resolve: this.resolve,
          signal: ctl.signal,
          postgresUser: config.postgres_user,
          ...(await this.cveOption()),
        });
      } catch (e) {
        this.o.log?.('warn', 'scan failed', { scan: rec.id, error: errorText(e) });
        await store.putScan({ ...running, status: 'failed', finished_ms: this.nowMs(), error: errorText(e) });
        return;
      }
      const finished = this.nowMs();
      running = { ...running, finished_ms: finished, report };
      if (ctl.signal.aborted) {
        // The runner returns what it finished before the abort (the rest as IPQ-V007 entries): kept, not assessed.
        await store.putScan({ ...running, status: 'failed', error: `aborted: ${errorText(ctl.signal.reason)}` });
        return;
      }
      try {
        const { diffs, alerts, exposures } = await this.assess(rec.id, report, finished);
        await this.o.findings.applyScanFindings({ alerts, exposures, tsMs: finished });
        await store.putScan({ ...running, status: 'done', diffs });
      } catch (e) {
        this.o.log?.('error', 'scan findings not recorded', { scan: rec.id, error: errorText(e) });
        await store.putScan({ ...running, status: 'failed', error: `findings not recorded: ${errorText(e)}` });
      }
    } finally {
      this.current = undefined;
    }
  }

  private async cveOption(): Promise<{ cves?: CveIndex }> {
    const idx = await this.o.cves?.();
    return idx === undefined ? {} : { cves: idx };
  }

  /** Diffs, alerts and exposures of a finished scan's hosts that are up (one entry per address, the last wins). */
  private async assess(scanId: string, report: ScanReport, tsMs: number): Promise<{ diffs: HostDiff[]; alerts: Alert[]; exposures: { entity: string; exposure: number }[] }> {
    const hosts = new Map<string, HostReport>();
    for (const h of report.hosts) if (h.status === 'up') hosts.set(h.address, h);
    const diffs: HostDiff[] = [];
    const alerts: Alert[] = [];
    const exposures: { entity: string; exposure: number }[] = [];
    for (const h of hosts.values()) {
      const prev = await this.o.store.previousHostReport(h.address, h.finished_ms);
      const d = diffHost(prev?.status === 'up' ? prev : undefined, h);
      diffs.push(d);
      alerts.push(...scanAlerts(d, h, { scanId, tsMs, newId: this.o.newId, techniques }));
      exposures.push({ entity: `ip:${h.address}`, exposure: exposureOf(h) });
    }
    return { diffs, alerts, exposures };
  }
}
