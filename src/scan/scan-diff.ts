/**
 * What changed on a host between two vulnerability scans: ports opened and closed, CVEs newly seen and gone.
 *
 * Rules (pure, no I/O):
 * - Only ports whose nmap state is exactly `open` count ({@link isOpenPort}). `filtered`, `open|filtered` and the
 *   like say nmap could not tell (a firewall dropped the probe, or a UDP service kept silent), so a port flapping
 *   between `open|filtered` and `filtered` is not reported as a change.
 * - A port is the pair (port, proto): tcp/53 and udp/53 are different ports.
 * - A CVE is the triple (port, proto, id): the same CVE on two ports is two findings (each an exposed service), and
 *   a CVE is counted on open ports only. A port that opens brings all its CVEs as new; one that closes takes them
 *   away.
 * - Without a previous report (`prev` undefined: the host's first scan) every open port is "opened" and every CVE
 *   "new", with `first_scan` true; callers decide what a first scan alerts on (scan-alerts.ts: CVEs only).
 * - For two reports, `diffHost(a, b).opened` equals `diffHost(b, a).closed` and `cves_new` equals the other's
 *   `cves_gone` (the tests check this symmetry).
 *
 * Output lists are sorted by (proto, port) then CVE id, with no duplicates; a host report never holds more than
 * 65,535 × 3 ports, so the diff is bounded by its inputs. Cost O(n log n) in the ports and CVEs of both reports.
 */
import type { HostReport, PortFinding } from './scan-report.js';

/** A port of a host: number 1..65535 and transport (`tcp`, `udp`, `sctp`). */
export interface PortRef {
  readonly port: number;
  readonly proto: string;
}

/** A CVE found on one port. */
export type CveRef = PortRef & { readonly id: string };

/** The changes of one host between its previous scan and this one (see the file comment for the rules). */
export interface HostDiff {
  /** The host's IP address (as in the {@link HostReport}). */
  readonly address: string;
  /** True when the host had no earlier scan: `opened` is then every open port and `cves_new` every CVE. */
  readonly first_scan: boolean;
  /** Ports open now and not before. */
  readonly opened: readonly PortRef[];
  /** Ports open before and not now. */
  readonly closed: readonly PortRef[];
  /** CVEs on open ports now that were not on the same open port before. */
  readonly cves_new: readonly CveRef[];
  /** CVEs on open ports before that are not on the same open port now (fixed, or the port closed). */
  readonly cves_gone: readonly CveRef[];
}

/** True when nmap reported the port `open` (the only state that proves a listening service). */
export function isOpenPort(p: Pick<PortFinding, 'state'>): boolean {
  return p.state === 'open';
}

const portKey = (p: PortRef): string => `${p.proto}/${p.port}`;
const cveKey = (c: CveRef): string => `${c.proto}/${c.port}/${c.id}`;

function comparePorts(a: PortRef, b: PortRef): number {
  return a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : a.port - b.port;
}

function compareCves(a: CveRef, b: CveRef): number {
  return comparePorts(a, b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Open ports and their CVEs of a report, keyed (duplicates collapse). */
function openFacts(h: HostReport | undefined): { ports: Map<string, PortRef>; cves: Map<string, CveRef> } {
  const ports = new Map<string, PortRef>();
  const cves = new Map<string, CveRef>();
  for (const p of h?.ports ?? []) {
    if (!isOpenPort(p)) continue;
    const ref: PortRef = { port: p.port, proto: p.proto };
    ports.set(portKey(ref), ref);
    for (const c of p.cves) {
      const cref: CveRef = { port: p.port, proto: p.proto, id: c.id };
      cves.set(cveKey(cref), cref);
    }
  }
  return { ports, cves };
}

function minus<T>(a: Map<string, T>, b: Map<string, T>): T[] {
  const out: T[] = [];
  for (const [k, v] of a) if (!b.has(k)) out.push(v);
  return out;
}

/**
 * The changes from `prev` (the host's previous report, undefined when none) to `cur`. The address is `cur`'s;
 * `prev` is expected to be of the same host (not checked: the caller looks it up by address).
 */
export function diffHost(prev: HostReport | undefined, cur: HostReport): HostDiff {
  const before = openFacts(prev);
  const now = openFacts(cur);
  return {
    address: cur.address,
    first_scan: prev === undefined,
    opened: minus(now.ports, before.ports).sort(comparePorts),
    closed: minus(before.ports, now.ports).sort(comparePorts),
    cves_new: minus(now.cves, before.cves).sort(compareCves),
    cves_gone: minus(before.cves, now.cves).sort(compareCves),
  };
}

/** True when the diff reports no change at all. */
export function isEmptyDiff(d: HostDiff): boolean {
  return d.opened.length === 0 && d.closed.length === 0 && d.cves_new.length === 0 && d.cves_gone.length === 0;
}
