/**
 * CPE names: the CPE 2.3 formatted string and the CPE 2.2 URI, read into one well-formed-name shape and written
 * back as a formatted string.
 *
 * SOURCE: NISTIR 7695 "CPE Naming Specification Version 2.3" — §5 (well-formed names, WFN), §6.1 (URI binding,
 * `unbind_uri`, `decode`, `unpack`), §6.2 (formatted string binding, `bind_to_fs`, `unbind_fs`); the value syntax
 * is also the `cpe23Uri` pattern of NVD's JSON schemas. Name matching (NISTIR 7696) is done by the matcher, which
 * relies on this module keeping wildcards apart from literal `*`/`?`.
 *
 * Attribute value representation ({@link Cpe}): the text with escaping removed, except that
 * - `*` alone is ANY and `-` alone is NA (as in the formatted string, NISTIR 7695 §6.2.2.2);
 * - an unquoted `*` or `?` inside a value is a wildcard (`?` runs or one `*`, only at the start and/or end,
 *   NISTIR 7695 §5.3.2), and a *literal* `*`, `?` or `\` stays escaped as `\*`, `\?`, `\\`; a value that is a
 *   literal lone hyphen is `\-`.
 * So `cpe:2.3:a:nodejs:node.js:…` has product `node.js`, `foo\:bar` has `foo:bar`, `8.\*` has `8.\*` (literal)
 * and `8.*` has `8.*` (prefix wildcard).
 *
 * Cost: linear in the input, a few small strings per name; not meant for per-packet use.
 * Errors: a malformed name throws {@link IpqsecError} `IPQ-V002` with `details.input` (first 200 characters)
 * and `details.reason`; a malformed {@link Cpe} given to {@link formatCpe23} is a programmer error (RangeError).
 */
import { IpqsecError } from '../core/errors.js';

/** The part attribute: application, operating system or hardware (NISTIR 7695 §5.3.3.1). */
export type CpePart = 'a' | 'o' | 'h';

/**
 * A CPE name as a well-formed name (NISTIR 7695 §5): 11 attributes. Values are described in the module comment:
 * unescaped text, `*` = ANY, `-` = NA, unquoted `*`/`?` at the ends are wildcards, literal `*`, `?`, `\` stay
 * escaped. `language` is an RFC 5646 tag (`en`, `en-us`) or ANY/NA.
 */
export interface Cpe {
  part: CpePart;
  vendor: string;
  product: string;
  version: string;
  update: string;
  edition: string;
  language: string;
  swEdition: string;
  targetSw: string;
  targetHw: string;
  other: string;
}

/** Attribute names in formatted-string order after the part (NISTIR 7695 §6.2.2.1). */
const ATTRS = ['vendor', 'product', 'version', 'update', 'edition', 'language', 'swEdition', 'targetSw', 'targetHw', 'other'] as const;
type Attr = (typeof ATTRS)[number];

/** Language tag accepted in a CPE 2.3 name (NISTIR 7695 §5.3.3.7, RFC 5646 subset of NVD's `cpe23Uri` pattern). */
const LANGUAGE = /^[a-z]{2,3}(?:-(?:[a-z]{2}|[0-9]{3}))?$/i;

const MAX_INPUT_IN_ERROR = 200;

