import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catchIpqsec, expectIpqsec } from '../core/_test-errors.js';
import { parseNmapXml } from './nmap-xml.js';

/** XML captured from nmap 7.93 on the test machine (src/scan/__fixtures__). */
const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const SERVICES = fixture('nmap-loopback-services.xml');
const TOP1000 = fixture('nmap-loopback-top1000.xml');
const TIMEOUT = fixture('nmap-host-timeout.xml');
const IPV6 = fixture('nmap-ipv6-loopback.xml');
const SSH = fixture('nmap-banner-ssh.xml');
const ALL = [SERVICES, TOP1000, TIMEOUT, IPV6, SSH, fixture('nmap-banner-ftp.xml'), fixture('nmap-banner-http.xml')];

describe('parseNmapXml on real nmap 7.93 output', () => {
  it('reads the loopback services scan', () => {
    const run = parseNmapXml(SERVICES);
    expect(run.version).toBe('7.93');
    // Numeric character references decoded: nmap writes "--" as "-&#45;" in args.
    expect(run.args).toMatch(/^nmap -sV --version-intensity 7 -T4 --max-retries 2 .* -p 1883,3306,4222,5432,5672,6379 -oX - -- 127\.0\.0\.1$/);
    expect(run.hosts).toHaveLength(1);
    const h = run.hosts[0]!;
    expect(h).toMatchObject({ address: '127.0.0.1', addrtype: 'ipv4', hostnames: [], status: 'up', timedout: false });
    expect(h.ports.map((p) => p.port)).toEqual([1883, 3306, 4222, 5432, 5672, 6379]);
    const by = new Map(h.ports.map((p) => [p.port, p]));
    expect(by.get(1883)).toEqual({
      port: 1883, proto: 'tcp', state: 'open',
      service: { name: 'mosquitto version 2.0.11', product: null, version: null, extrainfo: null, cpe: [], method: 'probed', conf: 10 },
    });
    expect(by.get(3306)!.service).toMatchObject({
      name: 'mysql', product: 'MySQL', version: '5.5.5-10.11.19-MariaDB-0+deb12u1',
      cpe: ['cpe:/a:mariadb:mariadb:5.5.5-10.11.19-mariadb-0%2Bdeb12u1'],
    });
    expect(by.get(4222)!.service).toMatchObject({ name: 'vrml-multi-use', product: null, method: 'table', conf: 3 });
    expect(by.get(5432)!.service).toMatchObject({ product: 'PostgreSQL DB', version: '9.6.0 or later', cpe: ['cpe:/a:postgresql:postgresql'] });
    expect(by.get(5672)!.service).toMatchObject({ product: 'RabbitMQ', version: '3.10.8', extrainfo: '0-9', cpe: [] });
    expect(by.get(6379)!.service).toMatchObject({ product: 'Redis key-value store', version: '7.0.15', cpe: ['cpe:/a:redislabs:redis:7.0.15'] });
  });

  it('keeps versions as strings and all CPEs of a service in order', () => {
    const p = parseNmapXml(SSH).hosts[0]!.ports[0]!;
    expect(p.service).toEqual({
      name: 'ssh', product: 'OpenSSH', version: '8.2p1 Ubuntu 4ubuntu0.5', extrainfo: 'Ubuntu Linux; protocol 2.0',
      cpe: ['cpe:/a:openbsd:openssh:8.2p1', 'cpe:/o:linux:linux_kernel'], method: 'probed', conf: 10,
    });
    const xml = SERVICES.replace('version="7.0.15"', 'version="7.0"');
    expect(parseNmapXml(xml).hosts[0]!.ports.find((x) => x.port === 6379)!.service!.version).toBe('7.0');
  });

  it('reads a top-1000 scan (extraports ignored) and an IPv6 scan with a closed port', () => {
    const top = parseNmapXml(TOP1000);
    expect(top.hosts[0]!.ports.map((p) => [p.port, p.state])).toEqual([[3306, 'open'], [5432, 'open']]);
    const v6 = parseNmapXml(IPV6).hosts[0]!;
    expect(v6).toMatchObject({ address: '::1', addrtype: 'ipv6' });
    expect(v6.ports.map((p) => [p.port, p.state])).toEqual([[5432, 'closed'], [6379, 'open']]);
  });

  it('marks a host nmap gave up on at --host-timeout (no ports reported)', () => {
    const h = parseNmapXml(TIMEOUT).hosts[0]!;
    expect(h).toMatchObject({ address: '127.0.0.1', timedout: true, ports: [] });
  });

  it('reads host names and skips MAC addresses and ip-protocol ports', () => {
    const xml = `<?xml version="1.0"?><nmaprun scanner="nmap" version="7.93">
<host><status state="down"/><address addr="00:11:22:33:44:55" addrtype="mac"/><address addr="10.0.0.2" addrtype="ipv4"/>
<hostnames><hostname name="db.lan" type="user"/><hostname name="db" type="PTR"/></hostnames>
<ports><port protocol="ip" portid="1"><state state="open"/></port><port protocol="udp" portid="53"><state state="open|filtered"/></port></ports></host>
</nmaprun>`;
    expect(parseNmapXml(xml)).toEqual({
      args: null, version: '7.93',
      hosts: [{ address: '10.0.0.2', addrtype: 'ipv4', hostnames: ['db.lan', 'db'], status: 'down', timedout: false, ports: [{ port: 53, proto: 'udp', state: 'open|filtered', service: null }] }],
    });
  });
});

