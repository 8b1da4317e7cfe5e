import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import type { IpqsecError } from '../core/errors.js';
import type { Alert } from '../core/records.js';
import { robotAlert } from './_test-alerts.js';
import { verifyWebhookSignature, WebhookDispatcher } from './webhook.js';
import type { WebhookOptions } from './webhook.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/**
 * A real HTTP server on port 0 answering with the scripted statuses in turn (the last one repeats); `hold`
 * keeps every answer back until `release()` is called.
 */
async function endpoint(statuses: number[], opts: { hold?: boolean; headers?: Record<string, string> } = {}) {
  const got: Received[] = [];
  let held: (() => void)[] = [];
  let holding = opts.hold ?? false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      const answer = () => res.writeHead(status, opts.headers ?? {}).end('{}');
      if (holding) held.push(answer);
      else answer();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ipqsec?token=abc`;
  const release = () => {
    holding = false;
    for (const a of held) a();
    held = [];
  };
  return { url, got, release, server };
}

function dispatcher(urls: string[], over: Partial<WebhookOptions> = {}) {
  const waits: number[] = [];
  const gaveUp: { alert: Alert; url: string; err: IpqsecError }[] = [];
  const d = new WebhookDispatcher({
    urls,
    secret: 'whsec_test',
    baseDelayMs: 100,
    nowMs: () => 1_700_000_000_999,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    onGiveUp: (alert, url, err) => gaveUp.push({ alert, url, err }),
    ...over,
  });
  return { d, waits, gaveUp };
}

describe('WebhookDispatcher', () => {
  it('POSTs the alert as JSON with event, timestamp and a verifiable HMAC-SHA-256 signature', async () => {
    const ep = await endpoint([200]);
    const { d } = dispatcher([ep.url]);
    const alert = robotAlert();
    d.enqueue(alert);
    await d.drain();
    expect(ep.got).toHaveLength(1);
    const { headers, body } = ep.got[0]!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-ipqsec-event']).toBe('alert');
    expect(headers['x-ipqsec-timestamp']).toBe('1700000000'); // floor(1_700_000_000_999 ms / 1000)
    expect(JSON.parse(body)).toEqual(alert);
    // Receiver side, written out independently: HMAC-SHA-256(secret, "<ts>.<raw body>") in hex.
    const expected = `sha256=${createHmac('sha256', 'whsec_test').update(`1700000000.${body}`).digest('hex')}`;
    expect(headers['x-ipqsec-signature']).toBe(expected);
    const sig = headers['x-ipqsec-signature'] as string;
    expect(verifyWebhookSignature('whsec_test', '1700000000', body, sig)).toBe(true);
    expect(verifyWebhookSignature('whsec_test', 1_700_000_000, Buffer.from(body), sig)).toBe(true);
    expect(verifyWebhookSignature('other', '1700000000', body, sig)).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '1700000001', body, sig)).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '1700000000', `${body} `, sig)).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '1700000000', body, sig.toUpperCase())).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '1700000000', body, sig.slice(0, -1))).toBe(false);
    expect(verifyWebhookSignature('whsec_test', '1700000000', body, sig, { nowMs: 1_700_000_299_000 })).toBe(true);
    expect(verifyWebhookSignature('whsec_test', '1700000000', body, sig, { nowMs: 1_700_000_301_000 })).toBe(false);
    expect(d.stats()).toMatchObject({ delivered: 1, attempts: 1, retries: 0, failed: 0, queued: 0, active: 0 });
  });

  it('retries 503 twice then succeeds: 3 attempts, full-jitter waits 0.5·100 and 0.5·200 ms', async () => {
    const ep = await endpoint([503, 503, 200]);
    const { d, waits, gaveUp } = dispatcher([ep.url]);
    d.enqueue(robotAlert());
    await d.drain();
    expect(ep.got).toHaveLength(3);
    expect(waits).toEqual([50, 100]);
    expect(gaveUp).toHaveLength(0);
    expect(d.stats()).toMatchObject({ delivered: 1, attempts: 3, retries: 2, failed: 0 });
  });

  it('does not retry a 400', async () => {
    const ep = await endpoint([400, 200]);
    const { d, gaveUp } = dispatcher([ep.url]);
    const alert = robotAlert();
    d.enqueue(alert);
    await d.drain();
    expect(ep.got).toHaveLength(1);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.alert).toBe(alert);
    expect(isIpqsecError(gaveUp[0]!.err, 'IPQ-S004')).toBe(true);
    expect(gaveUp[0]!.err.details).toMatchObject({ status: 400, alert_id: alert.id });
  });

  it('gives up after maxAttempts with IPQ-S004, waits capped at maxDelayMs, query string kept out of the message', async () => {
    const ep = await endpoint([500]);
    const { d, waits, gaveUp } = dispatcher([ep.url], { maxAttempts: 4, random: () => 0.999, maxDelayMs: 250 });
    d.enqueue(robotAlert());
    await d.drain();
    expect(ep.got).toHaveLength(4);
    // ≈ 0.999 × min(250, 100·2^(n−1)) for n = 1, 2, 3.
    expect(waits.map((w) => Math.round(w))).toEqual([100, 200, 250]);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.url).toBe(ep.url);
    expect(gaveUp[0]!.err.code).toBe('IPQ-S004');
    expect(gaveUp[0]!.err.message).toContain('HTTP 500 (4 attempts)');
    expect(gaveUp[0]!.err.message).not.toContain('token=abc');
    expect(d.stats()).toMatchObject({ delivered: 0, failed: 1, attempts: 4, retries: 3 });
  });

  it('retries 429 and honours Retry-After seconds', async () => {
    const ep = await endpoint([429, 200], { headers: { 'Retry-After': '2' } });
    const { d, waits } = dispatcher([ep.url], { maxDelayMs: 10_000 });
    d.enqueue(robotAlert());
    await d.drain();
    expect(ep.got).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it('retries network errors and times out a silent endpoint', async () => {
    const dead = await endpoint([200]);
    dead.server.closeAllConnections();
    await new Promise((r) => dead.server.close(r));
    const silent = await endpoint([200], { hold: true });
    const { d, gaveUp } = dispatcher([dead.url, silent.url], { maxAttempts: 2, timeoutMs: 100 });
    d.enqueue(robotAlert());
    await d.drain();
    silent.release();
    expect(silent.got).toHaveLength(2);
    const byUrl = new Map(gaveUp.map((g) => [g.url, g.err.message]));
    expect(byUrl.get(dead.url)).toMatch(/network error.*\(2 attempts\)/);
    expect(byUrl.get(silent.url)).toMatch(/timeout after 100 ms \(2 attempts\)/);
  });

  it('bounds the queue by dropping the oldest waiting delivery, and drain() waits for in-flight ones', async () => {
    const ep = await endpoint([200], { hold: true });
    const { d } = dispatcher([ep.url], { concurrency: 1, maxQueue: 2 });
    const ids = ['a0', 'a1', 'a2', 'a3', 'a4'];
    for (const id of ids) d.enqueue(robotAlert({ id }));
    expect(d.stats()).toMatchObject({ active: 1, queued: 2, dropped: 2 });
    let drained = false;
    const draining = d.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(drained).toBe(false);
    ep.release();
    await draining;
    expect(ep.got.map((g) => (JSON.parse(g.body) as Alert).id)).toEqual(['a0', 'a3', 'a4']);
    expect(d.stats()).toMatchObject({ delivered: 3, dropped: 2, queued: 0, active: 0 });
  });

  it('refuses a non-http URL or an empty secret (IPQ-S002) and bad numbers (RangeError)', () => {
    expect(() => new WebhookDispatcher({ urls: ['ftp://x/'], secret: 's' })).toThrow(/IPQ-S002/);
    expect(() => new WebhookDispatcher({ urls: ['not a url'], secret: 's' })).toThrow(/IPQ-S002/);
    expect(() => new WebhookDispatcher({ urls: ['http://x/'], secret: '' })).toThrow(/IPQ-S002/);
    expect(() => new WebhookDispatcher({ urls: ['http://x/'], secret: 's', maxAttempts: 0 })).toThrow(RangeError);
  });
});
