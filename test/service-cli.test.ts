/**
 * End-to-end tests of the live service through the built CLI (dist/, built by `npm test`): `ipqsec serve` and
 * `ipqsec demo` as real processes on real sockets, the embedded MQTT broker with token authentication, a clean
 * shutdown on SIGINT and persistence across a restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../src/delivery/webhook.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const built = existsSync(cli);
if (!built) console.warn(`skipping service CLI tests: ${cli} not found (run npm run build)`);
const ADMIN = 'cli-test-admin-token-0123456789';
const dirs: string[] = [];
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  mqttPort: number | null;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
}

/** Starts the CLI and resolves once it printed its listening banner (and, when asked, the MQTT port). */
function start(args: string[], waitFor: RegExp = /IPqSEC listening on (\S+)/): Promise<Started> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, IPQSEC_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const exit = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128))));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 60 s; stdout: ${out}\nstderr: ${err}`)), 60_000);
    const check = () => {
      const m = /IPqSEC listening on (\S+)/.exec(out);
      if (m === null || !waitFor.test(out)) return;
      clearTimeout(timer);
      const mq = /embedded MQTT broker on port (\d+)/.exec(out);
      resolve({ child, url: m[1]!, mqttPort: mq === null ? null : Number(mq[1]), stdout: () => out, stderr: () => err, exit });
    };
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      check();
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before its banner; stderr: ${err}`));
    });
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ipqsec-cli-svc-'));
  dirs.push(d);
  return d;
}

const auth = { authorization: `Bearer ${ADMIN}` };

