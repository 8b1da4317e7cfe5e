import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchIpqsec, expectIpqsec } from '../core/_test-errors.js';
import { cpe22to23, formatCpe23, parseCpe, parseCpe22, parseCpe23, type Cpe } from './cpe.js';

const DATA = process.env.IPQSEC_DATA ?? path.resolve('..', 'shared', 'data');
const NVD = path.join(DATA, 'nvd');
const RECORDS = path.join(NVD, 'records');
const hasRecords = existsSync(RECORDS);
if (!hasRecords) process.stderr.write(`skipping NVD criteria tests: ${RECORDS} not found (set IPQSEC_DATA)\n`);

const ANY_REST = { edition: '*', language: '*', swEdition: '*', targetSw: '*', targetHw: '*', other: '*' };

/** A WFN written out: every attribute ANY unless given. */
function wfn(c: Partial<Cpe> & Pick<Cpe, 'part' | 'vendor' | 'product'>): Cpe {
  return { version: '*', update: '*', ...ANY_REST, ...c };
}

describe('NISTIR 7695 §6.2.2.3 / §6.2.3.3 formatted-string examples', () => {
  // Each: the WFN of the example (our representation: escapes removed except for literal \ * ?) and its FS.
  const cases: [string, Cpe][] = [
    ['cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.0.6001', update: 'beta' })],
    // Example 2: version="8\.*" update="sp?" — unquoted * and ? are wildcards.
    ['cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.*', update: 'sp?' })],
    ['cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*', wfn({ part: 'a', vendor: 'hp', product: 'insight_diagnostics', version: '7.4.0.1570', update: '-', swEdition: 'online', targetSw: 'win2003', targetHw: 'x64' })],
    ['cpe:2.3:a:hp:openview_network_manager:7.51:*:*:*:*:linux:*:*', wfn({ part: 'a', vendor: 'hp', product: 'openview_network_manager', version: '7.51', targetSw: 'linux' })],
    // Example 5: vendor="foo\\bar" product="big\$money_2010" (a literal backslash stays escaped in our form).
    ['cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*', wfn({ part: 'a', vendor: 'foo\\\\bar', product: 'big$money_2010', swEdition: 'special', targetSw: 'ipod_touch', targetHw: '80gb' })],
    // Literal asterisk (quoted) vs wildcard.
    ['cpe:2.3:a:microsoft:internet_explorer:8.\\*:sp\\?:*:*:*:*:*:*', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.\\*', update: 'sp\\?' })],
    ['cpe:2.3:a:nodejs:node.js:*:*:*:*:lts:*:*:*', wfn({ part: 'a', vendor: 'nodejs', product: 'node.js', swEdition: 'lts' })],
    ['cpe:2.3:a:vendor:prod\\:uct:1.0\\+deb9:*:*:en-us:*:*:*:*', wfn({ part: 'a', vendor: 'vendor', product: 'prod:uct', version: '1.0+deb9', language: 'en-us' })],
  ];
  it.each(cases)('%s parses to its WFN and formats back', (fs, expected) => {
    expect(parseCpe23(fs)).toEqual(expected);
    expect(parseCpe(fs)).toEqual(expected);
    expect(formatCpe23(expected)).toBe(fs);
  });

  it('accepts needless escapes of . - _ and drops them on formatting (§6.2.2.2 process_quoted_chars)', () => {
    const c = parseCpe23('cpe:2.3:a:nodejs:node\\.js:8\\.0\\-1:*:*:*:*:*:*:*');
    expect(c.product).toBe('node.js');
    expect(c.version).toBe('8.0-1');
    expect(formatCpe23(c)).toBe('cpe:2.3:a:nodejs:node.js:8.0-1:*:*:*:*:*:*:*');
    // A lone quoted hyphen is a literal hyphen, not NA.
    expect(parseCpe23('cpe:2.3:a:x:y:\\-:-:*:*:*:*:*:*')).toMatchObject({ version: '\\-', update: '-' });
    expect(formatCpe23(parseCpe23('cpe:2.3:a:x:y:\\-:-:*:*:*:*:*:*'))).toBe('cpe:2.3:a:x:y:\\-:-:*:*:*:*:*:*');
  });

  it.each([
    ['cpe:2.3:a:x:y:1.0:*:*:*:*:*:*', 'one attribute short'],
    ['cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*:*', 'one attribute too many'],
    ['cpe:2.3:*:x:y:1.0:*:*:*:*:*:*:*', 'part ANY (not representable)'],
    ['cpe:2.3:x:x:y:1.0:*:*:*:*:*:*:*', 'bad part'],
    ['cpe:2.3:a:x:y::*:*:*:*:*:*:*', 'empty attribute'],
    ['cpe:2.3:a:x:y:1.*.0:*:*:*:*:*:*:*', 'embedded wildcard (§5.3.2)'],
    ['cpe:2.3:a:x:y:**1:*:*:*:*:*:*:*', 'double asterisk'],
    ['cpe:2.3:a:x:y:1$0:*:*:*:*:*:*:*', 'unquoted punctuation'],
    ['cpe:2.3:a:x:y:1\\a:*:*:*:*:*:*:*', 'quoted letter'],
    ['cpe:2.3:a:x:y:1 0:*:*:*:*:*:*:*', 'space'],
    ['cpe:2.3:a:x:y:1.0:*:*:english:*:*:*:*', 'bad language tag'],
    ['cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*\\', 'trailing backslash'],
    ['cpe:/a:x:y', 'a URI given to parseCpe23'],
  ])('%s is IPQ-V002 (%s)', (s) => {
    const e = expectIpqsec(() => parseCpe23(s), 'IPQ-V002');
    expect(e.details?.reason).toBeTypeOf('string');
  });
});

