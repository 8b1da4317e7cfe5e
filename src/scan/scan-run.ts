/**
 * A whole vulnerability scan: nmap on every host (nmap-runner.ts), what each open port runs (service-identity.ts,
 * with the service itself asked when nmap's version is missing or a range: version-probes.ts), and the CVEs of
 * that product and version from the offline database (cve-matcher.ts), as one {@link ScanReport}.
 *
 * SOURCE: the report shape of scan-report.ts (issue 7: `ipqsec scan --json`); matching rules of cve-matcher.ts
 * (NVD configurations, NISTIR 7696/7698); CVSS severity order (FIRST CVSS v3.1 specification §5: a higher base
 * score is more severe).
 *
 * Report rules: hosts in target order; ports ascending by (protocol, port), `closed` ports omitted; a port's CVEs
 * de-duplicated by id (the several queries of a service — CPE aliases, product name — may find one CVE twice;
 * the `configuration` match is kept over an `affected` one), highest score first (no score last), then by id.
 * Ports whose version is unknown or a range get no CVEs (an unknown version must not match every range).
 *
 * Bounds: version probes only for `open` TCP ports without an exact version, ≤ 4 at once per host, each ≤
 * `probeTimeoutMs`; CVE look-ups are in memory (cve-matcher.ts). Memory: the report itself.
 * Errors: as runNmap (thrown before anything runs: IPQ-V004/V005/V006; per host in `errors[]`: IPQ-V003/V007).
 */
import type { CveIndex, CveMatch, CveQuery } from './cve-matcher.js';
import { parseCpe23 } from './cpe.js';
import { runNmap, type NmapHostResult, type NmapRunOptions } from './nmap-runner.js';
import type { NmapPort } from './nmap-xml.js';
import type { CveFinding, HostReport, PortFinding, ScanReport } from './scan-report.js';
import { identifyService, type ServiceIdentity } from './service-identity.js';
import { probeVersion, type ProbeResult } from './version-probes.js';

/** Options of {@link scanTargets}: those of runNmap plus CVE matching and version probes. */
export interface ScanOptions extends NmapRunOptions {
  /** CVE database; without it no CVEs are reported. */
  cves?: CveIndex;
  /** Ask services for versions nmap could not give (version-probes.ts); default true. */
  probes?: boolean;
  /** PostgreSQL role for the version probe (no password is ever sent); default `postgres`. */
  postgresUser?: string;
  /** Bound on each version probe, ms; default 3 000. */
  probeTimeoutMs?: number;
}

const PROBES_PER_HOST = 4;
const DEFAULT_PROBE_TIMEOUT_MS = 3000;
const PROTO_ORDER = { tcp: 0, udp: 1, sctp: 2 } as const;

/** The CVEs of a service's queries, de-duplicated and ordered (see the module comment). */
export function cvesFor(index: CveIndex | undefined, queries: readonly CveQuery[]): CveFinding[] {
  if (index === undefined || queries.length === 0) return [];
  const byId = new Map<string, CveMatch>();
  for (const q of queries) {
    for (const m of index.match(q)) {
      const prev = byId.get(m.id);
      if (prev === undefined || (prev.confidence === 'affected' && m.confidence === 'configuration')) byId.set(m.id, m);
    }
  }
  return [...byId.values()]
    .sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ id, score, severity, kev, confidence }) => ({ id, score, severity, kev, confidence }));
}

/** Identity after a successful probe: the service's own answer first, nmap's CPEs of other products kept. */
function withProbe(id: ServiceIdentity, p: ProbeResult): ServiceIdentity {
  const c = parseCpe23(p.cpe);
  const cpe = [p.cpe];
  for (const x of id.cpe) {
    const o = parseCpe23(x);
    if ((o.vendor !== c.vendor || o.product !== c.product) && !cpe.includes(x)) cpe.push(x);
  }
  return { service: p.service, product: p.product, version: p.version, exact: true, cpe, queries: [{ vendor: c.vendor, product: c.product, version: p.version }] };
}

const EMPTY_SERVICE = { name: null, product: null, version: null, extrainfo: null, cpe: [], method: null, conf: null };

async function hostReport(r: NmapHostResult, o: ScanOptions): Promise<HostReport> {
  const ports = r.host.ports
    .filter((p) => p.state !== 'closed')
    .sort((a, b) => PROTO_ORDER[a.proto] - PROTO_ORDER[b.proto] || a.port - b.port);
  const ids: ServiceIdentity[] = ports.map((p) => identifyService(p.service ?? EMPTY_SERVICE));
  if (o.probes !== false) {
    const todo: number[] = [];
    ports.forEach((p, i) => {
      if (p.state === 'open' && p.proto === 'tcp' && !(ids[i] as ServiceIdentity).exact) todo.push(i);
    });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length && o.signal?.aborted !== true) {
        const i = todo[next++] as number;
        const res = await probeVersion(r.host.address, ports[i] as NmapPort, {
          timeoutMs: o.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
          postgresUser: o.postgresUser ?? 'postgres',
        });
        if (res !== null) ids[i] = withProbe(ids[i] as ServiceIdentity, res);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROBES_PER_HOST, todo.length) }, worker));
  }
  const findings: PortFinding[] = ports.map((p, i) => {
    const id = ids[i] as ServiceIdentity;
    return {
      port: p.port,
      proto: p.proto,
      state: p.state,
      service: id.service,
      product: id.product,
      version: id.version,
      cpe: id.cpe,
      cves: id.exact ? cvesFor(o.cves, id.queries) : [],
    };
  });
  return {
    address: r.host.address,
    hostnames: r.host.hostnames,
    status: r.host.status,
    started_ms: r.started_ms,
    finished_ms: Math.max(r.finished_ms, Date.now()),
    ports: findings,
  };
}

/**
 * Scans the targets and reports, per host, the open ports with product, version, CPE 2.3 names and CVEs.
 * Each host's version probes and CVE look-ups start as soon as its nmap process finishes (while other hosts are
 * still being scanned); `onHost` is called with nmap's result as in runNmap.
 * @throws as runNmap, before anything runs: IpqsecError `IPQ-V005`, `IPQ-V004`, `IPQ-V006`.
 */
export async function scanTargets(o: ScanOptions): Promise<ScanReport> {
  const pending = new Map<string, Promise<HostReport>>();
  const { hosts, errors } = await runNmap({
    ...o,
    onHost: (h) => {
      const report = hostReport(h, o);
      report.catch(() => {}); // awaited below; never an unhandled rejection while nmap still runs
      pending.set(h.host.address, report);
      o.onHost?.(h);
    },
  });
  const reports: HostReport[] = [];
  for (const h of hosts) reports.push(await (pending.get(h.host.address) ?? hostReport(h, o)));
  return { hosts: reports, errors };
}
