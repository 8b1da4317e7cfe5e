import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions } from './version-compare.js';

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);

describe('compareVersions on real release sequences', () => {
  // [older, newer] pairs; the order is each project's release history (changelogs), not this code's output.
  const older: [string, string, string][] = [
    ['7.0.8', '7.0.15', 'Redis patch numbers compare numerically, not as text'],
    ['6.2.14', '7.0.0', 'Redis major'],
    ['7.2.0-rc1', '7.2.0', 'Redis release candidate before the release (NVD 7.2.0:rc1)'],
    ['7.2.0-rc1', '7.2.0-rc2', 'Redis rc order'],
    ['7.2.0-rc3', '7.2.0', 'Redis last rc before the release'],
    ['7.0.15', '7.2.0-rc1', 'a 7.2 rc is newer than every 7.0.x'],
    ['9.6', '9.6p1', 'OpenSSH portable p1 after the OpenBSD release'],
    ['9.6p1', '9.7', 'OpenSSH 9.6p1 before 9.7'],
    ['8.9p1', '9.0p1', 'OpenSSH'],
    ['8.3', '8.3p1', 'OpenSSH CVE-2020-15778 bound'],
    ['2.4.5', '2.4.49', 'Apache httpd: 49 > 5'],
    ['2.4.49', '2.4.50', 'Apache httpd CVE-2021-41773 fixed in 2.4.50'],
    ['2016.74', '2018.76', 'Dropbear year.release'],
    ['2018.76', '2019.78', 'Dropbear'],
    ['r29', 'r32', 'NGINX Plus releases'],
    ['r32', 'r33', 'NGINX Plus'],
    ['r32', 'r32-p1', 'NGINX Plus patch (NVD r32:p1)'],
    ['1.3.5rc1', '1.3.5', 'ProFTPD rc before the release'],
    ['1.3.5', '1.3.5a', 'ProFTPD letter release after'],
    ['1.3.5a', '1.3.5b', 'ProFTPD letters'],
    ['1.3.5e', '1.3.6rc1', 'ProFTPD next minor rc'],
    ['2.0.9', '2.0.11', 'Mosquitto'],
    ['2.0.15', '2.0.16', 'Mosquitto CVE-2023-28366 bound'],
    ['10.11.0', '10.11.3', 'MariaDB CVE-2022-47015 range'],
    ['10.11.3', '10.11.10', 'MariaDB two-digit patch'],
    ['10.6.12', '10.11.3', 'MariaDB minor 6 < 11'],
    ['2.9.23', '2.10.0', 'NATS 2.9 < 2.10'],
    ['1.4.46', '1.4.63', 'lighttpd'],
    ['1.36.1', '1.37.0', 'BusyBox'],
    ['0.9.8', '1.0.0', 'major'],
    ['14.11', '14.12', 'PostgreSQL two-part'],
    ['1.0alpha2', '1.0beta1', 'alpha before beta'],
    ['1.0beta2', '1.0rc1', 'beta before rc'],
    ['1.0dev', '1.0alpha', 'dev first'],
    ['1.0.1', '1.0.1a', 'OpenSSL letter after'],
    ['1.0.1a', '1.0.2', 'OpenSSL letter before next patch'],
    ['3.11.23', '3.11.24', 'RabbitMQ CVE-2023-46118 bound'],
    ['18.19.0', '18.19.1', 'Node.js'],
    ['4.2', '4.2.0.1', 'a fourth component after the release'],
  ];
  it.each(older)('%s < %s (%s)', (a, b) => {
    expect(sign(compareVersions(a, b))).toBe(-1);
    expect(sign(compareVersions(b, a))).toBe(1);
  });

  const same: [string, string][] = [
    ['2.4.49', '2.4.49'],
    ['7.0', '7.0.0'],
    ['15', '15.0'],
    ['7.2.0-rc1', '7.2.0rc1'],
    ['1.0RC1', '1.0rc1'],
    ['2018.076', '2018.76'],
    ['', ''],
  ];
  it.each(same)('%s = %s', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
    expect(compareVersions(b, a)).toBe(0);
  });

  it('compares numbers of any length exactly', () => {
    expect(sign(compareVersions('1.99999999999999999998', '1.99999999999999999999'))).toBe(-1);
  });
});

// ---- properties ----

const suffix = fc.constantFrom('', '', '', 'p1', 'p2', '-rc1', '-rc2', 'rc1', '-beta', 'a', 'b', '-dev', '.0', '-1');
/** Version-like strings: dotted numbers (zeros and multi-digit) with an optional real-world suffix or prefix. */
const versionArb = fc
  .tuple(fc.constantFrom('', '', 'r', 'v'), fc.array(fc.oneof(fc.nat(12), fc.nat(3000)), { minLength: 1, maxLength: 4 }), suffix)
  .map(([pre, nums, suf]) => pre + nums.join('.') + suf);
const anyVersion = fc.oneof(versionArb, fc.string({ maxLength: 12 }));

describe('compareVersions properties', () => {
  it('is reflexive and antisymmetric', () => {
    fc.assert(fc.property(anyVersion, anyVersion, (a, b) => {
      expect(compareVersions(a, a)).toBe(0);
      expect(sign(compareVersions(a, b)) + sign(compareVersions(b, a))).toBe(0);
    }), { numRuns: 3000 });
  });

  it('is transitive on random triples', () => {
    fc.assert(fc.property(anyVersion, anyVersion, anyVersion, (a, b, c) => {
      const ab = compareVersions(a, b);
      const bc = compareVersions(b, c);
      const ac = compareVersions(a, c);
      if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
      if (ab === 0 && bc === 0) expect(ac).toBe(0);
      if (ab < 0 && bc <= 0) expect(ac).toBeLessThan(0);
    }), { numRuns: 5000 });
  });

  it('sorting gives a sequence that is ordered pairwise', () => {
    fc.assert(fc.property(fc.array(versionArb, { minLength: 2, maxLength: 12 }), (vs) => {
      const sorted = [...vs].sort(compareVersions);
      for (let i = 0; i < sorted.length; i++) for (let j = i + 1; j < sorted.length; j++) expect(compareVersions(sorted[i] as string, sorted[j] as string)).toBeLessThanOrEqual(0);
    }), { numRuns: 500 });
  });

  it('equals component-wise numeric comparison (missing components = 0) for pure dotted integers', () => {
    const dotted = fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { minLength: 1, maxLength: 5 });
    fc.assert(fc.property(dotted, dotted, (x, y) => {
      let expected = 0;
      for (let i = 0; i < Math.max(x.length, y.length) && expected === 0; i++) {
        const p = x[i] ?? 0n;
        const q = y[i] ?? 0n;
        expected = p < q ? -1 : p > q ? 1 : 0;
      }
      expect(sign(compareVersions(x.join('.'), y.join('.')))).toBe(expected);
    }), { numRuns: 3000 });
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (a, b) => {
      expect(Number.isFinite(compareVersions(a, b))).toBe(true);
    }), { numRuns: 2000 });
  });
});
