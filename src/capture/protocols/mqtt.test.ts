import { describe, expect, it } from 'vitest';
import type { MqttEvent } from './app-event.js';
import { MQTT_PACKET_TYPES } from './app-event.js';
import { MqttAnalyzer } from './mqtt.js';
import { concat, describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { craftPcap, feedAll, HAS_TSHARK, hex, pcapFile, replayTcp, tcpPackets, tshark } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** MQTT UTF-8 string (MQTT 3.1.1 §1.5.3): 2-octet length + bytes. */
const str = (s: string): Uint8Array => {
  const b = ascii(s);
  return concat(Uint8Array.of(b.length >> 8, b.length & 0xff), b);
};
/** Variable byte integer (MQTT 3.1.1 §2.2.3). */
const varint = (n: number): Uint8Array => {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return Uint8Array.from(out);
};
/** A control packet: first octet, Remaining Length, body. */
const packet = (first: number, ...body: Uint8Array[]): Uint8Array => {
  const b = concat(...body);
  return concat(Uint8Array.of(first), varint(b.length), b);
};

// MQTT 3.1.1 session built from the standard's packet layouts (§3.1 CONNECT, §3.8 SUBSCRIBE with `#`, §3.3 PUBLISH
// QoS 0 and 1, §3.12 PINGREQ, §3.14 DISCONNECT).
const V4_CONNECT = packet(0x10, str('MQTT'), Uint8Array.of(4, 0x02, 0, 60), str('sensor-12'));
const V4_CONNACK = hex('20 02 00 00');
const V4_SUB_ALL = packet(0x82, Uint8Array.of(0, 1), str('#'), Uint8Array.of(0), str('plant/+/temp'), Uint8Array.of(1));
const V4_SUBACK = hex('90 04 00 01 00 01');
const V4_PUB0 = packet(0x30, str('plant/a/temp'), ascii('21.5'));
const V4_PUB1 = packet(0x32, str('plant/b/temp'), Uint8Array.of(0, 7), ascii('19.0'));
const V4_SESSION: Chunk[] = [
  { fromOrig: true, bytes: V4_CONNECT },
  { fromOrig: false, bytes: V4_CONNACK },
  { fromOrig: true, bytes: V4_SUB_ALL },
  { fromOrig: false, bytes: concat(V4_SUBACK, V4_PUB0) },
  { fromOrig: true, bytes: concat(V4_PUB1, hex('C0 00'), hex('E0 00')) },
];
const V4_EVENTS: MqttEvent[] = [
  { kind: 'mqtt', packetType: 'CONNECT', clientId: 'sensor-12' },
  { kind: 'mqtt', packetType: 'CONNACK', returnCode: 0 },
  { kind: 'mqtt', packetType: 'SUBSCRIBE', topics: ['#', 'plant/+/temp'] },
  { kind: 'mqtt', packetType: 'SUBACK' },
  { kind: 'mqtt', packetType: 'PUBLISH', topic: 'plant/a/temp' },
  { kind: 'mqtt', packetType: 'PUBLISH', topic: 'plant/b/temp' },
  { kind: 'mqtt', packetType: 'PINGREQ' },
  { kind: 'mqtt', packetType: 'DISCONNECT' },
];

// MQTT 5.0 session: properties after CONNECT's keep alive (Session Expiry Interval 0x11), after SUBSCRIBE's packet
// id (Subscription Identifier 0x0B), after PUBLISH's packet id (Payload Format Indicator 0x01) — MQTT 5.0 §3.1.2.11,
// §3.8.2.1, §3.3.2.3 — and a CONNACK with reason code 0x87 "Not authorized" (§3.2.2.2).
const V5_CONNECT = packet(0x10, str('MQTT'), Uint8Array.of(5, 0x82, 0, 60), Uint8Array.of(5, 0x11, 0, 0, 0, 120), str('robot-7'), str('admin'));
const V5_CONNACK = hex('20 03 00 87 00');
const V5_SUB = packet(0x82, Uint8Array.of(0, 1), Uint8Array.of(2, 0x0b, 5), str('#'), Uint8Array.of(0), str('plant/+/temp'), Uint8Array.of(1));
const V5_PUB = packet(0x32, str('plant/a/temp'), Uint8Array.of(0, 2), Uint8Array.of(2, 0x01, 1), ascii('21.5'));
const V5_UNSUB = packet(0xa2, Uint8Array.of(0, 3), Uint8Array.of(0), str('#'));
const V5_SESSION: Chunk[] = [
  { fromOrig: true, bytes: V5_CONNECT },
  { fromOrig: false, bytes: V5_CONNACK },
  { fromOrig: true, bytes: concat(V5_SUB, V5_PUB) },
  { fromOrig: true, bytes: concat(V5_UNSUB, hex('C0 00')) },
];
const V5_EVENTS: MqttEvent[] = [
  { kind: 'mqtt', packetType: 'CONNECT', clientId: 'robot-7' },
  { kind: 'mqtt', packetType: 'CONNACK', returnCode: 0x87 },
  { kind: 'mqtt', packetType: 'SUBSCRIBE', topics: ['#', 'plant/+/temp'] },
  { kind: 'mqtt', packetType: 'PUBLISH', topic: 'plant/a/temp' },
  { kind: 'mqtt', packetType: 'UNSUBSCRIBE', topics: ['#'] },
  { kind: 'mqtt', packetType: 'PINGREQ' },
];

describe('MqttAnalyzer on packets built from the standards', () => {
  it('MQTT 3.1.1: client id, `#` subscription, topics, CONNACK code, several packets per segment', () => {
    const a = new MqttAnalyzer();
    expect(feedAll(a, V4_SESSION)).toEqual(V4_EVENTS);
    expect(a.malformed).toBe(0);
    expect(a.protocolLevel).toBe(4);
  });

  it('MQTT 5.0: skips the properties of CONNECT, SUBSCRIBE, PUBLISH, UNSUBSCRIBE', () => {
    const a = new MqttAnalyzer();
    expect(feedAll(a, V5_SESSION)).toEqual(V5_EVENTS);
    expect(a.malformed).toBe(0);
    expect(a.protocolLevel).toBe(5);
  });

  it('reads the topic of a PUBLISH larger than the 64 KiB buffer and keeps framing after it', () => {
    const big = packet(0x30, str('fw/update'), new Uint8Array(200_000).fill(0x41));
    const a = new MqttAnalyzer();
    const stream = concat(big, hex('C0 00'));
    const chunks: Chunk[] = [];
    for (let i = 0; i < stream.length; i += 1460) chunks.push({ fromOrig: true, bytes: stream.subarray(i, i + 1460) });
    expect(feedAll(a, chunks)).toEqual([
      { kind: 'mqtt', packetType: 'PUBLISH', topic: 'fw/update' },
      { kind: 'mqtt', packetType: 'PINGREQ' },
    ]);
    expect(a.malformed).toBe(0);
  });

  it('emits the type of a packet whose strings overrun it, counted malformed', () => {
    const a = new MqttAnalyzer();
    const ev = feedAll(a, [{ fromOrig: true, bytes: hex('30 04 00 09 61 62') }]); // topic length 9 in a 4-octet body
    expect(ev).toEqual([{ kind: 'mqtt', packetType: 'PUBLISH' }]);
    expect(a.malformed).toBe(1);
  });

  it('treats a fifth Remaining Length octet and packet type 0 as garbage and gives up after 4', () => {
    const a = new MqttAnalyzer();
    feedAll(a, [{ fromOrig: true, bytes: hex('30 ff ff ff ff 01') }]); // §2.2.3: at most 4 octets
    feedAll(a, [{ fromOrig: true, bytes: hex('00 00') }]); // type 0 is reserved
    expect(a.malformed).toBe(2);
    expect(feedAll(a, [{ fromOrig: true, bytes: hex('C0 00') }])).toHaveLength(1); // next segment: in sync again
    feedAll(a, [{ fromOrig: true, bytes: hex('00') }, { fromOrig: true, bytes: hex('00') }, { fromOrig: true, bytes: hex('00') }, { fromOrig: true, bytes: hex('00') }]);
    expect(feedAll(a, [{ fromOrig: true, bytes: hex('C0 00') }])).toEqual([]);
  });

  it('reports every CONNECT of a connect flood (one analyzer per connection)', () => {
    const connects = Array.from({ length: 50 }, (_, i) => feedAll(new MqttAnalyzer(), [{ fromOrig: true, bytes: packet(0x10, str('MQTT'), Uint8Array.of(4, 2, 0, 10), str(`bot${i}`)) }]));
    expect(connects.flat().map((e) => (e as MqttEvent).clientId)).toEqual(Array.from({ length: 50 }, (_, i) => `bot${i}`));
  });

  it('names every packet type by its value (MQTT 3.1.1 Table 2.1, 5.0 AUTH)', () => {
    expect(MQTT_PACKET_TYPES.indexOf('PINGREQ')).toBe(12);
    expect(MQTT_PACKET_TYPES.indexOf('AUTH')).toBe(15);
    const ev = feedAll(new MqttAnalyzer(), [{ fromOrig: true, bytes: hex('40 02 00 07 50 02 00 07 62 02 00 07 70 02 00 07 b0 02 00 07 d0 00 f0 00') }]);
    expect(ev.map((e) => (e as MqttEvent).packetType)).toEqual(['PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'UNSUBACK', 'PINGRESP', 'AUTH']);
  });
});

/** MqttEvents as tshark dissects them: one `<proto name="mqtt">` element of its PDML per control packet. */
function tsharkMqtt(file: string): { frame: number; event: MqttEvent }[] {
  const pdml = tshark(file, ['-Y', 'mqtt', '-T', 'pdml']).join('\n');
  const out: { frame: number; event: MqttEvent }[] = [];
  for (const pkt of pdml.split('<packet>').slice(1)) {
    const frame = Number(/<field name="num"[^>]* show="(\d+)"/.exec(pkt)![1]);
    for (const proto of pkt.split('<proto name="mqtt"').slice(1)) {
      const field = (name: string): string[] => [...proto.matchAll(new RegExp(`<field name="${name.replace(/\./g, '\\.')}"[^>]* show="([^"]*)"`, 'g'))].map((m) => m[1]!);
      const type = Number(field('mqtt.msgtype')[0]);
      const e: MqttEvent = { kind: 'mqtt', packetType: MQTT_PACKET_TYPES[type] as MqttEvent['packetType'] };
      if (type === 1) e.clientId = field('mqtt.clientid')[0] ?? '';
      if (type === 2) e.returnCode = Number([...field('mqtt.conack.val'), ...field('mqtt.connack.reason_code')][0]);
      if (type === 3) e.topic = field('mqtt.topic')[0]!;
      if (type === 8 || type === 10) e.topics = field('mqtt.topic');
      out.push({ frame, event: e });
    }
  }
  return out;
}

const capture = pcapFile('mqtt.pcap');

describe.skipIf(!HAS_TSHARK || !capture.exists)('MqttAnalyzer on mqtt.pcap against tshark', () => {
  it('finds the same CONNECT/SUBSCRIBE/PUBLISH/PINGREQ packets, client ids and topics, frame by frame', () => {
    const oracle = tsharkMqtt(capture.path);
    const replay = replayTcp(tcpPackets(capture.path));
    const mine = replay.events.map(({ frame, event }) => ({ frame, event }));
    expect(mine).toEqual(oracle);
    const types = mine.map((x) => (x.event as MqttEvent).packetType);
    expect(types.filter((t) => t === 'CONNECT')).toHaveLength(2);
    expect(types).toContain('SUBSCRIBE');
    expect(types).toContain('PINGREQ');
    expect([...replay.analyzers.values()].map((a) => [a.service, a.malformed])).toEqual([
      ['mqtt', 0],
      ['mqtt', 0],
    ]);
  });
});

describe.skipIf(!HAS_TSHARK)('MqttAnalyzer against tshark on hand-built packets (text2pcap, port 1883)', () => {
  it('MQTT 3.1.1 session', () => {
    const file = craftPcap('mqtt-v4', V4_SESSION, 40003, 1883);
    const oracle = tsharkMqtt(file).map((x) => x.event);
    expect(oracle).toEqual(V4_EVENTS);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(oracle);
  });

  it('MQTT 5.0 session with properties', () => {
    const file = craftPcap('mqtt-v5', V5_SESSION, 40004, 1883);
    const oracle = tsharkMqtt(file).map((x) => x.event);
    expect(oracle).toEqual(V5_EVENTS);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(oracle);
  });
});

describeAnalyzerContract({
  name: 'MqttAnalyzer',
  make: () => new MqttAnalyzer(),
  streams: [V4_SESSION, V5_SESSION, [{ fromOrig: true, bytes: concat(packet(0x30, str('big'), new Uint8Array(70_000)), hex('C0 00')) }]],
});
