import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppEvent, ProtocolAnalyzer } from './app-event.js';
import { dnp3Crc } from './dnp3-crc.js';
import { identifyService } from './service-id.js';
import { flowRef, HAS_TSHARK, hex, pcapFile, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const id = (proto: 'tcp' | 'udp', origP: number, respP: number, payload: Uint8Array, fromOrig = true): ProtocolAnalyzer | null => identifyService(proto, origP, respP, payload, 0, payload.length, fromOrig);
const service = (...args: Parameters<typeof id>): string | null => id(...args)?.service ?? null;

/** Feeds one payload to an analyzer; returns its events. */
function events(a: ProtocolAnalyzer, fromOrig: boolean, s: string | Uint8Array): AppEvent[] {
  const out: AppEvent[] = [];
  const b = typeof s === 'string' ? ascii(s) : s;
  a.feed(flowRef(fromOrig), b, 0, b.length, (e) => out.push(e));
  return out;
}

const MBAP_READ = hex('0001 0000 0006 11 01 0013 0013'); // MODBUS v1.1b3 §6.1 example in an MBAP header
const MQTT_CONNECT = hex('10 12 0004 4d515454 04 02 003c 0006 736e73722d31'); // MQTT 3.1.1 CONNECT, client "snsr-1"
const DNP3_RESET = hex('05 64 05 C0 01 00 00 04 E9 21'); // opendnp3 TestCRC.cpp
const TLS_CLIENT_HELLO = hex('16 03 01 00 c8 01 00 00 c4 03 03');
const DNS_QUERY = hex('1234 0100 0001 0000 0000 0000 07 6578616d706c65 03 636f6d 00 0001 0001'); // RFC 1035 §4.1

describe('identifyService by payload and port', () => {
  it('HTTP by its request line on any port; the sender is the client', () => {
    expect(service('tcp', 40000, 80, ascii('GET / HTTP/1.1\r\n'))).toBe('http');
    const a = id('tcp', 40000, 31337, ascii('POST /cgi-bin/luci HTTP/1.1\r\n'))!;
    expect(a.service).toBe('http');
    expect(events(a, true, 'GET /x HTTP/1.1\r\n\r\n')).toHaveLength(1);
    // First payload seen is the server's status-line (capture started late): the client is the other side.
    const b = id('tcp', 8081, 40000, ascii('HTTP/1.1 200 OK\r\n'), true)!;
    expect(b.service).toBe('http');
    expect(events(b, true, 'GET /no HTTP/1.1\r\n\r\n')).toEqual([]);
    expect(events(b, false, 'GET /yes HTTP/1.1\r\n\r\n')).toHaveLength(1);
    expect(service('tcp', 40000, 80, ascii('HELLO world'))).toBeNull();
  });

  it('MQTT by CONNECT on any port, and on 1883/8883 by a valid fixed header', () => {
    expect(service('tcp', 40000, 5555, MQTT_CONNECT)).toBe('mqtt');
    expect(service('tcp', 40000, 1883, MQTT_CONNECT)).toBe('mqtt');
    expect(service('tcp', 1883, 40000, hex('c0 00'), false)).toBe('mqtt'); // PINGREQ mid-flow, orig is the broker
    expect(service('tcp', 40000, 1883, hex('00 00 00'))).toBeNull(); // packet type 0 is reserved
    expect(service('tcp', 40000, 5555, hex('c0 00'))).toBeNull(); // not a CONNECT, not an MQTT port
    expect(service('tcp', 40000, 8883, TLS_CLIENT_HELLO)).toBe('ssl'); // MQTT over TLS: Zeek names it ssl
  });

  it('Modbus on port 502 with a plausible MBAP header; payload signatures win over the port', () => {
    const a = id('tcp', 40000, 502, MBAP_READ)!;
    expect(a.service).toBe('modbus');
    expect(events(a, true, MBAP_READ)).toEqual([{ kind: 'modbus', isRequest: true, transactionId: 1, unitId: 0x11, functionCode: 1 }]);
    const flipped = id('tcp', 502, 40000, MBAP_READ, false)!; // orig is the server
    expect(events(flipped, false, MBAP_READ)).toEqual([{ kind: 'modbus', isRequest: true, transactionId: 1, unitId: 0x11, functionCode: 1 }]);
    expect(service('tcp', 40000, 502, hex('0001 0001 0006 11 01 0013 0013'))).toBeNull(); // protocol id 1
    expect(service('tcp', 40000, 503, MBAP_READ)).toBeNull();
    expect(service('tcp', 40000, 502, ascii('GET / HTTP/1.1\r\n'))).toBe('http');
  });

  it('DNP3 by a CRC-checked header on port 20000 or any other, TCP and UDP', () => {
    expect(service('tcp', 40000, 20000, DNP3_RESET)).toBe('dnp3');
    expect(service('tcp', 40000, 4000, DNP3_RESET)).toBe('dnp3');
    expect(service('udp', 40000, 20000, DNP3_RESET)).toBe('dnp3');
    const badCrc = Uint8Array.from(DNP3_RESET);
    badCrc[9] = 0x20;
    expect(service('tcp', 40000, 20000, badCrc)).toBeNull();
    expect(dnp3Crc(DNP3_RESET, 0, 8)).toBe(0x21e9);
  });

  it('FTP on port 21, or by a greeting that names FTP on another port (not SMTP)', () => {
    const a = id('tcp', 40000, 21, ascii('220 Service ready for new user.\r\n'), false)!;
    expect(a.service).toBe('ftp');
    events(a, true, 'USER bob\r\n');
    expect(events(a, false, '530 Not logged in.\r\n')).toEqual([{ kind: 'login', service: 'ftp', outcome: 'failure', user: 'bob' }]);
    expect(service('tcp', 40000, 2121, ascii('220 ProFTPD 1.3.8 Server (Debian) [::ffff:10.0.0.2]\r\n'), false)).toBe('ftp');
    expect(service('tcp', 40000, 25, ascii('220 mail.example.com ESMTP Postfix\r\n'), false)).toBeNull();
    expect(service('tcp', 40000, 21, hex('16 fe ff'))).toBeNull();
  });

  it('SSH by its identification string on any port; port 22 also with pre-banner text', () => {
    expect(service('tcp', 40000, 2222, ascii('SSH-2.0-OpenSSH_9.6\r\n'), false)).toBe('ssh');
    expect(service('tcp', 40000, 22, ascii('SSH-2.0-dropbear_2022.83\r\n'))).toBe('ssh');
    expect(service('tcp', 40000, 22, ascii('Authorised access only\r\n'), false)).toBe('ssh');
    expect(service('tcp', 40000, 22, hex('00 00 01 2c 0a 14'))).toBeNull();
  });

  it('Telnet on port 23 with any payload, and by option negotiation on any port', () => {
    expect(service('tcp', 40000, 23, ascii('\r\nlogin: '), false)).toBe('telnet');
    expect(service('tcp', 40000, 2323, hex('ff fd 18 ff fd 20'), false)).toBe('telnet');
    expect(service('tcp', 40000, 2323, ascii('login: '), false)).toBeNull();
  });

  it('DNS on UDP 53/5353/5355 and TCP 53 with a plausible header; TLS hellos as ssl', () => {
    expect(service('udp', 40000, 53, DNS_QUERY)).toBe('dns');
    expect(service('udp', 5353, 5353, DNS_QUERY)).toBe('dns');
    expect(service('udp', 40000, 53, hex('ff ff ff ff ff ff ff ff ff ff ff ff'))).toBeNull(); // opcode 15
    const tcpDns = new Uint8Array(DNS_QUERY.length + 2);
    tcpDns.set([0, DNS_QUERY.length]);
    tcpDns.set(DNS_QUERY, 2);
    expect(service('tcp', 40000, 53, tcpDns)).toBe('dns');
    expect(service('tcp', 40000, 443, TLS_CLIENT_HELLO)).toBe('ssl');
    expect(service('udp', 40000, 9999, DNS_QUERY)).toBeNull();
  });

  it('returns null on empty payloads, clamps offsets, and never throws', () => {
    expect(service('tcp', 40000, 502, new Uint8Array(0))).toBeNull();
    const b = ascii('xxGET / HTTP/1.1\r\n');
    expect(identifyService('tcp', 1, 80, b, 2, 1000, true)?.service).toBe('http');
    expect(identifyService('tcp', 1, 80, b, 99, 5, true)).toBeNull();
    fc.assert(
      fc.property(fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'), fc.constantFrom(21, 22, 23, 53, 80, 502, 1883, 8883, 20000, 5353, 40000), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 64 }), fc.boolean(), (proto, p1, p2, bytes, fromOrig) => {
        const a = identifyService(proto, p1, p2, bytes, 0, bytes.length, fromOrig);
        if (a !== null) a.feed(flowRef(fromOrig), bytes, 0, bytes.length, () => undefined);
      }),
      { seed: 0x502, numRuns: 2000 },
    );
  });
});

