import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIpqsecRejection } from '../core/_test-errors.js';
import { startBannerServers, type BannerServers } from './_test-banner-servers.js';
import { nmapArgv, resolveScanTargets, runNmap, tuneServiceProbes, type NmapHostResult } from './nmap-runner.js';
import { parsePortSpec, scanScope } from './scan-target.js';

const NMAP = spawnSync('nmap', ['--version'], { encoding: 'utf8' });
const hasNmap = NMAP.status === 0;
if (!hasNmap) process.stderr.write('skipping real-nmap tests: nmap not found (Debian: apt-get install nmap)\n');
const PROBES = '/usr/share/nmap/nmap-service-probes';

const scope = scanScope();
const tmp = mkdtempSync(join(tmpdir(), 'ipqsec-runner-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A stand-in for nmap: a shell script that misbehaves for 127.0.0.9 and runs the real nmap for anything else. */
function fakeNmap(name: string, forBadHost: string, mode = 0o755): string {
  const path = join(tmp, name);
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do last="$a"; done\nif [ "$last" = 127.0.0.9 ]; then\n${forBadHost}\nfi\nexec nmap "$@"\n`,
    { mode },
  );
  return path;
}

let banners: BannerServers;
beforeAll(async () => {
  banners = await startBannerServers();
});
afterAll(async () => {
  await banners?.close();
});
const server = (kind: 'ftp' | 'ssh' | 'http') => banners.servers.find((s) => s.kind === kind)!;

describe('tuneServiceProbes (nmap-service-probes format)', () => {
  it.skipIf(!existsSync(PROBES))('caps every probe wait of the real probe file and changes nothing else', () => {
    const text = readFileSync(PROBES, 'utf8');
    const tuned = tuneServiceProbes(text, 1500);
    const probes = text.split('\n').filter((l) => l.startsWith('Probe ')).length;
    const waits = tuned.split('\n').filter((l) => l.startsWith('totalwaitms '));
    expect(probes).toBeGreaterThan(100);
    expect(waits).toHaveLength(probes); // one per probe, including those that relied on the 5 000 ms default
    expect(waits.every((l) => Number(l.split(' ')[1]) <= 1500)).toBe(true);
    const rest = (s: string): string[] => s.split('\n').filter((l) => !l.startsWith('totalwaitms '));
    expect(rest(tuned)).toEqual(rest(text));
    // The NULL probe's wait (6 000 in nmap 7.93) comes right after its Probe line.
    const lines = tuned.split('\n');
    expect(lines[lines.findIndex((l) => l.startsWith('Probe TCP NULL')) + 1]).toBe('totalwaitms 1500');
  });

  it('keeps shorter waits and applies nmap\'s 5 000 ms default when a probe has none', () => {
    const text = 'Exclude T:9100\nProbe TCP NULL q||\ntotalwaitms 6000\nmatch a m|^x|\nProbe TCP X q|x|\nrarity 1\nProbe TCP Y q|y|\ntotalwaitms 300\n';
    expect(tuneServiceProbes(text, 1500)).toBe('Exclude T:9100\nProbe TCP NULL q||\ntotalwaitms 1500\nmatch a m|^x|\nProbe TCP X q|x|\ntotalwaitms 1500\nrarity 1\nProbe TCP Y q|y|\ntotalwaitms 300\n');
    expect(tuneServiceProbes(text, 9000)).toContain('Probe TCP X q|x|\ntotalwaitms 5000\n');
  });
});

describe('nmapArgv', () => {
  it('puts the address last, after "--", with the documented flags', () => {
    const a = nmapArgv('::1', 6, parsePortSpec('top-1000'), { hostTimeoutMs: 120_000, versionIntensity: 7, versionDb: '/tmp/x/nmap-service-probes' });
    expect(a.slice(-2)).toEqual(['--', '::1']);
    expect(a).toEqual(expect.arrayContaining(['-sV', '-Pn', '-n', '-6', '--top-ports', '1000', '-oX', '-', '--host-timeout', '120000ms', '--versiondb', '/tmp/x/nmap-service-probes']));
    expect(nmapArgv('127.0.0.1', 4, parsePortSpec('22,80'), { hostTimeoutMs: 1000, versionIntensity: 7, versionDb: null })).not.toContain('-6');
  });
});

describe('resolveScanTargets (before anything runs)', () => {
  it('resolves names (real resolver: localhost), merges duplicates, expands CIDRs', async () => {
    const hosts = await resolveScanTargets({ targets: ['localhost', '127.0.0.1', '127.0.0.4/31'], scope });
    expect(hosts.find((h) => h.address === '127.0.0.1')).toEqual({ address: '127.0.0.1', family: 4, names: ['localhost'] });
    expect(hosts.map((h) => h.address)).toEqual(expect.arrayContaining(['127.0.0.1', '127.0.0.4', '127.0.0.5']));
    expect(new Set(hosts.map((h) => h.address)).size).toBe(hosts.length);
  });

  it('refuses a name with any address outside the scope (IPQ-V004), an unknown name and too many hosts (IPQ-V005)', async () => {
    const e = await expectIpqsecRejection(() => resolveScanTargets({ targets: ['db.test'], scope, resolve: async () => ['127.0.0.2', '10.1.1.1'] }), 'IPQ-V004');
    expect(e.message).toContain('no CIDR contains 10.1.1.1');
    await expectIpqsecRejection(() => resolveScanTargets({ targets: ['no-such-host.invalid'], scope }), 'IPQ-V005');
    await expectIpqsecRejection(() => resolveScanTargets({ targets: ['127.0.0.0/30'], scope, maxHosts: 3 }), 'IPQ-V005');
    await expectIpqsecRejection(() => resolveScanTargets({ targets: ['127.0.0.1', '127.0.0.2'], scope, maxHosts: 1 }), 'IPQ-V005');
    await expectIpqsecRejection(() => resolveScanTargets({ targets: [], scope }), 'IPQ-V005');
  });
});

describe.skipIf(!hasNmap)('runNmap against the real nmap', () => {
  it('identifies the banner servers, three hosts in parallel', { timeout: 60_000 }, async () => {
    const seen: NmapHostResult[] = [];
    const ports = parsePortSpec(banners.servers.map((s) => s.port).join(','));
    const r = await runNmap({ targets: banners.servers.map((s) => s.address), ports, scope, parallel: 3, onHost: (h) => seen.push(h) });
    expect(r.errors).toEqual([]);
    expect(r.hosts.map((h) => h.host.address)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']); // target order
    expect(seen).toHaveLength(3);
    for (const s of banners.servers) {
      const h = r.hosts.find((x) => x.host.address === s.address)!;
      expect(h.finished_ms).toBeGreaterThanOrEqual(h.started_ms);
      const open = h.host.ports.filter((p) => p.state === 'open');
      expect(open.map((p) => p.port)).toEqual([s.port]);
      expect(open[0]!.service).toMatchObject({ product: s.product, version: s.version, method: 'probed' });
    }
  });

  it('scans an IPv6 address (nmap -6): Redis on ::1', { timeout: 60_000 }, async () => {
    const r = await runNmap({ targets: ['0:0:0:0:0:0:0:1'], ports: parsePortSpec('6379'), scope });
    if (r.hosts[0]?.host.ports[0]?.state !== 'open') {
      process.stderr.write('note: nothing listens on [::1]:6379 here; checking the IPv6 scan only\n');
    }
    expect(r.errors).toEqual([]);
    expect(r.hosts[0]!.host).toMatchObject({ address: '::1', addrtype: 'ipv6' });
    expect(r.hosts[0]!.host.ports.map((p) => p.port)).toEqual([6379]);
  });

  it('reports the target host name with the scanned address', { timeout: 60_000 }, async () => {
    const s = server('ftp');
    const r = await runNmap({ targets: ['ftp.banner.test'], ports: parsePortSpec(String(s.port)), scope, resolve: async () => [s.address] });
    expect(r.hosts[0]!.host).toMatchObject({ address: s.address, hostnames: ['ftp.banner.test'] });
  });

  it('refuses a target outside the allowlist before nmap runs (IPQ-V004)', async () => {
    const marker = join(tmp, 'ran');
    const spy = join(tmp, 'spy-nmap');
    writeFileSync(spy, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
    const e = await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1', '10.0.0.1'], ports: parsePortSpec('22'), scope, nmapPath: spy }), 'IPQ-V004');
    expect(e.message).toContain('allowlist 127.0.0.0/8, ::1/128 (no CIDR contains 10.0.0.1)');
    await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1 -oN /tmp/x'], ports: parsePortSpec('22'), scope, nmapPath: spy }), 'IPQ-V005');
    await expectIpqsecRejection(() => runNmap({ targets: ['--script=x'], ports: parsePortSpec('22'), scope, nmapPath: spy }), 'IPQ-V005');
    await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1'], ports: { kind: 'list', text: '22 -oN x' }, scope, nmapPath: spy }), 'IPQ-V005');
    expect(existsSync(marker)).toBe(false);
  });

  it('nmap missing or not executable → IPQ-V006 naming apt-get install nmap, nothing scanned', async () => {
    const e = await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1'], ports: parsePortSpec('22'), scope, nmapPath: '/nonexistent/nmap' }), 'IPQ-V006');
    expect(e.message).toContain('apt-get install nmap');
    const notExec = join(tmp, 'not-executable');
    writeFileSync(notExec, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1'], ports: parsePortSpec('22'), scope, nmapPath: notExec }), 'IPQ-V006');
    await expectIpqsecRejection(() => runNmap({ targets: ['127.0.0.1'], ports: parsePortSpec('22'), scope, nmapPath: 'no-such-nmap-in-path' }), 'IPQ-V006');
  });

  it('nmap failing on one host → IPQ-V007 with its message; the other host is kept', { timeout: 60_000 }, async () => {
    const s = server('ftp');
    const nmap = fakeNmap('failing-nmap', "echo 'Failed to open device lo0' >&2\nexit 1");
    const r = await runNmap({ targets: ['127.0.0.9', s.address], ports: parsePortSpec(String(s.port)), scope, nmapPath: nmap });
    expect(r.hosts.map((h) => h.host.address)).toEqual([s.address]);
    expect(r.hosts[0]!.host.ports[0]!.service).toMatchObject({ product: 'vsftpd', version: '2.3.4' });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ target: '127.0.0.9', code: 'IPQ-V007' });
    expect(r.errors[0]!.message).toContain('exited with code 1: Failed to open device lo0');
  });

  it('garbage or truncated XML on one host → IPQ-V003 with line and column; the other host is kept', { timeout: 60_000 }, async () => {
    const s = server('ssh');
    for (const [name, script, pattern] of [
      ['garbage-nmap', "echo 'Starting Nmap 7.93'\nexit 0", /at line 1, column 1/],
      ['truncated-nmap', "printf '<?xml version=\"1.0\"?>\\n<nmaprun args=\"x\">\\n<host><status state=\"up\"/>\\n<address addr=\"127.0.0.9\" addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" por'\nexit 0", /at line 4, column \d+/],
    ] as const) {
      const r = await runNmap({ targets: [s.address, '127.0.0.9'], ports: parsePortSpec(String(s.port)), scope, nmapPath: fakeNmap(name, script) });
      expect(r.hosts.map((h) => h.host.address)).toEqual([s.address]);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({ target: '127.0.0.9', code: 'IPQ-V003' });
      expect(r.errors[0]!.message).toMatch(pattern);
    }
  });

  it('a host whose nmap hangs is killed after hostTimeoutMs + grace → IPQ-V007; the other host is kept', { timeout: 60_000 }, async () => {
    const s = server('ftp');
    const nmap = fakeNmap('sleeping-nmap', 'sleep 300'); // a child of the shell: the whole process group is killed
    const r = await runNmap({ targets: ['127.0.0.9', s.address], ports: parsePortSpec(String(s.port)), scope, nmapPath: nmap, hostTimeoutMs: 8000, killGraceMs: 500, parallel: 2 });
    expect(r.hosts.map((h) => h.host.address)).toEqual([s.address]);
    expect(r.errors).toEqual([{ target: '127.0.0.9', code: 'IPQ-V007', message: expect.stringContaining('did not finish within 8500 ms') }]);
  });

  it('nmap\'s own --host-timeout (a silent service keeps the probes waiting) → IPQ-V007', { timeout: 60_000 }, async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((c) => {
      sockets.add(c);
      c.on('error', () => {});
    });
    await new Promise<void>((r) => silent.listen({ host: '127.0.0.5', port: 0 }, () => r()));
    try {
      const port = (silent.address() as { port: number }).port;
      const r = await runNmap({ targets: ['127.0.0.5'], ports: parsePortSpec(String(port)), scope, hostTimeoutMs: 1000 });
      expect(r.hosts).toEqual([]);
      expect(r.errors).toEqual([{ target: '127.0.0.5', code: 'IPQ-V007', message: expect.stringContaining('--host-timeout of 1000 ms reached') }]);
    } finally {
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('aborting stops running nmap processes and skips the rest (IPQ-V007 entries)', { timeout: 60_000 }, async () => {
    const sleeper = join(tmp, 'all-sleep');
    writeFileSync(sleeper, '#!/bin/sh\nsleep 300\n', { mode: 0o755 });
    const ctl = new AbortController();
    const run = runNmap({ targets: ['127.0.0.9', '127.0.0.9/32', '127.0.0.10'], ports: parsePortSpec('22'), scope, nmapPath: sleeper, parallel: 1, signal: ctl.signal });
    setTimeout(() => ctl.abort(), 1000);
    const r = await run;
    expect(r.hosts).toEqual([]);
    expect(r.errors.map((e) => [e.target, e.code])).toEqual([['127.0.0.9', 'IPQ-V007'], ['127.0.0.10', 'IPQ-V007']]);
    expect(r.errors[0]!.message).toContain('aborted while nmap was running');
    expect(r.errors[1]!.message).toContain('aborted before');
  });
});
