import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { entityOf, eventTimeMs, type EventInput } from '../core/events.js';
import { simulate } from '../sim/index.js';
import { mqttTopicOf, parseSimulateOptions, runSimulate, simulateCommand, startAfterServer, summaryText, type SimulateIo, type SimulateRunOptions } from './simulate-command.js';
import { createTestApp } from '../server/_test-deps.js';

const START = Date.UTC(2025, 7, 1, 8, 0, 0);
const SIM = { seed: 5, startMs: START, durationS: 40, robots: 5, sensors: 5, flowsPerSecond: 10 } as const;
const expected = simulate(SIM);
const portScanFirst = new Set(expected.truth.scenarios.filter((s) => s.kind === 'port_scan').map((s) => s.event_ids[0]));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-sim-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
async function withServer<T>(handler: Handler, f: (url: string) => Promise<T>): Promise<T> {
  const server = createHttpServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await f(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const json = (res: ServerResponse, status: number, v: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(v));
};

function io(): SimulateIo & { clock: number; warnings: string[] } {
  const state = {
    clock: 0,
    warnings: [] as string[],
    fetch: globalThis.fetch,
    sleep: async (ms: number) => {
      state.clock += ms;
    },
    now: () => state.clock,
    warn: (l: string) => state.warnings.push(l),
  };
  return state;
}

function options(server: string, extra: Partial<SimulateRunOptions> = {}): SimulateRunOptions {
  return { ...SIM, server, token: 'tok', batch: 700, truthFile: join(dir, `truth-${Math.random().toString(36).slice(2)}.json`), score: true, ...extra };
}

describe('parseSimulateOptions', () => {
  const raw = { duration: '120', seed: '1', batch: '1000', truth: './sim-truth.json', robots: '20', sensors: '100', flowRate: '200' };
  it('applies the defaults and the environment', () => {
    const o = parseSimulateOptions(raw, { IPQSEC_SERVER: 'http://h:9/', IPQSEC_TOKEN: 'abc' }, Date.UTC(2025, 0, 1, 0, 0, 7, 999));
    expect(o).toMatchObject({ seed: 1, durationS: 120, startMs: Date.UTC(2025, 0, 1, 0, 0, 7), server: 'http://h:9', token: 'abc', batch: 1000, rate: undefined, score: false });
    expect(parseSimulateOptions(raw, {}, 0)).toMatchObject({ server: 'http://127.0.0.1:8080', token: undefined });
    const o2 = parseSimulateOptions({ ...raw, start: '2025-02-03T04:05:06Z', token: 'x', scenarios: 'port_scan, sensor_drift', rate: '500', sensorInterval: '5000' }, { IPQSEC_TOKEN: 'y' }, 0);
    expect(o2).toMatchObject({ startMs: Date.UTC(2025, 1, 3, 4, 5, 6), token: 'x', scenarios: ['port_scan', 'sensor_drift'], rate: 500, sensorIntervalMs: 5000 });
    expect(parseSimulateOptions({ ...raw, scenarios: 'none' }, {}, 0).scenarios).toEqual([]);
  });
  it('rejects bad values with IPQ-C001', () => {
    const bad = [{ duration: '0' }, { duration: 'abc' }, { batch: '10001' }, { seed: '1.5' }, { start: 'yesterday' }, { scenarios: 'port_scan,nope' }, { mqtt: 'http://x' }, { server: 'ftp://x' }, { rate: '0' }, { sensorInterval: '10' }];
    for (const b of bad) {
      let err: unknown;
      try {
        parseSimulateOptions({ ...raw, ...b }, {}, 0);
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-C001'), JSON.stringify(b)).toBe(true);
    }
  });
});

describe('mqttTopicOf', () => {
  it('is ipqsec/<site>/<device>/<kind>', () => {
    const byType = new Map(expected.events.map((e) => [e.type, e]));
    const flow = byType.get('flow') as EventInput & { type: 'flow' };
    expect(mqttTopicOf(flow)).toBe(`ipqsec/site-a/${flow.orig_h}/flow`);
    expect(mqttTopicOf(byType.get('robot') as EventInput)).toMatch(/^ipqsec\/site-a\/robot-\d\d\/robot$/);
    expect(mqttTopicOf(byType.get('sensor') as EventInput)).toMatch(/^ipqsec\/site-a\/tt-\d{3}\/sensor$/);
    expect(mqttTopicOf({ ...flow, site: undefined })).toBe(`ipqsec/default/${flow.orig_h}/flow`);
  });
});

describe('runSimulate over HTTP', () => {
  it('posts every event in order in batches with the token, writes the truth and scores the answers', async () => {
    const seen: EventInput[] = [];
    const sizes: number[] = [];
    const summary = await withServer(
      (req, body, res) => {
        if (req.method !== 'POST' || req.url !== '/api/v1/events' || req.headers.authorization !== 'Bearer tok' || req.headers['content-type'] !== 'application/json') {
          return json(res, 400, { error: 'unexpected request' });
        }
        const batch = JSON.parse(body) as (EventInput & { id: string })[];
        sizes.push(batch.length);
        seen.push(...batch);
        // An oracle detector: 'Port Scan' on the first event of every port scan.
        json(res, 200, {
          results: batch.map((e) => ({
            id: e.id,
            risk: 0.9,
            risk_class: 'High',
            alerts: portScanFirst.has(e.id) ? [{ id: `al-${e.id}`, severity: 'high', reasons: ['Port Scan'], techniques: [] }] : [],
          })),
        });
      },
      (url) => runSimulate(options(url), io()),
    );
    expect(JSON.stringify(seen)).toBe(JSON.stringify(expected.events));
    expect(sizes.slice(0, -1).every((n) => n === 700)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(expected.events.length);
    expect(summary).toMatchObject({ transport: 'http', events: expected.events.length, instances: expected.truth.scenarios.length, alerts: portScanFirst.size, alerted_events: portScanFirst.size });
    expect(JSON.parse(await readFile(summary.truth, 'utf8'))).toEqual(expected.truth);
    const scan = summary.scores?.find((r) => r.kind === 'port_scan');
    expect(scan).toMatchObject({ instances: portScanFirst.size, detected: portScanFirst.size, recall: 1, precision: 1, mean_ttd_s: 0 });
    expect(summary.scores?.find((r) => r.kind === 'dos_burst')).toMatchObject({ detected: 0, recall: 0, precision: null });
    const text = summaryText(summary);
    expect(text).toMatch(/port_scan +4 +4 +1\.000 +1\.000 +1\.000 +0\.0 +0\.0/);
    expect(text).toContain(`sent ${expected.events.length} events`);
  });

  it('paces sending to --rate events per second', async () => {
    const clockIo = io();
    await withServer(
      (_req, body, res) => json(res, 200, { results: (JSON.parse(body) as { id: string }[]).map((e) => ({ id: e.id, risk: 0, risk_class: 'Low', alerts: [] })) }),
      (url) => runSimulate(options(url, { rate: 1000, score: false }), clockIo),
    );
    // The fake clock only moves when the command sleeps: it sleeps exactly until events/rate seconds have passed.
    expect(clockIo.clock).toBeCloseTo(expected.events.length, 6);
  });

  it('turns a refusal into IPQ-S003 with the server’s error body, and an unreachable server into IPQ-S003 naming the URL', async () => {
    const err = await withServer(
      (_req, _body, res) => json(res, 401, { code: 'IPQ-A001', message: 'token unknown or revoked' }),
      (url) => runSimulate(options(url), io()).catch((e: unknown) => e),
    );
    expect(isIpqsecError(err, 'IPQ-S003')).toBe(true);
    expect((err as Error).message).toMatch(/answered 401: .*token unknown or revoked/);
    const port = await withServer(
      () => undefined,
      async (url) => url,
    ); // a port that was just closed
    const down = await runSimulate(options(port), io()).catch((e: unknown) => e);
    expect(isIpqsecError(down, 'IPQ-S003')).toBe(true);
    expect((down as Error).message).toContain(`${port}/api/v1/events`);
  });
});

describe('runSimulate over MQTT', () => {
  it('publishes to ipqsec/<site>/<device>/<kind> as user sim with the token, then scores the alerts fetched page by page', async () => {
    const broker = await Aedes.createBroker({
      authenticate: (_c, user, pass, done) => done(null, user === 'sim' && pass?.toString('utf8') === 'tok'),
    });
    const received: EventInput[] = [];
    const topics: string[] = [];
    broker.on('publish', (packet, client) => {
      if (client === null) return;
      topics.push(packet.topic);
      const v = JSON.parse(packet.payload.toString('utf8')) as EventInput | EventInput[];
      received.push(...(Array.isArray(v) ? v : [v]));
    });
    const net = createNetServer((s) => broker.handle(s));
    await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
    const mqttUrl = `mqtt://127.0.0.1:${(net.address() as AddressInfo).port}`;
    const last = expected.events[expected.events.length - 1];
    const alerted = expected.events.filter((e) => portScanFirst.has(e.id));
    const records = alerted.map((e) => ({ event_id: e.id, event_type: e.type, entity: entityOf(e), ts_ms: eventTimeMs(e), reasons: ['Port Scan'] }));
    const requests: string[] = [];
    try {
      const summary = await withServer(
        (req, _body, res) => {
          requests.push(req.url as string);
          const u = new URL(req.url as string, 'http://x');
          if (req.headers.authorization !== 'Bearer tok') return json(res, 401, {});
          if (u.pathname === '/api/v1/events') {
            // stored only from the second poll on
            const polls = requests.filter((r) => r.startsWith('/api/v1/events')).length;
            return json(res, 200, { items: polls > 1 && u.searchParams.get('entity') === entityOf(last) ? [{ id: last.id }] : [], next_cursor: null });
          }
          if (u.pathname === '/api/v1/alerts') {
            // two pages plus an alert of another run that must be ignored
            if (u.searchParams.get('cursor') === null) {
              return json(res, 200, { items: [...records.slice(0, 2), { ...records[0], event_id: 'other-run-1' }], next_cursor: 'p2' });
            }
            return json(res, 200, { items: records.slice(2), next_cursor: null });
          }
          json(res, 404, {});
        },
        (url) => runSimulate(options(url, { mqtt: mqttUrl, batch: 300 }), io()),
      );
      expect(received.map((e) => e.id)).toEqual(expected.events.map((e) => e.id));
      expect(new Set(topics).size).toBeGreaterThan(10);
      expect(topics.every((t) => /^ipqsec\/site-a\/[^/]+\/(flow|robot|sensor)$/.test(t))).toBe(true);
      expect(requests.filter((r) => r.startsWith('/api/v1/alerts')).every((r) => r.includes(`since=${encodeURIComponent(new Date(START).toISOString())}`))).toBe(true);
      expect(summary).toMatchObject({ transport: 'mqtt', target: mqttUrl, alerts: records.length, alerted_events: records.length });
      expect(summary.scores?.find((r) => r.kind === 'port_scan')).toMatchObject({ detected: 4, recall: 1, precision: 1 });
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise((r) => net.close(r));
    }
  });

  it('reports a broker that refuses the credentials as IPQ-S003', async () => {
    const broker = await Aedes.createBroker({ authenticate: (_c, _u, _p, done) => done(null, false) });
    const net = createNetServer((s) => broker.handle(s));
    await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
    const mqttUrl = `mqtt://127.0.0.1:${(net.address() as AddressInfo).port}`;
    try {
      const err = await runSimulate(options('http://127.0.0.1:1', { mqtt: mqttUrl }), io()).catch((e: unknown) => e);
      expect(isIpqsecError(err, 'IPQ-S003')).toBe(true);
      expect((err as Error).message).toContain(mqttUrl);
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise((r) => net.close(r));
    }
  });
});

describe('simulateCommand', () => {
  it('wires the options through to a run and prints the JSON summary', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      out.push(String(c));
      return true;
    });
    const truthFile = join(dir, 'cmd-truth.json');
    let auth: string | undefined;
    try {
      await withServer(
        (req, body, res) => {
          auth = req.headers.authorization;
          json(res, 200, { results: (JSON.parse(body) as { id: string }[]).map((e) => ({ id: e.id, risk: 0, risk_class: 'Low', alerts: [] })) });
        },
        (url) =>
          simulateCommand().parseAsync(
            ['--duration', '40', '--seed', '5', '--start', new Date(START).toISOString(), '--server', url, '--token', 'tt', '--robots', '5', '--sensors', '5', '--flow-rate', '10', '--truth', truthFile, '--score', '--json'],
            { from: 'user' },
          ),
      );
    } finally {
      spy.mockRestore();
    }
    const summary = JSON.parse(out.join('')) as { events: number; scores: unknown[]; truth: string };
    expect(auth).toBe('Bearer tt');
    expect(summary.events).toBe(expected.events.length);
    expect(summary.truth).toBe(truthFile);
    expect(JSON.parse(await readFile(truthFile, 'utf8'))).toEqual(expected.truth);
    expect(summary.scores.length).toBeGreaterThan(1);
  });
});

