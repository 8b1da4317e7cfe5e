import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBannerServers, type BannerServers } from './_test-banner-servers.js';
import { CveIndex } from './cve-matcher.js';
import { parseNvdDocument } from './nvd-record.js';
import type { HostReport, PortFinding, ScanReport } from './scan-report.js';
import { cvesFor, scanTargets } from './scan-run.js';
import { parsePortSpec, scanScope } from './scan-target.js';

const run = promisify(execFile);
const hasNmap = spawnSync('nmap', ['--version']).status === 0;
if (!hasNmap) process.stderr.write('skipping scan tests: nmap not found (Debian: apt-get install nmap)\n');
// scan may import only core (eslint), so not data/_test-data.ts: the same rule inline.
const RECORDS = resolve(process.env.IPQSEC_DATA ?? resolve('..', 'shared', 'data'), 'nvd', 'records');
const hasRecords = existsSync(RECORDS);
if (!hasRecords) process.stderr.write(`skipping scan CVE tests: ${RECORDS} not found (set IPQSEC_DATA)\n`);

type Json = Record<string, unknown>;
const recordJson: Json[] = hasRecords
  ? readdirSync(RECORDS).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(RECORDS, f), 'utf8')) as Json)
  : [];

/** The index under test, built from the same records. */
function buildIndex(): CveIndex {
  const index = new CveIndex();
  for (const j of recordJson) for (const r of parseNvdDocument(j, {}).records) index.add(r);
  return index;
}

/**
 * The oracle: an independent, deliberately simple reading of the record JSON. A CVE applies to vendor:product at
 * version (+ update) when one of its configurations is a single OR node (no AND with a platform) holding a
 * `vulnerable` cpeMatch whose criteria names the product and whose version is equal (update `*`, equal, or `-`
 * for a plain release) or, for `*`, whose range bounds all hold. Versions are compared number by number.
 */
function cmp(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i] ?? '0';
    const q = y[i] ?? '0';
    const d = /^\d+$/.test(p) && /^\d+$/.test(q) ? Number(p) - Number(q) : p < q ? -1 : p > q ? 1 : 0;
    if (d !== 0) return d;
  }
  return 0;
}
function expectedCves(products: readonly string[], version: string, update = '*'): string[] {
  const ids: string[] = [];
  for (const rec of recordJson) {
    const configs = (rec.configurations ?? []) as { operator?: string; nodes: { operator: string; negate?: boolean; cpeMatch: Json[] }[] }[];
    const hit = configs.some((c) => {
      if (c.operator === 'AND' || c.nodes.length !== 1 || c.nodes[0]!.operator !== 'OR' || c.nodes[0]!.negate === true) return false;
      return c.nodes[0]!.cpeMatch.some((m) => {
        const f = String(m.criteria).split(':'); // cpe:2.3:part:vendor:product:version:update:…
        if (m.vulnerable !== true || !products.includes(`${f[3]}:${f[4]}`)) return false;
        const [v, u] = [f[5]!, f[6]!];
        if (v !== '*' && v !== '-') return cmp(version, v) === 0 && (u === '*' || u === update || (u === '-' && update === '*'));
        const si = m.versionStartIncluding as string | undefined;
        const se = m.versionStartExcluding as string | undefined;
        const ei = m.versionEndIncluding as string | undefined;
        const ee = m.versionEndExcluding as string | undefined;
        return (si === undefined || cmp(version, si) >= 0) && (se === undefined || cmp(version, se) > 0) &&
          (ei === undefined || cmp(version, ei) <= 0) && (ee === undefined || cmp(version, ee) < 0);
      });
    });
    if (hit) ids.push(rec.id as string);
  }
  return ids.sort();
}

/** NVD vendor:product names, transcribed from data/nvd/README.md (not from product-alias.ts). */
const NVD_NAMES: Record<string, string[]> = {
  vsftpd: ['vsftpd_project:vsftpd'],
  openssh: ['openbsd:openssh'],
  nginx: ['f5:nginx', 'f5:nginx_open_source'],
  redis: ['redis:redis'],
  mosquitto: ['eclipse:mosquitto'],
  postgresql: ['postgresql:postgresql'],
  mariadb: ['mariadb:mariadb'],
  nats: ['linuxfoundation:nats-server'],
  rabbitmq: ['vmware:rabbitmq'],
};

/** Checks a port's CVEs against the oracle for the version the scan detected; returns the ids. */
function checkCves(p: PortFinding, names: string[], version: string, update = '*'): string[] {
  const got = p.cves.map((c) => c.id);
  expect(new Set(got).size).toBe(got.length); // de-duplicated
  expect([...got].sort()).toEqual(expectedCves(names, version, update));
  const scores = p.cves.map((c) => c.score ?? -1);
  expect(scores).toEqual([...scores].sort((a, b) => b - a)); // highest score first
  return got;
}

