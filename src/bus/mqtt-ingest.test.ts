import { connect as netConnect } from 'node:net';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';
import type { IngestEvent } from '../core/events.js';
import { connectExternal, MqttIngest } from './mqtt-ingest.js';
import type { MqttIngestOptions } from './mqtt-ingest.js';

const SENSOR = 'ipqsec/plant-1/tt-101/sensor';
const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const reading = (value: number, extra: Record<string, unknown> = {}) => ({ ts: 1_700_000_000, kind: 'temperature', value, unit: 'C', ...extra });

function counterIds(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

/** An MqttIngest whose ingest calls are recorded; flushes only when asked unless maxDelayMs is given. */
function recorder(opts: Partial<MqttIngestOptions> = {}) {
  const batches: IngestEvent[][] = [];
  const malformed: { topic: string; reason: string }[] = [];
  const errors: unknown[] = [];
  const ingest = new MqttIngest({
    ingest: async (events) => {
      batches.push(events);
    },
    newId: counterIds(),
    onMalformed: (m) => malformed.push(m),
    onError: (e) => errors.push(e),
    maxDelayMs: 60_000,
    ...opts,
  });
  return { ingest, batches, malformed, errors };
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('MqttIngest.handle', () => {
  it('fills type, site and sensor_id from the topic and keeps message order', async () => {
    const { ingest, batches } = recorder();
    ingest.handle(SENSOR, buf(reading(20.5)));
    ingest.handle(SENSOR, buf([reading(21), reading(22, { id: 'mine', site: 'plant-1', sensor_id: 'tt-101', type: 'sensor' })]));
    await ingest.flush();
    expect(batches).toHaveLength(1);
    const evs = batches[0]!;
    expect(evs.map((e) => e.type === 'sensor' && e.value)).toEqual([20.5, 21, 22]);
    expect(evs.map((e) => e.id)).toEqual(['id-1', 'id-2', 'mine']);
    for (const e of evs) {
      expect(e).toMatchObject({ type: 'sensor', site: 'plant-1', sensor_id: 'tt-101', tsMs: 1_700_000_000_000 });
    }
    expect(ingest.stats()).toMatchObject({ received: 2, accepted: 2, malformed: 0, events: 3, batches: 1 });
  });

  it('fills robot_id and site for robots; flows get the site only', async () => {
    const { ingest, batches } = recorder();
    ingest.handle('ipqsec/dock/rb-7/robot', buf({ timestamp: '2024-05-01T10:00:00Z', ip: '10.0.0.7', task: 'pick', ports_accessed: [22] }));
    ingest.handle('ipqsec/dock/zeek/flow', buf({ ts: 1.5, orig_h: '10.0.0.1', orig_p: 5000, resp_h: '10.0.0.2', resp_p: 80, proto: 'tcp' }));
    await ingest.flush();
    expect(batches[0]![0]).toMatchObject({ type: 'robot', site: 'dock', robot_id: 'rb-7', tsMs: Date.UTC(2024, 4, 1, 10) });
    expect(batches[0]![1]).toMatchObject({ type: 'flow', site: 'dock', tsMs: 1500 });
    expect(batches[0]![1]).not.toHaveProperty('sensor_id');
  });

  it.each([
    ['ipqsec/plant-1/tt-101', buf(reading(1)), 'expected 4 levels'],
    ['ipqsec/plant-1/tt-101/alarm', buf(reading(1)), 'kind must be one of'],
    [SENSOR, buf('{"ts": 1,'), 'not JSON'],
    [SENSOR, buf([]), 'empty array'],
    [SENSOR, buf(42), 'not a JSON object'],
    [SENSOR, buf([reading(1), null]), 'event 1: event is not a JSON object'],
    [SENSOR, buf(reading(1, { type: 'flow' })), 'type "flow" does not match'],
    [SENSOR, buf(reading(1, { site: 'plant-2' })), 'site "plant-2" does not match'],
    [SENSOR, buf(reading(1, { sensor_id: 'tt-102' })), 'sensor_id "tt-102" does not match'],
    ['ipqsec/dock/rb-7/robot', buf({ robot_id: 'rb-8', timestamp: 1, ip: '10.0.0.7', task: 'x' }), 'robot_id "rb-8" does not match'],
    [SENSOR, buf(reading(1, { value: 'hot' })), 'IPQ-E001'],
    [SENSOR, buf([reading(1), reading(2, { unit: '' })]), 'IPQ-E001'],
    [SENSOR, buf(Array.from({ length: 10_001 }, () => ({}))), 'limit 10000'],
  ])('drops %s %# as malformed and names the reason', async (topic, payload, reason) => {
    const { ingest, batches, malformed } = recorder();
    expect(() => ingest.handle(topic, payload)).not.toThrow();
    ingest.handle(SENSOR, buf(reading(7))); // an unrelated good message is unaffected
    await ingest.flush();
    expect(malformed).toHaveLength(1);
    expect(malformed[0]!.topic).toBe(topic);
    expect(malformed[0]!.reason).toContain(reason);
    expect(batches.flat().map((e) => e.type === 'sensor' && e.value)).toEqual([7]);
    expect(ingest.stats()).toMatchObject({ received: 2, accepted: 1, malformed: 1 });
  });

  it('flushes at maxBatch without splitting a message, the rest on flush()', async () => {
    const { ingest, batches } = recorder({ maxBatch: 3 });
    for (let i = 0; i < 7; i++) ingest.handle(SENSOR, buf(reading(i)));
    expect(batches.map((b) => b.length)).toEqual([3, 3]);
    // 1 pending + 3 > 3: the pending one goes alone first, then the 3 reach maxBatch.
    ingest.handle(SENSOR, buf([reading(10), reading(11), reading(12)]));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1, 3]);
    ingest.handle(SENSOR, buf([reading(13), reading(14), reading(15), reading(16)])); // larger than maxBatch: alone
    ingest.handle(SENSOR, buf(reading(17)));
    await ingest.flush();
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1, 3, 4, 1]);
    expect(batches.flat().map((e) => e.type === 'sensor' && e.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17]);
  });

  it('flushes maxDelayMs after the first pending event without a flush() call', async () => {
    const { ingest, batches } = recorder({ maxDelayMs: 5 });
    ingest.handle(SENSOR, buf(reading(1)));
    ingest.handle(SENSOR, buf(reading(2)));
    expect(batches).toHaveLength(0);
    await until(() => batches.length > 0);
    expect(batches.map((b) => b.length)).toEqual([2]);
  });

  it('counts and reports a failed ingest call and carries on', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const got: IngestEvent[] = [];
    const ingest = new MqttIngest({
      ingest: async (evs) => {
        if (fail) throw new Error('store down');
        got.push(...evs);
      },
      newId: counterIds(),
      onError: (e) => errors.push(e),
    });
    ingest.handle(SENSOR, buf(reading(1)));
    await ingest.flush();
    fail = false;
    ingest.handle(SENSOR, buf(reading(2)));
    await ingest.flush();
    expect((errors[0] as Error).message).toBe('store down');
    expect(got.map((e) => e.type === 'sensor' && e.value)).toEqual([2]);
    expect(ingest.stats()).toMatchObject({ batches: 2, ingestErrors: 1, inFlight: 0 });
  });

  it('sheds load beyond maxBuffered and after close()', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ingest = new MqttIngest({ ingest: () => gate, newId: counterIds(), maxBatch: 2, maxBuffered: 2 });
    ingest.handle(SENSOR, buf(reading(1)));
    ingest.handle(SENSOR, buf(reading(2))); // flushed, now in flight
    ingest.handle(SENSOR, buf(reading(3))); // over the bound
    expect(ingest.stats()).toMatchObject({ received: 3, accepted: 2, dropped: 1, inFlight: 2 });
    release();
    await ingest.close();
    ingest.handle(SENSOR, buf(reading(4)));
    expect(ingest.stats()).toMatchObject({ received: 4, accepted: 2, dropped: 2, inFlight: 0 });
  });

  it('survives an onMalformed that throws (reported through onError)', async () => {
    const errors: unknown[] = [];
    const ingest = new MqttIngest({
      ingest: async () => undefined,
      newId: counterIds(),
      onMalformed: () => {
        throw new Error('callback bug');
      },
      onError: (e) => errors.push(e),
    });
    expect(() => ingest.handle('bad', buf('x'))).not.toThrow();
    expect((errors[0] as Error).message).toBe('callback bug');
  });

  it('rejects out-of-range options', () => {
    const base = { ingest: async () => undefined, newId: counterIds() };
    expect(() => new MqttIngest({ ...base, maxBatch: 0 })).toThrow(RangeError);
    expect(() => new MqttIngest({ ...base, maxBatch: 10_001 })).toThrow(RangeError);
    expect(() => new MqttIngest({ ...base, maxDelayMs: -1 })).toThrow(RangeError);
    expect(() => new MqttIngest({ ...base, maxBatch: 10, maxBuffered: 5 })).toThrow(RangeError);
  });

  it('property: never throws, and accepted + malformed = received after flush', async () => {
    const segment = fc.oneof(fc.constantFrom('s1', 'd1', '', '+', '#', 'a/b'), fc.string({ maxLength: 6 }));
    const topic = fc.oneof(
      fc.tuple(fc.constantFrom('ipqsec', 'x'), segment, segment, fc.constantFrom('flow', 'robot', 'sensor', 'nope')).map((p) => p.join('/')),
      fc.string({ maxLength: 30 }),
    );
    const eventish = fc.record(
      {
        type: fc.constantFrom('flow', 'robot', 'sensor'),
        ts: fc.oneof(fc.double(), fc.integer({ min: 0, max: 2e9 })),
        timestamp: fc.integer({ min: 0, max: 2e9 }),
        site: fc.constantFrom('s1', 'd1', 'x'),
        sensor_id: fc.constantFrom('d1', 'x'),
        robot_id: fc.constantFrom('d1', 'x'),
        kind: fc.constantFrom('temperature', 'bogus'),
        value: fc.oneof(fc.double(), fc.string()),
        unit: fc.constantFrom('C', ''),
        ip: fc.constantFrom('10.0.0.1', 'nope'),
        task: fc.constantFrom('a', ''),
        orig_h: fc.constantFrom('10.0.0.1', '::1', 'x'),
        resp_h: fc.constant('10.0.0.2'),
        orig_p: fc.integer({ min: -1, max: 70_000 }),
        resp_p: fc.integer({ min: 0, max: 65_535 }),
        proto: fc.constantFrom('tcp', 'udp', 'xyz'),
      },
      { requiredKeys: [] },
    );
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      fc.jsonValue().map((v) => buf(JSON.stringify(v) ?? 'null')),
      fc.oneof(eventish, fc.array(eventish, { maxLength: 4 })).map((v) => buf(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(topic, payload), { maxLength: 20 }), async (msgs) => {
        const { ingest, batches } = recorder({ maxBatch: 5 });
        for (const [t, p] of msgs) ingest.handle(t, p);
        await ingest.flush();
        const s = ingest.stats();
        expect(s.received).toBe(msgs.length);
        expect(s.accepted + s.malformed).toBe(s.received);
        expect(batches.flat()).toHaveLength(s.events);
        for (const b of batches) for (const e of b) expect(typeof e.id).toBe('string');
      }),
      { numRuns: 300, seed: 20_240_501 },
    );
  });
});

