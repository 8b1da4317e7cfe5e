import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchIpqsec, expectIpqsec } from '../core/_test-errors.js';
import { checkInScope, DEFAULT_SCAN_ALLOW, expandAddresses, parseCidr, parsePortSpec, parseScanTarget, scanScope } from './scan-target.js';

describe('parseCidr (RFC 4632, RFC 4291, RFC 5952)', () => {
  it.each([
    ['127.0.0.0/8', 4, '127.0.0.0/8', 8],
    ['192.168.1.10/24', 4, '192.168.1.0/24', 24], // host bits cleared (RFC 4632 §3.1)
    ['10.0.0.5', 4, '10.0.0.5/32', 32],
    ['0.0.0.0/0', 4, '0.0.0.0/0', 0],
    ['::1', 6, '::1/128', 128],
    ['::1/128', 6, '::1/128', 128],
    ['2001:DB8:0:0:0:0:0:1/64', 6, '2001:db8::/64', 64],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1/128', 128], // RFC 5952 §4.2.3: first of equal runs
    ['fe80:0:0:0:0:0:0:0/10', 6, 'fe80::/10', 10],
    ['::/0', 6, '::/0', 0],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221/128', 128], // embedded IPv4 (RFC 4291 §2.2 form 3)
  ])('%s → family %i, %s', (input, family, text, prefix) => {
    const c = parseCidr(input);
    expect(c.family).toBe(family);
    expect(c.text).toBe(text);
    expect(c.prefix).toBe(prefix);
  });

  it('computes the block bounds', () => {
    const c = parseCidr('192.168.1.77/30');
    expect(c.first).toBe(0xc0a8014cn);
    expect(c.last).toBe(0xc0a8014fn);
    expect(parseCidr('::/0').last).toBe((1n << 128n) - 1n);
  });

  it.each([
    ['', 'empty'],
    ['127.0.0.1/33', 'prefix > 32'],
    ['::1/129', 'prefix > 128'],
    ['127.0.0.1/08', 'prefix with a leading zero'],
    ['127.0.0.1/', 'empty prefix'],
    ['127.0.0.01', 'octet with a leading zero (octal to inet_aton)'],
    ['127.1', 'shortened IPv4'],
    ['256.0.0.1', 'octet > 255'],
    ['1:2:3:4:5:6:7:8:9', 'nine IPv6 groups'],
    ['1::2::3', 'two ::'],
    ['fe80::1%eth0', 'zone id'],
    ['::ffff:10.0.0.5', 'IPv4-mapped'],
    ['::ffff:a00:5/128', 'IPv4-mapped (hex)'],
    ['-1.2.3.4', 'leading dash'],
    ['10.0.0.0 /8', 'space'],
  ])('refuses %j (%s) with IPQ-V005', (input) => {
    expectIpqsec(() => parseCidr(input), 'IPQ-V005');
  });
});

