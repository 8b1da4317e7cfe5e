/**
 * NVD CVE records (CVE API 2.0 JSON) read into a compact, validated {@link CveRecord}.
 *
 * SOURCE: NVD "Vulnerability APIs" — CVE API 2.0 response schema (`vulnerabilities[].cve`: `id`, `published`,
 * `lastModified`, `vulnStatus`, `descriptions`, `metrics.cvssMetricV40/V31/V30/V2`, `configurations[].nodes[]
 * .cpeMatch[]`, `cisaExploitAdd`), https://nvd.nist.gov/developers/vulnerabilities; CVE JSON 5 record format
 * (`affected[].versions[]`: `version`, `lessThan`, `lessThanOrEqual`, `status`), github.com/CVEProject/cve-schema;
 * the fkie-cad/nvd-json-data-feeds mirror wraps the latter as `affected[].affectedData[]`.
 *
 * Everything here is pure except {@link readNvdFile}, the one function that touches the file system.
 */
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { IpqsecError } from '../core/errors.js';
import { parseCpe23, type Cpe } from './cpe.js';

/** A CVSS base score as NVD publishes it (one metric of one version). */
export interface CvssScore {
  /** Base score, 0.0–10.0. */
  readonly score: number;
  /** `baseSeverity` (NONE/LOW/MEDIUM/HIGH/CRITICAL); for v2 the metric-level `baseSeverity`; '' when absent. */
  readonly severity: string;
  /** `vectorString`, e.g. `CVSS:3.1/AV:N/AC:L/...`. */
  readonly vector: string;
}

/** The CVSS metrics of a record, one per version: the NVD `type: "Primary"` metric if any, else the first listed. */
export interface CvssSet {
  readonly v40?: CvssScore;
  readonly v31?: CvssScore;
  readonly v30?: CvssScore;
  readonly v2?: CvssScore;
}

/**
 * One `cpeMatch` entry (NVD CVE API 2.0 "cpeMatch" object): the match criteria, parsed, and its range bounds.
 * Bounds are version strings compared with `compareVersions`; undefined when absent.
 */
export interface CpeMatchEntry {
  /** The `criteria` CPE 2.3 formatted string, as published. */
  readonly criteria: string;
  /** `criteria` parsed (NISTIR 7695 §6.2). */
  readonly cpe: Cpe;
  /** true: the product named is vulnerable; false: it is a platform condition (e.g. the hardware an OS runs on). */
  readonly vulnerable: boolean;
  readonly versionStartIncluding?: string;
  readonly versionStartExcluding?: string;
  readonly versionEndIncluding?: string;
  readonly versionEndExcluding?: string;
}

/**
 * One node of an applicability statement, compact form. A configuration is itself a node: `operator` is the
 * configuration's (`AND`/`OR`, default `OR`) and `children` its `nodes`; a leaf node has `cpeMatch` only. A
 * node is satisfied when `operator` over its cpeMatch results and children results holds, inverted when `negate`.
 */
export interface CveNode {
  readonly operator: 'AND' | 'OR';
  readonly negate: boolean;
  readonly cpeMatch: readonly CpeMatchEntry[];
  readonly children: readonly CveNode[];
}

/** One version entry of a CVE JSON 5 `affected` product (CVE schema 5.x `versions[]`). */
export interface AffectedVersion {
  /** Exact version, or the lower bound (inclusive) when a `lessThan*` is present; `0` means "from the start". */
  readonly version: string;
  /** Upper bound (exclusive); may end in `.*` (a whole branch, e.g. `4.*`). */
  readonly lessThan?: string;
  /** Upper bound (inclusive). */
  readonly lessThanOrEqual?: string;
  /** `affected`, `unaffected` or `unknown`. */
  readonly status: string;
}

/** One CVE JSON 5 `affected` product (vendor/product as the CNA or ADP wrote them, plus any CPEs it lists). */
export interface AffectedProduct {
  readonly vendor: string;
  readonly product: string;
  /** CPE names listed in the entry's `cpes`, parsed (unparseable ones are dropped). */
  readonly cpes: readonly Cpe[];
  readonly versions: readonly AffectedVersion[];
}

