/**
 * `ipqsec scan` and `ipqsec cve` as real processes (the built CLI in dist/, the real nmap): the JSON document of a
 * loopback scan matched against the shared NVD records, the import summary, and the refusals that must happen
 * before nmap runs (an option smuggled in a target, a target outside the allowlist, a missing nmap).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const data = process.env.IPQSEC_DATA ?? join(root, '..', 'shared', 'data');
const records = join(data, 'nvd', 'records');
const haveNvd = existsSync(records);
const haveNmap = ['/usr/bin/nmap', '/usr/local/bin/nmap'].some((p) => existsSync(p));
if (!haveNvd) console.warn(`scan-cli.test: CVE parts skipped, ${records} not found (set IPQSEC_DATA)`);
if (!haveNmap) console.warn('scan-cli.test: scan runs skipped, nmap not installed (apt-get install nmap)');

const tmp = mkdtempSync(join(tmpdir(), 'ipqsec-scan-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

interface Doc {
  hosts: { address: string; ports: { port: number; proto: string; state: string; product: string | null; version: string | null; cpe: string[]; cves: { id: string; kev: boolean }[] }[] }[];
  errors: unknown[];
}

describe('ipqsec scan: refused before nmap runs', () => {
  it('an option smuggled into a target is an invalid target (exit 2, IPQ-V005) and nmap never writes the file', async () => {
    const out = join(tmp, 'smuggled.txt');
    for (const target of [`127.0.0.1 -oN ${out}`, '--script=http-title', `-oN${out}`]) {
      const r = await run(['scan', '--json', '--', target]);
      expect(r.code, target).toBe(2);
      expect(r.stderr).toContain('IPQ-V005');
      expect(r.stdout).toBe('');
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a target outside the allowlist is refused naming the rule (exit 2, IPQ-V004)', async () => {
    const r = await run(['scan', '--json', '10.1.2.3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/IPQ-V004|outside/);
    expect(r.stderr).toContain('127.0.0.0/8');
    const denied = await run(['scan', '--json', '127.0.0.0/29', '--deny', '127.0.0.5/32']);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('127.0.0.5/32');
  });

  it('a missing nmap names the package (exit 3, IPQ-V006)', async () => {
    const r = await run(['scan', '--nmap', join(tmp, 'no-such-nmap'), '127.0.0.1']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('apt-get install nmap');
  });
});

describe.skipIf(!haveNmap || !haveNvd)('ipqsec scan 127.0.0.1 (real nmap, shared NVD records)', () => {
  it('prints one JSON document with Redis, its CPE 2.3 name and CVEs from the records', async () => {
    const r = await run(['scan', '--json', '--ports', '6379', '--nvd', records, '--', '127.0.0.1']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.errors).toEqual([]);
    expect(doc.hosts).toHaveLength(1);
    const redis = doc.hosts[0]!.ports.find((p) => p.port === 6379)!;
    expect(redis).toMatchObject({ proto: 'tcp', state: 'open' });
    expect(redis.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(redis.cpe.some((c) => c.startsWith('cpe:2.3:a:'))).toBe(true);
    // Any CVE reported must be one of the Redis records (the id appears in a file naming redis:redis).
    for (const c of redis.cves) expect(existsSync(join(records, `${c.id}.json`))).toBe(true);
  }, 90_000);
});

describe.skipIf(!haveNvd)('ipqsec cve import / stats', () => {
  it('imports the shared records into a data directory, then re-imports them unchanged', async () => {
    const dir = join(tmp, 'data');
    const first = await run(['cve', 'import', records, '--data-dir', dir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout) as { records: number; inserted: number; skipped: number };
    expect(s1).toMatchObject({ records: 43, inserted: 43, skipped: 0 });
    const again = await run(['cve', 'import', records, '--data-dir', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ records: 43, inserted: 0, unchanged: 43 });
    const stats = await run(['cve', 'stats', '--data-dir', dir]);
    expect(stats.stdout).toMatch(/^43 CVE records/);
  }, 60_000);

  it('lists an unreadable path as an error and exits 2 while importing the rest', async () => {
    const dir = join(tmp, 'data2');
    const r = await run(['cve', 'import', join(records, 'CVE-2011-2523.json'), join(tmp, 'missing.json'), '--data-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('inserted 1');
    expect(r.stdout).toContain('missing.json');
  }, 60_000);
});
