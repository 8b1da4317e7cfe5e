/**
 * The sensor's own wiring on hand-built captures (the shared captures are covered end to end by
 * src/cli/pcap-command.test.ts): who the detectors see as the client when a capture starts mid-connection, the
 * retransmission filter in front of the analyzers, MQTT CONNACK refusals as failed logins, which new flows count
 * as connection attempts, and the online anomaly detector's grace → calibration → alert sequence.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { ascii, concat, ethernet, ipv4, pcapFile, sharedCaptures, tcp, udp, type PcapRecordSpec } from './_test-pcap.js';
import { readCaptureBuffer } from './capture-reader.js';
import type { SensorAlert } from './eve-output.js';
import { IPPROTO_TCP, IPPROTO_UDP, TCP_ACK, TCP_PSH, TCP_SYN } from './packet.js';
import { NetworkSensor, type NetworkSensorOptions } from './sensor.js';

const T0 = 1_700_000_000;
const frame = (src: string, dst: string, seg: Uint8Array, proto = IPPROTO_TCP) => ethernet({ type: 0x0800, payload: ipv4({ src, dst, proto, payload: seg }) });

function run(records: PcapRecordSpec[], opts: NetworkSensorOptions = {}) {
  const alerts: SensorAlert[] = [];
  const s = new NetworkSensor({ ...opts, onAlert: (a) => alerts.push(a) });
  const sum = readCaptureBuffer(pcapFile({ records }), (r) => s.processRecord(r));
  expect(sum.error).toBeUndefined();
  s.finish();
  return { alerts, stats: s.stats() };
}
const at = (i: number, data: Uint8Array): PcapRecordSpec => ({ ts: { sec: T0 + Math.floor(i / 10), frac: (i % 10) * 100_000 }, data });

/** A Modbus/TCP Write Single Register request (FC 6) in an MBAP frame. */
const modbusWrite = (tid: number) => Uint8Array.of(tid >> 8, tid & 255, 0, 0, 0, 6, 1, 6, 0, 1, 0, 42);

