import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../data/_test-data.js';
import { ARP_REPLY, ARP_REQUEST, ArpSpoofDetector } from './arp-spoof.js';
import type { PacketDetection } from './packet-detection.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

const GW = '192.168.1.1';
const GW_MAC = '00:11:22:33:44:55';
const ATTACKER = 'de:ad:be:ef:00:01';
const VICTIM = '192.168.1.50';
const VICTIM_MAC = '00:aa:bb:cc:dd:01';

/** The normal exchange: the victim asks for the gateway, the gateway answers. */
function normal(d: ArpSpoofDetector, ts: number): (PacketDetection | null)[] {
  return [d.observeArp(ts, ARP_REQUEST, VICTIM_MAC, VICTIM, GW), d.observeArp(ts + 0.001, ARP_REPLY, GW_MAC, GW, VICTIM)];
}

describe('ArpSpoofDetector (synthetic)', () => {
  it('normal request/reply traffic is quiet', () => {
    const d = new ArpSpoofDetector();
    for (let t = 0; t < 600; t += 30) expect(normal(d, t)).toEqual([null, null]);
    expect(d.macOf(GW)).toBe(GW_MAC);
  });

  it('arpspoof-style poisoning: an unsolicited reply taking over the fresh gateway binding is high; the gateway winning it back is the same alert (de-duplicated)', () => {
    const d = new ArpSpoofDetector();
    normal(d, 0);
    d.observeArp(1, ARP_REQUEST, ATTACKER, '192.168.1.66', '192.168.1.99'); // the attacker's own IP, uncontested
    const poison = d.observeArp(10, ARP_REPLY, ATTACKER, GW, VICTIM);
    expect(poison).toMatchObject({ reason: 'ARP Spoofing', severity: 'high', origH: '192.168.1.66', respH: GW, mac: ATTACKER });
    expect(poison?.techniques.map((t) => t.id)).toEqual(['T1557.002', 'T0830']);
    expect(poison?.detail).toContain('unsolicited reply');
    // The real gateway answers the victim's next request: the binding flips back; the suspect stays the attacker.
    d.observeArp(20, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    const flip = d.observeArp(20.001, ARP_REPLY, GW_MAC, GW, VICTIM);
    expect(flip).toBeNull(); // same (attacker MAC, gateway IP) key, same severity: de-duplicated
    expect(d.macOf(GW)).toBe(GW_MAC);
  });

  it('a flip-flop alone (changes by solicited replies) is high and blames the MAC that took the address over', () => {
    const d = new ArpSpoofDetector();
    d.observeArp(0, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    d.observeArp(0.001, ARP_REPLY, GW_MAC, GW, VICTIM);
    d.observeArp(5, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    const change = d.observeArp(5.001, ARP_REPLY, ATTACKER, GW, VICTIM); // solicited: medium
    expect(change?.severity).toBe('medium');
    d.observeArp(9, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    const flip = d.observeArp(9.001, ARP_REPLY, GW_MAC, GW, VICTIM);
    expect(flip).toMatchObject({ severity: 'high', mac: ATTACKER });
    expect(flip?.detail).toContain('flip-flop');
  });

  it('near miss: DHCP giving an IP to a new host after the old binding went stale is quiet', () => {
    const d = new ArpSpoofDetector();
    d.observeArp(0, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    expect(d.observeArp(301, ARP_REQUEST, '00:aa:bb:cc:dd:02', VICTIM, GW)).toBeNull();
    expect(d.macOf(VICTIM)).toBe('00:aa:bb:cc:dd:02');
  });

  it('near miss: a failover announced by gratuitous ARP (VRRP virtual MAC) is only low', () => {
    const d = new ArpSpoofDetector();
    normal(d, 0);
    const ga = d.observeArp(10, ARP_REQUEST, '00:00:5e:00:01:01', GW, GW);
    expect(ga?.severity).toBe('low');
    expect(ga?.detail).toContain('gratuitous');
  });

  it('protected IPs: a gratuitous change is medium, any other change (even of a stale binding) high', () => {
    const d = new ArpSpoofDetector({ protectedIps: [GW] });
    normal(d, 0);
    expect(d.observeArp(10, ARP_REQUEST, '00:00:5e:00:01:01', GW, GW)?.severity).toBe('medium');
    const e = new ArpSpoofDetector({ protectedIps: [GW] });
    normal(e, 0);
    e.observeArp(5000, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    expect(e.observeArp(5000.001, ARP_REPLY, ATTACKER, GW, VICTIM)?.severity).toBe('high');
  });

  it('an unsolicited reply that changes nothing is low; one MAC claiming 8 IPs is low', () => {
    const e = new ArpSpoofDetector();
    const unsolicited = e.observeArp(1, ARP_REPLY, GW_MAC, GW, VICTIM); // VICTIM never asked for GW
    expect(unsolicited).toMatchObject({ severity: 'low', origH: GW, respH: GW, mac: GW_MAC });
    e.observeArp(400, ARP_REQUEST, VICTIM_MAC, VICTIM, GW);
    expect(e.observeArp(400.001, ARP_REPLY, GW_MAC, GW, VICTIM)).toBeNull(); // solicited
    const f = new ArpSpoofDetector();
    const got = Array.from({ length: 8 }, (_, i) => f.observeArp(i, ARP_REQUEST, '02:00:00:00:00:09', `10.9.0.${i + 1}`, '10.9.0.254'));
    expect(got.slice(0, 7)).toEqual(Array(7).fill(null));
    expect(got[7]).toMatchObject({ severity: 'low', mac: '02:00:00:00:00:09' });
    expect(got[7]?.respH).toBeUndefined();
  });

  it('ignores probes (sender 0.0.0.0), invalid or group sender MACs, other opcodes; accepts upper-case MACs', () => {
    const d = new ArpSpoofDetector();
    expect(d.observeArp(0, ARP_REQUEST, VICTIM_MAC, '0.0.0.0', VICTIM)).toBeNull();
    expect(d.observeArp(0, ARP_REQUEST, 'ff:ff:ff:ff:ff:ff', VICTIM, GW)).toBeNull();
    expect(d.observeArp(0, ARP_REQUEST, '01:00:5e:00:00:01', VICTIM, GW)).toBeNull();
    expect(d.observeArp(0, ARP_REQUEST, 'garbage', VICTIM, GW)).toBeNull();
    expect(d.observeArp(0, 3, VICTIM_MAC, VICTIM, GW)).toBeNull();
    expect(d.observeArp(Number.NaN, ARP_REQUEST, VICTIM_MAC, VICTIM, GW)).toBeNull();
    expect(d.macOf(VICTIM)).toBeUndefined();
    d.observeArp(1, ARP_REQUEST, '00:AA:BB:CC:DD:01', VICTIM, GW);
    expect(d.macOf(VICTIM)).toBe(VICTIM_MAC);
    expect(() => new ArpSpoofDetector({ manyIps: 1 })).toThrow(RangeError);
  });

  it('property: never throws, and every table stays bounded', () => {
    const d = new ArpSpoofDetector({ maxEntries: 16, maxKeys: 8 });
    const mac = fc.oneof(fc.string(), fc.constantFrom('00:11:22:33:44:55', '00:11:22:33:44:66', 'de:ad:be:ef:00:01'));
    const ip = fc.oneof(fc.string(), fc.integer({ min: 0, max: 40 }).map((i) => `10.0.0.${i}`));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.double(), fc.integer({ min: 0, max: 3000 })), fc.integer({ min: 0, max: 4 }), mac, ip, ip), { maxLength: 300 }), (events) => {
        for (const [ts, op, m, s, t] of events) {
          const r = d.observeArp(ts, op, m, s, t);
          if (r !== null) expect(r.reason).toBe('ARP Spoofing');
        }
        const z = d.sizes;
        expect(Math.max(z.bindings, z.macs, z.requests)).toBeLessThanOrEqual(16);
        expect(z.alertKeys).toBeLessThanOrEqual(8);
      }),
      { numRuns: 100 },
    );
  });
});

/** ARP packets of a capture from tshark: [ts, opcode, sender MAC, sender IP, target IP]. */
function arpOf(file: string): [number, number, string, string, string][] {
  const out = execFileSync(TSHARK, ['-r', file, '-Y', 'arp', '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'arp.opcode', '-e', 'arp.src.hw_mac', '-e', 'arp.src.proto_ipv4', '-e', 'arp.dst.proto_ipv4'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [ts, op, mac, sip, tip] = l.split(',');
      return [Number(ts), Number(op), mac, sip, tip];
    });
}

const pcap = (name: string) => dataFile('pcaps', name);
const poison = pcap('arppoison.pcapng');
const others = ['wikipedia.pcap', 'http_google.pcapng', 'http_espn.pcapng', 'synscan.pcapng', 'ftp_bruteforce.pcap', 'modbus_modbusBig.pcap', 'mqtt.pcap'].map(pcap);
const skipMsg = !hasTshark ? ' (SKIPPED: /usr/bin/tshark missing)' : !poison.exists ? ' (SKIPPED: captures missing; set IPQSEC_DATA)' : '';

describe.skipIf(!hasTshark || !poison.exists)(`ArpSpoofDetector on real captures, ARP from tshark${skipMsg}`, () => {
  it('arppoison.pcapng: 00:25:b3:bf:91:ee claiming 172.16.0.1 gives an ARP-spoofing alert (low, then high)', () => {
    const d = new ArpSpoofDetector();
    const got = arpOf(poison.path)
      .map(([ts, op, mac, s, t]) => d.observeArp(ts, op, mac, s, t))
      .filter((x): x is PacketDetection => x !== null);
    expect(got.map((g) => g.severity)).toEqual(['low', 'high']);
    expect(got.every((g) => g.mac === '00:25:b3:bf:91:ee' && g.respH === '172.16.0.1')).toBe(true);
    // The owner lookup names the attacker's own address, 172.16.0.105.
    expect(got[1].origH).toBe('172.16.0.105');
  });

  it.each(others.filter((o) => o.exists).map((o) => [o.path.split('/').pop(), o.path]))('%s: no ARP-spoofing detection', (_name, path) => {
    const d = new ArpSpoofDetector();
    for (const [ts, op, mac, s, t] of arpOf(path as string)) expect(d.observeArp(ts, op, mac, s, t)).toBeNull();
  });
});