/** One CVE as the matcher needs it. */
export interface CveRecord {
  /** `CVE-YYYY-NNNN…`. */
  readonly id: string;
  /** ISO 8601 without zone, as NVD writes it (UTC). */
  readonly published: string;
  readonly lastModified: string;
  /** NVD analysis status: Analyzed, Modified, Deferred, Awaiting Analysis, Rejected, … */
  readonly vulnStatus: string;
  /** The English description ('' when none). */
  readonly description: string;
  readonly cvss: CvssSet;
  /** true when the record carries `cisaExploitAdd` (listed in CISA's Known Exploited Vulnerabilities catalog). */
  readonly kev: boolean;
  /** One node per NVD configuration (see {@link CveNode}); empty when NVD has not analysed the CVE. */
  readonly nodes: readonly CveNode[];
  /** CNA/ADP CVE-5 `affected` products, when present. */
  readonly affected?: readonly AffectedProduct[];
}

/** A record left out of a document, with its index in the document and the field at fault. */
export interface SkippedRecord {
  readonly index: number;
  readonly reason: string;
}

/** What {@link parseNvdDocument} returns. */
export interface NvdDocument {
  readonly records: CveRecord[];
  readonly skipped: SkippedRecord[];
}

/** Thrown inside record parsing to name the faulty field; never escapes this module. */
class FieldError extends Error {}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const METRIC_KEYS = [
  ['cvssMetricV40', 'v40'],
  ['cvssMetricV31', 'v31'],
  ['cvssMetricV30', 'v30'],
  ['cvssMetricV2', 'v2'],
] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new FieldError(`${path}${key}: expected a string`);
  return v;
}

function optStr(o: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new FieldError(`${path}${key}: expected a non-empty string`);
  return v;
}

function arr(o: Record<string, unknown>, key: string, path: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new FieldError(`${path}${key}: expected an array`);
  return v;
}

