import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../data/_test-data.js';
import type { PacketDetection } from './packet-detection.js';
import { ScanDetector, type ScanProto } from './scan-detector.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

/** Severities of a list of detections. */
const sev = (ds: (PacketDetection | null)[]) => ds.filter((d): d is PacketDetection => d !== null).map((d) => d.severity);

describe('ScanDetector: port scan (synthetic)', () => {
  it('reports low at 20 distinct ports, medium at 100, high once 50 failures are known (the documented table)', () => {
    const d = new ScanDetector();
    const out: (PacketDetection | null)[] = [];
    for (let i = 0; i < 19; i++) expect(d.observeAttempt(1000 + i * 0.01, '10.0.0.8', '10.0.0.9', 1 + i, 'tcp')).toBeNull();
    const first = d.observeAttempt(1000.19, '10.0.0.8', '10.0.0.9', 20, 'tcp');
    expect(first).toMatchObject({ reason: 'Port Scan', severity: 'low', origH: '10.0.0.8', respH: '10.0.0.9' });
    expect(first?.techniques.map((t) => t.id)).toEqual(['T1046', 'T0846']);
    for (let i = 20; i < 99; i++) out.push(d.observeAttempt(1000 + i * 0.01, '10.0.0.8', '10.0.0.9', 1 + i, 'tcp'));
    expect(sev(out)).toEqual([]); // low again is gated
    const medium = d.observeAttempt(1001, '10.0.0.8', '10.0.0.9', 100, 'tcp');
    expect(medium?.severity).toBe('medium');
    expect(medium?.detail).toContain('at least 100 distinct ports');
    // Outcomes: 49 failures are not enough for high (failed ≥ high/2 = 50).
    for (let i = 0; i < 49; i++) expect(d.observeOutcome(1000 + i * 0.01, '10.0.0.8', '10.0.0.9', 1 + i, 'tcp', 'S0')).toBeNull();
    const high = d.observeOutcome(1000.49, '10.0.0.8', '10.0.0.9', 50, 'tcp', 'REJ');
    expect(high).toMatchObject({ reason: 'Port Scan', severity: 'high' });
    // Retransmissions to the same ports add nothing.
    expect(d.observeAttempt(1002, '10.0.0.8', '10.0.0.9', 5, 'tcp')).toBeNull();
  });

  it('reports medium at 20 ports when half of them are known to fail (failure evidence, no volume)', () => {
    const d = new ScanDetector();
    const got: (PacketDetection | null)[] = [];
    for (let p = 1; p <= 20; p++) {
      got.push(d.observeAttempt(p, 'a', 'b', p, 'tcp'));
      got.push(d.observeOutcome(p, 'a', 'b', p, 'tcp', 'REJ'));
    }
    // failed ≥ base/2 = 10 and failed ≥ 2·answered: medium as soon as 20 ports are reached.
    expect(sev(got)).toEqual(['medium']);
  });

  it('counts TCP and UDP ports apart and ignores ICMP for port scans', () => {
    const d = new ScanDetector();
    const got: (PacketDetection | null)[] = [];
    for (let p = 1; p <= 10; p++) got.push(d.observeAttempt(p, 'a', 'b', p, 'tcp'), d.observeAttempt(p, 'a', 'b', p, 'udp'));
    expect(sev(got)).toEqual(['low']); // 20 distinct (proto, port) pairs
    const e = new ScanDetector();
    for (let p = 1; p <= 50; p++) expect(e.observeAttempt(p, 'a', 'b', 0, 'icmp')).toBeNull();
  });

  it('near miss: 19 distinct ports per window, windows restarting, never alert', () => {
    const d = new ScanDetector();
    for (let w = 0; w < 5; w++) {
      for (let p = 0; p < 19; p++) expect(d.observeAttempt(w * 60 + p, 'a', 'b', 1000 + w * 100 + p, 'tcp')).toBeNull();
    }
  });

  it('fires for 2·base − 1 = 39 distinct ports spread evenly over any 60 s interval (the tumbling-window guarantee)', () => {
    for (const offset of [0, 7, 30, 59]) {
      const d = new ScanDetector();
      d.observeAttempt(-offset, 'a', 'b', 60000, 'tcp'); // anchors a window that the scan straddles
      const got: (PacketDetection | null)[] = [];
      for (let i = 0; i < 39; i++) got.push(d.observeAttempt(i * (59.9 / 38), 'a', 'b', i + 1, 'tcp'));
      expect(sev(got).length, `offset ${offset}`).toBeGreaterThanOrEqual(1);
    }
  });

  it('benign fan-out: FTP passive transfers to 150 distinct ports, each answered, never alert', () => {
    const d = new ScanDetector();
    for (let i = 0; i < 150; i++) {
      const ts = 100 + i * 0.2;
      expect(d.observeAttempt(ts, 'client', 'ftp-server', 50000 + i, 'tcp')).toBeNull();
      expect(d.observeOutcome(ts, 'client', 'ftp-server', 50000 + i, 'tcp', 'SF')).toBeNull();
    }
  });

  it('ignores an outcome whose attempt fell in an earlier window, and states neither failed nor answered', () => {
    const d = new ScanDetector();
    for (let p = 1; p <= 19; p++) d.observeAttempt(100 + p, 'a', 'b', p, 'tcp');
    for (let p = 1; p <= 19; p++) d.observeAttempt(200 + p, 'a', 'b', 100 + p, 'tcp'); // new window at 201
    for (let p = 1; p <= 19; p++) expect(d.observeOutcome(100 + p, 'a', 'b', p, 'tcp', 'S0')).toBeNull();
    expect(d.observeOutcome(201, 'a', 'b', 101, 'tcp', 'OTH')).toBeNull();
    expect(d.observeOutcome(201, 'a', 'b', 101, 'tcp', 'bogus')).toBeNull();
  });

  it('re-alerts after the re-alert interval, not before', () => {
    const d = new ScanDetector({ reAlertInterval: 300 });
    const scan = (t0: number) => sev(Array.from({ length: 25 }, (_, i) => d.observeAttempt(t0 + i, 'a', 'b', 1 + i, 'tcp')));
    expect(scan(0)).toEqual(['low']);
    expect(scan(100)).toEqual([]); // new window, same evidence, within 300 s of the last alert
    expect(scan(400)).toEqual(['low']);
  });
});

