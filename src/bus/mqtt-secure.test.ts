/**
 * Secure-channel envelopes over MQTT (`ipqsec/<site>/<device>/secure`): the ingest hands the payload to the
 * `openSecure` hook and queues what it returns; without the hook, or when it throws, the message is malformed. The
 * embedded broker lets clients without a password connect only to publish envelopes (never plain telemetry, never
 * subscribe). The real channel is wired in by the service (cli/service-runtime.ts; test/service-cli.test.ts).
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../core/events.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './mqtt-broker.js';
import { MqttIngest } from './mqtt-ingest.js';

const opened: { broker?: EmbeddedBroker; clients: MqttClient[] } = { clients: [] };
afterEach(async () => {
  for (const c of opened.clients.splice(0)) await c.endAsync(true);
  await opened.broker?.close();
  opened.broker = undefined;
});

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const event = (device: string): IngestEvent =>
  ({ type: 'sensor', id: `e-${device}`, tsMs: 1_700_000_000_000, ts: 1_700_000_000, site: 'plant-1', sensor_id: device, kind: 'temperature', value: 20, unit: 'C' }) as unknown as IngestEvent;

describe('secure envelopes over MQTT', () => {
  it('MqttIngest: the secure kind goes to openSecure; its events are queued; its refusals are malformed', async () => {
    const batches: IngestEvent[][] = [];
    const malformed: string[] = [];
    const seen: string[] = [];
    const ingest = new MqttIngest({
      ingest: async (evs) => void batches.push(evs),
      newId: () => 'x',
      onMalformed: (m) => malformed.push(m.reason),
      openSecure: (payload, topic) => {
        seen.push(`${topic.device}:${payload.length}`);
        if (payload[0] === 0) throw new Error('IPQ-P005 envelope rejected: replay');
        return [event(topic.device)];
      },
    });
    ingest.handle('ipqsec/plant-1/tt-1/secure', Uint8Array.of(1, 2, 3));
    ingest.handle('ipqsec/plant-1/tt-2/secure', Uint8Array.of(0));
    await ingest.flush();
    expect(seen).toEqual(['tt-1:3', 'tt-2:1']);
    expect(batches.flat().map((e) => (e as unknown as { sensor_id: string }).sensor_id)).toEqual(['tt-1']);
    expect(malformed).toEqual(['IPQ-P005 envelope rejected: replay']);
    const plain = new MqttIngest({ ingest: async () => undefined, newId: () => 'x', onMalformed: (m) => malformed.push(m.reason) });
    plain.handle('ipqsec/plant-1/tt-1/secure', Uint8Array.of(1));
    expect(malformed.at(-1)).toMatch(/not configured/);
  });

  it('broker: a client without a password may publish envelopes only, and may not subscribe', async () => {
    const topics: string[] = [];
    const ingest = new MqttIngest({ ingest: async () => undefined, newId: () => 'x', openSecure: (_p, t) => (topics.push(`${t.device}/${t.kind}`), []), onMalformed: () => undefined });
    const broker = await startEmbeddedBroker({ port: 0, ingest, allowSecureDevices: true, authenticate: async (_u, p) => p === 'tok' });
    opened.broker = broker;
    const device = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, username: 'tt-1', reconnectPeriod: 0 }, false);
    opened.clients.push(device);
    await device.publishAsync('ipqsec/plant-1/tt-1/secure', Buffer.from([1, 2]), { qos: 1 });
    await until(() => topics.length === 1);
    // Plain telemetry from a tokenless client is refused: aedes closes the connection on an unauthorised PUBLISH.
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish('ipqsec/plant-1/tt-1/sensor', JSON.stringify({ ts: 1, kind: 'temperature', value: 1, unit: 'C' }), { qos: 1 });
    await closed;
    const sub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0 }, false);
    opened.clients.push(sub);
    // SUBACK return code 0x80 (failure): mqtt.js rejects the subscription.
    await expect(sub.subscribeAsync('ipqsec/#')).rejects.toThrow(/Subscribe error/);
    expect(topics).toEqual(['tt-1/secure']);
  });
});