describe('NISTIR 7695 §6.1.3.3 URI examples (unbind_uri)', () => {
  it.each<[string, Cpe]>([
    ['cpe:/a:microsoft:internet_explorer:8.0.6001:beta', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.0.6001', update: 'beta' })],
    // Example 2: %2a and %3f are literal asterisk and question mark.
    ['cpe:/a:microsoft:internet_explorer:8.%2a:sp%3f', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.\\*', update: 'sp\\?' })],
    // Example 3: %02 and %01 are the wildcards * and ?.
    ['cpe:/a:microsoft:internet_explorer:8.%02:sp%01', wfn({ part: 'a', vendor: 'microsoft', product: 'internet_explorer', version: '8.*', update: 'sp?' })],
    // Example 4: packed edition.
    ['cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~', wfn({ part: 'a', vendor: 'hp', product: 'insight_diagnostics', version: '7.4.0.1570', swEdition: 'online', targetSw: 'win2003', targetHw: 'x64' })],
    ['cpe:/a:hp:openview_network_manager:7.51:-:~~~linux~~', wfn({ part: 'a', vendor: 'hp', product: 'openview_network_manager', version: '7.51', update: '-', targetSw: 'linux' })],
    // Example 7: a tilde outside the edition is a literal tilde.
    ['cpe:/a:foo~bar:big%7emoney_2010', wfn({ part: 'a', vendor: 'foo~bar', product: 'big~money_2010' })],
    // Lowercased (§6.1.3.2), language kept, trailing components ANY.
    ['CPE:/O:Linux:Linux_Kernel:2.6:::en-us', wfn({ part: 'o', vendor: 'linux', product: 'linux_kernel', version: '2.6', language: 'en-us' })],
    ['cpe:/a:openbsd:openssh:8.9p1', wfn({ part: 'a', vendor: 'openbsd', product: 'openssh', version: '8.9p1' })],
    ['cpe:/h:netapp', wfn({ part: 'h', vendor: 'netapp', product: '*' })],
  ])('%s', (uri, expected) => {
    expect(parseCpe22(uri)).toEqual(expected);
    expect(parseCpe(uri)).toEqual(expected);
  });

  it('binds the URI examples to the formatted strings NISTIR 7695 gives for the same WFN', () => {
    expect(cpe22to23('cpe:/a:microsoft:internet_explorer:8.%02:sp%01')).toBe('cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*');
    expect(cpe22to23('cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~')).toBe('cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*');
    expect(cpe22to23('cpe:/a:foo%5cbar:big%24money_2010:::~~special~ipod_touch~80gb~')).toBe('cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*');
  });

  it.each([
    ['cpe:/a:foo%5cbar:big%24money_2010%07:::~~special~ipod_touch~80gb~', 'Example 6: %07 is not a printable character'],
    ['cpe:/a:foo:bar:12.%02.1234', 'Example 8: embedded %02'],
    ['cpe:/a:x:y:1:2:3:en:extra', 'eight components'],
    ['cpe:/a:x:y:1.0::~a~b', 'packed edition with 2 fields'],
    ['cpe:/x:y:z', 'bad part'],
    ['cpe:/:y:z', 'empty part'],
    ['cpe:/a:x:y:1%zz', 'bad percent-encoding'],
    ['cpe:/a:x:y:1%2', 'short percent-encoding'],
    ['cpe:/a:x:y:1 0', 'space'],
    ['cpe:/a:x:y:1*', 'raw asterisk'],
    ['cpe:/a:x:y:1.0:::english', 'bad language'],
    ['cpe:a:x:y', 'no slash'],
    ['', 'empty'],
  ])('%s is IPQ-V002 (%s)', (uri) => {
    expectIpqsec(() => parseCpe22(uri), 'IPQ-V002');
    expectIpqsec(() => parseCpe(uri), 'IPQ-V002');
  });
});

describe('nmap CPE 2.2 URIs of the NVD README table → CPE 2.3', () => {
  // Expected values derived by hand from NISTIR 7695 (§6.1.3 unbind, §6.2.2 bind): the README's `<v>` and `$1`
  // placeholders are filled with a concrete version.
  const expected: Record<string, string> = {
    'cpe:/a:openbsd:openssh:8.9p1': 'cpe:2.3:a:openbsd:openssh:8.9p1:*:*:*:*:*:*:*',
    'cpe:/a:igor_sysoev:nginx:1.18.0': 'cpe:2.3:a:igor_sysoev:nginx:1.18.0:*:*:*:*:*:*:*',
    'cpe:/a:apache:http_server:2.4.49': 'cpe:2.3:a:apache:http_server:2.4.49:*:*:*:*:*:*:*',
    'cpe:/a:vsftpd:vsftpd:2.3.4': 'cpe:2.3:a:vsftpd:vsftpd:2.3.4:*:*:*:*:*:*:*',
    'cpe:/a:proftpd:proftpd:1.3.5': 'cpe:2.3:a:proftpd:proftpd:1.3.5:*:*:*:*:*:*:*',
    'cpe:/a:matt_johnston:dropbear_ssh_server:2018.76': 'cpe:2.3:a:matt_johnston:dropbear_ssh_server:2018.76:*:*:*:*:*:*:*',
    'cpe:/a:lighttpd:lighttpd:1.4.63': 'cpe:2.3:a:lighttpd:lighttpd:1.4.63:*:*:*:*:*:*:*',
    'cpe:/a:busybox:busybox:1.36.1': 'cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*',
    'cpe:/a:redislabs:redis': 'cpe:2.3:a:redislabs:redis:*:*:*:*:*:*:*:*',
    'cpe:/a:postgresql:postgresql:15.1': 'cpe:2.3:a:postgresql:postgresql:15.1:*:*:*:*:*:*:*',
    'cpe:/a:mariadb:mariadb:10.11.6': 'cpe:2.3:a:mariadb:mariadb:10.11.6:*:*:*:*:*:*:*',
    'cpe:/a:pivotal_software:rabbitmq': 'cpe:2.3:a:pivotal_software:rabbitmq:*:*:*:*:*:*:*:*',
    'cpe:/a:nodejs:node.js': 'cpe:2.3:a:nodejs:node.js:*:*:*:*:*:*:*:*',
  };
  const VERSIONS: Record<string, string> = {
    openssh: '8.9p1', nginx: '1.18.0', http_server: '2.4.49', vsftpd: '2.3.4', proftpd: '1.3.5', dropbear_ssh_server: '2018.76',
    lighttpd: '1.4.63', busybox: '1.36.1', postgresql: '15.1', mariadb: '10.11.6',
  };

  it.each(Object.entries(expected))('%s → %s', (uri, fs) => {
    expect(cpe22to23(uri)).toBe(fs);
    expect(formatCpe23(parseCpe23(fs))).toBe(fs);
  });

  const readme = path.join(NVD, 'README.md');
  it.skipIf(!existsSync(readme))('covers every cpe:/ URI of the README (placeholders filled)', () => {
    const uris = [...readFileSync(readme, 'utf8').matchAll(/`(cpe:\/[^`]*)`/g)].map((m) => m[1] as string);
    expect(uris.length).toBeGreaterThanOrEqual(13);
    for (const raw of uris.filter((u) => !u.startsWith('cpe:/a:vendor:'))) {
      const product = raw.split(':')[3] ?? '';
      const uri = raw.replace(/:(?:<v>|\$1)$/, `:${VERSIONS[product] ?? 'MISSING'}`);
      expect(expected, raw).toHaveProperty([uri]);
    }
  });
});

/** Every `criteria` in a parsed record (configurations[].nodes[].cpeMatch[]). */
function criteriaOf(record: unknown): string[] {
  const out: string[] = [];
  const configs = (record as { configurations?: { nodes?: { cpeMatch?: { criteria?: unknown }[] }[] }[] }).configurations ?? [];
  for (const cfg of configs) for (const node of cfg.nodes ?? []) for (const m of node.cpeMatch ?? []) if (typeof m.criteria === 'string') out.push(m.criteria);
  return out;
}

describe.skipIf(!hasRecords)('every criteria string of the NVD records', () => {
  const files = hasRecords ? readdirSync(RECORDS).filter((f) => f.endsWith('.json')) : [];
  it('parses, and formats back to the same string (NVD writes canonical formatted strings)', () => {
    let n = 0;
    for (const f of files) {
      for (const crit of criteriaOf(JSON.parse(readFileSync(path.join(RECORDS, f), 'utf8')))) {
        const c = parseCpe23(crit);
        expect(formatCpe23(c), `${f}: ${crit}`).toBe(crit);
        n++;
      }
    }
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(n).toBeGreaterThan(100);
  });
  it('reads the README pitfalls as written: openssh 8.3 update p1, node.js sw_edition lts', () => {
    expect(parseCpe23('cpe:2.3:a:openbsd:openssh:8.3:p1:*:*:*:*:*:*')).toMatchObject({ version: '8.3', update: 'p1' });
    expect(parseCpe23('cpe:2.3:a:nodejs:node.js:*:*:*:*:lts:*:*:*')).toMatchObject({ product: 'node.js', swEdition: 'lts' });
  });
});

// ---- properties ----

const BODY_CHARS = 'abcxyz0189._-:/$!~+@%\\*?';
/** A value in the representation: ANY, NA, or [wildcard prefix] body [wildcard suffix]. */
const valueArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('*', '-', '\\-'),
  fc
    .tuple(
      fc.constantFrom('', '*', '?', '??'),
      fc.array(fc.constantFrom(...BODY_CHARS.split('')), { minLength: 1, maxLength: 8 }),
      fc.constantFrom('', '*', '?', '???'),
    )
    .map(([pre, body, post]) => pre + body.map((ch) => (ch === '\\' || ch === '*' || ch === '?' ? `\\${ch}` : ch)).join('') + post),
);
const cpeArb: fc.Arbitrary<Cpe> = fc.record({
  part: fc.constantFrom<Cpe['part']>('a', 'o', 'h'),
  vendor: valueArb,
  product: valueArb,
  version: valueArb,
  update: valueArb,
  edition: valueArb,
  language: fc.constantFrom('*', '-', 'en', 'en-us', 'deu', 'es-419'),
  swEdition: valueArb,
  targetSw: valueArb,
  targetHw: valueArb,
  other: valueArb,
});

describe('properties', () => {
  it('parseCpe23(formatCpe23(c)) = c for any well-formed name', () => {
    fc.assert(fc.property(cpeArb, (c) => {
      const fs = formatCpe23(c);
      expect(parseCpe23(fs)).toEqual(c);
      expect(formatCpe23(parseCpe(fs))).toBe(fs);
    }), { numRuns: 2000 });
  });

  /** Mutations of valid names: characters replaced, cut or inserted. */
  const seeds = [
    'cpe:2.3:a:openbsd:openssh:8.3:p1:*:*:*:*:*:*',
    'cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:*:special:ipod_touch:80gb:*',
    'cpe:/a:hp:insight_diagnostics:7.4.0.1570::~~online~win2003~x64~',
    'cpe:/a:microsoft:internet_explorer:8.%02:sp%01',
  ];
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(80), fc.nat(2), fc.string({ minLength: 0, maxLength: 3, unit: 'binary' })), { maxLength: 5 }))
    .map(([s, edits]) => {
      let out = s;
      for (const [pos, op, text] of edits) {
        const p = pos % (out.length + 1);
        if (op === 0) out = out.slice(0, p) + text + out.slice(p + 1);
        else if (op === 1) out = out.slice(0, p);
        else out = out.slice(0, p) + text + out.slice(p);
      }
      return out;
    });

  it('malformed names only ever throw IPQ-V002; what parses formats and re-parses to itself', () => {
    fc.assert(fc.property(fc.oneof(mutated, fc.string({ unit: 'binary', maxLength: 60 })), (s) => {
      let c: Cpe | undefined;
      const e = catchIpqsec(() => (c = parseCpe(s)), 'IPQ-V002');
      if (e === undefined && c !== undefined) expect(parseCpe23(formatCpe23(c))).toEqual(c);
    }), { numRuns: 5000 });
  });

  it('formatCpe23 rejects a malformed value with RangeError (programmer error)', () => {
    const ok = parseCpe23('cpe:2.3:a:x:y:1:*:*:*:*:*:*:*');
    expect(() => formatCpe23({ ...ok, version: '' })).toThrow(RangeError);
    expect(() => formatCpe23({ ...ok, version: '1*2' })).toThrow(RangeError);
    expect(() => formatCpe23({ ...ok, version: 'é' })).toThrow(RangeError);
    expect(() => formatCpe23({ ...ok, part: 'x' as Cpe['part'] })).toThrow(RangeError);
  });
});
