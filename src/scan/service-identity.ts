/**
 * What product and version a port runs, from nmap's `<service>` element, and how to look it up in the CVE index.
 *
 * SOURCE: nmap's service element (nmap.dtd; `product`, `version`, `cpe` from the `p/ v/ cpe:/` fields of
 * `nmap-service-probes` matches, nmap(1) "SERVICE AND VERSION DETECTION"); CPE names NISTIR 7695 (cpe.ts);
 * NVD's version/update convention and nmap→NVD product names, data/nvd/README.md (product-alias.ts
 * `normalizeDetected`). Quirks of nmap 7.93 handled here were seen on this project's test machine:
 * - Mosquitto: the NSE version script mqtt-subscribe sets the service *name* to the broker's `$SYS/broker/version`
 *   text, `<service name="mosquitto version 2.0.11">`, with no product or CPE → product `mosquitto`, version
 *   `2.0.11`, service `mqtt`, CPE derived from the alias table (`eclipse:mosquitto`).
 * - MariaDB: `product="MySQL" version="5.5.5-10.11.19-MariaDB-0+deb12u1"` and CPE
 *   `cpe:/a:mariadb:mariadb:5.5.5-10.11.19-mariadb-0%2Bdeb12u1` (the MySQL greeting's compatibility prefix) →
 *   product `MariaDB`, version `10.11.19`, CPE version `10.11.19`.
 * - PostgreSQL: `version="9.6.0 or later"` is a range, not a version → {@link ServiceIdentity.exact} false, no
 *   queries; the caller asks the server itself (version-probes.ts).
 * - NATS: not recognised (`method="table"`, service name from the port number) → no product; version-probes.ts.
 *
 * Rules: a version is *exact* when its first word is a version token (a digit, then letters, digits and `.+~_-`)
 * and the text has no range wording (`or later`, `or earlier`, ` - `, `x` components, `<`/`>`). CVE queries are
 * made only for exact versions (an unknown or ranged version must not match every range of a product): one per
 * application (`cpe:/a:`) CPE, else one for the product name (the alias table finds the NVD names). CPE versions
 * are written in NVD's convention (normalizeDetected: `8.2p1` → version `8.2`, update `p1`), and a CPE without a
 * version gets the detected one. OS and hardware CPEs are kept as given and never queried. A CPE nmap emits that is
 * not a valid name (NISTIR 7695) is dropped.
 *
 * Cost: a few regular expressions and CPE conversions per service. Pure: no I/O, never throws on nmap data.
 */
import { formatCpe23, parseCpe22, type Cpe } from './cpe.js';
import type { CveQuery } from './cve-matcher.js';
import type { NmapService } from './nmap-xml.js';
import { normalizeDetected, nvdProductsFor } from './product-alias.js';

/** What a port runs and how to query the CVE index for it. */
export interface ServiceIdentity {
  /** Service name (nmap's, or `mqtt` for the Mosquitto quirk); null when nmap gave none. */
  service: string | null;
  /** Product name (nmap's, `MariaDB` for the MariaDB greeting, `mosquitto` for the Mosquitto quirk); null when unknown. */
  product: string | null;
  /** Version as detected (nmap's text, possibly with packaging or a range); null when unknown. */
  version: string | null;
  /** True when `version` names one release (not a range): only then are there queries. */
  exact: boolean;
  /** CPE 2.3 formatted names (NISTIR 7695), without duplicates. */
  cpe: string[];
  /** CVE index look-ups for this service; empty when the version is unknown or a range. */
  queries: CveQuery[];
}

/** The NSE mqtt-subscribe quirk: the service name is `$SYS/broker/version`. */
const NAME_WITH_VERSION = /^(mosquitto) version (\S+)$/i;
/** MySQL protocol greeting of MariaDB < 11 (`5.5.5-` prefix) or MariaDB ≥ 11. */
const MARIADB_GREETING = /^(?:5\.5\.5-)?(\d+\.\d+\.\d+)-MariaDB/i;
/** A version token: starts with a digit, then letters, digits and `.`, `+`, `~`, `_`, `-`. */
const VERSION_TOKEN = /^[0-9][0-9A-Za-z.+~_-]*$/;
/** Wording nmap uses for ranges (`9.6.0 or later`, `2.0.0 - 2.0.9`, `5.X`, `1.x`). */
const RANGE_WORDS = /\bor (?:later|earlier|newer|older)\b|\s[-–]\s|\bthrough\b|^[<>]|(?:^|\.)x(?:\.|$|\s)/i;

