/**
 * Reading the scan API's answers (src/server/scans.ts, src/scan/scan-report.ts) defensively: every field is checked
 * for its type, a missing or malformed part becomes absent (null, empty list, 0), never trusted.
 */

/** One CVE matched to a port. */
export interface Cve {
  readonly id: string;
  readonly score: number | null;
  readonly severity: string | null;
  readonly kev: boolean;
  readonly confidence: string;
}
/** One port of a host with its CVEs. */
export interface Port {
  readonly port: number;
  readonly proto: string;
  readonly state: string;
  readonly service: string | null;
  readonly product: string | null;
  readonly version: string | null;
  readonly cves: readonly Cve[];
}
/** One scanned host. */
export interface Host {
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly status: string;
  readonly ports: readonly Port[];
}
/** A scan report: hosts and the targets that failed. */
export interface Report {
  readonly hosts: readonly Host[];
  readonly errors: readonly { target: string; code: string; message: string }[];
}
/** A scan as listed. */
export interface Scan {
  readonly id: string;
  readonly status: string | null;
  readonly targets: readonly string[];
  readonly startedMs: number | null;
  readonly finishedMs: number | null;
  readonly report: Report | null;
  readonly error: string | null;
  /** Changes since each host's previous scan: ports opened, CVEs new (counts). */
  readonly opened: number;
  readonly cvesNew: number;
}

/** `x` as a plain object, or null. */
export const obj = (x: unknown): Record<string, unknown> | null => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null);
const s = (x: unknown): string | null => (typeof x === 'string' ? x : null);
const n = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);

function cveOf(x: unknown): Cve | null {
  const o = obj(x);
  const id = s(o?.id);
  if (o === null || id === null) return null;
  return { id, score: n(o.score), severity: s(o.severity), kev: o.kev === true, confidence: s(o.confidence) ?? '' };
}

function portOf(x: unknown): Port | null {
  const o = obj(x);
  const port = n(o?.port);
  if (o === null || port === null) return null;
  return {
    port,
    proto: s(o.proto) ?? 'tcp',
    state: s(o.state) ?? '',
    service: s(o.service),
    product: s(o.product),
    version: s(o.version),
    cves: arr(o.cves).map(cveOf).filter((c): c is Cve => c !== null),
  };
}

/** A scan report from any value (missing parts become empty), or null when it has no host list. */
export function reportOf(x: unknown): Report | null {
  const o = obj(x);
  if (o === null || !Array.isArray(o.hosts)) return null;
  const hosts = o.hosts
    .map((h): Host | null => {
      const ho = obj(h);
      const address = s(ho?.address);
      if (ho === null || address === null) return null;
      return { address, hostnames: arr(ho.hostnames).filter((v): v is string => typeof v === 'string'), status: s(ho.status) ?? '', ports: arr(ho.ports).map(portOf).filter((p): p is Port => p !== null) };
    })
    .filter((h): h is Host => h !== null);
  const errors = arr(o.errors)
    .map((e) => obj(e))
    .filter((e): e is Record<string, unknown> => e !== null)
    .map((e) => ({ target: s(e.target) ?? '', code: s(e.code) ?? '', message: s(e.message) ?? '' }));
  return { hosts, errors };
}

/** Scans from the list answer (`{ items }`, `{ scans }` or an array). */
export function scansOf(body: unknown): Scan[] {
  const o = obj(body);
  const items = Array.isArray(body) ? body : arr(o?.items ?? o?.scans);
  return items
    .map((it): Scan | null => {
      const i = obj(it);
      const id = s(i?.id) ?? s(i?.scan_id);
      if (i === null || id === null) return null;
      const targets = arr(i.targets).filter((t): t is string => typeof t === 'string');
      return {
        id,
        status: s(i.status),
        targets: targets.length > 0 ? targets : s(i.target) !== null ? [s(i.target)!] : [],
        startedMs: n(i.started_ms) ?? n(i.created_ms),
        finishedMs: n(i.finished_ms),
        report: reportOf(i.report) ?? reportOf(i),
        error: s(i.error),
        opened: arr(i.diffs).reduce<number>((acc, d) => acc + arr(obj(d)?.opened).length, 0),
        cvesNew: arr(i.diffs).reduce<number>((acc, d) => acc + arr(obj(d)?.cves_new).length, 0),
      };
    })
    .filter((x): x is Scan => x !== null);
}

/** Counts of a report: hosts, ports, distinct CVEs, distinct KEV-listed CVEs. */
export function summary(r: Report | null): { hosts: number; ports: number; cves: number; kev: number } {
  if (r === null) return { hosts: 0, ports: 0, cves: 0, kev: 0 };
  let ports = 0;
  const cves = new Set<string>();
  const kev = new Set<string>();
  for (const h of r.hosts)
    for (const p of h.ports) {
      ports++;
      for (const c of p.cves) {
        cves.add(c.id);
        if (c.kev) kev.add(c.id);
      }
    }
  return { hosts: r.hosts.length, ports, cves: cves.size, kev: kev.size };
}
