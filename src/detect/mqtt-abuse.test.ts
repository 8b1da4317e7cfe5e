import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../data/_test-data.js';
import { classifyTopicFilter, MqttAbuseDetector } from './mqtt-abuse.js';
import type { PacketDetection } from './packet-detection.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

describe('classifyTopicFilter (MQTT 3.1.1 §4.7, MQTT 5.0 §4.8.2)', () => {
  it.each([
    ['#', 'all'],
    ['+/#', 'all'],
    ['+/+/#', 'all'],
    ['$share/loggers/#', 'all'],
    ['$queue/#', 'all'],
    ['$SYS/#', 'sys'],
    ['$SYS/broker/#', 'sys'],
    ['$share/g/$SYS/#', 'sys'],
    ['site1/#', null],
    ['+/temperature/#', null],
    ['sensors/+/temp', null],
    ['SampleTopic', null],
    ['$SYS/broker/uptime', null],
    ['a#', null],
    ['++/#', null],
    ['$share/nogroup', null],
    ['', null],
  ] as const)('%s → %s', (filter, kind) => {
    expect(classifyTopicFilter(filter)).toBe(kind);
  });
});

describe('MqttAbuseDetector: wildcard subscriptions', () => {
  it('an all-topics filter is medium (T0801, T0861), a $SYS one low (T0888); narrow filters and allowed subscribers are quiet', () => {
    const d = new MqttAbuseDetector({ allowedSubscribers: ['10.0.0.5'] });
    const all = d.observeSubscribe(1, '10.0.0.66', '10.0.0.1', ['site/a', '#'], 'C9');
    expect(all).toMatchObject({ reason: 'MQTT Wildcard Subscription', severity: 'medium', origH: '10.0.0.66', respH: '10.0.0.1', uid: 'C9' });
    expect(all?.techniques.map((t) => t.id)).toEqual(['T0801', 'T0861']);
    expect(d.observeSubscribe(2, '10.0.0.66', '10.0.0.1', ['#'])).toBeNull(); // de-duplicated
    const sys = d.observeSubscribe(3, '10.0.0.66', '10.0.0.1', ['$SYS/#']);
    expect(sys).toMatchObject({ severity: 'low' });
    expect(sys?.techniques.map((t) => t.id)).toEqual(['T0888']);
    expect(d.observeSubscribe(4, '10.0.0.5', '10.0.0.1', ['#'])).toBeNull(); // historian
    expect(d.observeSubscribe(5, '10.0.0.7', '10.0.0.1', ['plant/line1/+/temp', 'plant/line2/#'])).toBeNull();
    // The widest filter wins regardless of order.
    expect(d.observeSubscribe(6, '10.0.0.8', '10.0.0.1', ['$SYS/#', '+/#'])?.severity).toBe('medium');
  });
});

describe('MqttAbuseDetector: CONNECT flood', () => {
  it('a burst of connects reports low at 30, medium at 100, high at 500 (decayed count ≈ burst size)', () => {
    const d = new MqttAbuseDetector();
    const got = Array.from({ length: 700 }, (_, i) => d.observeConnect(100 + i * 0.001, '10.0.0.66', '10.0.0.1', `bot${i}`));
    const idx = got.map((x, i) => (x === null ? null : [i + 1, x.severity])).filter((x) => x !== null);
    // Oracle: after n connects δ = 1 ms apart the count is the geometric sum (1 − rⁿ)/(1 − r), r = 2^(−δ/10 s).
    const r = 2 ** (-0.001 / 10);
    const first = (threshold: number) => Math.ceil(Math.log(1 - threshold * (1 - r)) / Math.log(r) - 1e-9);
    expect(first(30)).toBe(31); // the decay over 29 ms costs just under one connect
    expect(idx).toEqual([
      [first(30), 'low'],
      [first(100), 'medium'],
      [first(500), 'high'],
    ]);
    const medium = got[first(100) - 1];
    expect(medium?.techniques.map((t) => t.id)).toEqual(['T1499.002', 'T0814']);
    expect(medium?.detail).toContain(`last client id "bot${first(100) - 1}"`);
  });

  it('near miss: a client reconnecting once a second settles at 1/(1 − 2^(−0.1)) ≈ 14.9 and is never reported', () => {
    const d = new MqttAbuseDetector();
    for (let i = 0; i < 3600; i++) expect(d.observeConnect(i, '10.0.0.9', '10.0.0.1', 'same-id')).toBeNull();
    // …while one every 0.25 s (equilibrium ≈ 58) is low.
    const e = new MqttAbuseDetector();
    const got = Array.from({ length: 400 }, (_, i) => e.observeConnect(i * 0.25, '10.0.0.9', '10.0.0.1'));
    expect(got.filter((x) => x !== null).map((x) => x?.severity)).toEqual(['low']);
  });

  it('ignores invalid input and validates options', () => {
    const d = new MqttAbuseDetector();
    expect(d.observeConnect(Number.NaN, 'a', 'b')).toBeNull();
    expect(d.observeSubscribe(1, 'a', 'b', 'not an array' as unknown as string[])).toBeNull();
    expect(d.observeSubscribe(1, 'a', 'b', [42 as unknown as string])).toBeNull();
    expect(() => new MqttAbuseDetector({ floodLow: 50, floodMedium: 40 })).toThrow(RangeError);
    expect(() => new MqttAbuseDetector({ floodHalfLife: 0 })).toThrow(RangeError);
  });

  it('property: never throws, and state stays bounded over many sources', () => {
    const d = new MqttAbuseDetector({ maxSources: 32, maxKeys: 16 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.double(), fc.nat(10_000)), fc.string(), fc.string(), fc.array(fc.oneof(fc.string(), fc.constantFrom('#', '+/#', '$SYS/#', '$share/a/#')), { maxLength: 5 })), {
          maxLength: 300,
        }),
        (events) => {
          for (const [sub, ts, o, r, topics] of events) {
            if (sub) d.observeSubscribe(ts, o, r, topics);
            else d.observeConnect(ts, o, r, topics[0]);
          }
          expect(d.sizes.sources).toBeLessThanOrEqual(32);
          expect(d.sizes.alertKeys).toBeLessThanOrEqual(16);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const mqtt = dataFile('pcaps', 'mqtt.pcap');
const skipMsg = !hasTshark ? ' (SKIPPED: /usr/bin/tshark missing)' : !mqtt.exists ? ' (SKIPPED: capture missing; set IPQSEC_DATA)' : '';

describe.skipIf(!hasTshark || !mqtt.exists)(`MqttAbuseDetector on mqtt.pcap, packets from tshark${skipMsg}`, () => {
  it('one client connecting twice and subscribing to SampleTopic is quiet', () => {
    const rows = execFileSync(TSHARK, ['-r', mqtt.path, '-Y', 'mqtt.msgtype == 1 || mqtt.msgtype == 8', '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'mqtt.msgtype', '-e', 'mqtt.clientid', '-e', 'mqtt.topic'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .split('\n')
      .filter((l) => l !== '');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const d = new MqttAbuseDetector();
    const got: (PacketDetection | null)[] = [];
    for (const row of rows) {
      const [ts, src, dst, types, clientId, topic] = row.split('\t');
      // A frame may carry several MQTT messages ("3,14"): the CONNECT and SUBSCRIBE ones count.
      for (const t of types.split(',')) {
        if (t === '1') got.push(d.observeConnect(Number(ts), src, dst, clientId));
        if (t === '8') got.push(d.observeSubscribe(Number(ts), src, dst, topic.split(',')));
      }
    }
    expect(got.filter((g) => g !== null)).toEqual([]);
  });
});