function parseCvss(metrics: unknown): CvssSet {
  if (metrics === undefined) return {};
  if (!isObject(metrics)) throw new FieldError('metrics: expected an object');
  const out: { -readonly [K in keyof CvssSet]: CvssScore } = {};
  for (const [key, short] of METRIC_KEYS) {
    const list = metrics[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new FieldError(`metrics.${key}: expected an array`);
    if (list.length === 0) continue;
    // NVD lists its own analysis as type "Primary" and CNA/ADP scores as "Secondary"; prefer NVD's.
    let i = list.findIndex((m) => isObject(m) && m.type === 'Primary');
    if (i < 0) i = 0;
    const m = list[i];
    const path = `metrics.${key}[${i}].`;
    if (!isObject(m)) throw new FieldError(`${path.slice(0, -1)}: expected an object`);
    const data = m.cvssData;
    if (!isObject(data)) throw new FieldError(`${path}cvssData: expected an object`);
    const score = data.baseScore;
    if (typeof score !== 'number' || !(score >= 0 && score <= 10)) {
      throw new FieldError(`${path}cvssData.baseScore: expected a number in 0..10`);
    }
    // CVSS v2 keeps baseSeverity beside cvssData (NVD API 2.0), v3.x/v4.0 inside it.
    const sev = short === 'v2' ? m.baseSeverity : data.baseSeverity;
    const vector = data.vectorString;
    out[short] = { score, severity: typeof sev === 'string' ? sev : '', vector: typeof vector === 'string' ? vector : '' };
  }
  return out;
}

function parseCpeMatch(m: unknown, path: string): CpeMatchEntry {
  if (!isObject(m)) throw new FieldError(`${path}: expected an object`);
  const criteria = str(m, 'criteria', `${path}.`);
  if (typeof m.vulnerable !== 'boolean') throw new FieldError(`${path}.vulnerable: expected a boolean`);
  let cpe: Cpe;
  try {
    cpe = parseCpe23(criteria);
  } catch {
    throw new FieldError(`${path}.criteria: invalid CPE 2.3 name`);
  }
  const entry: { -readonly [K in keyof CpeMatchEntry]: CpeMatchEntry[K] } = { criteria, cpe, vulnerable: m.vulnerable };
  const p = `${path}.`;
  const si = optStr(m, 'versionStartIncluding', p);
  const se = optStr(m, 'versionStartExcluding', p);
  const ei = optStr(m, 'versionEndIncluding', p);
  const ee = optStr(m, 'versionEndExcluding', p);
  if (si !== undefined) entry.versionStartIncluding = si;
  if (se !== undefined) entry.versionStartExcluding = se;
  if (ei !== undefined) entry.versionEndIncluding = ei;
  if (ee !== undefined) entry.versionEndExcluding = ee;
  return entry;
}

function parseOperator(v: unknown, path: string): 'AND' | 'OR' {
  if (v === undefined) return 'OR';
  if (v === 'AND' || v === 'OR') return v;
  throw new FieldError(`${path}operator: expected AND or OR`);
}

function parseNegate(v: unknown, path: string): boolean {
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  throw new FieldError(`${path}negate: expected a boolean`);
}

/** NVD nodes are one level deep in API 2.0, but older data nested `children`; accept that, bounded to depth 8. */
function parseNode(n: unknown, path: string, depth: number): CveNode {
  if (!isObject(n)) throw new FieldError(`${path}: expected an object`);
  if (depth > 8) throw new FieldError(`${path}: nodes nested deeper than 8`);
  const p = `${path}.`;
  const cpeMatch = n.cpeMatch === undefined ? [] : arr(n, 'cpeMatch', p).map((m, i) => parseCpeMatch(m, `${p}cpeMatch[${i}]`));
  const children = n.children === undefined ? [] : arr(n, 'children', p).map((c, i) => parseNode(c, `${p}children[${i}]`, depth + 1));
  return { operator: parseOperator(n.operator, p), negate: parseNegate(n.negate, p), cpeMatch, children };
}

function parseConfiguration(c: unknown, path: string): CveNode {
  if (!isObject(c)) throw new FieldError(`${path}: expected an object`);
  const p = `${path}.`;
  const nodes = arr(c, 'nodes', p).map((n, i) => parseNode(n, `${p}nodes[${i}]`, 1));
  if (nodes.length === 0) throw new FieldError(`${p}nodes: empty`);
  // A configuration of one node (the common case, operator absent) is that node: saves a level at match time.
  if (nodes.length === 1 && c.operator === undefined && c.negate === undefined) return nodes[0]!;
  return { operator: parseOperator(c.operator, p), negate: parseNegate(c.negate, p), cpeMatch: [], children: nodes };
}

function parseAffectedVersion(v: unknown, path: string): AffectedVersion {
  if (!isObject(v)) throw new FieldError(`${path}: expected an object`);
  const p = `${path}.`;
  const out: { -readonly [K in keyof AffectedVersion]: AffectedVersion[K] } = { version: str(v, 'version', p), status: str(v, 'status', p) };
  const lt = optStr(v, 'lessThan', p);
  const le = optStr(v, 'lessThanOrEqual', p);
  if (lt !== undefined) out.lessThan = lt;
  if (le !== undefined) out.lessThanOrEqual = le;
  return out;
}

function parseAffectedProduct(a: Record<string, unknown>, path: string): AffectedProduct {
  const p = `${path}.`;
  const cpes: Cpe[] = [];
  if (Array.isArray(a.cpes)) {
    for (const s of a.cpes) {
      if (typeof s !== 'string') continue;
      try {
        cpes.push(parseCpe23(s));
      } catch {
        // A CNA-written CPE that does not parse is dropped: the vendor/product names still identify the product.
      }
    }
  }
  const versions = a.versions === undefined ? [] : arr(a, 'versions', p).map((v, i) => parseAffectedVersion(v, `${p}versions[${i}]`));
  return { vendor: str(a, 'vendor', p), product: str(a, 'product', p), cpes, versions };
}

/** `affected` in the fkie mirror: `[{source, affectedData:[product…]}]`; in CVE-5 proper: `[product…]`. */
function parseAffected(list: unknown): AffectedProduct[] {
  if (!Array.isArray(list)) throw new FieldError('affected: expected an array');
  const out: AffectedProduct[] = [];
  list.forEach((a, i) => {
    const path = `affected[${i}]`;
    if (!isObject(a)) throw new FieldError(`${path}: expected an object`);
    if (a.affectedData !== undefined) {
      arr(a, 'affectedData', `${path}.`).forEach((d, j) => {
        if (!isObject(d)) throw new FieldError(`${path}.affectedData[${j}]: expected an object`);
        out.push(parseAffectedProduct(d, `${path}.affectedData[${j}]`));
      });
    } else {
      out.push(parseAffectedProduct(a, path));
    }
  });
  return out;
}

function parseRecord(c: unknown): CveRecord {
  if (!isObject(c)) throw new FieldError('cve: expected an object');
  const id = str(c, 'id', '');
  if (!CVE_ID.test(id)) throw new FieldError('id: not a CVE identifier (CVE-YYYY-NNNN)');
  const descriptions = arr(c, 'descriptions', '');
  let description = '';
  for (const d of descriptions) {
    if (isObject(d) && d.lang === 'en' && typeof d.value === 'string') {
      description = d.value;
      break;
    }
  }
  const nodes = c.configurations === undefined ? [] : arr(c, 'configurations', '').map((cf, i) => parseConfiguration(cf, `configurations[${i}]`));
  const rec: { -readonly [K in keyof CveRecord]: CveRecord[K] } = {
    id,
    published: str(c, 'published', ''),
    lastModified: str(c, 'lastModified', ''),
    vulnStatus: str(c, 'vulnStatus', ''),
    description,
    cvss: parseCvss(c.metrics),
    kev: c.cisaExploitAdd !== undefined,
    nodes,
  };
  if (c.affected !== undefined) rec.affected = parseAffected(c.affected);
  return rec;
}

/**
 * Reads an NVD JSON document into records.
 *
 * Accepts (NVD CVE API 2.0): a single `cve` object (recognised by its `id` key), an API response or feed
 * `{ vulnerabilities: [{ cve }] }`, or an array whose items are `{ cve }` wrappers or `cve` objects. Unknown keys
 * are ignored. A record that fails validation (missing/ill-typed `id`, `published`, `lastModified`,
 * `vulnStatus`, `descriptions`, a metric without a 0..10 `baseScore`, a `cpeMatch` whose `criteria` is not a
 * CPE 2.3 name, …) is skipped and listed in `skipped` with its index and the path of the field at fault; its
 * siblings are kept.
 *
 * Cost: O(size of the document); CPE names are parsed once here so matching never re-parses them.
 *
 * @param where `file` names the source in errors.
 * @throws IpqsecError IPQ-V001 when the document is none of the accepted shapes (e.g. the retired 1.1 feed
 *   with `CVE_Items`).
 */
export function parseNvdDocument(json: unknown, where: { file?: string } = {}): NvdDocument {
  let items: unknown[];
  let unwrap: boolean;
  if (Array.isArray(json)) {
    items = json;
    unwrap = true;
  } else if (isObject(json) && Array.isArray(json.vulnerabilities)) {
    items = json.vulnerabilities;
    unwrap = true;
  } else if (isObject(json) && 'id' in json) {
    items = [json];
    unwrap = false;
  } else if (isObject(json) && isObject(json.cve)) {
    items = [json];
    unwrap = true;
  } else {
    const shape = Array.isArray(json) ? 'array' : json === null ? 'null' : typeof json;
    const keys = isObject(json) ? Object.keys(json).slice(0, 8) : [];
    throw new IpqsecError('IPQ-V001', 'not an NVD CVE API 2.0 record, response or array of records', {
      location: where.file === undefined ? {} : { file: where.file },
      details: { shape, keys },
    });
  }
  const records: CveRecord[] = [];
  const skipped: SkippedRecord[] = [];
  items.forEach((item, index) => {
    try {
      // `{ cve: {...} }` wrapper (API 2.0 `vulnerabilities[i]`), or the cve object itself in an array.
      const cve = unwrap && isObject(item) && item.cve !== undefined ? item.cve : item;
      records.push(parseRecord(cve));
    } catch (e) {
      if (e instanceof FieldError) skipped.push({ index, reason: e.message });
      else throw e;
    }
  });
  return { records, skipped };
}

const gunzipAsync = promisify(gunzip);

/**
 * Reads an NVD JSON file (`.json`, or gzip-compressed `.json.gz` as NVD's feeds are published) and parses it
 * with {@link parseNvdDocument}. This is the only function of the scanner's NVD code that does I/O.
 *
 * Cost: reads the whole file into memory (NVD yearly feeds are ≈ 10–100 MB uncompressed).
 *
 * @throws IpqsecError IPQ-D001 when the file cannot be read; IPQ-V001 when it is not gzip (for `.gz`), not
 *   JSON, or not an NVD document.
 */
export async function readNvdFile(path: string): Promise<NvdDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new IpqsecError('IPQ-D001', `cannot read ${path}`, { location: { file: path }, cause: e });
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw new IpqsecError('IPQ-V001', 'not a gzip file', { location: { file: path }, cause: e });
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new IpqsecError('IPQ-V001', `not JSON: ${(e as Error).message}`, { location: { file: path }, cause: e });
  }
  return parseNvdDocument(json, { file: path });
}
