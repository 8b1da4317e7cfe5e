import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCpe23 } from './cpe.js';
import { parseNmapXml, type NmapService } from './nmap-xml.js';
import { identifyService, isExactVersion } from './service-identity.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
/** The `<service>` of a port in real nmap 7.93 XML captured on the test machine. */
function serviceOf(file: string, port: number): NmapService {
  const p = parseNmapXml(fixture(file)).hosts[0]!.ports.find((x) => x.port === port);
  if (p?.service === undefined || p.service === null) throw new Error(`no service for ${port} in ${file}`);
  return p.service;
}
const ANY8 = ':*:*:*:*:*:*:*';

describe('identifyService on real nmap output (quirks seen on the test machine)', () => {
  it('Mosquitto: version in the service name (NSE mqtt-subscribe) → mosquitto 2.0.11, eclipse:mosquitto', () => {
    expect(identifyService(serviceOf('nmap-loopback-services.xml', 1883))).toEqual({
      service: 'mqtt', product: 'mosquitto', version: '2.0.11', exact: true,
      cpe: [`cpe:2.3:a:eclipse:mosquitto:2.0.11${ANY8}`],
      queries: [{ vendor: '', product: 'mosquitto', version: '2.0.11' }],
    });
  });

  it('MariaDB behind the MySQL greeting → MariaDB 10.11.19, CPE version repaired', () => {
    const id = identifyService(serviceOf('nmap-loopback-services.xml', 3306));
    expect(id).toMatchObject({ service: 'mysql', product: 'MariaDB', version: '10.11.19', exact: true, cpe: [`cpe:2.3:a:mariadb:mariadb:10.11.19${ANY8}`] });
    // The query keeps nmap's CPE version: the matcher's normalisation recognises the MariaDB greeting in it.
    expect(id.queries).toEqual([{ vendor: 'mariadb', product: 'mariadb', version: '5.5.5-10.11.19-mariadb-0+deb12u1' }]);
  });

  it('PostgreSQL "9.6.0 or later" is a range: no queries, CPE without a version', () => {
    expect(identifyService(serviceOf('nmap-loopback-services.xml', 5432))).toEqual({
      service: 'postgresql', product: 'PostgreSQL DB', version: '9.6.0 or later', exact: false,
      cpe: [`cpe:2.3:a:postgresql:postgresql:*${ANY8}`], queries: [],
    });
  });

  it('NATS unrecognised (service name from the port table): nothing known', () => {
    expect(identifyService(serviceOf('nmap-loopback-services.xml', 4222))).toEqual({
      service: 'vrml-multi-use', product: null, version: null, exact: false, cpe: [], queries: [],
    });
  });

  it('Redis: CPE from nmap as given; RabbitMQ: no CPE, the product name gives vmware:rabbitmq', () => {
    expect(identifyService(serviceOf('nmap-loopback-services.xml', 6379))).toMatchObject({
      product: 'Redis key-value store', version: '7.0.15', exact: true,
      cpe: [`cpe:2.3:a:redislabs:redis:7.0.15${ANY8}`], queries: [{ vendor: 'redislabs', product: 'redis', version: '7.0.15' }],
    });
    expect(identifyService(serviceOf('nmap-loopback-services.xml', 5672))).toMatchObject({
      service: 'amqp', product: 'RabbitMQ', version: '3.10.8', exact: true,
      cpe: [`cpe:2.3:a:vmware:rabbitmq:3.10.8${ANY8}`], queries: [{ vendor: '', product: 'RabbitMQ', version: '3.10.8' }],
    });
  });

  it('OpenSSH 8.2p1 with Ubuntu packaging → NVD version 8.2 update p1; the OS CPE kept, not queried', () => {
    expect(identifyService(serviceOf('nmap-banner-ssh.xml', 42847))).toEqual({
      service: 'ssh', product: 'OpenSSH', version: '8.2p1 Ubuntu 4ubuntu0.5', exact: true,
      cpe: ['cpe:2.3:a:openbsd:openssh:8.2:p1:*:*:*:*:*:*', `cpe:2.3:o:linux:linux_kernel:*${ANY8}`],
      queries: [{ vendor: 'openbsd', product: 'openssh', version: '8.2p1' }],
    });
  });

  it('vsftpd and nginx banners', () => {
    expect(identifyService(serviceOf('nmap-banner-ftp.xml', 45945))).toMatchObject({
      product: 'vsftpd', version: '2.3.4', cpe: [`cpe:2.3:a:vsftpd:vsftpd:2.3.4${ANY8}`], queries: [{ vendor: 'vsftpd', product: 'vsftpd', version: '2.3.4' }],
    });
    expect(identifyService(serviceOf('nmap-banner-http.xml', 34609))).toMatchObject({
      product: 'nginx', version: '1.4.0', cpe: [`cpe:2.3:a:igor_sysoev:nginx:1.4.0${ANY8}`], queries: [{ vendor: 'igor_sysoev', product: 'nginx', version: '1.4.0' }],
    });
  });
});

