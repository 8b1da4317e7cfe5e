/**
 * Test helpers (not part of the public surface): host reports built by hand and a fast-check arbitrary of them,
 * for the diff, exposure and alert tests.
 */
import fc from 'fast-check';
import type { CveFinding, HostReport, PortFinding } from './scan-report.js';

/** A CVE finding; `score` null means unscored. */
export function cve(id: string, score: number | null, o: { kev?: boolean; confidence?: CveFinding['confidence'] } = {}): CveFinding {
  const severity = score === null ? null : score >= 9 ? 'CRITICAL' : score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : score > 0 ? 'LOW' : 'NONE';
  return { id, score, severity, kev: o.kev ?? false, confidence: o.confidence ?? 'configuration' };
}

/** An open tcp port (state and proto overridable) with CVEs. */
export function port(n: number, cves: readonly CveFinding[] = [], o: { state?: string; proto?: PortFinding['proto'] } = {}): PortFinding {
  return { port: n, proto: o.proto ?? 'tcp', state: o.state ?? 'open', service: null, product: null, version: null, cpe: [], cves };
}

/** A host that is up, scanned at `finishedMs`. */
export function host(address: string, ports: readonly PortFinding[], finishedMs = 1_700_000_000_000): HostReport {
  return { address, hostnames: [], status: 'up', started_ms: finishedMs - 1000, finished_ms: finishedMs, ports };
}

const cveArb: fc.Arbitrary<CveFinding> = fc.record({
  id: fc.constantFrom('CVE-2021-41773', 'CVE-2011-2523', 'CVE-2013-2028', 'CVE-2023-28425', 'CVE-2020-15778'),
  score: fc.option(fc.integer({ min: 0, max: 100 }).map((x) => x / 10), { nil: null }),
  severity: fc.constant(null),
  kev: fc.boolean(),
  confidence: fc.constantFrom('configuration' as const, 'affected' as const),
});

const portArb: fc.Arbitrary<PortFinding> = fc.record({
  port: fc.constantFrom(21, 22, 80, 443, 1883, 5432, 6379, 8080),
  proto: fc.constantFrom('tcp' as const, 'udp' as const),
  state: fc.constantFrom('open', 'open', 'open', 'filtered', 'open|filtered'),
  service: fc.constant(null),
  product: fc.constant(null),
  version: fc.constant(null),
  cpe: fc.constant([]),
  cves: fc.array(cveArb, { maxLength: 4 }),
});

/** Random reports of one host (duplicated ports and CVEs included, as a defensive diff must cope with them). */
export const hostReportArb: fc.Arbitrary<HostReport> = fc.array(portArb, { maxLength: 8 }).map((ports) => host('127.0.0.1', ports));