/** conn.log names of the tshark protocols these tests can compare. */
const TSHARK_TO_ZEEK: Record<string, string> = { http: 'http', ftp: 'ftp', mbtcp: 'modbus', mqtt: 'mqtt', dnp3: 'dnp3', ssh: 'ssh', telnet: 'telnet', tls: 'ssl', dns: 'dns' };

describe.skipIf(!HAS_TSHARK)('identifyService on every TCP connection of the shared captures, against tshark', () => {
  // modbus_modbusBig.pcap is checked in modbus.test.ts (its 13,622 packets make this comparison slow).
  for (const name of ['mqtt.pcap', 'ftp_bruteforce.pcap', 'http_google.pcapng', 'http_espn.pcapng', 'wikipedia.pcap', 'arppoison.pcapng']) {
    const f = pcapFile(name);
    it.skipIf(!f.exists)(`${name}: the service of each connection with payload is the protocol tshark dissects`, () => {
      // Oracle: the application protocols tshark finds in each stream's payload frames (frame.protocols).
      const expected = new Map<number, string>();
      for (const [stream, protocols] of tsharkFields(f.path, 'tcp.len > 0', ['tcp.stream', 'frame.protocols'])) {
        for (const p of protocols!.split(':')) {
          const z = TSHARK_TO_ZEEK[p];
          if (z !== undefined && !expected.has(Number(stream))) expected.set(Number(stream), z);
        }
      }
      const replay = replayTcp(tcpPackets(f.path));
      const mine = new Map([...replay.analyzers].map(([s, a]) => [s, a.service]));
      expect(mine).toEqual(expected);
    });
  }
});