describe('identifyService rules (hand-made services)', () => {
  const svc = (s: Partial<NmapService>): NmapService => ({ name: null, product: null, version: null, extrainfo: null, cpe: [], method: 'probed', conf: 10, ...s });

  it('fills a CPE without a version with the detected one (nmap 7.93 redis probe without $1)', () => {
    expect(identifyService(svc({ name: 'redis', product: 'Redis key-value store', version: '7.0.15', cpe: ['cpe:/a:redislabs:redis'] })).cpe).toEqual([
      `cpe:2.3:a:redislabs:redis:7.0.15${ANY8}`,
    ]);
  });

  it('keeps a CPE\'s own version (a probe naming two products)', () => {
    const id = identifyService(svc({ product: 'Apache httpd', version: '2.4.49', cpe: ['cpe:/a:apache:http_server:2.4.49', 'cpe:/a:openssl:openssl:1.1.1k'] }));
    expect(id.queries).toEqual([
      { vendor: 'apache', product: 'http_server', version: '2.4.49' },
      { vendor: 'openssl', product: 'openssl', version: '1.1.1k' },
    ]);
  });

  it('drops CPEs that are not valid names and never throws', () => {
    const id = identifyService(svc({ product: 'X', version: '1.0', cpe: ['cpe:/q:bad', 'not-a-cpe', 'cpe:/a:v$:p'] }));
    expect(id.cpe.every((c) => c.startsWith('cpe:2.3:'))).toBe(true);
  });

  it('makes no queries for an unknown or ranged version', () => {
    expect(identifyService(svc({ product: 'OpenSSH', cpe: ['cpe:/a:openbsd:openssh'] })).queries).toEqual([]);
    expect(identifyService(svc({ product: 'Apache httpd', version: '2.4.X', cpe: ['cpe:/a:apache:http_server'] })).queries).toEqual([]);
  });

  it.each([
    ['7.0.15', true], ['8.2p1 Ubuntu 4ubuntu0.5', true], ['2018.76', true], ['1.3.5a', true], ['7.2.0-rc1', true],
    ['9.6.0 or later', false], ['2.0.0 - 2.0.9', false], ['5.X', false], ['1.x', false], ['6.0 or earlier', false],
    ['< 2.0', false], ['r32', false], ['unknown', false], ['', false], [null, false],
  ] as const)('isExactVersion(%j) = %s', (v, want) => {
    expect(isExactVersion(v)).toBe(want);
  });

  it('any service: never throws, CPEs parse, queries only for exact versions (fast-check)', () => {
    const text = fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('7.0.15', '9.6.0 or later', 'mosquitto version 2.0.11', '5.5.5-10.11.6-MariaDB', 'OpenSSH')), { nil: null });
    const cpe = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.tuple(fc.constantFrom('a', 'o', 'h', 'x'), fc.stringMatching(/^[a-z_]{0,8}$/), fc.stringMatching(/^[a-z_.]{0,8}$/), fc.stringMatching(/^[0-9a-z.%+-]{0,8}$/)).map(
        ([p, v, n, ver]) => `cpe:/${p}:${v}:${n}:${ver}`,
      ),
    );
    fc.assert(
      fc.property(fc.record({ name: text, product: text, version: text, cpe: fc.array(cpe, { maxLength: 3 }) }), (s) => {
        const id = identifyService({ ...s, extrainfo: null, method: 'probed', conf: 10 });
        for (const c of id.cpe) expect(() => parseCpe23(c)).not.toThrow();
        expect(new Set(id.cpe).size).toBe(id.cpe.length);
        if (!id.exact) expect(id.queries).toEqual([]);
        for (const q of id.queries) expect(q.version).not.toBe('');
      }),
      { numRuns: 2000 },
    );
  });
});