function invalid(input: string, reason: string, attribute?: string): IpqsecError {
  const shown = input.length > MAX_INPUT_IN_ERROR ? `${input.slice(0, MAX_INPUT_IN_ERROR)}…` : input;
  return new IpqsecError('IPQ-V002', `${reason}: ${JSON.stringify(shown)}`, {
    details: attribute === undefined ? { input: shown, reason } : { input: shown, reason, attribute },
  });
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Printable ASCII other than space (the only characters a WFN value may hold, NISTIR 7695 §5.3.2). */
function isGraphic(c: number): boolean {
  return c >= 0x21 && c <= 0x7e;
}

/** Characters that stay escaped in the representation when literal: the two wildcards and the escape itself. */
function keepsEscape(ch: string): boolean {
  return ch === '\\' || ch === '*' || ch === '?';
}

/**
 * Whether `rep` (not `*`/`-`) is a valid value: optional wildcard prefix (`?`-run or one `*`), at least one
 * body character (literal or `\`-escaped), optional wildcard suffix, nothing else (NISTIR 7695 §5.3.2 `avstring`).
 */
function validValue(rep: string): boolean {
  const n = rep.length;
  let i = 0;
  if (rep[0] === '*') i = 1;
  else while (rep[i] === '?') i++;
  let body = 0;
  while (i < n) {
    const ch = rep[i];
    if (ch === '*' || ch === '?') break;
    if (ch === '\\') {
      if (i + 1 >= n) return false;
      const next = rep.charCodeAt(i + 1);
      if (!isGraphic(next) || isAlnum(next)) return false;
      i += 2;
    } else {
      if (!isGraphic(rep.charCodeAt(i))) return false;
      i++;
    }
    body++;
  }
  if (rep[i] === '*') i++;
  else while (rep[i] === '?') i++;
  return i === n && body > 0;
}

function checkAttribute(input: string, attr: Attr, rep: string): string {
  if (rep === '*' || rep === '-') return rep;
  if (!validValue(rep)) throw invalid(input, 'bad attribute value (wildcards only at the ends, NISTIR 7695 §5.3.2)', attr);
  if (attr === 'language' && !LANGUAGE.test(rep)) throw invalid(input, 'bad language tag (NISTIR 7695 §5.3.3.7)', attr);
  return rep;
}

function toPart(input: string, s: string): CpePart {
  if (s === 'a' || s === 'o' || s === 'h') return s;
  throw invalid(input, `part must be a, o or h, got ${JSON.stringify(s)}`, 'part');
}

/**
 * Unbinds one formatted-string component into the representation (NISTIR 7695 §6.2.3 `unbind_value_fs`):
 * `\X` → X (kept as `\X` for `\`, `*`, `?`); unquoted characters allowed are alphanumerics, `.`, `_`, `-`, `*`, `?`.
 */
function unbindFsValue(input: string, attr: Attr, s: string): string {
  if (s === '*' || s === '-') return s;
  if (s === '') throw invalid(input, 'empty attribute (use * for ANY)', attr);
  if (s === '\\-') return '\\-';
  let rep = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '\\') {
      const next = s.charCodeAt(i + 1);
      if (!(isGraphic(next) && !isAlnum(next))) throw invalid(input, 'bad escape (only punctuation may be quoted)', attr);
      const nch = s[i + 1];
      rep += keepsEscape(nch) ? `\\${nch}` : nch;
      i++;
    } else if (isAlnum(c) || ch === '.' || ch === '_' || ch === '-' || ch === '*' || ch === '?') {
      rep += ch;
    } else {
      throw invalid(input, `unquoted ${JSON.stringify(ch)} (NISTIR 7695 §6.2.2: punctuation must be escaped)`, attr);
    }
  }
  return checkAttribute(input, attr, rep);
}

/**
 * Parses a CPE 2.3 formatted string (NISTIR 7695 §6.2.3 `unbind_fs`): `cpe:2.3:` (prefix case-insensitive),
 * the part (`a`, `o`, `h`) and exactly ten more `:`-separated attributes, `\:` being a literal colon.
 * Example: `cpe:2.3:a:openbsd:openssh:8.3:p1:*:*:*:*:*:*` → version `8.3`, update `p1`.
 * @throws IpqsecError `IPQ-V002` when the string is not a valid formatted string (wrong prefix or attribute
 *   count, empty attribute, bad escape, unquoted punctuation, misplaced wildcard, bad language tag, part `*`).
 */
export function parseCpe23(s: string): Cpe {
  if (typeof s !== 'string') throw new TypeError('parseCpe23: expected a string');
  if (s.slice(0, 8).toLowerCase() !== 'cpe:2.3:') throw invalid(s, 'not a CPE 2.3 formatted string (cpe:2.3:…)');
  // Split on unescaped colons (NISTIR 7695 §6.2.3: `get_comp_fs`).
  const comps: string[] = [];
  let start = 8;
  for (let i = 8; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') i++;
    else if (ch === ':') {
      comps.push(s.slice(start, i));
      start = i + 1;
    }
  }
  comps.push(s.slice(start));
  if (comps.length !== 11) throw invalid(s, `expected 11 attributes after cpe:2.3:, got ${comps.length}`);
  const c = { part: toPart(s, comps[0] ?? '') } as Cpe;
  for (let k = 0; k < ATTRS.length; k++) {
    const attr = ATTRS[k] as Attr;
    c[attr] = unbindFsValue(s, attr, comps[k + 1] ?? '');
  }
  return c;
}

