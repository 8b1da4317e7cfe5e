/**
 * What a vulnerability scan produces: per host, the ports nmap found with the product and version it identified,
 * their CPE 2.3 names and the CVEs the offline database matched; plus the errors of hosts that could not be
 * scanned. This is the document `ipqsec scan --json` prints and `GET /api/v1/scans/:id` returns under `report`.
 *
 * Shape (JSON, snake_case as on the wire):
 *   { "hosts": [ { "address", "hostnames", "status", "started_ms", "finished_ms",
 *                  "ports": [ { "port", "proto", "state", "service", "product", "version", "cpe": [...],
 *                               "cves": [ { "id", "score", "severity", "kev", "confidence" } ] } ] } ],
 *     "errors": [ { "target", "code", "message" } ] }
 */

/** One CVE matched to a port's product and version (a `CveMatch` of `cve-matcher.ts`). */
export interface CveFinding {
  /** `CVE-YYYY-NNNN…`. */
  readonly id: string;
  /** CVSS base score 0..10 (v3.1, else v4.0, else v3.0, else v2); null when the record has no metric. */
  readonly score: number | null;
  /** CVSS severity of the same metric (`CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `NONE`), null when no metric. */
  readonly severity: string | null;
  /** Listed in CISA's Known Exploited Vulnerabilities catalog (the record's `cisaExploitAdd`). */
  readonly kev: boolean;
  /** `configuration`: NVD's analysed CPE configurations matched; `affected`: only the CVE 5 `affected` block did (lower confidence). */
  readonly confidence: 'configuration' | 'affected';
}

/** One port of a host as nmap reported it (`<port>` with `<state>` and `<service>`), with its matched CVEs. */
export interface PortFinding {
  /** 1..65535. */
  readonly port: number;
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** nmap's state: `open`, `closed`, `filtered`, `open|filtered`, … Only non-`closed` ports are listed. */
  readonly state: string;
  /** nmap's service name (`ssh`, `http`, `redis`, …), null when none. */
  readonly service: string | null;
  /** Product name as nmap reports it (`OpenSSH`, `Redis key-value store`), null when not identified. */
  readonly product: string | null;
  /** Version string as detected (`8.2p1`, `7.0.15`), null when not identified. */
  readonly version: string | null;
  /** CPE 2.3 formatted names (NISTIR 7695): nmap's CPE 2.2 URIs converted, or derived for products nmap names without one. */
  readonly cpe: readonly string[];
  /** CVEs of the product and version, highest score first; empty when none or when the version is unknown. */
  readonly cves: readonly CveFinding[];
}

/** One scanned host. */
export interface HostReport {
  /** The IP address nmap scanned (IPv4 dotted quad or IPv6 text, RFC 5952). */
  readonly address: string;
  /** Host names (the target name given and PTR names nmap reported). */
  readonly hostnames: readonly string[];
  /** nmap's host state. */
  readonly status: 'up' | 'down' | 'unknown';
  /** Epoch ms when this host's scan started and finished. */
  readonly started_ms: number;
  readonly finished_ms: number;
  /** Open (and open|filtered, filtered) ports, ascending by (proto, port). */
  readonly ports: readonly PortFinding[];
}

/** A target or host that could not be scanned; the others' results are kept. */
export interface ScanErrorEntry {
  /** The target (or host address) concerned. */
  readonly target: string;
  /** IPqSEC error code (`IPQ-V003` malformed XML, `IPQ-V006` nmap missing, `IPQ-V007` failed or timed out, …). */
  readonly code: string;
  readonly message: string;
}

/** The whole result of one scan run. */
export interface ScanReport {
  readonly hosts: readonly HostReport[];
  readonly errors: readonly ScanErrorEntry[];
}
