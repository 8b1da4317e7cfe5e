/**
 * Alerts from a host's scan diff (scan-diff.ts): what became newly exploitable or newly reachable on a host since
 * its previous scan. At most one alert per host per scan, in the shape of every other alert (core/records.ts
 * `Alert`) with `event_type` `scan`, `event_id` the scan id, entity `ip:<address>`, `ip` the address, `task` and
 * `previous_task` null and `ports_accessed` the ports concerned (ascending, each once).
 *
 * Findings and their reasons (each finding has a risk; the alert's risk is the largest, its severity
 * `severityOf(risk)` as for every alert: critical ≥ 0.9, high ≥ 0.7, medium ≥ 0.4, else low):
 * - a CVE newly seen on an open port that is in CISA's KEV catalog → `Known Exploited Vulnerability`, risk 1
 *   (critical);
 * - any other new CVE → `Vulnerable Service`, risk = its exposure weight (exposure.ts `cveWeight`: CVSS base
 *   score / 10, × 0.8 for `affected`-only matches, 4.0 when unscored), so its severity is FIRST's CVSS v3.1 band
 *   (9.0+ critical, 7.0–8.9 high, 4.0–6.9 medium, below low);
 * - a port open now and not at the previous scan (not on a first scan: with no earlier scan every port would be
 *   "new") → `New Open Port`, risk {@link NEW_PORT_RISK} (low), or {@link NEW_VULNERABLE_PORT_RISK} (medium) when
 *   the port carries any CVE (its CVEs are then new findings too and may raise the alert further).
 * So a first scan alerts on CVEs only, a port that closes or a CVE that goes away raises nothing (the diff
 * records it), and a host whose diff has neither new CVEs nor (after its first scan) opened ports yields none.
 *
 * Reasons are listed most severe first (KEV, Vulnerable Service, New Open Port); techniques are the union over the
 * reasons of `o.techniques(reason)`, first occurrence kept. The technique table lives in detect/attack-mapping.ts
 * (`Known Exploited Vulnerability` and `Vulnerable Service`: T1190 Exploit Public-Facing Application, T1046;
 * `New Open Port`: T1046 Network Service Discovery); the scan layer may not import detect, so the caller passes
 * `techniquesFor` in.
 */
import type { Alert, AlertReason, Severity, Technique } from '../core/records.js';
import { cveWeight } from './exposure.js';
import { isOpenPort, type HostDiff, type PortRef } from './scan-diff.js';
import type { CveFinding, HostReport } from './scan-report.js';

/** Risk of a new open port without any CVE: the middle of the low band [0, 0.4). */
export const NEW_PORT_RISK = 0.2;
/** Risk of a new open port that carries a CVE: the lower edge of medium. */
export const NEW_VULNERABLE_PORT_RISK = 0.4;

/** Options of {@link scanAlerts}. */
export interface ScanAlertOptions {
  /** The scan's id (the alert's `event_id`). */
  readonly scanId: string;
  /** Alert time, epoch ms (the scan's finish time). */
  readonly tsMs: number;
  /** Alert id generator (called once per alert). */
  readonly newId: () => string;
  /** ATT&CK techniques of a reason (detect/attack-mapping.ts `techniquesFor`, bound to a context). */
  readonly techniques: (reason: AlertReason) => readonly Technique[];
}

const REASON_ORDER: readonly AlertReason[] = ['Known Exploited Vulnerability', 'Vulnerable Service', 'New Open Port'];

/** Severity bands of the risk, as detect/alert-builder.ts `severityOf` (the scan layer may not import detect). */
function severityOf(risk: number): Severity {
  return risk >= 0.9 ? 'critical' : risk >= 0.7 ? 'high' : risk >= 0.4 ? 'medium' : 'low';
}

const portKey = (p: PortRef): string => `${p.proto}/${p.port}`;

/**
 * The alerts of one host for one scan (zero or one; see the file comment). `h` is the host's report of this scan
 * (the diff's `cur`), where the new CVEs' scores and KEV flags are read (open ports only, as the diff); a CVE of the
 * diff that `h` does not hold on that open port is ignored.
 */
export function scanAlerts(d: HostDiff, h: HostReport, o: ScanAlertOptions): Alert[] {
  const findings = new Map<string, CveFinding>();
  const vulnerablePorts = new Set<string>();
  for (const p of h.ports) {
    if (!isOpenPort(p)) continue;
    if (p.cves.length > 0) vulnerablePorts.add(portKey(p));
    for (const c of p.cves) {
      // A report listing the same CVE twice on a port keeps the graver reading (KEV wins).
      const key = `${portKey(p)}/${c.id}`;
      const seen = findings.get(key);
      if (seen === undefined || cveWeight(c) > cveWeight(seen)) findings.set(key, c);
    }
  }

  const reasons = new Set<AlertReason>();
  const ports = new Set<number>();
  let risk = 0;
  for (const ref of d.cves_new) {
    const c = findings.get(`${portKey(ref)}/${ref.id}`);
    if (c === undefined) continue;
    reasons.add(c.kev ? 'Known Exploited Vulnerability' : 'Vulnerable Service');
    risk = Math.max(risk, cveWeight(c));
    ports.add(ref.port);
  }
  if (!d.first_scan) {
    for (const ref of d.opened) {
      reasons.add('New Open Port');
      risk = Math.max(risk, vulnerablePorts.has(portKey(ref)) ? NEW_VULNERABLE_PORT_RISK : NEW_PORT_RISK);
      ports.add(ref.port);
    }
  }
  if (reasons.size === 0) return [];

  const ordered = REASON_ORDER.filter((r) => reasons.has(r));
  const techniques: Technique[] = [];
  for (const r of ordered) for (const t of o.techniques(r)) if (!techniques.some((x) => x.id === t.id)) techniques.push(t);
  const alert: Alert = {
    id: o.newId(),
    event_id: o.scanId,
    event_type: 'scan',
    entity: `ip:${d.address}`,
    timestamp: new Date(o.tsMs).toISOString(),
    ts_ms: o.tsMs,
    ip: d.address,
    task: null,
    previous_task: null,
    ports_accessed: [...ports].sort((a, b) => a - b),
    intrusion_detected: true,
    reasons: ordered,
    severity: severityOf(risk),
    risk,
    techniques,
    acked: false,
    acked_by: null,
    acked_at_ms: null,
  };
  return [alert];
}