describe('ScanDetector: host sweep (synthetic)', () => {
  it('reports a sweep of port 22 over 40 hosts with unanswered attempts at medium (32 hosts, 16 failures)', () => {
    const d = new ScanDetector();
    const got: (PacketDetection | null)[] = [];
    for (let i = 1; i <= 40; i++) {
      got.push(d.observeAttempt(i * 0.1, '10.0.0.66', `10.0.1.${i}`, 22, 'tcp'));
      got.push(d.observeOutcome(i * 0.1, '10.0.0.66', `10.0.1.${i}`, 22, 'tcp', 'S0'));
    }
    const ds = got.filter((x): x is PacketDetection => x !== null);
    expect(ds.map((x) => [x.reason, x.severity])).toEqual([['Host Sweep', 'medium']]);
    expect(ds[0]).toMatchObject({ origH: '10.0.0.66', respP: 22 });
    expect(ds[0].techniques.map((t) => t.id)).toEqual(['T1018', 'T1046', 'T0846']);
  });

  it('reports a ping sweep of 130 hosts: low at 32, medium at 128 by volume alone', () => {
    const d = new ScanDetector();
    const got = Array.from({ length: 130 }, (_, i) => d.observeAttempt(i * 0.1, 'x', `192.168.${i >> 8}.${i & 255}`, 0, 'icmp'));
    expect(got.findIndex((x) => x !== null)).toBe(31);
    expect(sev(got)).toEqual(['low', 'medium']);
    expect(got[127]?.severity).toBe('medium');
  });

  it('near miss: a busy web page load (many connections to 13 hosts on 80/443, DNS to one resolver) is quiet', () => {
    const d = new ScanDetector();
    const hosts = Array.from({ length: 13 }, (_, i) => `203.0.113.${i + 1}`);
    let t = 0;
    for (let round = 0; round < 4; round++) {
      for (const h of hosts) {
        for (const port of [80, 443]) {
          t += 0.05;
          expect(d.observeAttempt(t, '172.16.0.122', h, port, 'tcp')).toBeNull();
        }
      }
    }
    for (let q = 0; q < 30; q++) expect(d.observeAttempt(t + q * 0.01, '172.16.0.122', '4.2.2.1', 53, 'udp')).toBeNull();
  });

  it('near miss: browsing 60 CDN hosts on 443 with answers reported promptly is quiet', () => {
    const d = new ScanDetector();
    for (let i = 0; i < 60; i++) {
      expect(d.observeAttempt(i * 0.5, 'laptop', `198.51.100.${i}`, 443, 'tcp')).toBeNull();
      expect(d.observeOutcome(i * 0.5, 'laptop', `198.51.100.${i}`, 443, 'tcp', 'S1')).toBeNull();
    }
  });
});

