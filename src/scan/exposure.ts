/**
 * Exposure of a host: one number in [0, 1] saying how exploitable the services its latest vulnerability scan
 * found are. Threat memory keeps it per host (`EntityState.exposure`) and detection scales the risk of traffic
 * aimed at the host by it (detect/risk.ts: `blend · (1 + exposureGain · exposure)`).
 *
 * Formula (pure):
 *
 *   exposure(host) = max over CVEs c on the host's `open` ports of weight(c), or 0 when there is none;
 *   weight(c)      = 1                                         when c is in CISA's KEV catalog,
 *                    round(score(c), 1 decimal) / 10 × conf(c) otherwise;
 *   score(c)       = the CVSS base score (0..10), or 4.0 when the record has no CVSS metric;
 *   conf(c)        = 1 for `configuration` matches, 0.8 for `affected`-only matches;
 *   the result rounded to 4 decimals.
 *
 * Reasons:
 * - KEV → 1: a CVE in CISA's Known Exploited Vulnerabilities catalog is being exploited in the wild (CISA BOD 22-01,
 *   "Reducing the Significant Risk of Known Exploited Vulnerabilities"); likelihood is no longer a guess, so the
 *   host gets the maximum whatever the CVSS base score says (CVSS scores severity, not the likelihood of attack:
 *   FIRST, CVSS v3.1 User Guide §2.1 "CVSS Measures Severity, not Risk").
 * - score / 10: FIRST's CVSS v3.1 qualitative severity rating scale (Specification §5: Low 0.1–3.9, Medium 4.0–6.9,
 *   High 7.0–8.9, Critical 9.0–10.0) divided by 10 lands exactly on the service's risk classes and alert severity
 *   thresholds (0.4 Medium, 0.7 High, 0.9 critical: core/records.ts, detect/alert-builder.ts), so a host with a
 *   High CVE is a High-risk host and nothing is re-scaled by taste.
 * - max, not a sum: one exploitable service is enough to compromise a host (the weakest link); a sum would rank a
 *   host with twenty Low CVEs above one with a single Critical and would not stay in [0, 1].
 * - unscored CVE → 4.0: a CVE NVD has not scored yet (Awaiting Analysis) is still a known vulnerability; it is
 *   placed at the lowest score that draws attention (Medium's lower edge) rather than ignored or guessed higher.
 * - `affected` × 0.8: such matches come from the CNA's free-text `affected` block, not NVD's analysed CPE
 *   configurations (scan/cve-matcher.ts), so the version range is less certain; the 20 % discount moves a finding
 *   down at most one severity band (9.0 → 7.2, 7.0 → 5.6) and never to zero.
 * - open ports only (`state` exactly `open`, scan-diff.ts {@link isOpenPort}): a filtered port's service was not
 *   reached, so it is not an exposed service.
 */
import { isOpenPort } from './scan-diff.js';
import type { CveFinding, HostReport } from './scan-report.js';

/** Weight of a CVE that is in CISA's KEV catalog (the maximum). */
export const KEV_WEIGHT = 1;
/** Score assumed for a CVE without any CVSS metric (CVSS v3.1 Medium's lower edge). */
export const UNSCORED_CVSS = 4.0;
/** Factor of a match found only through the CNA `affected` block. */
export const AFFECTED_CONFIDENCE_FACTOR = 0.8;

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Weight of one CVE finding in [0, 1] (see the file comment). */
export function cveWeight(c: Pick<CveFinding, 'score' | 'kev' | 'confidence'>): number {
  if (c.kev) return KEV_WEIGHT;
  const raw = c.score ?? UNSCORED_CVSS;
  const score = Number.isFinite(raw) ? Math.min(10, Math.max(0, raw)) : UNSCORED_CVSS;
  // Tenths as an integer first, so that 9.8 gives exactly 0.98 (9.8 / 10 is 0.9800000000000001 in binary).
  const w = Math.round(score * 10) / 100;
  return round4(c.confidence === 'affected' ? w * AFFECTED_CONFIDENCE_FACTOR : w);
}

/** Exposure of a host in [0, 1] from its scan report: the largest {@link cveWeight} over its open ports' CVEs, 0 when none. */
export function exposureOf(h: HostReport): number {
  let e = 0;
  for (const p of h.ports) {
    if (!isOpenPort(p)) continue;
    for (const c of p.cves) e = Math.max(e, cveWeight(c));
  }
  return e;
}
