/**
 * External links built from server data. Only validated identifiers become URLs; anything else is shown as text.
 *
 * - MITRE ATT&CK: technique pages are `https://attack.mitre.org/techniques/T1046/`; a sub-technique `T1557.002` is
 *   `https://attack.mitre.org/techniques/T1557/002/`; ICS techniques (`T0xxx`) live under the same path
 *   (https://attack.mitre.org/techniques/T0855/). Ids must match `^T\d{4}(\.\d{3})?$` (the server's own check,
 *   `techniqueIdSchema` in src/core/events.ts).
 * - NVD: `https://nvd.nist.gov/vuln/detail/CVE-2021-44228` for ids matching `^CVE-\d{4}-\d{4,7}$` (CVE ID syntax:
 *   year, then four or more digits).
 */

const TECHNIQUE_ID = /^T(\d{4})(?:\.(\d{3}))?$/;
const CVE_ID = /^CVE-\d{4}-\d{4,7}$/;

/** The ATT&CK page of a technique id, or null when the id is not a valid technique id. */
export function attackTechniqueUrl(id: string): string | null {
  const m = TECHNIQUE_ID.exec(id);
  if (m === null) return null;
  return m[2] === undefined ? `https://attack.mitre.org/techniques/T${m[1]}/` : `https://attack.mitre.org/techniques/T${m[1]}/${m[2]}/`;
}

/** The NVD page of a CVE id, or null when the id is not a valid CVE id. */
export function nvdCveUrl(id: string): string | null {
  return CVE_ID.test(id) ? `https://nvd.nist.gov/vuln/detail/${id}` : null;
}