function checkShape(r: ScanReport): void {
  for (const h of r.hosts) {
    const keys = h.ports.map((p) => p.port);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(h.ports.every((p) => p.state !== 'closed')).toBe(true);
    expect(h.finished_ms).toBeGreaterThanOrEqual(h.started_ms);
    for (const p of h.ports) for (const c of p.cpe) expect(c).toMatch(/^cpe:2\.3:[aoh]:/);
  }
}

const portOf = (h: HostReport | undefined, port: number): PortFinding => {
  const p = h?.ports.find((x) => x.port === port);
  if (p === undefined) throw new Error(`port ${port} not in the report: ${JSON.stringify(h)}`);
  return p;
};

describe.skipIf(!hasNmap || !hasRecords)('scanTargets: banner servers announcing vulnerable versions', () => {
  let banners: BannerServers;
  beforeAll(async () => {
    banners = await startBannerServers();
  });
  afterAll(async () => {
    await banners?.close();
  });

  it('identifies vsftpd 2.3.4, OpenSSH 8.2p1 and nginx 1.4.0 with the CVEs the records give', { timeout: 60_000 }, async () => {
    const r = await scanTargets({
      targets: banners.servers.map((s) => s.address),
      ports: parsePortSpec(banners.servers.map((s) => s.port).join(',')),
      scope: scanScope(),
      cves: buildIndex(),
      parallel: 3,
    });
    expect(r.errors).toEqual([]);
    checkShape(r);
    const byKind = (k: string) => {
      const s = banners.servers.find((x) => x.kind === k)!;
      const h = r.hosts.find((x) => x.address === s.address);
      expect(h?.ports).toHaveLength(1); // the two closed ports of each host are omitted
      return portOf(h, s.port);
    };
    const ftp = byKind('ftp');
    expect(ftp).toMatchObject({ service: 'ftp', product: 'vsftpd', version: '2.3.4' });
    expect(checkCves(ftp, NVD_NAMES.vsftpd!, '2.3.4')).toContain('CVE-2011-2523');

    const ssh = byKind('ssh');
    expect(ssh).toMatchObject({ service: 'ssh', product: 'OpenSSH', version: '8.2p1 Ubuntu 4ubuntu0.5' });
    // The test's own reading of the portable version: 8.2p1 → NVD version 8.2, update p1.
    const [, sv, su] = /^(\d+(?:\.\d+)*)(p\d+)?/.exec(ssh.version!.split(' ')[0]!)!;
    const sshIds = checkCves(ssh, NVD_NAMES.openssh!, sv!, su ?? '*');
    expect(sshIds).toEqual(expect.arrayContaining(['CVE-2020-15778', 'CVE-2021-41617']));
    expect(sshIds).not.toContain('CVE-2023-25136'); // = 9.1 only

    const http = byKind('http');
    expect(http).toMatchObject({ service: 'http', product: 'nginx', version: '1.4.0' });
    expect(checkCves(http, NVD_NAMES.nginx!, '1.4.0')).toContain('CVE-2013-2028');
  });
});

/** Oracles for the versions the loopback services really run. */
async function tcpAsk(port: number, send: Buffer | string, until: (b: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${port}`));
    }, 10_000);
    s.on('connect', () => s.write(send));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (until(buf)) {
        clearTimeout(timer);
        s.destroy();
        resolvePromise(buf);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
const oracle = {
  /** Redis INFO over a raw socket (RESP). */
  redis: async () => /redis_version:(\S+)/.exec((await tcpAsk(6379, 'INFO server\r\n', (b) => b.includes('redis_version:') && b.includes('\r\n', b.indexOf('redis_version:')))).toString())?.[1],
  /** PostgreSQL server_version_num (≥ 10: major * 10000 + minor). */
  postgresql: async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await c.connect();
    try {
      const n = Number((await c.query<{ v: string }>('SELECT current_setting(\'server_version_num\') AS v')).rows[0]!.v);
      return `${Math.floor(n / 10000)}.${n % 10000}`;
    } finally {
      await c.end();
    }
  },
  mosquitto: async () => /^mosquitto version (\S+)/.exec((await run('mosquitto_sub', ['-h', '127.0.0.1', '-t', '$SYS/broker/version', '-C', '1', '-W', '10'])).stdout.trim())?.[1],
  mariadb: async () => /^(\d+\.\d+\.\d+)-MariaDB/.exec((await run('mariadb', ['-N', '-e', 'SELECT VERSION()'])).stdout.trim())?.[1],
  nats: async () => /"version":"([^"]+)"/.exec((await tcpAsk(4222, '', (b) => b.includes('\r\n'))).toString())?.[1],
  /** RabbitMQ: AMQP 0-9-1 protocol header → Connection.Start, server-properties "version" (longstr). */
  rabbitmq: async () => {
    const b = await tcpAsk(5672, Buffer.from('AMQP\x00\x00\x09\x01', 'latin1'), (x) => x.includes(Buffer.from([0xce])));
    const at = b.indexOf('\x07versionS', 0, 'latin1');
    return at < 0 ? undefined : b.toString('latin1', at + 13, at + 13 + b.readUInt32BE(at + 9));
  },
};
/** The oracle's answer; undefined (form checks only) when its tool or service cannot be reached. */
async function tryOracle(name: keyof typeof oracle): Promise<string | undefined> {
  let v: string | undefined;
  try {
    v = await oracle[name]();
  } catch (e) {
    process.stderr.write(`oracle for ${name} unavailable (${(e as Error).message}): checking the detected version's form only\n`);
    return undefined;
  }
  if (v === undefined) throw new Error(`the oracle for ${name} answered, but no version could be read from it`);
  return v;
}
const servicesUp = await new Promise<boolean>((res) => {
  const s = connect({ host: '127.0.0.1', port: 6379 });
  s.on('connect', () => {
    s.destroy();
    res(true);
  });
  s.on('error', () => res(false));
});
if (!servicesUp) process.stderr.write('skipping loopback service scan tests: no Redis on 127.0.0.1:6379 (the test machine services are absent)\n');