describe('parseNmapXml errors (IPQ-V003 with line and column)', () => {
  it('names the position of a truncated document and where it ends', () => {
    const cut = SERVICES.slice(0, SERVICES.indexOf('<port protocol="tcp" portid="5432">') + 20);
    const e = expectIpqsec(() => parseNmapXml(cut, { source: 'nmap 127.0.0.1' }), 'IPQ-V003');
    expect(e.message).toMatch(/^IPQ-V003 malformed nmap XML: nmap 127\.0\.0\.1: .* at line \d+, column \d+/);
    expect(e.details).toMatchObject({ source: 'nmap 127.0.0.1' });
    // The document ends inside the 5432 port element: reported at its end, naming the elements left open.
    const lines = cut.split('\n');
    expect(e.details).toMatchObject({ line: lines.length, column: lines[lines.length - 1]!.length + 1 });
    expect(e.message).toContain('<nmaprun>, <host>, <ports>, <port> still open');
  });

  it('gives the exact position of a mismatched tag (hand-made document)', () => {
    const e = expectIpqsec(() => parseNmapXml('<nmaprun>\n  <host>\n  </hsot>\n</nmaprun>'), 'IPQ-V003');
    expect(e.details).toMatchObject({ line: 3, column: 3 });
    expect(e.message).toContain('at line 3, column 3');
  });

  it.each([
    ['garbage', 'Starting Nmap 7.93 ( https://nmap.org )\nQUITTING!'],
    ['empty output', ''],
    ['no nmaprun root', '<?xml version="1.0"?><notnmap/>'],
  ])('%s → IPQ-V003', (_n, xml) => {
    const e = expectIpqsec(() => parseNmapXml(xml), 'IPQ-V003');
    expect(e.message).toMatch(/at line \d+, column \d+/);
  });

  it('points at the host or port element lacking required data', () => {
    const noAddr = '<nmaprun>\n<host><status state="up"/></host>\n</nmaprun>';
    expect(expectIpqsec(() => parseNmapXml(noAddr), 'IPQ-V003').details).toMatchObject({ line: 2, column: 1 });
    const badPort = SERVICES.replace('portid="5432"', 'portid="99999"');
    const e = expectIpqsec(() => parseNmapXml(badPort), 'IPQ-V003');
    const line = SERVICES.split('\n').findIndex((l) => l.includes('portid="5432"')) + 1;
    expect(e.details).toMatchObject({ line, column: 1 });
    expect(e.message).toContain('portid "99999"');
    expectIpqsec(() => parseNmapXml(SERVICES.replace('<state state="open" reason="syn-ack" reason_ttl="64"/>', '')), 'IPQ-V003');
    expectIpqsec(() => parseNmapXml(SERVICES.replace('protocol="tcp" portid="1883"', 'protocol="xyz" portid="1883"')), 'IPQ-V003');
  });

  it('every truncation of real output either parses or fails with IPQ-V003 with a position (fast-check)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.nat(), (xml, n) => {
        const cut = xml.slice(0, n % (xml.length + 1));
        const e = catchIpqsec(() => parseNmapXml(cut), 'IPQ-V003');
        if (e === undefined) {
          // Only the complete document (perhaps without its final newline) parses.
          expect(cut.trimEnd().endsWith('</nmaprun>')).toBe(true);
        } else {
          expect(e.details!.line).toBeGreaterThanOrEqual(1);
          expect(e.details!.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('random byte-level mutations of real output never throw anything but IPQ-V003 (fast-check)', () => {
    const mutation = fc.record({ at: fc.nat(), len: fc.integer({ min: 0, max: 8 }), text: fc.string({ unit: fc.constantFrom(...'<>/="\'&;# a\n'.split('')), maxLength: 6 }) });
    fc.assert(
      fc.property(fc.constantFrom(...ALL), fc.array(mutation, { minLength: 1, maxLength: 4 }), (xml, muts) => {
        let s = xml;
        for (const m of muts) {
          const at = m.at % (s.length + 1);
          s = s.slice(0, at) + m.text + s.slice(at + m.len);
        }
        const e = catchIpqsec(() => parseNmapXml(s), 'IPQ-V003');
        if (e !== undefined) expect(e.message).toMatch(/at line \d+, column \d+/);
        else expect(Array.isArray(parseNmapXml(s).hosts)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