describe('parseScanTarget', () => {
  it('classifies addresses, CIDRs and host names', () => {
    expect(parseScanTarget('127.0.0.1')).toEqual({ kind: 'address', address: '127.0.0.1', family: 4 });
    expect(parseScanTarget('0:0:0:0:0:0:0:1')).toEqual({ kind: 'address', address: '::1', family: 6 });
    expect(parseScanTarget('10.1.2.3/24')).toMatchObject({ kind: 'cidr', cidr: { text: '10.1.2.0/24' } });
    expect(parseScanTarget('LocalHost')).toEqual({ kind: 'hostname', name: 'localhost' });
    expect(parseScanTarget('db-1.example.com.')).toEqual({ kind: 'hostname', name: 'db-1.example.com' });
    expect(parseScanTarget('xn--p1ai')).toEqual({ kind: 'hostname', name: 'xn--p1ai' });
  });

  it.each([
    '127.0.0.1 -oN /tmp/x',
    '--script=x',
    '-iL',
    '-oX',
    '127.0.0.1;id',
    '$(id)',
    '`id`',
    '127.0.0.1|id',
    '127.0.0.1&&id',
    'a\nb',
    '10.0.0.1-5', // nmap range syntax: the last label is numeric (RFC 1123 §2.1)
    '10.0.0.*', // nmap wildcard
    '1.2.3', // looks numeric, not an address
    'host_name.example', // underscore
    '-host.example',
    'host-.example',
    'a..b',
    `${'a'.repeat(64)}.example`, // label over 63
    `${'a.'.repeat(127)}com`, // over 253 characters
    '',
    ' ',
    '::ffff:127.0.0.1', // IPv4-mapped
    'fe80::1%lo',
    '1:2:3',
  ])('refuses %j with IPQ-V005', (input) => {
    const e = expectIpqsec(() => parseScanTarget(input), 'IPQ-V005');
    expect(e.details).toHaveProperty('reason');
  });

  it('names why a leading dash is refused', () => {
    expect(expectIpqsec(() => parseScanTarget('-sV'), 'IPQ-V005').message).toMatch(/starts with "-"/);
  });

  it('never yields a target that starts with "-" or contains white space (fast-check)', () => {
    const alphabet = fc.constantFrom(...'-. :/;|&$`\'"\\%*?abcxyz0123456789\t\nABF'.split(''));
    const arb = fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 40 }), fc.ipV4(), fc.ipV6(), fc.domain());
    fc.assert(
      fc.property(arb, (s) => {
        const e = catchIpqsec(() => parseScanTarget(s), 'IPQ-V005');
        if (e !== undefined) return;
        const t = parseScanTarget(s);
        const text = t.kind === 'address' ? t.address : t.kind === 'cidr' ? t.cidr.text : t.name;
        expect(text.startsWith('-')).toBe(false);
        expect(/\s/.test(text)).toBe(false);
        expect(/^[0-9a-z.:/-]+$/.test(text)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every IPv4/IPv6 address and domain fast-check generates, normalised stably (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (a) => {
        // fast-check's generators include IPv4-mapped and octal-free dotted quads: mapped ones are refused.
        const e = catchIpqsec(() => parseScanTarget(a), 'IPQ-V005');
        if (e !== undefined) {
          expect(e.message).toMatch(/IPv4-mapped/);
          return;
        }
        const t = parseScanTarget(a);
        expect(t.kind).toBe('address');
        if (t.kind === 'address') expect(parseScanTarget(t.address)).toEqual(t); // idempotent
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.domain(), (d) => {
        const e = catchIpqsec(() => parseScanTarget(d), 'IPQ-V005');
        // fast-check domains always end in an alphabetic TLD; only the 253-character limit may refuse them.
        if (e !== undefined) expect(d.length).toBeGreaterThan(253);
        else expect(parseScanTarget(d)).toEqual({ kind: 'hostname', name: d.toLowerCase() });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('checkInScope', () => {
  const loopback = scanScope();

  it('defaults to loopback only', () => {
    expect(DEFAULT_SCAN_ALLOW).toEqual(['127.0.0.0/8', '::1/128']);
    expect(() => checkInScope('127.0.0.1', loopback)).not.toThrow();
    expect(() => checkInScope('127.255.255.255', loopback)).not.toThrow();
    expect(() => checkInScope('::1', loopback)).not.toThrow();
    expect(() => checkInScope('127.0.0.0/24', loopback)).not.toThrow();
  });

  it('names the allowlist when no CIDR contains the target', () => {
    const e = expectIpqsec(() => checkInScope('10.0.0.1', loopback), 'IPQ-V004');
    expect(e.message).toContain('allowlist 127.0.0.0/8, ::1/128 (no CIDR contains 10.0.0.1)');
    expect(e.details).toMatchObject({ rule: 'allowlist', target: '10.0.0.1' });
    expect(expectIpqsec(() => checkInScope('::2', loopback), 'IPQ-V004').message).toContain('no CIDR contains ::2');
  });

  it('names the deny rule that overlaps', () => {
    const scope = scanScope(['10.0.0.0/8'], ['10.0.0.5/32']);
    const e = expectIpqsec(() => checkInScope('10.0.0.5', scope), 'IPQ-V004');
    expect(e.message).toContain('deny 10.0.0.5/32');
    expect(e.details).toMatchObject({ rule: 'deny', cidr: '10.0.0.5/32' });
    // A CIDR overlapping a deny rule is refused even if most of it is allowed.
    expect(expectIpqsec(() => checkInScope('10.0.0.0/24', scope), 'IPQ-V004').message).toContain('deny 10.0.0.5/32');
    expect(() => checkInScope('10.0.0.4', scope)).not.toThrow();
    expect(() => checkInScope('10.0.1.0/24', scope)).not.toThrow();
  });

  it('accepts a CIDR only when wholly inside one allow CIDR', () => {
    const scope = scanScope(['192.168.0.0/24', '192.168.1.0/24']);
    expect(() => checkInScope('192.168.0.128/25', scope)).not.toThrow();
    // Covered by the union of two allow CIDRs, but not by one: refused (the rule is per CIDR).
    expect(expectIpqsec(() => checkInScope('192.168.0.0/23', scope), 'IPQ-V004').message).toContain('no CIDR contains 192.168.0.0/23');
    expect(expectIpqsec(() => checkInScope('127.0.0.0/7', loopback), 'IPQ-V004').message).toContain('no CIDR contains 126.0.0.0/7');
  });

  it('keeps the families apart', () => {
    const all4 = scanScope(['0.0.0.0/0']);
    expect(() => checkInScope('8.8.8.8', all4)).not.toThrow();
    expectIpqsec(() => checkInScope('2001:db8::1', all4), 'IPQ-V004');
  });

  it('agrees with a hand-written membership test on random IPv4 addresses (fast-check)', () => {
    const scope = scanScope(['10.0.0.0/8', '192.168.4.0/22'], ['10.9.0.0/16']);
    const toInt = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    const inBlock = (a: number, base: string, bits: number): boolean => Math.floor(a / 2 ** (32 - bits)) === Math.floor(toInt(base) / 2 ** (32 - bits));
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.constantFrom('10.9.1.1', '10.8.255.255', '192.168.7.255', '192.168.8.0')), (a) => {
        const n = toInt(a);
        const allowed = (inBlock(n, '10.0.0.0', 8) || inBlock(n, '192.168.4.0', 22)) && !inBlock(n, '10.9.0.0', 16);
        expect(catchIpqsec(() => checkInScope(a, scope), 'IPQ-V004') === undefined).toBe(allowed);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a non-address with IPQ-V005', () => {
    expectIpqsec(() => checkInScope('localhost', loopback), 'IPQ-V005');
  });
});

describe('expandAddresses', () => {
  it('lists every address of a block, network and broadcast included', () => {
    expect(expandAddresses(parseScanTarget('192.168.1.4/30'), 10)).toEqual(['192.168.1.4', '192.168.1.5', '192.168.1.6', '192.168.1.7']);
    expect(expandAddresses(parseScanTarget('10.0.0.255/31'), 10)).toEqual(['10.0.0.254', '10.0.0.255']);
    expect(expandAddresses(parseScanTarget('2001:db8::/126'), 4)).toEqual(['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3']);
    expect(expandAddresses(parseScanTarget('::1'), 1)).toEqual(['::1']);
  });

  it('refuses more than maxHosts with IPQ-V005, without building the list', () => {
    expect(expectIpqsec(() => expandAddresses(parseScanTarget('10.0.0.0/24'), 255), 'IPQ-V005').message).toMatch(/256 addresses/);
    expectIpqsec(() => expandAddresses(parseScanTarget('::/0'), 4096), 'IPQ-V005');
    expect(expandAddresses(parseScanTarget('10.0.0.0/24'), 256)).toHaveLength(256);
  });

  it('needs host names resolved first', () => {
    expect(() => expandAddresses(parseScanTarget('localhost'), 10)).toThrow(TypeError);
  });
});

describe('parsePortSpec (nmap -p / --top-ports)', () => {
  it.each([
    ['top-1000', { kind: 'top', n: 1000 }],
    ['top-1', { kind: 'top', n: 1 }],
    ['top-65535', { kind: 'top', n: 65535 }],
    ['22,80,8000-8100', { kind: 'list', text: '22,80,8000-8100' }],
    ['80, 22 ,21-23', { kind: 'list', text: '21-23,80' }],
    ['5-5', { kind: 'list', text: '5' }],
    ['1-10,11-20,30', { kind: 'list', text: '1-20,30' }],
    ['65535,1', { kind: 'list', text: '1,65535' }],
  ])('%j → %j', (input, expected) => {
    expect(parsePortSpec(input)).toEqual(expected);
  });

  it.each(['', 'top-0', 'top-65536', 'top-01', 'top', 'top-', '0', '65536', '22,', ',22', '22,,80', '80-22', 'T:22', 'U:53', '22;id', '-p', '1-', '22 80', 'all', '1.5'])(
    'refuses %j with IPQ-V005',
    (input) => {
      expectIpqsec(() => parsePortSpec(input), 'IPQ-V005');
    },
  );

  it('normalises any list to sorted, merged, in-range ranges that parse to themselves (fast-check)', () => {
    const item = fc.oneof(
      fc.integer({ min: 1, max: 65535 }).map(String),
      fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 500 })).map(([a, d]) => `${a}-${Math.min(65535, a + d)}`),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), (items) => {
        const spec = parsePortSpec(items.join(','));
        expect(spec.kind).toBe('list');
        if (spec.kind !== 'list') return;
        // Same set of ports (computed by hand), sorted disjoint non-adjacent ranges, idempotent.
        const want = new Set<number>();
        for (const it of items) {
          const [a, b] = it.split('-').map(Number) as [number, number | undefined];
          for (let p = a; p <= (b ?? a); p++) want.add(p);
        }
        const got = new Set<number>();
        let prevEnd = -2;
        for (const r of spec.text.split(',')) {
          const [a, b] = r.split('-').map(Number) as [number, number | undefined];
          expect(a).toBeGreaterThan(prevEnd + 1);
          for (let p = a; p <= (b ?? a); p++) got.add(p);
          prevEnd = b ?? a;
        }
        expect(got).toEqual(want);
        expect(parsePortSpec(spec.text)).toEqual(spec);
      }),
      { numRuns: 300 },
    );
  });

  it('random strings either parse to a safe spec or fail with IPQ-V005 (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789,- top:TU;'.split('')), maxLength: 30 }), (s) => {
        const e = catchIpqsec(() => parsePortSpec(s), 'IPQ-V005');
        if (e !== undefined) return;
        const spec = parsePortSpec(s);
        if (spec.kind === 'list') expect(spec.text).toMatch(/^[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*$/);
        else expect(spec.n).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 3000 },
    );
  });
});
