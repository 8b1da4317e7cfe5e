import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCpe22, parseCpe23 } from './cpe.js';
import { normalizeDetected, nvdProductsFor, type ProductKey } from './product-alias.js';

const DATA = process.env.IPQSEC_DATA ?? path.resolve('..', 'shared', 'data');
const RECORDS = path.join(DATA, 'nvd', 'records');
const hasRecords = existsSync(RECORDS);
if (!hasRecords) process.stderr.write(`skipping NVD alias tests: ${RECORDS} not found (set IPQSEC_DATA)\n`);

const key = (k: ProductKey): string => `${k.vendor}:${k.product}`;

describe('nvdProductsFor: the "CPE naming: nmap vs NVD" table of the NVD README', () => {
  // nmap's CPE (README column 2) → NVD pairs (README column 3).
  const table: [string, string[]][] = [
    ['cpe:/a:openbsd:openssh', ['openbsd:openssh']],
    ['cpe:/a:igor_sysoev:nginx', ['igor_sysoev:nginx', 'f5:nginx', 'f5:nginx_open_source']],
    ['cpe:/a:apache:http_server', ['apache:http_server']],
    ['cpe:/a:vsftpd:vsftpd', ['vsftpd:vsftpd', 'vsftpd_project:vsftpd']],
    ['cpe:/a:proftpd:proftpd', ['proftpd:proftpd']],
    ['cpe:/a:matt_johnston:dropbear_ssh_server', ['matt_johnston:dropbear_ssh_server', 'dropbear_ssh_project:dropbear_ssh']],
    ['cpe:/a:lighttpd:lighttpd', ['lighttpd:lighttpd']],
    ['cpe:/a:busybox:busybox', ['busybox:busybox']],
    ['cpe:/a:redislabs:redis', ['redislabs:redis', 'redis:redis']],
    ['cpe:/a:postgresql:postgresql', ['postgresql:postgresql']],
    ['cpe:/a:mariadb:mariadb', ['mariadb:mariadb']],
    ['cpe:/a:pivotal_software:rabbitmq', ['pivotal_software:rabbitmq', 'vmware:rabbitmq']],
    ['cpe:/a:nodejs:node.js', ['nodejs:node.js']],
  ];
  it.each(table)('%s → %j', (uri, expected) => {
    const c = parseCpe22(uri);
    expect(nvdProductsFor(c.vendor, c.product).map(key)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['Mosquitto', 'eclipse:mosquitto'],
    ['Eclipse Mosquitto', 'eclipse:mosquitto'],
    ['NATS', 'linuxfoundation:nats-server'],
    ['nats-server', 'linuxfoundation:nats-server'],
    ['MariaDB', 'mariadb:mariadb'],
  ])('product name %s (no CPE) → %s, the input itself first', (name, nvd) => {
    const keys = nvdProductsFor('', name).map(key);
    expect(keys[0]).toBe(`:${name.toLowerCase()}`);
    expect(keys).toContain(nvd);
  });

  it('always includes the input (lowercased), never duplicates, fresh objects', () => {
    fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (v, p) => {
      const keys = nvdProductsFor(v, p);
      expect(keys[0]).toEqual({ vendor: v.trim().toLowerCase(), product: p.trim().toLowerCase() });
      expect(new Set(keys.map(key)).size).toBe(keys.length);
    }));
    const a = nvdProductsFor('igor_sysoev', 'nginx');
    (a[1] as ProductKey).vendor = 'changed';
    expect(nvdProductsFor('igor_sysoev', 'nginx')[1]?.vendor).toBe('f5');
  });

  it.skipIf(!hasRecords)('every NVD pair the table maps to is used by an application criteria in the records', () => {
    const used = new Set<string>();
    for (const f of readdirSync(RECORDS).filter((n) => n.endsWith('.json'))) {
      for (const m of readFileSync(path.join(RECORDS, f), 'utf8').matchAll(/"criteria"\s*:\s*"([^"]+)"/g)) {
        const c = parseCpe23(m[1] as string);
        if (c.part === 'a') used.add(`${c.vendor}:${c.product}`);
      }
    }
    const targets = [...table.flatMap(([uri]) => { const c = parseCpe22(uri); return nvdProductsFor(c.vendor, c.product).slice(1); }),
      ...nvdProductsFor('', 'mosquitto').slice(1), ...nvdProductsFor('', 'nats').slice(1)].map(key);
    // pivotal_software:rabbitmq is only the input itself (README: older NVD records, not verified).
    for (const t of targets) expect(used, t).toContain(t);
  });
});

describe('normalizeDetected', () => {
  it('OpenSSH portable 8.9p1 → version 8.9, update p1 (NVD openssh 8.3:p1 in CVE-2020-15778)', () => {
    expect(normalizeDetected('openbsd', 'openssh', '8.9p1')).toEqual({ keys: [{ vendor: 'openbsd', product: 'openssh' }], version: '8.9', update: 'p1' });
    expect(normalizeDetected('openbsd', 'openssh', '7.4')).toMatchObject({ version: '7.4', update: '*' });
  });
  it('Redis 7.2.0-rc1 → version 7.2.0, update rc1 (NVD redis 7.2.0:rc1 in CVE-2023-41053)', () => {
    expect(normalizeDetected('redislabs', 'redis', '7.2.0-rc1')).toEqual({ keys: [{ vendor: 'redislabs', product: 'redis' }, { vendor: 'redis', product: 'redis' }], version: '7.2.0', update: 'rc1' });
    expect(normalizeDetected('redislabs', 'redis', '7.0.15')).toMatchObject({ version: '7.0.15', update: '*' });
  });
  it('MariaDB seen as MySQL (5.5.5- greeting prefix, Debian suffix) → mariadb:mariadb 10.11.6', () => {
    expect(normalizeDetected('', 'MySQL', '5.5.5-10.11.6-MariaDB-0+deb12u1')).toEqual({ keys: [{ vendor: 'mariadb', product: 'mariadb' }], version: '10.11.6', update: '*' });
    expect(normalizeDetected('mariadb', 'mariadb', '5.5.5-10.11.6-MariaDB-0+deb12u1')).toMatchObject({ version: '10.11.6' });
    expect(normalizeDetected('mysql', 'mysql', '11.4.2-MariaDB-ubu2404')).toMatchObject({ version: '11.4.2', keys: [{ vendor: 'mariadb', product: 'mariadb' }] });
  });
  it('ProFTPD 1.3.5a → 1.3.5 update a; plain and empty versions', () => {
    expect(normalizeDetected('proftpd', 'proftpd', '1.3.5a')).toMatchObject({ version: '1.3.5', update: 'a' });
    expect(normalizeDetected('matt_johnston', 'dropbear_ssh_server', '2018.76')).toMatchObject({ version: '2018.76', update: '*' });
    expect(normalizeDetected('', 'Mosquitto', ' 2.0.11 ')).toMatchObject({ version: '2.0.11', update: '*' });
    expect(normalizeDetected('igor_sysoev', 'nginx', '')).toMatchObject({ version: '', update: '*' });
  });
});
