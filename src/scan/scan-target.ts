/**
 * Scan targets, the scan scope (allowlist and denylist of CIDRs) and port lists: everything a scan request names,
 * validated before any nmap process runs, so that a target can never reach nmap as an option ("-oN /tmp/x",
 * "--script …") or as one of nmap's own target syntaxes (ranges `10.0.0.1-5`, wildcards `10.0.0.*`, `-iL` files).
 *
 * SOURCE: IPv4 dotted-decimal and CIDR notation, RFC 4632 §3.1 (prefix length 0..32, the network address is the
 * address with the host bits cleared); IPv6 text forms, RFC 4291 §2.2 (full, `::`-compressed, embedded IPv4) and
 * the canonical output form of RFC 5952 §4 (lower case, no leading zeros, the longest run of two or more zero
 * groups compressed, the first one on a tie); IPv4-mapped addresses `::ffff:0:0/96`, RFC 4291 §2.5.5.2; host
 * names, RFC 1123 §2.1 (labels of letters, digits and hyphens, 1..63 characters, not starting or ending with a
 * hyphen, at most 253 characters in all, and "the highest-level component label will be alphabetic", so a name
 * never looks like a dotted-decimal address); nmap port syntax, nmap(1) "PORT SPECIFICATION AND SCAN ORDER"
 * (`-p 22,80,8000-8100`, `--top-ports N`).
 *
 * Deliberately stricter than `inet_aton`/nmap: IPv4 octets are decimal without leading zeros (`010` would be octal
 * 8 to inet_aton), no shortened forms (`127.1`), no IPv6 zone ids (`fe80::1%eth0`), and IPv4-mapped IPv6 addresses
 * are refused (the kernel connects them over IPv4, which would bypass IPv4 deny rules).
 *
 * Cost: linear in the input; {@link expandAddresses} is linear in the number of addresses produced, which the caller
 * bounds with `maxHosts`.
 * Errors: {@link IpqsecError} `IPQ-V005` for an invalid target, CIDR or port list (`details.input`, `details.reason`);
 * `IPQ-V004` for a target outside the scope, the message naming the rule that refused it.
 */
import { IpqsecError } from '../core/errors.js';

/** A CIDR block: a network address and a prefix length (a bare address is a /32 or /128). */
export interface Cidr {
  readonly family: 4 | 6;
  /** Normalised text: `a.b.c.d/n` (host bits cleared) or the RFC 5952 form of the IPv6 network, `/n`. */
  readonly text: string;
  /** Prefix length: 0..32 (IPv4) or 0..128 (IPv6). */
  readonly prefix: number;
  /** First address of the block as an unsigned integer (32 or 128 bits). */
  readonly first: bigint;
  /** Last address of the block (inclusive). */
  readonly last: bigint;
}

/** The scope used when the configuration names none: loopback only (RFC 1122 §3.2.1.3 127/8, RFC 4291 ::1). */
export const DEFAULT_SCAN_ALLOW: readonly string[] = Object.freeze(['127.0.0.0/8', '::1/128']);

/** Where scanning is allowed: a target must lie wholly inside one `allow` CIDR and overlap no `deny` CIDR. */
export interface ScanScope {
  readonly allow: readonly Cidr[];
  readonly deny: readonly Cidr[];
}

/** A validated scan target: an IP address, a CIDR block or an RFC 1123 host name (lower case, no trailing dot). */
export type ScanTarget =
  | { kind: 'address'; address: string; family: 4 | 6 }
  | { kind: 'cidr'; cidr: Cidr }
  | { kind: 'hostname'; name: string };

/** Ports to scan: nmap's N most frequent TCP ports (`--top-ports N`), or an explicit list (`-p`). */
export type PortSpec = { kind: 'top'; n: number } | { kind: 'list'; text: string };

/** Longest target accepted (RFC 1123 host name limit; every address or CIDR text is shorter). */
const MAX_TARGET_CHARS = 253;
/** Longest port list accepted (characters), to bound the work and nmap's argument. */
const MAX_PORT_LIST_CHARS = 4096;
const MAX_SHOWN = 80;

function v005(input: string, reason: string): IpqsecError {
  const shown = input.length > MAX_SHOWN ? `${input.slice(0, MAX_SHOWN)}…` : input;
  return new IpqsecError('IPQ-V005', `${JSON.stringify(shown)}: ${reason}`, { details: { input: shown, reason } });
}

const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/** Strict dotted quad (four decimal octets 0..255, no leading zeros) → 32-bit value, or null. */
function parseIpv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

const HEXGROUP = /^[0-9a-fA-F]{1,4}$/;

