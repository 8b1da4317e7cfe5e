import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, bearer, createTestApp } from './_test-deps.js';
import type { FastifyInstance } from 'fastify';

const T0 = 1_714_564_800;

/** Parsed server-sent events (WHATWG HTML §9.2.6, enough for our single-line data). */
function parseSse(text: string): { event: string; data: string }[] {
  const out: { event: string; data: string }[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    let data: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data !== null) out.push({ event, data });
  }
  return out;
}

/** Closes the app without waiting for the spare keep-alive connection Node's fetch (undici) opens after an abort. */
async function shut(app: FastifyInstance): Promise<void> {
  app.server.closeAllConnections();
  await app.close();
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Reads from a fetch body until `until(text)` holds or `ms` pass. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, until: (t: string) => boolean, ms = 3000): Promise<string> {
  const dec = new TextDecoder();
  let text = '';
  const deadline = Date.now() + ms;
  while (!until(text) && Date.now() < deadline) {
    const r = await Promise.race([reader.read(), new Promise<null>((res) => setTimeout(() => res(null), deadline - Date.now()))]);
    if (r === null || r.done) break;
    text += dec.decode(r.value, { stream: true });
  }
  return text;
}

describe('GET /api/v1/stream', () => {
  it('streams stored events and alerts as SSE, sends heartbeats, and unsubscribes when the client leaves', async () => {
    const { app, deps, tokenWith } = await createTestApp({ stream: { heartbeatMs: 50 } });
    const base = await listen(app);
    try {
      const read = await tokenWith(['read']);
      const ingest = bearer(await tokenWith(['ingest']));
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/v1/stream`, { headers: bearer(read), signal: ctl.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = res.body!.getReader();
      await readUntil(reader, (t) => t.includes('retry:'));
      expect(deps.monitor.subscriberCount).toBe(1);

      const ev = { type: 'robot', id: 'ev-1', timestamp: T0, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: [23] };
      const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [ev] });
      expect(r.statusCode).toBe(200);
      const text = await readUntil(reader, (t) => t.includes('event: alert') && t.includes(': heartbeat'));
      const msgs = parseSse(text);
      const event = msgs.find((m) => m.event === 'event');
      const alert = msgs.find((m) => m.event === 'alert');
      expect(JSON.parse(event!.data)).toMatchObject({ id: 'ev-1', type: 'robot', entity: 'robot:r-1', ts_ms: T0 * 1000 });
      expect(JSON.parse(alert!.data)).toMatchObject({ event_id: 'ev-1', reasons: ['Suspicious Port Access'] });
      expect(text).toContain(': heartbeat\n\n');

      ctl.abort();
      await reader.cancel().catch(() => undefined);
      for (let i = 0; i < 50 && deps.monitor.subscriberCount > 0; i++) await new Promise((res) => setTimeout(res, 10));
      expect(deps.monitor.subscriberCount).toBe(0);
    } finally {
      await shut(app);
    }
  });

  it('?types=alert sends alerts only', async () => {
    const { app, tokenWith } = await createTestApp();
    const base = await listen(app);
    try {
      const ingest = bearer(await tokenWith(['ingest']));
      const ctl = new AbortController();
      const res = await fetch(`${base}/api/v1/stream?types=alert`, { headers: bearer(TEST_ADMIN_TOKEN), signal: ctl.signal });
      const reader = res.body!.getReader();
      await readUntil(reader, (t) => t.includes('retry:'));
      const quiet = { type: 'robot', id: 'q', timestamp: T0, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: [] };
      const loud = { ...quiet, id: 'l', timestamp: T0 + 1, ports_accessed: [23] };
      await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: [quiet, loud] });
      const msgs = parseSse(await readUntil(reader, (t) => t.includes('event: alert')));
      expect(msgs.map((m) => m.event)).toEqual(['alert']);
      ctl.abort();
    } finally {
      await shut(app);
    }
  });

  it('needs a read token, and validates types', async () => {
    const { app, tokenWith } = await createTestApp();
    expect((await app.inject({ method: 'GET', url: '/api/v1/stream' })).statusCode).toBe(401);
    const ingest = bearer(await tokenWith(['ingest']));
    expect((await app.inject({ method: 'GET', url: '/api/v1/stream', headers: ingest })).statusCode).toBe(403);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/stream?types=everything', headers: bearer(TEST_ADMIN_TOKEN) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].path).toBe('querystring.types');
  });

  it('a client that stops reading loses the oldest messages, is told how many, and no message is lost silently', async () => {
    const { app, tokenWith } = await createTestApp({ stream: { maxQueue: 20, heartbeatMs: 60_000 } });
    const base = await listen(app);
    const port = Number(new URL(base).port);
    try {
      const ingest = bearer(await tokenWith(['ingest']));
      const sock = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      let headersSeen = false;
      sock.on('data', (c: Buffer) => {
        chunks.push(c);
        if (!headersSeen && Buffer.concat(chunks).includes('retry:')) {
          headersSeen = true;
          sock.pause(); // stop reading: the server's writes back up
        }
      });
      sock.write(`GET /api/v1/stream?types=event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\n\r\n`);
      for (let i = 0; i < 100 && !headersSeen; i++) await new Promise((res) => setTimeout(res, 10));
      expect(headersSeen).toBe(true);

      // Big events (1,024 ports each, ~6 KB of SSE) overflow the socket buffers quickly.
      const ports = Array.from({ length: 1024 }, (_, i) => 1024 + i);
      let sent = 0;
      for (let b = 0; b < 2; b++) {
        const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'robot', id: `e-${b}-${i}`, timestamp: T0 + b * 500 + i, ip: '10.0.0.5', robot_id: 'r-1', task: 'pick', ports_accessed: ports }));
        const r = await app.inject({ method: 'POST', url: '/api/v1/events', headers: ingest, payload: batch });
        expect(r.statusCode).toBe(200);
        sent += batch.length;
      }
      sock.resume();
      const deadline = Date.now() + 4000;
      let msgs: { event: string; data: string }[] = [];
      let received = 0;
      let dropped = 0;
      while (Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 50));
        const body = Buffer.concat(chunks).toString('utf8');
        msgs = parseSse(body.slice(body.indexOf('\r\n\r\n') + 4).replace(/\r\n[0-9a-f]+\r\n/g, ''));
        received = msgs.filter((m) => m.event === 'event').length;
        dropped = msgs.filter((m) => m.event === 'dropped').reduce((s, m) => s + (JSON.parse(m.data) as { dropped: number }).dropped, 0);
        if (received + dropped >= sent) break;
      }
      expect(dropped).toBeGreaterThan(0);
      expect(received + dropped).toBe(sent);
      // The newest message always arrives (the oldest are dropped).
      expect(msgs.some((m) => m.event === 'event' && m.data.includes('"e-1-499"'))).toBe(true);
      const metrics = await app.inject({ method: 'GET', url: '/api/v1/metrics', headers: bearer(TEST_ADMIN_TOKEN) });
      expect(metrics.body).toContain(`ipqsec_stream_dropped_total ${dropped}`);
      sock.destroy();
    } finally {
      await shut(app);
    }
  });

  it('app.close() ends open streams instead of hanging', async () => {
    const { app } = await createTestApp();
    const base = await listen(app);
    const res = await fetch(`${base}/api/v1/stream`, { headers: bearer(TEST_ADMIN_TOKEN) });
    const reader = res.body!.getReader();
    await readUntil(reader, (t) => t.includes('retry:'));
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    const rest = await reader.read().catch(() => ({ done: true }));
    expect(rest.done).toBe(true);
  });
});
