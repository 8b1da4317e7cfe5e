import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../data/_test-data.js';
import { BruteForceDetector, type LoginOutcome } from './brute-force.js';
import type { PacketDetection } from './packet-detection.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

describe('BruteForceDetector (synthetic)', () => {
  it('reports low at 5, medium at 10 and high at 20 failures within 15 minutes (the documented table)', () => {
    const d = new BruteForceDetector();
    const got = Array.from({ length: 30 }, (_, i) => d.observeLogin(1000 + i * 20, '10.0.0.5', '10.0.0.21', 'ftp', 'failure', 'admin'));
    expect(got.map((x, i) => (x === null ? null : [i + 1, x.severity])).filter((x) => x !== null)).toEqual([
      [5, 'low'],
      [10, 'medium'],
      [20, 'high'],
    ]);
    expect(got[19]).toMatchObject({ reason: 'Brute Force', origH: '10.0.0.5', respH: '10.0.0.21' });
    expect(got[19]?.techniques.map((t) => t.id)).toEqual(['T1110']);
    expect(got[19]?.detail).toContain('at least 20 failed ftp logins');
  });

  it('near miss: a user mistyping 4 times then logging in, and slow failures spread over hours, stay quiet', () => {
    const d = new BruteForceDetector();
    for (let i = 0; i < 4; i++) expect(d.observeLogin(i * 10, 'alice', 'srv', 'telnet', 'failure')).toBeNull();
    expect(d.observeLogin(50, 'alice', 'srv', 'telnet', 'success')).toBeNull();
    // One failure every 4 minutes: at most 4 in any 15-minute window.
    for (let i = 0; i < 40; i++) expect(d.observeLogin(1e4 + i * 240, 'bob', 'srv', 'ftp', 'failure')).toBeNull();
  });

  it('reports a success after ≥ 10 failures as high, on its own key, even right after a high for the failures', () => {
    const d = new BruteForceDetector();
    const fails = Array.from({ length: 25 }, (_, i) => d.observeLogin(i, 'x', 'y', 'ftp', 'failure'));
    expect(fails.filter((f) => f !== null).map((f) => f?.severity)).toEqual(['low', 'medium', 'high']);
    const ok = d.observeLogin(30, 'x', 'y', 'ftp', 'success');
    expect(ok).toMatchObject({ severity: 'high' });
    expect(ok?.detail).toContain('successful ftp login');
    const e = new BruteForceDetector();
    for (let i = 0; i < 9; i++) e.observeLogin(i, 'x', 'y', 'ftp', 'failure');
    expect(e.observeLogin(10, 'x', 'y', 'ftp', 'success')).toBeNull();
  });

  it('counts per (originator, service) across servers (spraying) and keeps services apart', () => {
    const d = new BruteForceDetector();
    const got: (PacketDetection | null)[] = [];
    for (let i = 0; i < 10; i++) got.push(d.observeLogin(i, 'spray', `10.0.1.${i}`, 'ssh', 'failure', `user${i}`));
    expect(got.filter((x) => x !== null).map((x) => x?.severity)).toEqual(['low', 'medium']);
    expect(got[9]?.detail).toContain('10 server(s), 10 user name(s)');
    const e = new BruteForceDetector();
    for (let i = 0; i < 4; i++) {
      expect(e.observeLogin(i, 'h', 's', 'ftp', 'failure')).toBeNull();
      expect(e.observeLogin(i, 'h', 's', 'telnet', 'failure')).toBeNull();
    }
  });

  it('ignores invalid input and validates options', () => {
    const d = new BruteForceDetector();
    expect(d.observeLogin(Number.NaN, 'a', 'b', 'ftp', 'failure')).toBeNull();
    expect(d.observeLogin(1, 'a', 'b', 'ftp', 'maybe' as LoginOutcome)).toBeNull();
    expect(() => new BruteForceDetector({ lowFailures: 10, mediumFailures: 5 })).toThrow(RangeError);
    expect(() => new BruteForceDetector({ window: 0 })).toThrow(RangeError);
  });

  it('property: never throws, and state stays bounded over many sources', () => {
    const d = new BruteForceDetector({ maxKeys: 32 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.oneof(fc.double(), fc.integer({ min: 0, max: 5000 })), fc.string(), fc.string(), fc.constantFrom('ftp', 'ssh', ''), fc.constantFrom('success', 'failure') as fc.Arbitrary<LoginOutcome>, fc.option(fc.string())),
          { maxLength: 200 },
        ),
        (events) => {
          for (const [ts, o, r, s, out, u] of events) d.observeLogin(ts, o, r, s, out, u ?? undefined);
          expect(d.sizes.keys).toBeLessThanOrEqual(32);
          expect(d.sizes.alertKeys).toBeLessThanOrEqual(32);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const ftp = dataFile('pcaps', 'ftp_bruteforce.pcap');
const skipMsg = !hasTshark ? ' (SKIPPED: /usr/bin/tshark missing)' : !ftp.exists ? ' (SKIPPED: capture missing; set IPQSEC_DATA)' : '';

describe.skipIf(!hasTshark || !ftp.exists)(`BruteForceDetector on ftp_bruteforce.pcap, logins from tshark${skipMsg}`, () => {
  it('the 30 PASS attempts answered by 530 give a brute-force alert on 192.168.56.1 (low, medium, high)', () => {
    // Oracle: tshark's FTP dissector. A 530 reply to PASS is a failed login, 230 a success (RFC 959 §4.2).
    const lines = execFileSync(TSHARK, ['-r', ftp.path, '-Y', 'ftp.response.code == 530 || ftp.response.code == 230', '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ftp.response.code'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim()
      .split('\n');
    expect(lines).toHaveLength(30);
    const d = new BruteForceDetector();
    const got: PacketDetection[] = [];
    for (const line of lines) {
      const [ts, server, client, code] = line.split(',');
      const r = d.observeLogin(Number(ts), client, server, 'ftp', code === '230' ? 'success' : 'failure', 'bro');
      if (r) got.push(r);
    }
    expect(got.map((g) => g.severity)).toEqual(['low', 'medium', 'high']);
    expect(got.every((g) => g.reason === 'Brute Force' && g.origH === '192.168.56.1' && g.respH === '192.168.56.101')).toBe(true);
  });
});