/** True when something accepts TCP connections on host:port within 500 ms. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const mosquitto = await reachable('127.0.0.1', 1883);

describe('connectExternal (Mosquitto on 127.0.0.1:1883)', () => {
  it.skipIf(!mosquitto)(
    mosquitto ? 'receives what another client publishes under a unique site' : 'SKIPPED: no MQTT broker listening on 127.0.0.1:1883',
    async () => {
      const site = `t-${randomUUID().slice(0, 12)}`;
      const got: IngestEvent[] = [];
      const malformed: string[] = [];
      const ingest = new MqttIngest({
        // The broker is shared: keep only this test's site.
        ingest: async (evs) => void got.push(...evs.filter((e) => e.site === site)),
        newId: counterIds(),
        onMalformed: (m) => void (m.topic.includes(site) && malformed.push(m.reason)),
        maxDelayMs: 5,
      });
      const sub = await connectExternal('mqtt://127.0.0.1:1883', ingest);
      const pub = await connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 4, reconnectPeriod: 0 });
      try {
        await pub.publishAsync(`ipqsec/${site}/tt-1/sensor`, buf([reading(1), reading(2)]), { qos: 1 });
        await pub.publishAsync(`ipqsec/${site}/tt-1/sensor`, buf('not json'), { qos: 1 });
        await pub.publishAsync(`ipqsec/${site}/tt-1/sensor`, buf(reading(3)), { qos: 1 });
        await until(() => got.length >= 3 && malformed.length >= 1);
        expect(got.map((e) => e.type === 'sensor' && [e.sensor_id, e.value])).toEqual([
          ['tt-1', 1],
          ['tt-1', 2],
          ['tt-1', 3],
        ]);
        expect(malformed[0]).toContain('not JSON');
      } finally {
        await pub.endAsync();
        await sub.close();
        await ingest.close();
      }
    },
  );

  it('fails with IPQ-S003 when no broker answers', async () => {
    const ingest = new MqttIngest({ ingest: async () => undefined, newId: counterIds() });
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await expect(connectExternal('mqtt://user:secret@127.0.0.1:1', ingest)).rejects.toThrow(/IPQ-S003 .*127\.0\.0\.1:1/);
    await expect(connectExternal('mqtt://user:secret@127.0.0.1:1', ingest)).rejects.not.toThrow(/secret/);
  });
});