describe('NetworkSensor wiring', () => {
  it('a capture that starts with the server talking: the Modbus write is blamed on the client', () => {
    const server = '10.0.0.2';
    const client = '10.0.0.9';
    const recs: PcapRecordSpec[] = [];
    let i = 0;
    // Server → client response first (the capture began mid-connection), then the client's write request.
    recs.push(at(i++, frame(server, client, tcp({ srcPort: 502, dstPort: 40000, seq: 1000, ack: 5000, flags: TCP_ACK | TCP_PSH, payload: Uint8Array.of(0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 7) }))));
    recs.push(at(i++, frame(client, server, tcp({ srcPort: 40000, dstPort: 502, seq: 5000, ack: 1011, flags: TCP_ACK | TCP_PSH, payload: modbusWrite(2) }))));
    const { alerts, stats } = run(recs);
    expect(stats.protocols.modbus).toBe(2);
    const w = alerts.filter((a) => a.reason === 'Unauthorized Modbus Write');
    expect(w).toHaveLength(1);
    expect(w[0]!.origH).toBe(client);
    expect(w[0]!.respH).toBe(server);
  });

  it('retransmitted segments reach the analyzers once; a partial overlap feeds only the new bytes', () => {
    const a = '192.168.1.5';
    const b = '192.168.1.6';
    const syn = frame(a, b, tcp({ srcPort: 41000, dstPort: 21, seq: 99, flags: TCP_SYN }));
    const synack = frame(b, a, tcp({ srcPort: 21, dstPort: 41000, seq: 499, ack: 100, flags: TCP_SYN | TCP_ACK }));
    const banner = ascii('220 ftp ready\r\n');
    const user = ascii('USER bob\r\n');
    const pass = ascii('PASS x\r\n');
    const no = ascii('530 Login incorrect.\r\n');
    let cs = 100;
    let ss = 500;
    const recs: PcapRecordSpec[] = [];
    let i = 0;
    recs.push(at(i++, syn), at(i++, synack));
    const send = (from: 'c' | 's', data: Uint8Array, repeat = 1) => {
      for (let k = 0; k < repeat; k++) {
        recs.push(at(i++, from === 'c' ? frame(a, b, tcp({ srcPort: 41000, dstPort: 21, seq: cs, ack: ss, flags: TCP_ACK | TCP_PSH, payload: data })) : frame(b, a, tcp({ srcPort: 21, dstPort: 41000, seq: ss, ack: cs, flags: TCP_ACK | TCP_PSH, payload: data }))));
      }
      if (from === 'c') cs += data.length;
      else ss += data.length;
    };
    send('s', banner);
    send('c', user);
    send('s', ascii('331 Password required\r\n'));
    send('c', pass, 2); // retransmitted
    send('s', no, 3); // retransmitted twice
    // A segment re-sending the last 3 bytes of the 530 line plus a new line: only the new line is fed.
    recs.push(at(i++, frame(b, a, tcp({ srcPort: 21, dstPort: 41000, seq: ss - 3, ack: cs, flags: TCP_ACK | TCP_PSH, payload: concat(ascii('.\r\n'), ascii('421 bye\r\n')) }))));
    const { stats } = run(recs);
    expect(stats.protocols.ftp_login).toBe(1);
    expect((stats.extra as { retransmitted_segments: number }).retransmitted_segments).toBe(3);
  });

  it('MQTT CONNACK refusals (return code 5) count as failed logins of the client: brute force', () => {
    const broker = '10.1.0.1';
    const recs: PcapRecordSpec[] = [];
    let i = 0;
    for (let k = 0; k < 25; k++) {
      const cl = '10.1.0.66';
      const port = 50000 + k;
      const connect = concat(Uint8Array.of(0x10, 16, 0, 4), ascii('MQTT'), Uint8Array.of(4, 0xc2, 0, 60, 0, 4), ascii(`c${String(k).padStart(3, '0')}`));
      recs.push(at(i++, frame(cl, broker, tcp({ srcPort: port, dstPort: 1883, seq: 1, flags: TCP_SYN }))));
      recs.push(at(i++, frame(broker, cl, tcp({ srcPort: 1883, dstPort: port, seq: 1, ack: 2, flags: TCP_SYN | TCP_ACK }))));
      recs.push(at(i++, frame(cl, broker, tcp({ srcPort: port, dstPort: 1883, seq: 2, ack: 2, flags: TCP_ACK | TCP_PSH, payload: connect }))));
      recs.push(at(i++, frame(broker, cl, tcp({ srcPort: 1883, dstPort: port, seq: 2, ack: 2 + connect.length, flags: TCP_ACK | TCP_PSH, payload: Uint8Array.of(0x20, 2, 0, 5) }))));
    }
    const { alerts } = run(recs);
    const bf = alerts.filter((a) => a.reason === 'Brute Force');
    expect(bf.length).toBeGreaterThan(0);
    expect(bf.every((a) => a.origH === '10.1.0.66' && a.respH === broker)).toBe(true);
    expect(bf.some((a) => a.severity === 'high')).toBe(true);
  });

  it('only SYNs, first UDP datagrams and echo requests are connection attempts: SYN-ACKs to many ports are not a scan', () => {
    const recs: PcapRecordSpec[] = [];
    for (let k = 0; k < 300; k++) recs.push(at(k, frame('10.2.0.1', '10.2.0.2', tcp({ srcPort: 80, dstPort: 20000 + k, seq: k, ack: 1, flags: TCP_SYN | TCP_ACK }))));
    expect(run(recs).alerts.filter((a) => a.reason === 'Port Scan')).toEqual([]);
    const udpScan: PcapRecordSpec[] = [];
    for (let k = 0; k < 300; k++) udpScan.push(at(k, frame('10.2.0.9', '10.2.0.2', udp({ srcPort: 33000, dstPort: 1 + k }), IPPROTO_UDP)));
    expect(run(udpScan).alerts.some((a) => a.reason === 'Port Scan' && a.origH === '10.2.0.9')).toBe(true);
  });

  it('online anomaly: learns during the grace period, calibrates, then flags a host unlike anything seen', () => {
    const recs: PcapRecordSpec[] = [];
    // Benign: 4 clients exchanging small packets with one server at a steady pace.
    let i = 0;
    for (; i < 3000; i++) {
      const c = `10.3.0.${1 + (i % 4)}`;
      const up = i % 2 === 0;
      recs.push(at(i, up ? frame(c, '10.3.0.100', udp({ srcPort: 40000 + (i % 4), dstPort: 5000, payload: new Uint8Array(40) }), IPPROTO_UDP) : frame('10.3.0.100', c, udp({ srcPort: 5000, dstPort: 40000 + (i % 4), payload: new Uint8Array(60) }), IPPROTO_UDP)));
    }
    // Attack: a new host floods the server with large datagrams from changing ports.
    for (let k = 0; k < 200; k++, i++) recs.push(at(i, frame('10.3.0.66', '10.3.0.100', udp({ srcPort: 1024 + k, dstPort: 5000 + k, payload: new Uint8Array(1400) }), IPPROTO_UDP)));
    const { alerts, stats } = run(recs, { anomaly: { kitnet: { fmGracePeriod: 200, adGracePeriod: 1300, seed: 7 }, calibrationPackets: 1000 } });
    const anomaly = stats.extra as { anomaly: { warm: boolean; calibrated: boolean; threshold: number } };
    expect(anomaly.anomaly.warm).toBe(true);
    expect(anomaly.anomaly.calibrated).toBe(true);
    const flagged = alerts.filter((a) => a.reason === 'Online Anomaly');
    expect(flagged.some((a) => a.origH === '10.3.0.66')).toBe(true);
    expect(flagged.filter((a) => a.origH !== '10.3.0.66' && a.origH !== '10.3.0.100')).toEqual([]);
  });
});