async function poll<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!built)('ipqsec serve', () => {
  it('serves the API, takes MQTT telemetry from token holders only, stops cleanly on SIGINT and keeps data across a restart', async () => {
    const dir = tempDir();
    const args = ['serve', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--model', 'none'];
    const s = await start(args, /embedded MQTT broker on port \d+/);
    expect((await fetch(`${s.url}/api/v1/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/alerts`)).status).toBe(401);

    // A wrong token is refused by the broker ("not authorized", CONNACK 5).
    await expect(connectAsync(`mqtt://127.0.0.1:${s.mqttPort}`, { username: 'x', password: 'wrong-token', reconnectPeriod: 0 })).rejects.toThrow(/[Nn]ot authorized/);
    const client = await connectAsync(`mqtt://127.0.0.1:${s.mqttPort}`, { username: 'gw', password: ADMIN, reconnectPeriod: 0 });
    const report = { type: 'robot', id: 'mqtt-robot-1', timestamp: '2026-11-21T10:00:00Z', ip: '10.20.0.7', task: 'welding', previous_task: 'welding', ports_accessed: [3389] };
    await client.publishAsync('ipqsec/plant-a/robot-07/robot', 'not json at all', { qos: 1 }); // counted, connection stays
    await client.publishAsync('ipqsec/plant-a/robot-07/robot', JSON.stringify(report), { qos: 1 });
    const alert = await poll(async () => {
      const r = (await (await fetch(`${s.url}/api/v1/alerts`, { headers: auth })).json()) as { items: { event_id: string; reasons: string[]; entity: string }[] };
      return r.items.find((a) => a.event_id === 'mqtt-robot-1');
    });
    expect(alert.entity).toBe('robot:robot-07'); // robot_id filled from the topic
    expect(alert.reasons).toEqual(['Suspicious Port Access']);
    const metrics = await (await fetch(`${s.url}/api/v1/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/ipqsec_mqtt_malformed_total 1/);
    expect(metrics).toMatch(/ipqsec_events_ingested_total\{type="robot",source="mqtt"\} 1/);
    await client.endAsync();

    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/stopped/);

    const again = await start(args);
    const r = (await (await fetch(`${again.url}/api/v1/alerts`, { headers: auth })).json()) as { items: { event_id: string }[] };
    expect(r.items.map((a) => a.event_id)).toContain('mqtt-robot-1');
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);
  }, 90_000);

  it('refuses a port in use with IPQ-S002 and exit code 2', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, [cli, 'serve', '--data-dir', tempDir(), '--port', String(port), '--no-mqtt', '--model', 'none'], {
        env: { ...process.env, IPQSEC_ADMIN_TOKEN: ADMIN },
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
      expect(code).toBe(2);
      expect(err).toMatch(/IPQ-S002/);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}
const mosquitto = built && (await reachable('127.0.0.1', 1883));
if (built && !mosquitto) console.warn('skipping the external-broker service test: no MQTT broker on 127.0.0.1:1883');

describe.skipIf(!mosquitto)('ipqsec serve --mqtt (the Mosquitto on 127.0.0.1:1883) with a webhook and the ECS alert log', () => {
  it('ingests from the external broker and delivers the alert signed to the webhook and to the alert log', async () => {
    const secret = 'webhook-test-secret';
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const hook = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
    const dir = tempDir();
    const log = join(dir, 'alerts.ndjson');
    const s = await start(['serve', '--data-dir', dir, '--port', '0', '--mqtt', 'mqtt://127.0.0.1:1883', '--model', 'none', '--webhook', hookUrl, '--webhook-secret', secret, '--alert-log', log]);
    try {
      const site = `svc-test-${process.pid}-${Date.now()}`;
      const client = await connectAsync('mqtt://127.0.0.1:1883', { reconnectPeriod: 0 });
      // The service subscribes right after its banner; publish until the event is stored.
      const report = { type: 'robot', id: `ext-${site}`, timestamp: '2026-11-21T11:00:00Z', ip: '10.20.0.8', task: 'idle', ports_accessed: [6667] };
      await poll(async () => {
        await client.publishAsync(`ipqsec/${site}/robot-ext/robot`, JSON.stringify(report), { qos: 1 });
        const r = (await (await fetch(`${s.url}/api/v1/events?entity=robot%3Arobot-ext`, { headers: auth })).json()) as { items: unknown[] };
        return r.items.length > 0 ? true : undefined;
      });
      await client.endAsync();
      const delivery = await poll(async () => received[0]);
      const ts = delivery.headers['x-ipqsec-timestamp'] as string;
      expect(verifyWebhookSignature(secret, ts, delivery.body, delivery.headers['x-ipqsec-signature'] as string)).toBe(true);
      const alert = JSON.parse(delivery.body) as { event_id: string; reasons: string[]; techniques: { id: string }[]; site?: string };
      expect(alert.event_id).toBe(`ext-${site}`);
      expect(alert.reasons).toEqual(['Suspicious Port Access']);
      expect(alert.techniques.map((t) => t.id)).toEqual(['T1071', 'T0869']); // IRC port 6667 on a robot
      s.child.kill('SIGINT');
      expect(await s.exit).toBe(0);
      const ecs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(ecs.some((d) => (d.event as { id?: string } | undefined)?.id !== undefined && JSON.stringify(d).includes(`ext-${site}`))).toBe(true);
    } finally {
      hook.close();
      s.child.kill('SIGKILL');
    }
  }, 90_000);
});

describe.skipIf(!built)('ipqsec demo', () => {
  it('runs the service with the simulator, reports detections per round, and stops cleanly', async () => {
    const dir = tempDir();
    const s = await start(['demo', '--data-dir', dir, '--port', '0', '--mqtt-port', '0', '--model', 'none', '--round', '40', '--speed', '20', '--duration', '30'], /round 1:/);
    expect(s.stdout()).toMatch(/IPqSEC listening on http:\/\/127\.0\.0\.1:\d+/);
    const line = /round 1: (\d+) events, (\d+) alerts; attack instances detected (\d+)\/(\d+)/.exec(s.stdout())!;
    expect(Number(line[1])).toBeGreaterThan(5000);
    expect(Number(line[2])).toBeGreaterThan(0);
    expect(Number(line[4])).toBeGreaterThan(0);
    const health = (await (await fetch(`${s.url}/api/v1/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/stopped/);
  }, 90_000);
});