/** Whether nmap's version text names one release. */
export function isExactVersion(v: string | null): boolean {
  if (v === null) return false;
  const t = v.trim();
  const first = t.split(/\s+/)[0] ?? '';
  return VERSION_TOKEN.test(first) && !RANGE_WORDS.test(t);
}

const firstWord = (v: string): string => v.trim().split(/\s+/)[0] ?? '';

function cpeOf(vendor: string, product: string, version: string, update: string): Cpe {
  return {
    part: 'a', vendor, product, version, update,
    edition: '*', language: '*', swEdition: '*', targetSw: '*', targetHw: '*', other: '*',
  };
}

/** A value safe for {@link formatCpe23}: printable ASCII without blanks, else ANY. */
const cpeValue = (s: string): string => (/^[\x21-\x7e]+$/.test(s) && !/[*?\\]/.test(s) ? s.toLowerCase() : '*');

/**
 * Identity of a service from nmap's `<service>`: normalised product/version, CPE 2.3 names and CVE queries.
 * Never throws on what nmap reports (invalid CPEs are dropped).
 */
export function identifyService(s: NmapService): ServiceIdentity {
  let service = s.name;
  let product = s.product;
  let version = s.version;
  const quirk = product === null && version === null && service !== null ? NAME_WITH_VERSION.exec(service) : null;
  if (quirk !== null) {
    product = (quirk[1] as string).toLowerCase();
    version = quirk[2] as string;
    service = 'mqtt';
  }
  const maria = version === null ? null : MARIADB_GREETING.exec(version.trim());
  if (maria !== null) {
    product = 'MariaDB';
    version = maria[1] as string;
  }
  const exact = isExactVersion(version);
  const token = exact && version !== null ? firstWord(version) : '';

  const cpe: string[] = [];
  const queries: CveQuery[] = [];
  const addCpe = (c: string): void => {
    if (!cpe.includes(c)) cpe.push(c);
  };
  const addQuery = (q: CveQuery): void => {
    if (!queries.some((o) => o.vendor === q.vendor && o.product === q.product && o.version === q.version)) queries.push(q);
  };
  let appCpe = false;
  for (const uri of s.cpe) {
    let c: Cpe;
    try {
      c = parseCpe22(uri);
    } catch {
      continue; // not a valid CPE name: dropped (nmap data, not the user's)
    }
    if (c.part === 'a' && exact && c.vendor !== '*' && c.product !== '*') {
      appCpe = true;
      // The CPE's own version when it has one (a probe may name several products with their own versions), else
      // the detected one; written in NVD's version/update convention (`8.2p1` → 8.2 + p1, MariaDB greeting fixed).
      const raw = c.version === '*' || c.version === '-' ? token : c.version.replace(/\\(.)/g, '$1');
      const norm = normalizeDetected(c.vendor, c.product, raw);
      c = { ...c, version: cpeValue(norm.version), update: c.update === '*' ? cpeValue(norm.update) : c.update };
      addQuery({ vendor: c.vendor, product: c.product, version: raw });
    }
    try {
      addCpe(formatCpe23(c));
    } catch {
      // unreachable for parsed names; a value made by cpeValue is valid
    }
  }
  if (!appCpe && product !== null && product.trim() !== '') {
    const keys = nvdProductsFor('', product);
    const nvd = keys[1]; // keys[0] is the input itself (vendor ''), the rest are the alias table's NVD names
    if (exact) {
      addQuery({ vendor: '', product, version: token });
      if (nvd !== undefined) {
        const norm = normalizeDetected(nvd.vendor, nvd.product, token);
        addCpe(formatCpe23(cpeOf(nvd.vendor, nvd.product, cpeValue(norm.version), cpeValue(norm.update))));
      }
    } else if (nvd !== undefined) {
      addCpe(formatCpe23(cpeOf(nvd.vendor, nvd.product, '*', '*')));
    }
  }
  return { service, product, version, exact, cpe, queries };
}