/**
 * Decodes one CPE 2.2 URI component (NISTIR 7695 §6.1.3.2 `decode`): lowercased; empty → ANY, `-` → NA;
 * `%01` → `?` wildcard and `%02` → `*` wildcard (ends only); other `%XX` → that printable character;
 * raw characters allowed: alphanumerics and `.` `-` `_` `~` (RFC 3986 unreserved), plus `!$&'()+,;=@` which
 * nmap and older dictionaries leave unencoded.
 */
function decodeUriValue(input: string, attr: Attr, raw: string): string {
  if (raw === '') return '*';
  const s = raw.toLowerCase();
  if (s === '-') return '-';
  let rep = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    const c = s.charCodeAt(i);
    if (ch === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) throw invalid(input, 'bad percent-encoding', attr);
      const code = Number.parseInt(hex, 16);
      i += 2;
      if (code === 0x01) rep += '?';
      else if (code === 0x02) rep += '*';
      else if (isGraphic(code)) {
        const dec = String.fromCharCode(code).toLowerCase();
        rep += keepsEscape(dec) ? `\\${dec}` : dec;
      } else throw invalid(input, `percent-encoded byte %${hex} is not a printable character`, attr);
    } else if (isAlnum(c) || '.-_~!$&\'()+,;=@'.includes(ch)) {
      rep += ch;
    } else {
      throw invalid(input, `character ${JSON.stringify(ch)} not allowed in a CPE 2.2 URI`, attr);
    }
  }
  if (rep === '-') return '\\-'; // e.g. "%2d": a literal hyphen, not NA
  return checkAttribute(input, attr, rep);
}

/**
 * Parses a CPE 2.2 URI (NISTIR 7695 §6.1.3 `unbind_uri`; CPE 2.2 specification §5.3): `cpe:/` (case-insensitive)
 * then up to seven `:`-separated components part, vendor, product, version, update, edition, language. Missing
 * or empty components are ANY; values are lowercased and percent-decoded; an edition starting with `~` is the
 * packed form `~edition~sw_edition~target_sw~target_hw~other` (§6.1.3.3 `unpack`). sw_edition, target_sw,
 * target_hw and other are ANY unless packed. Example: `cpe:/a:openbsd:openssh:8.9p1` → version `8.9p1`
 * (splitting `p1` into the update is {@link normalizeDetected}'s job, in product-alias.ts).
 * @throws IpqsecError `IPQ-V002` for a wrong prefix, more than seven components, a part other than a/o/h,
 *   bad percent-encoding, disallowed characters, misplaced wildcards, a bad packed edition or language tag.
 */
export function parseCpe22(uri: string): Cpe {
  if (typeof uri !== 'string') throw new TypeError('parseCpe22: expected a string');
  if (uri.slice(0, 5).toLowerCase() !== 'cpe:/') throw invalid(uri, 'not a CPE 2.2 URI (cpe:/…)');
  const comps = uri.slice(5).split(':');
  if (comps.length > 7) throw invalid(uri, `a CPE 2.2 URI has at most 7 components, got ${comps.length}`);
  const c: Cpe = {
    part: toPart(uri, (comps[0] ?? '').toLowerCase()),
    vendor: decodeUriValue(uri, 'vendor', comps[1] ?? ''),
    product: decodeUriValue(uri, 'product', comps[2] ?? ''),
    version: decodeUriValue(uri, 'version', comps[3] ?? ''),
    update: decodeUriValue(uri, 'update', comps[4] ?? ''),
    edition: '*',
    language: decodeUriValue(uri, 'language', comps[6] ?? ''),
    swEdition: '*',
    targetSw: '*',
    targetHw: '*',
    other: '*',
  };
  const ed = comps[5] ?? '';
  if (ed.startsWith('~')) {
    // NISTIR 7695 §6.1.3.3: exactly five packed fields after the leading tilde.
    const packed = ed.slice(1).split('~');
    if (packed.length !== 5) throw invalid(uri, `packed edition needs 5 ~-separated fields, got ${packed.length}`, 'edition');
    c.edition = decodeUriValue(uri, 'edition', packed[0] ?? '');
    c.swEdition = decodeUriValue(uri, 'swEdition', packed[1] ?? '');
    c.targetSw = decodeUriValue(uri, 'targetSw', packed[2] ?? '');
    c.targetHw = decodeUriValue(uri, 'targetHw', packed[3] ?? '');
    c.other = decodeUriValue(uri, 'other', packed[4] ?? '');
  } else {
    c.edition = decodeUriValue(uri, 'edition', ed);
  }
  return c;
}