describe('ScanDetector: robustness', () => {
  it('ignores invalid input instead of throwing', () => {
    const d = new ScanDetector();
    expect(d.observeAttempt(Number.NaN, 'a', 'b', 1, 'tcp')).toBeNull();
    expect(d.observeAttempt(1, 'a', 'b', 70000, 'tcp')).toBeNull();
    expect(d.observeAttempt(1, 'a', 'b', 1.5, 'tcp')).toBeNull();
    expect(d.observeAttempt(1, 'a', 'b', 1, 'sctp' as ScanProto)).toBeNull();
    expect(d.observeOutcome(Infinity, 'a', 'b', 1, 'tcp', 'S0')).toBeNull();
    expect(() => new ScanDetector({ window: 0 })).toThrow(RangeError);
    expect(() => new ScanDetector({ portScanPorts: 50, portScanHighPorts: 40 })).toThrow(RangeError);
    expect(() => new ScanDetector({ maxPairs: 0 })).toThrow(RangeError);
  });

  it('property: never throws on arbitrary input, and state stays within its bounds for many sources', () => {
    const d = new ScanDetector({ maxPairs: 64, maxSweeps: 32, maxKeys: 16 });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            ts: fc.oneof(fc.double(), fc.integer({ min: 0, max: 2000 })),
            orig: fc.oneof(fc.string(), fc.integer({ min: 0, max: 300 }).map((i) => `10.0.${i >> 8}.${i & 255}`)),
            resp: fc.oneof(fc.string(), fc.integer({ min: 0, max: 300 }).map((i) => `10.1.0.${i}`)),
            port: fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.double()),
            proto: fc.constantFrom('tcp', 'udp', 'icmp', 'x') as fc.Arbitrary<ScanProto>,
            state: fc.constantFrom('S0', 'REJ', 'SF', 'S1', 'OTH', 'RSTO', ''),
            outcome: fc.boolean(),
          }),
          { maxLength: 300 },
        ),
        (events) => {
          for (const e of events) {
            const r = e.outcome ? d.observeOutcome(e.ts, e.orig, e.resp, e.port, e.proto, e.state) : d.observeAttempt(e.ts, e.orig, e.resp, e.port, e.proto);
            if (r !== null) expect(['Port Scan', 'Host Sweep']).toContain(r.reason);
          }
          const s = d.sizes;
          expect(s.pairs).toBeLessThanOrEqual(64);
          expect(s.sweeps).toBeLessThanOrEqual(32);
          expect(s.alertKeys).toBeLessThanOrEqual(16);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** One flow of the test's minimal flow model over tshark's packet fields (the independent oracle). */
interface TestFlow {
  ts: number;
  orig: string;
  resp: string;
  respP: number;
  proto: ScanProto;
  attempt: boolean;
  synAck: boolean;
  rst: boolean;
  reply: boolean;
}

/**
 * Flows of a capture from tshark: the first packet of a 5-tuple is the originator's; a TCP flow is an attempt
 * when that packet is a SYN without ACK, a UDP flow always, ICMP echo requests (type 8) only.
 */
function flowsOf(file: string): TestFlow[] {
  const out = execFileSync(
    TSHARK,
    ['-r', file, '-Y', 'ip && (tcp || udp || icmp)', '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.proto', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'tcp.flags', '-e', 'icmp.type'],
    { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  ).toString();
  const flows = new Map<string, TestFlow>();
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [ts, src, dst, proto, tsp, tdp, usp, udp, flags, icmpType] = line.split(',');
    const p: ScanProto = proto === '6' ? 'tcp' : proto === '17' ? 'udp' : 'icmp';
    const sp = Number(p === 'tcp' ? tsp : p === 'udp' ? usp : 0);
    const dp = Number(p === 'tcp' ? tdp : p === 'udp' ? udp : 0);
    if (p === 'icmp' && icmpType !== '8' && icmpType !== '0') continue;
    const fwd = `${p} ${src}:${sp} ${dst}:${dp}`;
    const rev = `${p} ${dst}:${dp} ${src}:${sp}`;
    const f = flows.get(fwd);
    const r = flows.get(rev);
    const fl = parseInt(flags || '0', 16);
    if (f === undefined && r === undefined) {
      const attempt = p === 'tcp' ? (fl & 0x12) === 0x02 : p === 'udp' ? true : icmpType === '8';
      flows.set(fwd, { ts: Number(ts), orig: src, resp: dst, respP: dp, proto: p, attempt, synAck: false, rst: false, reply: false });
    } else if (r !== undefined && f === undefined) {
      r.reply = true;
      if ((fl & 0x12) === 0x12) r.synAck = true;
      if (fl & 0x04) r.rst = true;
    }
  }
  return [...flows.values()];
}

/** Runs a capture's flows through the detector: every attempt in order, then every outcome (as a flush would). */
function replay(file: string): PacketDetection[] {
  const d = new ScanDetector();
  const got: PacketDetection[] = [];
  const flows = flowsOf(file).sort((a, b) => a.ts - b.ts);
  for (const f of flows) {
    if (!f.attempt) continue;
    const r = d.observeAttempt(f.ts, f.orig, f.resp, f.respP, f.proto);
    if (r) got.push(r);
  }
  for (const f of flows) {
    if (!f.attempt) continue;
    const state = f.proto === 'tcp' ? (f.synAck ? 'SF' : f.rst ? 'REJ' : 'S0') : f.reply ? 'SF' : 'S0';
    const r = d.observeOutcome(f.ts, f.orig, f.resp, f.respP, f.proto, state);
    if (r) got.push(r);
  }
  return got;
}

const pcap = (name: string) => dataFile('pcaps', name);
const synscan = pcap('synscan.pcapng');
const benign = ['http_google.pcapng', 'http_espn.pcapng', 'wikipedia.pcap', 'ftp_bruteforce.pcap', 'arppoison.pcapng', 'modbus_modbusBig.pcap', 'mqtt.pcap'].map(pcap);
const skipMsg = !hasTshark ? ' (SKIPPED: /usr/bin/tshark missing)' : !synscan.exists ? ' (SKIPPED: captures missing; set IPQSEC_DATA)' : '';

describe.skipIf(!hasTshark || !synscan.exists)(`ScanDetector on real captures, flows from tshark${skipMsg}`, () => {
  it('synscan.pcapng: the nmap SYN scan from 172.16.0.8 is a port scan on 64.13.134.52, medium from the attempts, high with outcomes', () => {
    const flows = flowsOf(synscan.path).filter((f) => f.attempt);
    // The oracle agrees with the data README: 1,000 distinct ports; its 12 SYN/ACKs are 4 each from ports 22, 53, 80.
    expect(new Set(flows.map((f) => f.respP)).size).toBe(1000);
    expect(flows.filter((f) => f.synAck).map((f) => f.respP).sort((a, b) => a - b)).toEqual([22, 53, 80]);
    const got = replay(synscan.path);
    expect(got.every((d) => d.reason === 'Port Scan' && d.origH === '172.16.0.8' && d.respH === '64.13.134.52')).toBe(true);
    expect(got.map((d) => d.severity)).toEqual(['low', 'medium', 'high']);
    // Medium (100 distinct ports) within the first 3 s of the 23 s scan (it starts at 1278275056.27).
    expect(got[1].ts).toBeLessThan(1278275059.3);
  });

  it.each(benign.filter((b) => b.exists).map((b) => [b.path.split('/').pop(), b.path]))('%s: no port scan or host sweep at all', (_name, path) => {
    expect(replay(path as string)).toEqual([]);
  });
});