describe('NetworkSensor bounded state', () => {
  it("a flow's analyzer is dropped when its record is written: analyzer entries never outnumber live flows", () => {
    const recs: PcapRecordSpec[] = [];
    let i = 0;
    for (let k = 0; k < 50; k++) {
      const c = `10.9.0.${1 + k}`;
      const p = 40000 + k;
      recs.push(at(i++, frame(c, '10.9.1.1', tcp({ srcPort: p, dstPort: 80, seq: 1, flags: TCP_SYN }))));
      recs.push(at(i++, frame('10.9.1.1', c, tcp({ srcPort: 80, dstPort: p, seq: 1, ack: 2, flags: TCP_SYN | TCP_ACK }))));
      const get = ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      recs.push(at(i++, frame(c, '10.9.1.1', tcp({ srcPort: p, dstPort: 80, seq: 2, ack: 2, flags: TCP_ACK | TCP_PSH, payload: get }))));
      recs.push(at(i++, frame(c, '10.9.1.1', tcp({ srcPort: p, dstPort: 80, seq: 2 + get.length, ack: 2, flags: TCP_ACK | 0x01 }))));
      recs.push(at(i++, frame('10.9.1.1', c, tcp({ srcPort: 80, dstPort: p, seq: 2, ack: 3 + get.length, flags: TCP_ACK | 0x01 }))));
    }
    // 10 minutes later: every closed connection has passed its close delay.
    recs.push({ ts: { sec: T0 + 600, frac: 0 }, data: frame('10.9.0.200', '10.9.1.1', udp({ srcPort: 1, dstPort: 2 }), IPPROTO_UDP) });
    const s = new NetworkSensor();
    let maxEntries = 0;
    readCaptureBuffer(pcapFile({ records: recs }), (r) => {
      s.processRecord(r);
      maxEntries = Math.max(maxEntries, s.analyzedFlows);
      expect(s.analyzedFlows).toBeLessThanOrEqual(s.flowTable.size);
    });
    expect(maxEntries).toBeGreaterThan(0);
    expect(s.stats().protocols.http_request).toBe(50);
    expect(s.flowTable.size).toBe(1);
    expect(s.analyzedFlows).toBe(0);
  });
});

describe('NetworkSensor under mutated captures (fast-check)', () => {
  const captures = sharedCaptures().map((c) => readFileSync(c.path));
  it.skipIf(captures.length === 0)('bytes flipped, cut or inserted anywhere: only IPQ-N001..N003 come out, never another exception', () => {
    fc.assert(
      fc.property(
        fc.nat(captures.length - 1),
        fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'insert'), fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 64 })), { minLength: 1, maxLength: 6 }),
        (which, mutations) => {
          let bytes: Uint8Array = captures[which]!;
          for (const [kind, at, data] of mutations) {
            const pos = Math.floor(at * bytes.length);
            if (kind === 'flip') {
              bytes = bytes.slice();
              for (let i = 0; i < data.length && pos + i < bytes.length; i++) bytes[pos + i]! ^= data[i]! | 1;
            } else if (kind === 'cut') bytes = bytes.subarray(0, pos);
            else bytes = concat(bytes.subarray(0, pos), data, bytes.subarray(pos));
          }
          const s = new NetworkSensor({ anomaly: { kitnet: { fmGracePeriod: 50, adGracePeriod: 150, seed: 1 }, calibrationPackets: 100 } });
          const sum = readCaptureBuffer(bytes, (r) => s.processRecord(r));
          s.finish();
          if (sum.error !== undefined) expect(['IPQ-N001', 'IPQ-N002', 'IPQ-N003']).toContain(sum.error.code);
          const st = s.stats();
          expect(st.packets).toBe(sum.packets);
          expect(isIpqsecError(sum.error) || sum.error === undefined).toBe(true);
        },
      ),
      { numRuns: 40, seed: 20261121 },
    );
  });
});