describe('startAfterServer (against the real API, through inject)', () => {
  it('starts after the newest stored event when that is later than now, and at now otherwise', async () => {
    const { app, admin } = await createTestApp();
    const fetchViaInject = (async (url: string | URL, init?: RequestInit) => {
      const r = await app.inject({ method: 'GET', url: String(url).replace('http://server', ''), headers: (init?.headers ?? {}) as Record<string, string> });
      return new Response(r.body, { status: r.statusCode, headers: { 'content-type': String(r.headers['content-type'] ?? '') } });
    }) as typeof fetch;
    const now = Date.UTC(2026, 10, 21, 12);
    const token = admin.authorization.slice('Bearer '.length);
    expect(await startAfterServer({ fetch: fetchViaInject }, 'http://server', token, now)).toBe(now); // empty server
    const future = { type: 'sensor', id: 'f1', ts: (now + 95_500) / 1000, site: 's', sensor_id: 't', kind: 'temperature', value: 20, unit: 'C' };
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', headers: admin, payload: [future] })).statusCode).toBe(200);
    expect(await startAfterServer({ fetch: fetchViaInject }, 'http://server', token, now)).toBe(now + 96_000);
    expect(await startAfterServer({ fetch: fetchViaInject }, 'http://server', token, now + 200_000)).toBe(now + 200_000);
    // Without a read token the server refuses (401): the start stays now.
    expect(await startAfterServer({ fetch: fetchViaInject }, 'http://server', undefined, now)).toBe(now);
  });
});