/** RFC 4291 §2.2 text → 128-bit value, or null (no zone ids). */
function parseIpv6(s: string): bigint | null {
  if (s.length < 2 || s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let groups: number[] = [];
  let text = s;
  // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  let v4: bigint | null = null;
  if (tail.includes('.')) {
    v4 = parseIpv4(tail);
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = text.indexOf('::');
  if (dbl !== text.lastIndexOf('::')) return null;
  const parseSide = (side: string): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    for (const g of side.split(':')) {
      if (!HEXGROUP.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(text.slice(0, dbl));
    const rest = parseSide(text.slice(dbl + 2));
    if (head === null || rest === null || head.length + rest.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseSide(text);
    if (all === null || all.length !== 8) return null;
    groups = all;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (v4 !== null) v = (v & ~0xffffffffn) | v4;
  return v;
}

function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
}

/** RFC 5952 §4 canonical text. */
function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // Longest run of >= 2 zero groups, first on a tie (§4.2.1–4.2.3).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** A literal address: its family and value, or null when `s` is not one. IPv4-mapped IPv6 is refused. */
function parseAddress(input: string, s: string): { family: 4 | 6; value: bigint } | null {
  const v4 = parseIpv4(s);
  if (v4 !== null) return { family: 4, value: v4 };
  if (!s.includes(':')) return null;
  const v6 = parseIpv6(s);
  if (v6 === null) return null;
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) {
    throw v005(input, 'IPv4-mapped IPv6 address (::ffff:0:0/96, RFC 4291 §2.5.5.2): give the IPv4 address instead');
  }
  return { family: 6, value: v6 };
}

const fmt = (family: 4 | 6, v: bigint): string => (family === 4 ? formatIpv4(v) : formatIpv6(v));

function makeCidr(family: 4 | 6, value: bigint, prefix: number): Cidr {
  const width = family === 4 ? 32n : 128n;
  const hostBits = width - BigInt(prefix);
  const hostMask = (1n << hostBits) - 1n;
  const first = value & ~hostMask & ((1n << width) - 1n);
  const last = first | hostMask;
  return { family, prefix, first, last, text: `${fmt(family, first)}/${prefix}` };
}

function checkPlainText(input: string): void {
  if (input.length === 0) throw v005(input, 'empty');
  if (input.length > MAX_TARGET_CHARS) throw v005(input, `longer than ${MAX_TARGET_CHARS} characters`);
  if (input.startsWith('-')) throw v005(input, 'starts with "-" (nmap would read it as an option)');
  if (/\s/.test(input)) throw v005(input, 'contains white space');
}

/**
 * Parses a CIDR block (RFC 4632 `a.b.c.d/n`, RFC 4291 `x::y/n`) or a bare address (a /32 or /128). Host bits
 * are cleared: `192.168.1.10/24` → `192.168.1.0/24`.
 * @throws IpqsecError `IPQ-V005` for anything else (bad address, prefix out of range or with leading zeros,
 *   IPv4-mapped IPv6, zone ids, white space).
 */
export function parseCidr(s: string): Cidr {
  if (typeof s !== 'string') throw new TypeError('parseCidr: expected a string');
  checkPlainText(s);
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const a = parseAddress(s, addrText);
  if (a === null) throw v005(s, 'not an IPv4 or IPv6 address or CIDR');
  const max = a.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) throw v005(s, `prefix length must be 0..${max}`);
    prefix = Number(p);
  }
  return makeCidr(a.family, a.value, prefix);
}

/**
 * The scan scope from configuration text: `allow` (default {@link DEFAULT_SCAN_ALLOW}) and `deny` (default none).
 * @throws IpqsecError `IPQ-V005` naming the first invalid CIDR.
 */
export function scanScope(allow: readonly string[] = DEFAULT_SCAN_ALLOW, deny: readonly string[] = []): ScanScope {
  return { allow: Object.freeze(allow.map(parseCidr)), deny: Object.freeze(deny.map(parseCidr)) };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates a scan target: an IPv4/IPv6 address (normalised: RFC 5952 for IPv6), a CIDR block, or an RFC 1123
 * host name (lower-cased, one trailing dot dropped).
 * @throws IpqsecError `IPQ-V005` when empty, longer than 253 characters, starting with `-`, containing white space,
 *   shell or option characters, an nmap range/wildcard, an IPv4-mapped IPv6 address, or a name breaking RFC 1123
 *   (bad label, label over 63 characters, an all-numeric last label such as `10.0.0.1-5` or `1.2.3`).
 */
export function parseScanTarget(s: string): ScanTarget {
  if (typeof s !== 'string') throw new TypeError('parseScanTarget: expected a string');
  checkPlainText(s);
  if (s.includes('/')) return { kind: 'cidr', cidr: parseCidr(s) };
  const a = parseAddress(s, s);
  if (a !== null) return { kind: 'address', address: fmt(a.family, a.value), family: a.family };
  if (s.includes(':')) throw v005(s, 'not a valid IPv6 address (RFC 4291 §2.2; zone ids are not accepted)');
  const name = (s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase();
  if (name.length === 0) throw v005(s, 'empty host name');
  const labels = name.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw v005(s, 'not an address, CIDR or host name (RFC 1123: labels of 1..63 letters, digits and inner hyphens)');
    }
  }
  if (!/[a-z]/.test(labels[labels.length - 1] as string)) {
    throw v005(s, 'not an address, CIDR or host name (RFC 1123 §2.1: the last label of a host name is alphabetic)');
  }
  return { kind: 'hostname', name };
}

const overlaps = (a: Cidr, b: Cidr): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;
const contains = (outer: Cidr, inner: Cidr): boolean =>
  outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;

/**
 * Refuses an address or CIDR block outside the scope: one overlapping a `deny` CIDR (message `deny <cidr>`), or one
 * not wholly inside a single `allow` CIDR (message `allowlist <cidrs> (no CIDR contains <target>)`). Deny rules are
 * checked first. `details`: `{ target, rule: 'deny' | 'allowlist', cidr | allow }`.
 * @throws IpqsecError `IPQ-V004` when refused; `IPQ-V005` when `addressOrCidr` is neither an address nor a CIDR.
 */
export function checkInScope(addressOrCidr: string, scope: ScanScope): void {
  const t = parseCidr(addressOrCidr);
  const shown = t.prefix === (t.family === 4 ? 32 : 128) ? fmt(t.family, t.first) : t.text;
  for (const d of scope.deny) {
    if (overlaps(d, t)) {
      throw new IpqsecError('IPQ-V004', `${shown} is refused by deny ${d.text}`, { details: { target: shown, rule: 'deny', cidr: d.text } });
    }
  }
  if (scope.allow.some((a) => contains(a, t))) return;
  const allow = scope.allow.map((a) => a.text);
  throw new IpqsecError('IPQ-V004', `${shown} is refused by allowlist ${allow.length > 0 ? allow.join(', ') : '(empty)'} (no CIDR contains ${shown})`, {
    details: { target: shown, rule: 'allowlist', allow },
  });
}

/**
 * Every address of an address or CIDR target, in ascending order, network and broadcast addresses included (as
 * nmap scans them).
 * @throws IpqsecError `IPQ-V005` when the block holds more than `maxHosts` addresses; TypeError for a host name
 *   (resolve it first).
 */
export function expandAddresses(t: ScanTarget, maxHosts: number): string[] {
  if (t.kind === 'hostname') throw new TypeError('expandAddresses: resolve host names first');
  if (t.kind === 'address') {
    if (maxHosts < 1) throw v005(t.address, `more than ${maxHosts} hosts`);
    return [t.address];
  }
  const c = t.cidr;
  const count = c.last - c.first + 1n;
  if (count > BigInt(Math.max(0, Math.floor(maxHosts)))) {
    throw v005(c.text, `${count} addresses, more than the limit of ${maxHosts} hosts per scan`);
  }
  const out: string[] = [];
  for (let v = c.first; v <= c.last; v++) out.push(fmt(c.family, v));
  return out;
}

const PORT = /^[0-9]{1,5}$/;

function portNumber(input: string, p: string): number {
  if (!PORT.test(p)) throw v005(input, `bad port ${JSON.stringify(p)}`);
  const n = Number(p);
  if (n < 1 || n > 65535) throw v005(input, `port ${n} outside 1..65535`);
  return n;
}

/**
 * Parses a port specification: `top-N` (nmap `--top-ports N`, 1 ≤ N ≤ 65535) or a comma-separated list of TCP
 * ports and ranges `a-b` (a ≤ b) within 1..65535, blanks around items ignored. A list is normalised: sorted,
 * overlapping and adjacent ranges merged (`80,22,21-23` → `21-23,80`).
 * @throws IpqsecError `IPQ-V005` for anything else (empty items, protocol prefixes, reversed ranges, over 4096 characters).
 */
export function parsePortSpec(s: string): PortSpec {
  if (typeof s !== 'string') throw new TypeError('parsePortSpec: expected a string');
  const text = s.trim();
  if (text.length === 0) throw v005(s, 'empty port list');
  if (text.length > MAX_PORT_LIST_CHARS) throw v005(s, `port list longer than ${MAX_PORT_LIST_CHARS} characters`);
  const top = /^top-([0-9]{1,5})$/.exec(text);
  if (top !== null) {
    const n = Number(top[1]);
    if (n < 1 || n > 65535 || (top[1] as string).startsWith('0')) throw v005(s, 'top-N needs 1 <= N <= 65535');
    return { kind: 'top', n };
  }
  const ranges: [number, number][] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') throw v005(s, 'empty item in the port list');
    const dash = item.indexOf('-');
    if (dash < 0) {
      const p = portNumber(s, item);
      ranges.push([p, p]);
    } else {
      const a = portNumber(s, item.slice(0, dash).trim());
      const b = portNumber(s, item.slice(dash + 1).trim());
      if (a > b) throw v005(s, `reversed range ${a}-${b}`);
      ranges.push([a, b]);
    }
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return { kind: 'list', text: merged.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',') };
}