describe.skipIf(!hasNmap || !hasRecords || !servicesUp)('scanTargets: the real services on 127.0.0.1', () => {
  it('PostgreSQL, Redis, Mosquitto, MariaDB, NATS, RabbitMQ: versions as the services report them, CVEs as the records give', { timeout: 90_000 }, async () => {
    const r = await scanTargets({ targets: ['127.0.0.1'], ports: parsePortSpec('1883,3306,4222,5432,5672,6379'), scope: scanScope(), cves: buildIndex() });
    expect(r.errors).toEqual([]);
    checkShape(r);
    const h = r.hosts[0];
    expect(h).toMatchObject({ address: '127.0.0.1', status: 'up' });
    const cases: [port: number, product: RegExp, name: keyof typeof oracle, form: RegExp, service: string][] = [
      [5432, /^PostgreSQL$/, 'postgresql', /^15\.\d+$/, 'postgresql'],
      [6379, /^Redis/, 'redis', /^7\.0\.\d+$/, 'redis'],
      [1883, /^mosquitto$/, 'mosquitto', /^2\.0\.\d+$/, 'mqtt'],
      [3306, /^MariaDB$/, 'mariadb', /^10\.11\.\d+$/, 'mysql'],
      [4222, /^NATS Server$/, 'nats', /^2\.9\.\d+$/, 'nats'],
      [5672, /^RabbitMQ$/, 'rabbitmq', /^3\.10\.\d+$/, 'amqp'],
    ];
    const found: Record<string, string[]> = {};
    for (const [port, product, name, form, service] of cases) {
      const p = portOf(h, port);
      expect(p, `port ${port}`).toMatchObject({ state: 'open', service });
      expect(p.product).toMatch(product);
      expect(p.version).toMatch(form);
      const real = await tryOracle(name);
      if (real !== undefined) expect(p.version, `${name}: the version the service itself reports`).toBe(real);
      found[name] = checkCves(p, NVD_NAMES[name]!, p.version!);
    }
    // Sanity on this machine's versions (the derivation above is what decides): Redis 7.0.x and Mosquitto 2.0.x
    // have CVEs in the records, PostgreSQL 15.x has CVE ranges per 15.x patch level.
    expect(found.redis!.length).toBeGreaterThan(0);
    expect(found.mosquitto!.length).toBeGreaterThan(0);
  });

  it('without version probes, nmap\'s PostgreSQL range stays and gives no CVEs; NATS stays unidentified', { timeout: 60_000 }, async () => {
    const r = await scanTargets({ targets: ['127.0.0.1'], ports: parsePortSpec('4222,5432'), scope: scanScope(), cves: buildIndex(), probes: false });
    const h = r.hosts[0];
    expect(portOf(h, 5432)).toMatchObject({ service: 'postgresql', product: 'PostgreSQL DB', version: '9.6.0 or later', cves: [] });
    expect(portOf(h, 4222)).toMatchObject({ product: null, version: null, cves: [] });
  });
});

describe.skipIf(!hasRecords)('cvesFor', () => {
  it('merges the CVEs of several queries for one service, highest score first', () => {
    const index = buildIndex();
    const one = cvesFor(index, [{ vendor: 'igor_sysoev', product: 'nginx', version: '1.4.0' }]);
    const both = cvesFor(index, [{ vendor: 'igor_sysoev', product: 'nginx', version: '1.4.0' }, { vendor: '', product: 'nginx', version: '1.4.0' }]);
    expect(both).toEqual(one);
    expect(one.map((c) => c.id).sort()).toEqual(expectedCves(NVD_NAMES.nginx!, '1.4.0'));
    expect(cvesFor(undefined, [{ vendor: 'redis', product: 'redis', version: '7.0.15' }])).toEqual([]);
    expect(cvesFor(index, [])).toEqual([]);
  });
});
