import { connect as netConnect } from 'node:net';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../core/events.js';
import { startEmbeddedBroker } from './mqtt-broker.js';
import type { EmbeddedBroker } from './mqtt-broker.js';
import { MqttIngest } from './mqtt-ingest.js';

const TOKEN = 'ipq_ingest_token_0123456789';
const TOPIC = 'ipqsec/plant-1/tt-101/sensor';
const reading = (value: number) => Buffer.from(JSON.stringify({ ts: 1_700_000_000, kind: 'temperature', value, unit: 'C' }));

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const open: { broker?: EmbeddedBroker; clients: MqttClient[] } = { clients: [] };

async function setup(maxBatch = 1000, maxClients?: number) {
  const batches: IngestEvent[][] = [];
  const malformed: { topic: string; reason: string }[] = [];
  const auths: [string | undefined, string | undefined][] = [];
  let n = 0;
  const ingest = new MqttIngest({
    ingest: async (evs) => void batches.push(evs),
    newId: () => `ev-${++n}`,
    onMalformed: (m) => malformed.push(m),
    maxBatch,
    maxDelayMs: 60_000, // batches close on size or on flush() only: deterministic
  });
  const broker = await startEmbeddedBroker({
    port: 0,
    ingest,
    ...(maxClients !== undefined ? { maxClients } : {}),
    authenticate: async (u, p) => {
      auths.push([u, p]);
      return p === TOKEN;
    },
  });
  open.broker = broker;
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const client = async (password = TOKEN) => {
    const c = await connectAsync(url, { protocolVersion: 4, username: 'tt-101', password, reconnectPeriod: 0 }, false);
    open.clients.push(c);
    return c;
  };
  return { ingest, broker, batches, malformed, auths, client, url };
}

afterEach(async () => {
  for (const c of open.clients.splice(0)) await c.endAsync(true);
  await open.broker?.close();
  open.broker = undefined;
});

describe('embedded MQTT broker', () => {
  it('binds port 0 to a real port and ingests a good token’s events, batched, in order', async () => {
    const { broker, ingest, batches, auths, client } = await setup(2);
    expect(broker.port).toBeGreaterThan(0);
    const c = await client();
    expect(auths).toEqual([['tt-101', TOKEN]]);
    expect(broker.clients()).toBe(1);
    await Promise.all([1, 2, 3, 4, 5].map((v) => c.publishAsync(TOPIC, reading(v), { qos: 1 })));
    // PUBACK is sent after the broker handed the message over, so all five are in the ingest now.
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    await ingest.flush();
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    const evs = batches.flat();
    expect(evs.map((e) => e.type === 'sensor' && e.value)).toEqual([1, 2, 3, 4, 5]);
    expect(evs[0]).toMatchObject({ type: 'sensor', site: 'plant-1', sensor_id: 'tt-101', id: 'ev-1' });
  });

  it('refuses a wrong password with CONNACK 5 "not authorized"', async () => {
    const { client, broker, ingest } = await setup();
    const err = await client('wrong').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: number },
    );
    expect(err?.code).toBe(5);
    expect(err?.message).toMatch(/not authorized/i);
    expect(broker.clients()).toBe(0);
    expect(ingest.received).toBe(0);
  });

  it('counts malformed messages and keeps the connection; subscribers see only well-formed topics', async () => {
    const { client, ingest, batches, malformed } = await setup();
    const c = await client();
    const watcher = await client();
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    expect((await watcher.subscribeAsync('ipqsec/#', { qos: 0 })).map((g) => g.qos)).toEqual([0]);
    // A filter outside ipqsec/ is refused with SUBACK 0x80 (mqtt.js turns that into an error); the connection stays.
    await expect(watcher.subscribeAsync('#', { qos: 0 })).rejects.toThrow(/Subscribe error/);
    expect(watcher.connected).toBe(true);

    const bad: [string, Buffer | string][] = [
      [TOPIC, 'not json'],
      [TOPIC, JSON.stringify({ ts: 1, orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp', type: 'flow' })],
      [TOPIC, JSON.stringify({ ts: 1, kind: 'temperature', value: 'hot', unit: 'C' })],
      ['ipqsec/plant-1/tt-101/bogus', reading(1)],
      ['elsewhere/x', reading(1)],
    ];
    for (const [topic, payload] of bad) {
      await c.publishAsync(topic, payload, { qos: 1 });
      expect(c.connected).toBe(true);
    }
    await c.publishAsync(TOPIC, reading(42), { qos: 1 });
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ received: 6, accepted: 1, malformed: 5 });
    expect(malformed.map((m) => m.topic)).toEqual(bad.map(([t]) => t));
    expect(malformed[1]!.reason).toContain('type "flow" does not match');
    expect(batches.flat().map((e) => e.type === 'sensor' && e.value)).toEqual([42]);
    // Forwarding mirrors the wire on well-formed topics (three bad payloads and the good one), nothing else.
    await until(() => seen.length >= 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([TOPIC, TOPIC, TOPIC, TOPIC]);
  });

  it('closes a connection that publishes to a $ topic', async () => {
    const { client, ingest } = await setup();
    const c = await client();
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish('$SYS/fake', 'x', { qos: 0 });
    await closed;
    expect(ingest.received).toBe(0);
  });

  it('close() disconnects clients and frees the port, also with a socket that never sent CONNECT', async () => {
    const { broker, client, url } = await setup();
    const c = await client();
    const raw = netConnect({ host: '127.0.0.1', port: broker.port });
    await new Promise((r) => raw.once('connect', r));
    const clientClosed = new Promise<void>((r) => c.once('close', () => r()));
    const t0 = Date.now();
    await broker.close();
    await clientClosed;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(broker.clients()).toBe(0);
    await expect(connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 1000 }, false)).rejects.toThrow();
    raw.destroy();
  });

  it('refuses connections beyond maxClients', async () => {
    const { client, broker } = await setup(1000, 1);
    await client();
    await expect(client()).rejects.toThrow();
    expect(broker.clients()).toBe(1);
  });

  it('reports a port in use as IPQ-S002', async () => {
    const { broker, ingest } = await setup();
    await expect(startEmbeddedBroker({ port: broker.port, ingest, authenticate: async () => true })).rejects.toThrow(/IPQ-S002.*EADDRINUSE/);
  });
});