/** Binds one value to the formatted string (NISTIR 7695 §6.2.2.2 `bind_value_for_fs` / `process_quoted_chars`). */
function bindFsValue(attr: string, rep: string): string {
  if (rep === '*' || rep === '-') return rep;
  if (!validValue(rep)) throw new RangeError(`formatCpe23: invalid ${attr} value ${JSON.stringify(rep)}`);
  let out = '';
  for (let i = 0; i < rep.length; i++) {
    const ch = rep[i] as string;
    const c = rep.charCodeAt(i);
    if (ch === '\\') {
      out += `\\${rep[i + 1] ?? ''}`; // kept escape (validValue checked the next character)
      i++;
    } else if (isAlnum(c) || ch === '_' || ch === '.' || ch === '-' || ch === '*' || ch === '?') {
      out += ch; // §6.2.2.2: period, hyphen, underscore pass unquoted; unquoted * ? are wildcards
    } else {
      out += `\\${ch}`; // all other punctuation is quoted
    }
  }
  return out;
}

/**
 * Binds a {@link Cpe} to the CPE 2.3 formatted string (NISTIR 7695 §6.2.2 `bind_to_fs`): `cpe:2.3:` + part + ten
 * attributes; punctuation other than `.`, `-`, `_` is `\`-escaped, wildcards stay unquoted. The output is
 * canonical: `parseCpe23(formatCpe23(c))` equals `c`, and `formatCpe23(parseCpe23(s))` is `s` with needless
 * escapes (`\.`) removed.
 * @throws RangeError for a part other than a/o/h or a value that is empty, non-ASCII or has misplaced wildcards.
 */
export function formatCpe23(c: Cpe): string {
  if (c.part !== 'a' && c.part !== 'o' && c.part !== 'h') throw new RangeError(`formatCpe23: invalid part ${JSON.stringify(c.part)}`);
  let out = `cpe:2.3:${c.part}`;
  for (const attr of ATTRS) out += `:${bindFsValue(attr, c[attr])}`;
  return out;
}

/**
 * Converts a CPE 2.2 URI to the CPE 2.3 formatted string: `formatCpe23(parseCpe22(uri))`.
 * Example: `cpe:/a:igor_sysoev:nginx:1.18.0` → `cpe:2.3:a:igor_sysoev:nginx:1.18.0:*:*:*:*:*:*:*`.
 * @throws IpqsecError `IPQ-V002` as {@link parseCpe22}.
 */
export function cpe22to23(uri: string): string {
  return formatCpe23(parseCpe22(uri));
}

/**
 * Parses either form: a string starting `cpe:2.3:` as a formatted string ({@link parseCpe23}), one starting
 * `cpe:/` as a URI ({@link parseCpe22}); prefixes are case-insensitive.
 * @throws IpqsecError `IPQ-V002` for anything else or a malformed name.
 */
export function parseCpe(s: string): Cpe {
  if (typeof s !== 'string') throw new TypeError('parseCpe: expected a string');
  const head = s.slice(0, 8).toLowerCase();
  if (head === 'cpe:2.3:') return parseCpe23(s);
  if (head.startsWith('cpe:/')) return parseCpe22(s);
  throw invalid(s, 'not a CPE name (cpe:2.3:… or cpe:/…)');
}
