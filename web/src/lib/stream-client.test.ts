/**
 * The stream client against a real HTTP server on loopback (node:http) speaking text/event-stream: the token
 * travels in the Authorization header and never in the URL, messages arrive, a closed stream is reopened after the
 * server's `retry:` delay, and 401/403 stop the client. The backoff doubles and is capped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, backoffMs, connectStream, type StreamState } from './stream-client';
import type { SseMessage } from './sse';

let server: Server | null = null;

afterEach(async () => {
  const s = server;
  server = null;
  if (s !== null) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/v1/stream`, requests };
}

function until(cond: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - t0 > 10_000) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('connectStream', () => {
  it('sends the token as a Bearer header only, delivers messages, and reconnects after the server closes', async () => {
    const { url, requests } = await serve((_req, res, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(': ipqsec stream\nretry: 50\n\n');
      res.write(`event: event\ndata: {"n":${n}}\n\n`);
      if (n === 1) res.end();
    });
    const got: SseMessage[] = [];
    const states: StreamState['kind'][] = [];
    const opens: number[] = [];
    const c = connectStream({ url, token: 'ipq_secret-token', onMessage: (m) => got.push(m), onState: (s) => states.push(s.kind), onOpen: (p) => opens.push(p) });
    try {
      await until(() => got.length >= 2, 'two messages over two connections');
    } finally {
      c.stop();
    }
    expect(got.slice(0, 2)).toEqual([
      { event: 'event', data: '{"n":1}', lastEventId: '' },
      { event: 'event', data: '{"n":2}', lastEventId: '' },
    ]);
    expect(opens.slice(0, 2)).toEqual([0, 1]);
    expect(states).toContain('waiting');
    for (const r of requests) {
      expect(r.headers.authorization).toBe('Bearer ipq_secret-token');
      expect(r.headers.accept).toBe('text/event-stream');
      expect(r.url).toBe('/api/v1/stream');
      expect(r.url).not.toContain('ipq_');
    }
  });

  it('stops for good on 401 and on 403', async () => {
    for (const status of [401, 403]) {
      const { url, requests } = await serve((_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"IPQ-A001"}}');
      });
      const states: StreamState[] = [];
      const c = connectStream({ url, token: 't', onMessage: () => undefined, onState: (s) => states.push(s) });
      await until(() => states.some((s) => s.kind === 'stopped'), 'stopped');
      await new Promise((r) => setTimeout(r, 100));
      c.stop();
      expect(requests.length).toBe(1);
      expect(states.at(-1)).toMatchObject({ kind: 'stopped', status });
      await new Promise<void>((r) => server!.close(() => r()));
      server = null;
    }
  });

  it('retries a non-stream answer (a 502 from a proxy)', async () => {
    const { url, requests } = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(502);
        res.end('bad gateway');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: ok\n\n');
    });
    const got: SseMessage[] = [];
    const c = connectStream({ url, token: 't', onMessage: (m) => got.push(m), onState: () => undefined, random: () => 0 });
    try {
      await until(() => got.length === 1, 'the message after a retry');
    } finally {
      c.stop();
    }
    expect(requests.length).toBe(2);
  });
});

describe('backoffMs', () => {
  it('doubles from the base, is capped, and jitters by ±20 %', () => {
    expect(backoffMs(1000, 1, () => 0.5)).toBe(1000);
    expect(backoffMs(1000, 2, () => 0.5)).toBe(2000);
    expect(backoffMs(1000, 3, () => 0.5)).toBe(4000);
    expect(backoffMs(1000, 10, () => 0.5)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(1000, 1000, () => 0.5)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(1000, 1, () => 0)).toBe(800);
    expect(backoffMs(1000, 1, () => 1)).toBe(1200);
  });
});
