/**
 * Ordering of real-world version strings, for comparing a detected service version against NVD `cpeMatch`
 * range bounds (`versionStartIncluding` … `versionEndExcluding`, NVD CVE API 2.0).
 *
 * SOURCE: there is no standard for this; the rules follow the common practice of Debian's `dpkg
 * --compare-versions` / RPM `rpmvercmp` (numeric runs numerically, alphabetic runs lexically, separators only
 * split) and of semver §11 (pre-releases before the release), adjusted to the schemes NVD records use:
 * `9.6p1` (OpenSSH portable), `7.2.0-rc1` (Redis), `2018.76` (Dropbear), `r32` (NGINX Plus), `1.3.5a`/`1.3.5rc1`
 * (ProFTPD).
 *
 * Algorithm: a version is cut into tokens (maximal digit runs, maximal letter runs, lowercased; every other
 * character separates); numeric zero tokens directly before the end or before a letter token are dropped
 * (`7.0` = `7.0.0`, `7.2.0-rc1` = `7.2rc1`); the token lists are then compared lexicographically, the end of a
 * list counting as a token, in this order at one position:
 *   pre-release word (dev < snapshot < alpha < beta < pre < preview < rc) < END < other word (lexical) < number.
 * Hence `7.2.0-rc1 < 7.2.0 < 7.2.0p1 < 7.2.0.1 < 7.2.1`, `1.0a < 1.0.1`. Because every version maps to one
 * token list and lists are compared lexicographically over a totally ordered alphabet, the result is a total
 * preorder (antisymmetric and transitive); 0 means "same version" (`7.0` and `7.0.0`, `1-2` and `1.2`).
 *
 * Numbers of any length are compared exactly (no float conversion). Cost: O(length) time, a few small arrays.
 * Never throws for strings. Not handled: `5.5.5-10.11.6-MariaDB` (see `normalizeDetected` in product-alias.ts),
 * epochs (`1:2.3`, the colon just separates) and `~` pre-releases of Debian (`~` separates).
 */

/** Pre-release words, in their order; all sort before the release they precede (semver §11). */
const PRE_RELEASE: ReadonlyMap<string, number> = new Map([
  ['dev', 0],
  ['snapshot', 1],
  ['alpha', 2],
  ['beta', 3],
  ['pre', 4],
  ['preview', 5],
  ['rc', 6],
]);

/** Token classes at one position, in ascending order. */
const PRE = 0;
const END = 1;
const WORD = 2;
const NUM = 3;

interface Token {
  kind: number;
  /** Word (lowercase) or number without leading zeros ('' for 0). */
  text: string;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** The canonical token list of a version (module comment: tokens, then zero dropping). */
function tokenize(v: string): Token[] {
  const out: Token[] = [];
  const n = v.length;
  let i = 0;
  while (i < n) {
    const c = v.charCodeAt(i);
    if (isDigit(c)) {
      let j = i;
      while (j < n && isDigit(v.charCodeAt(j))) j++;
      let k = i;
      while (k < j - 1 && v.charCodeAt(k) === 0x30) k++;
      const digits = v.slice(k, j);
      out.push({ kind: NUM, text: digits === '0' ? '' : digits });
      i = j;
    } else if (isLetter(c)) {
      let j = i;
      while (j < n && isLetter(v.charCodeAt(j))) j++;
      const word = v.slice(i, j).toLowerCase();
      out.push({ kind: PRE_RELEASE.has(word) ? PRE : WORD, text: word });
      i = j;
    } else {
      i++;
    }
  }
  // Drop zero numbers that stand directly before the end or a word: 7.0.0 → 7, 7.2.0-rc1 → 7.2 rc 1.
  const kept: Token[] = [];
  for (let t = 0; t < out.length; t++) {
    const tok = out[t] as Token;
    if (tok.kind === NUM && tok.text === '') {
      let u = t;
      while (u < out.length && (out[u] as Token).kind === NUM && (out[u] as Token).text === '') u++;
      if (u === out.length || (out[u] as Token).kind !== NUM) {
        t = u - 1;
        continue;
      }
    }
    kept.push(tok);
  }
  return kept;
}

function compareNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareTokens(a: Token, b: Token): number {
  if (a.kind !== b.kind) return a.kind - b.kind;
  if (a.kind === NUM) return compareNumbers(a.text, b.text);
  if (a.kind === PRE) {
    const d = (PRE_RELEASE.get(a.text) ?? 0) - (PRE_RELEASE.get(b.text) ?? 0);
    if (d !== 0) return d;
  }
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

const END_TOKEN: Token = { kind: END, text: '' };

/**
 * Compares two version strings by the rules in the module comment.
 * Examples: `compareVersions('7.0.15', '7.0.8') > 0`, `compareVersions('9.6', '9.6p1') < 0`,
 * `compareVersions('1.3.5rc1', '1.3.5') < 0`, `compareVersions('r32', 'r29') > 0`, `compareVersions('7.0', '7.0.0') === 0`.
 * @returns a negative number when `a` is older, 0 when they are the same version, a positive number when newer.
 *   Total order (antisymmetric, transitive); never throws for string arguments.
 */
export function compareVersions(a: string, b: string): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  const n = Math.max(ta.length, tb.length);
  for (let i = 0; i < n; i++) {
    const d = compareTokens(ta[i] ?? END_TOKEN, tb[i] ?? END_TOKEN);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
