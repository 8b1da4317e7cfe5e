import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectIpqsec } from '../core/_test-errors.js';
import { isIpqsecError } from '../core/errors.js';
import { parseScanConfig } from './scan-config.js';

const issuesOf = (json: unknown) => {
  const e = expectIpqsec(() => parseScanConfig(json, 'ipqsec.json'), 'IPQ-C001');
  expect(e.location?.file).toBe('ipqsec.json');
  return e.details?.issues as { path: string; message: string }[];
};

describe('parseScanConfig', () => {
  it('an absent section is the default: loopback only, top 1,000 ports, no schedules', () => {
    const want = { allow: ['127.0.0.0/8', '::1/128'], deny: [], nmap_path: 'nmap', parallel: 4, host_timeout_s: 120, ports: 'top-1000', postgres_user: 'postgres', schedules: [] };
    expect(parseScanConfig(undefined, 'x.json')).toEqual(want);
    expect(parseScanConfig({}, 'x.json')).toEqual(want);
  });

  it('keeps a full valid section as given', () => {
    const json = {
      allow: ['127.0.0.0/8', '10.20.0.0/16', '::1'],
      deny: ['10.20.0.1'],
      nmap_path: '/usr/bin/nmap',
      parallel: 8,
      host_timeout_s: 300,
      ports: '22,80,8000-8100',
      postgres_user: 'monitor',
      schedules: [
        { targets: ['127.0.0.1', '10.20.3.0/24', 'localhost'], every_s: 3600 },
        { targets: ['::1'], ports: 'top-100', every_s: 60 },
      ],
    };
    expect(parseScanConfig(json, 'x.json')).toEqual(json);
  });

  it('names every bad field by its path in one IPQ-C001', () => {
    const issues = issuesOf({ alow: ['10.0.0.0/8'], parallel: 0, schedules: [{ targets: ['127.0.0.1'], every_s: 59 }] });
    expect(issues.map((i) => i.path).sort()).toEqual(['scan', 'scan.parallel', 'scan.schedules[0].every_s']);
    expect(issues.find((i) => i.path === 'scan')?.message).toMatch(/alow/);
  });

  it('checks CIDRs, port lists and schedule targets with the scan-target parsers', () => {
    const issues = issuesOf({
      allow: ['127.0.0.0/8', '10.0.0.0/33'],
      ports: '22,70000',
      schedules: [{ targets: ['127.0.0.1 -oN /tmp/x', '--script=x'], every_s: 60 }],
    });
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    expect(byPath.get('scan.allow[1]')).toMatch(/IPQ-V005/);
    expect(byPath.get('scan.ports')).toMatch(/IPQ-V005/);
    expect(byPath.get('scan.schedules[0].targets[0]')).toMatch(/IPQ-V005/);
    expect(byPath.get('scan.schedules[0].targets[1]')).toMatch(/IPQ-V005/);
  });

  it('refuses a scheduled address or CIDR outside the scope, naming the rule', () => {
    const issues = issuesOf({ deny: ['127.0.0.5'], schedules: [{ targets: ['127.0.0.1', '10.0.0.1', '127.0.0.0/29'], every_s: 600 }] });
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    expect(byPath.has('scan.schedules[0].targets[0]')).toBe(false);
    expect(byPath.get('scan.schedules[0].targets[1]')).toMatch(/IPQ-V004.*allowlist 127\.0\.0\.0\/8, ::1\/128/);
    expect(byPath.get('scan.schedules[0].targets[2]')).toMatch(/IPQ-V004.*deny 127\.0\.0\.5\/32/);
  });

  it('any JSON value either parses to a section within the documented bounds or throws IPQ-C001', () => {
    const value = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          allow: fc.array(fc.oneof(fc.constantFrom('127.0.0.0/8', '::1/128', '10.0.0.0/8', '0.0.0.0/0'), fc.string()), { maxLength: 3 }),
          parallel: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.double()),
          ports: fc.oneof(fc.constantFrom('top-1000', '22,80', '1-65535'), fc.string()),
          schedules: fc.array(fc.record({ targets: fc.array(fc.oneof(fc.constantFrom('127.0.0.1', 'localhost', '::1'), fc.string()), { maxLength: 3 }), every_s: fc.integer({ min: 0, max: 100_000 }) }), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(value, (json) => {
        try {
          const c = parseScanConfig(json, 'f.json');
          expect(c.parallel).toBeGreaterThanOrEqual(1);
          expect(c.parallel).toBeLessThanOrEqual(64);
          for (const s of c.schedules) expect(s.every_s).toBeGreaterThanOrEqual(60);
        } catch (e) {
          if (!isIpqsecError(e, 'IPQ-C001')) throw e;
        }
      }),
    );
  });
});
