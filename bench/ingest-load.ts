/**
 * Load generator of `bench/ingest.ts`, run as its own process (`node dist/bench/ingest-load.js <mode> --key value…`)
 * so that the load does not share an event loop with the service it measures. Prints progress on stderr and one
 * JSON report as the last line of stdout.
 *
 * Modes (all HTTP modes POST to `<url>/api/v1/events` with `Authorization: Bearer <token>`):
 * - `http`: closed loop. `--concurrency C` requests in flight, each a pre-serialized batch of `--batch` events
 *   (default 1,000); `--warmup W` seconds unmeasured, then a window of `--seconds S`. Events/s = events in
 *   batches acknowledged (200) inside the window / S.
 * - `latency`: open loop. `--rate R` batches per second on a fixed timetable (batch k is due at t0 + k/R) for
 *   W + S seconds; latency of a batch = answer time − *due* time, not send time, so a stalled server or a
 *   late generator shows up in the figures instead of silently sending less (the "coordinated omission" of
 *   load generators, Gil Tene, "How NOT to Measure Latency", 2015; wrk2 applies the same correction).
 * - `mqtt`: `--clients N` MQTT 3.1.1 connections to `--mqtt-url`, each publishing single-event messages at
 *   QoS `--qos` (0 or 1) to its own `ipqsec/<site>/<device>/<kind>` topic. `--rate R` paces the total at R
 *   messages/s (per-client timetables); `--rate 0` is a closed loop with `--window` unacknowledged QoS 1
 *   publishes per client. The ingest rate is the growth of the server's stored events over the window (rows of
 *   its database `--db`, see {@link storedCounter}), not the publish rate.
 * - `stages`: no server. The stages of one `POST /events` run in this process on the same batches, each timed
 *   alone (median ms per 1,000-event batch over `--batches` batches): JSON.parse, the event schema
 *   (`parseEvents`), detection (`DetectionEngine.scoreBatch` with the `--model` flow model), the SQLite commit
 *   (`writeBatch`, with `JSON.stringify` of the stored bodies timed apart; every other batch is committed as
 *   two transactions, events and alerts then entity states, to show what the threat-memory upserts cost), and the response (zod check of the
 *   response schema, as fastify-type-provider-zod's serializer does, then `JSON.stringify`).
 * - `entities`: flows from `--sources N` distinct originator addresses (each batch holds 1,000 distinct
 *   ones), `--passes P` times over all of them, `--concurrency C` requests in flight.
 *
 * Bodies are built once and reused; only the timestamps are rewritten in place before each send (fixed-width
 * `ts` digits at known offsets), so the generator spends its CPU on I/O. Events carry no `id` (the service
 * assigns one), so a reused body stores new events. Event mix of `http`/`latency`/`mqtt`: 90 % Zeek flows from
 * 10,000 originators to 200 servers (mostly SF on common IoT ports, a few S0/REJ/RSTO and 0.2 % to telnet,
 * which raises alerts), 6 % temperature readings from 500 sensors, 4 % robot reports of 100 robots following
 * the simulator's task chain.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { z } from 'zod';
import { parseEvents } from '../src/core/events.js';
import { idGenerator } from '../src/core/ids.js';
import { createRng, type Rng } from '../src/core/rng.js';
import type { Alert } from '../src/core/records.js';
import { DetectionEngine } from '../src/detect/engine.js';
import { readModelFile } from '../src/ml/model-file.js';
import { eventResultSchema } from '../src/server/_schemas.js';
import { ModelFlowScorer } from '../src/service/flow-model.js';
import { seedTransitionsFromSimulator } from '../src/service/task-history.js';
import { TASK_TRANSITIONS, type RobotTask, type RobotType } from '../src/sim/robot-fleet.js';
import { openSqliteStore } from '../src/store/index.js';

// ---------------------------------------------------------------- arguments

const argv = process.argv.slice(2);
const mode = argv[0] ?? '';

function opt(name: string, def?: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}
function num(name: string, def?: number): number {
  const v = Number(opt(name, def === undefined ? undefined : String(def)));
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
}

// ---------------------------------------------------------------- events

/** Placeholder timestamp: 14 characters, the width of every real `ts` until 2286 (10 digits, point, 3 digits). */
const TS_MARK = 1111111111.111;
const TS_MARK_TEXT = Buffer.from(String(TS_MARK));
const ORIGINATORS = 10_000;
const SERVERS = 200;
const SENSORS = 500;
const ROBOTS = 100;

/** Responder ports of benign flows with their protocol and Zeek service. */
const SERVICES: readonly { port: number; proto: 'tcp' | 'udp'; service: string; weight: number }[] = [
  { port: 443, proto: 'tcp', service: 'ssl', weight: 30 },
  { port: 8883, proto: 'tcp', service: 'ssl', weight: 20 },
  { port: 1883, proto: 'tcp', service: 'mqtt', weight: 15 },
  { port: 53, proto: 'udp', service: 'dns', weight: 15 },
  { port: 80, proto: 'tcp', service: 'http', weight: 10 },
  { port: 123, proto: 'udp', service: 'ntp', weight: 5 },
  { port: 5683, proto: 'udp', service: 'coap', weight: 5 },
];
const SERVICE_WEIGHT = SERVICES.reduce((s, x) => s + x.weight, 0);

function pickService(rng: Rng): (typeof SERVICES)[number] {
  let r = rng.next() * SERVICE_WEIGHT;
  for (const s of SERVICES) if ((r -= s.weight) < 0) return s;
  return SERVICES[0];
}

/** Dotted quad of `base + i` in 10.0.0.0/8 (base + i < 2^24). */
function ipOf(base: number, i: number): string {
  const v = base + i;
  return `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
}

function flowEvent(rng: Rng, orig: number): Record<string, unknown> {
  const attack = rng.next() < 0.002;
  const s = attack ? { port: 23, proto: 'tcp' as const, service: 'telnet' } : pickService(rng);
  const r = rng.next();
  const state = attack ? 'S0' : r < 0.93 ? 'SF' : r < 0.96 ? 'S0' : r < 0.98 ? 'REJ' : 'RSTO';
  const ok = state === 'SF';
  const origPkts = ok ? 2 + rng.int(20) : 1;
  const respPkts = ok ? 2 + rng.int(30) : state === 'REJ' ? 1 : 0;
  return {
    type: 'flow',
    ts: TS_MARK,
    uid: `C${rng.int(0x7fffffff).toString(36)}`,
    orig_h: ipOf(0x010000, orig),
    orig_p: 32768 + rng.int(28000),
    resp_h: `192.168.1.${1 + rng.int(SERVERS)}`,
    resp_p: s.port,
    proto: s.proto,
    service: ok ? s.service : undefined,
    duration: ok ? Math.round(rng.next() * 5000) / 1000 : 0,
    orig_bytes: ok ? 60 * origPkts + rng.int(2000) : 0,
    resp_bytes: ok ? 80 * respPkts + rng.int(20000) : 0,
    orig_pkts: origPkts,
    resp_pkts: respPkts,
    conn_state: state,
  };
}

function sensorEvent(rng: Rng, omitTopicFields = false): { ev: Record<string, unknown>; site: string; device: string } {
  const k = rng.int(SENSORS);
  const site = `plant-${k % 5}`;
  const device = `t-${k}`;
  const ev: Record<string, unknown> = { type: 'sensor', ts: TS_MARK, kind: 'temperature', value: Math.round((20 + (k % 7) + rng.normal() * 0.3) * 100) / 100, unit: 'C' };
  if (!omitTopicFields) Object.assign(ev, { site, sensor_id: device });
  return { ev, site, device };
}

/** Robots follow the simulator's normal task chain, so robot reports are benign. */
const robotTasks: { type: RobotType; task: RobotTask }[] = Array.from({ length: ROBOTS }, (_, k) => ({
  type: k % 2 === 0 ? 'welder' : 'courier',
  task: 'idle',
}));
function robotEvent(rng: Rng, omitTopicFields = false): { ev: Record<string, unknown>; site: string; device: string } {
  const k = rng.int(ROBOTS);
  const r = robotTasks[k];
  const row = TASK_TRANSITIONS[r.type][r.task] ?? { idle: 1 };
  let u = rng.next();
  let next: RobotTask = 'idle';
  for (const [t, p] of Object.entries(row) as [RobotTask, number][]) {
    if ((u -= p) < 0) {
      next = t;
      break;
    }
  }
  const prev = r.task;
  r.task = next;
  const device = `r-${k}`;
  const ev: Record<string, unknown> = {
    type: 'robot',
    timestamp: TS_MARK,
    ip: `10.200.0.${k + 1}`,
    robot_type: r.type,
    task: next,
    previous_task: prev,
    ports_accessed: rng.next() < 0.5 ? [] : [443],
  };
  if (!omitTopicFields) ev.robot_id = device;
  return { ev, site: 'site-1', device };
}

function mixedEvent(rng: Rng): Record<string, unknown> {
  const u = rng.next();
  return u < 0.9 ? flowEvent(rng, rng.int(ORIGINATORS)) : u < 0.96 ? sensorEvent(rng).ev : robotEvent(rng).ev;
}

/** A serialized body whose timestamps can be rewritten in place. */
interface Body {
  readonly buf: Buffer;
  readonly tsOffsets: Int32Array;
  readonly events: number;
}

function bodyOf(json: string, events: number): Body {
  const buf = Buffer.from(json);
  const offs: number[] = [];
  for (let at = buf.indexOf(TS_MARK_TEXT); at >= 0; at = buf.indexOf(TS_MARK_TEXT, at + TS_MARK_TEXT.length)) offs.push(at);
  if (offs.length !== events) throw new Error(`body has ${offs.length} timestamps for ${events} events`);
  return { buf, tsOffsets: Int32Array.from(offs), events };
}

/** Epoch ms as the 14-character `ts` text (seconds with 3 decimals). */
function tsText(ms: number): Buffer {
  const s = Math.floor(ms / 1000);
  return Buffer.from(`${s}.${String(Math.floor(ms) - s * 1000).padStart(3, '0')}`, 'latin1');
}

function stamp(b: Body, ms: number): void {
  const t = tsText(ms);
  for (let i = 0; i < b.tsOffsets.length; i++) t.copy(b.buf, b.tsOffsets[i]);
}

function mixedBodies(count: number, batch: number, seed: number): Body[] {
  const rng = createRng(seed);
  const out: Body[] = [];
  for (let b = 0; b < count; b++) {
    const evs = new Array<Record<string, unknown>>(batch);
    for (let i = 0; i < batch; i++) evs[i] = mixedEvent(rng);
    out.push(bodyOf(JSON.stringify(evs), batch));
  }
  return out;
}

// ---------------------------------------------------------------- HTTP

interface Target {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly agent: http.Agent;
}

function target(sockets: number): Target {
  const u = new URL(opt('url'));
  return { host: u.hostname, port: Number(u.port), token: opt('token'), agent: new http.Agent({ keepAlive: true, maxSockets: sockets }) };
}

interface Answer {
  readonly status: number;
  /** Body text when the status is not 200 (for the error report), else ''. */
  readonly text: string;
  /** Number of `"risk_class"` keys in a 200 answer when `countResults` was set, else -1. */
  readonly results: number;
}

function countOf(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) n++;
  return n;
}
const RESULT_KEY = Buffer.from('"risk_class"');

function request(t: Target, method: 'GET' | 'POST', path: string, body: Buffer | null, countResults = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${t.token}` };
    if (body !== null) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    const req = http.request({ host: t.host, port: t.port, path, method, agent: t.agent, headers }, (res) => {
      const keep = res.statusCode !== 200 || countResults || method === 'GET';
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (keep) chunks.push(c);
      });
      res.on('end', () => {
        const all = keep ? Buffer.concat(chunks) : null;
        resolve({
          status: res.statusCode ?? 0,
          text: all !== null && (res.statusCode !== 200 || method === 'GET') ? all.toString('utf8') : '',
          results: countResults && all !== null ? countOf(all, RESULT_KEY) : -1,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function latencySummary(ms: number[]): Record<string, number> {
  const s = Float64Array.from(ms).sort();
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    count: s.length,
    mean_ms: round(mean),
    p50_ms: round(percentile(s, 0.5)),
    p90_ms: round(percentile(s, 0.9)),
    p99_ms: round(percentile(s, 0.99)),
    p999_ms: round(percentile(s, 0.999)),
    max_ms: round(s.length === 0 ? NaN : s[s.length - 1]),
  };
}

function round(x: number, d = 2): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function cpuMs(since: NodeJS.CpuUsage): { user_ms: number; system_ms: number } {
  const u = process.cpuUsage(since);
  return { user_ms: Math.round(u.user / 1000), system_ms: Math.round(u.system / 1000) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function checkFirst(t: Target, b: Body): Promise<void> {
  stamp(b, Date.now());
  const a = await request(t, 'POST', '/api/v1/events', b.buf, true);
  if (a.status !== 200) throw new Error(`first batch answered ${a.status}: ${a.text.slice(0, 500)}`);
  if (a.results !== b.events) throw new Error(`first batch: ${a.results} results for ${b.events} events`);
}

async function httpClosed(): Promise<object> {
  const concurrency = num('concurrency', 2);
  const batch = num('batch', 1000);
  const warmupMs = num('warmup', 3) * 1000;
  const windowMs = num('seconds', 15) * 1000;
  const bodies = mixedBodies(Math.max(64, concurrency * 4), batch, num('seed', 1));
  const t = target(concurrency);
  await checkFirst(t, bodies[0]);
  let acked = bodies[0].events;
  let next = 1;
  let windowEvents = 0;
  let windowBatches = 0;
  let errors = 0;
  let firstError = '';
  const lat: number[] = [];
  const t0 = performance.now();
  const warmEnd = t0 + warmupMs;
  const end = warmEnd + windowMs;
  let cpu0 = process.cpuUsage();
  let cpuWindow: { user_ms: number; system_ms: number } | null = null;
  setTimeout(() => (cpu0 = process.cpuUsage()), warmupMs);
  setTimeout(() => (cpuWindow = cpuMs(cpu0)), warmupMs + windowMs);
  const worker = async () => {
    while (performance.now() < end) {
      const b = bodies[next++ % bodies.length];
      stamp(b, Date.now());
      const s = performance.now();
      const a = await request(t, 'POST', '/api/v1/events', b.buf);
      const e = performance.now();
      if (a.status !== 200) {
        errors++;
        firstError ||= `${a.status} ${a.text.slice(0, 300)}`;
        continue;
      }
      acked += b.events;
      if (e >= warmEnd && e <= end) {
        windowEvents += b.events;
        windowBatches++;
        lat.push(e - s);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  t.agent.destroy();
  return {
    mode: 'http',
    concurrency,
    batch,
    window_s: windowMs / 1000,
    window_events: windowEvents,
    window_batches: windowBatches,
    events_per_s: Math.round(windowEvents / (windowMs / 1000)),
    acked_events_total: acked,
    errors,
    first_error: firstError,
    latency: latencySummary(lat),
    cpu: cpuWindow ?? cpuMs(cpu0),
  };
}

async function httpOpen(): Promise<object> {
  const rate = num('rate', 20);
  const batch = num('batch', 1000);
  const warmupMs = num('warmup', 3) * 1000;
  const windowMs = num('seconds', 15) * 1000;
  const sockets = num('sockets', 64);
  const bodies = mixedBodies(Math.max(64, sockets + 8), batch, num('seed', 2));
  const t = target(sockets);
  await checkFirst(t, bodies[0]);
  let acked = bodies[0].events;
  const period = 1000 / rate;
  const total = Math.round(((warmupMs + windowMs) / 1000) * rate);
  const firstMeasured = Math.round((warmupMs / 1000) * rate);
  const lat: number[] = [];
  const lag: number[] = [];
  let errors = 0;
  let firstError = '';
  let inflight = 0;
  let maxInflight = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  const cpu0 = process.cpuUsage();
  const send = (k: number, due: number): void => {
    const b = bodies[k % bodies.length];
    stamp(b, Date.now());
    const sent = performance.now();
    inflight++;
    maxInflight = Math.max(maxInflight, inflight);
    pending.push(
      request(t, 'POST', '/api/v1/events', b.buf).then((a) => {
        inflight--;
        const done = performance.now();
        if (a.status !== 200) {
          errors++;
          firstError ||= `${a.status} ${a.text.slice(0, 300)}`;
          return;
        }
        acked += b.events;
        if (k >= firstMeasured) {
          lat.push(done - due);
          lag.push(sent - due);
        }
      }),
    );
  };
  await new Promise<void>((resolve) => {
    let k = 0;
    const tick = () => {
      const now = performance.now();
      while (k < total && t0 + k * period <= now) {
        send(k, t0 + k * period);
        k++;
      }
      if (k < total) setTimeout(tick, Math.max(0, t0 + k * period - performance.now()));
      else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });
  await Promise.all(pending);
  t.agent.destroy();
  const measured = total - firstMeasured;
  return {
    mode: 'latency',
    rate_batches_per_s: rate,
    batch,
    offered_events_per_s: rate * batch,
    window_s: windowMs / 1000,
    measured_batches: measured,
    acked_events_total: acked,
    errors,
    first_error: firstError,
    max_in_flight: maxInflight,
    latency: latencySummary(lat),
    send_lag: latencySummary(lag),
    cpu: cpuMs(cpu0),
  };
}

async function entities(): Promise<object> {
  const sources = num('sources', 100_000);
  const passes = num('passes', 2);
  const concurrency = num('concurrency', 2);
  const t = target(concurrency);
  const rng = createRng(num('seed', 3));
  const batches = Math.ceil(sources / 1000);
  let next = 0;
  let acked = 0;
  let errors = 0;
  let firstError = '';
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches * passes) {
      const k = next++;
      const first = (k % batches) * 1000;
      const evs: Record<string, unknown>[] = [];
      for (let i = first; i < Math.min(sources, first + 1000); i++) evs.push(flowEvent(rng, i));
      const b = bodyOf(JSON.stringify(evs), evs.length);
      stamp(b, Date.now());
      const a = await request(t, 'POST', '/api/v1/events', b.buf);
      if (a.status !== 200) {
        errors++;
        firstError ||= `${a.status} ${a.text.slice(0, 300)}`;
      } else acked += b.events;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  t.agent.destroy();
  const seconds = (performance.now() - t0) / 1000;
  return { mode: 'entities', sources, passes, acked_events_total: acked, errors, first_error: firstError, seconds: round(seconds), events_per_s: Math.round(acked / seconds) };
}

// ---------------------------------------------------------------- MQTT

/**
 * Rows in the service's `events` table, read from its database file with a read-only connection (WAL readers
 * never block the writer). `max(rowid)` is a B-tree descent, not a scan, and equals the row count because the
 * service never deletes events during a run and a rowid table without AUTOINCREMENT allocates max + 1. Read
 * this way the count does not depend on the service's event loop, which MQTT overload can starve (an HTTP
 * `GET /metrics` then answers seconds late).
 */
function storedCounter(dbPath: string): () => { count: number; atMs: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const q = db.prepare('select coalesce(max(rowid), 0) as n from events');
  return () => ({ count: (q.get() as { n: number }).n, atMs: performance.now() });
}

interface Message {
  readonly topic: string;
  readonly payload: Buffer;
  readonly tsOffset: number;
}

function clientMessages(client: number, count: number, rng: Rng): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < count; i++) {
    const u = rng.next();
    let topic: string;
    let ev: Record<string, unknown>;
    if (u < 0.9) {
      // One gateway per client reports the flows of 100 devices behind it (10,000 originators in all).
      ev = flowEvent(rng, client * 100 + rng.int(100));
      delete ev.type;
      topic = `ipqsec/site-1/gw-${client}/flow`;
    } else {
      const r = u < 0.96 ? sensorEvent(rng, true) : robotEvent(rng, true);
      ev = r.ev;
      topic = `ipqsec/${r.site}/${r.device}/${String(ev.type)}`;
      delete ev.type;
    }
    const payload = Buffer.from(JSON.stringify(ev));
    out.push({ topic, payload, tsOffset: payload.indexOf(TS_MARK_TEXT) });
  }
  return out;
}

async function mqttLoad(): Promise<object> {
  const clients = num('clients', 100);
  const qos = num('qos', 1) as 0 | 1;
  const rate = num('rate', 0);
  const window = num('window', 10);
  const warmupMs = num('warmup', 3) * 1000;
  const windowMs = num('seconds', 15) * 1000;
  if (rate === 0 && qos !== 1) throw new Error('--rate 0 (closed loop) needs --qos 1');
  const t = target(2);
  const stored = storedCounter(opt('db'));
  const rng = createRng(num('seed', 4));
  const conns: MqttClient[] = await Promise.all(
    Array.from({ length: clients }, (_, i) =>
      connectAsync(opt('mqtt-url'), { username: `bench-${i}`, password: t.token, clean: true, reconnectPeriod: 0, keepalive: 60, protocolVersion: 4 }),
    ),
  );
  const msgs = conns.map((_, i) => clientMessages(i, 64, rng));
  let published = 0;
  let acked = 0;
  let errors = 0;
  let stop = false;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const publishOne = (c: number, k: number, cb?: (err?: Error) => void): void => {
    const m = msgs[c][k % 64];
    tsText(Date.now()).copy(m.payload, m.tsOffset);
    published++;
    conns[c].publish(m.topic, m.payload, { qos }, (err) => {
      if (err) errors++;
      else acked++;
      cb?.(err ?? undefined);
    });
  };
  const timers: NodeJS.Timeout[] = [];
  if (rate === 0) {
    for (let c = 0; c < clients; c++) {
      let k = 0;
      const again = (): void => {
        if (!stop) publishOne(c, k++, again);
      };
      for (let w = 0; w < window; w++) again();
    }
  } else {
    // Per-client timetable in 10 ms ticks: every tick each client catches up to rate/clients × elapsed.
    const perClientPerMs = rate / clients / 1000;
    const sent = new Float64Array(clients);
    const tick = () => {
      if (stop) return;
      const due = (performance.now() - t0) * perClientPerMs;
      for (let c = 0; c < clients; c++) {
        while (sent[c] < due) publishOne(c, sent[c]++);
      }
    };
    timers.push(setInterval(tick, 10));
  }
  await sleep(warmupMs);
  const a = stored();
  const pubA = acked;
  // Responsiveness of the HTTP API under this load: one GET /health a second during the window.
  const health: number[] = [];
  const probes = (async () => {
    while (performance.now() - a.atMs < windowMs - 1000) {
      const h0 = performance.now();
      await request(t, 'GET', '/api/v1/health', null);
      health.push(performance.now() - h0);
      await sleep(Math.max(0, 1000 - (performance.now() - h0)));
    }
  })();
  await sleep(windowMs);
  const b = stored();
  const pubB = acked;
  stop = true;
  for (const x of timers) clearInterval(x);
  const cpu = cpuMs(cpu0);
  // Drain: wait until the stored count stops moving, then compare with what the broker acknowledged.
  let last = b.count;
  for (let i = 0; i < 120; i++) {
    await sleep(250);
    const c = stored().count;
    if (c === last && i > 3) break;
    last = c;
  }
  await probes;
  await Promise.all(conns.map((c) => c.endAsync()));
  t.agent.destroy();
  const seconds = (b.atMs - a.atMs) / 1000;
  return {
    mode: 'mqtt',
    clients,
    qos,
    offered_msgs_per_s: rate === 0 ? 'closed loop' : rate,
    window_per_client: rate === 0 ? window : null,
    window_s: round(seconds),
    stored_msgs_per_s: Math.round((b.count - a.count) / seconds),
    published_msgs_per_s: Math.round((pubB - pubA) / seconds),
    published_total: published,
    acked_by_broker_total: acked,
    stored_total_after_drain: last,
    not_stored: acked - last,
    errors,
    health_latency: latencySummary(health),
    cpu,
    elapsed_s: round((performance.now() - t0) / 1000),
  };
}

// ---------------------------------------------------------------- stages

async function stages(): Promise<object> {
  const n = num('batches', 200);
  const bodies = mixedBodies(64, 1000, num('seed', 5));
  const pool = new Uint8Array(4096);
  let at = pool.length;
  const newId = idGenerator((k) => {
    if (at + k > pool.length) {
      randomFillSync(pool);
      at = 0;
    }
    return pool.subarray(at, (at += k));
  });
  const model = opt('model', 'none');
  const flowScorer = model === 'none' ? undefined : new ModelFlowScorer(await readModelFile(model), model);
  const engine = new DetectionEngine({}, { newId, ...(flowScorer === undefined ? {} : { flowScorer }) });
  seedTransitionsFromSimulator(engine.transitions);
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-stages-'));
  const store = await openSqliteStore({ dataDir: dir });
  const responseSchema = z.object({ results: z.array(eventResultSchema) });
  const names = ['json_parse', 'schema', 'detect', 'commit_body_stringify', 'commit', 'commit_events_alone', 'commit_entities_alone', 'response_zod', 'response_stringify'] as const;
  const times: Record<(typeof names)[number], number[]> = Object.fromEntries(names.map((k) => [k, []])) as never;
  const lap = (k: (typeof names)[number], t0: number): number => {
    const t = performance.now();
    times[k].push(t - t0);
    return t;
  };
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  let entityStates = 0;
  try {
    for (let b = 0; b < n; b++) {
      const body = bodies[b % bodies.length];
      stamp(body, Date.now());
      let t = performance.now();
      const items = JSON.parse(body.buf.toString('utf8')) as unknown[];
      t = lap('json_parse', t);
      const events = parseEvents(items, newId);
      t = lap('schema', t);
      const out = engine.scoreBatch(events, true);
      const alerts: Alert[] = [];
      for (const x of out.scored) if (x.alert !== null) alerts.push(x.alert);
      const stored = out.scored.map((x) => x.stored);
      entityStates += out.entities.length;
      t = lap('detect', t);
      for (const e of stored) JSON.stringify(e.body);
      t = lap('commit_body_stringify', t);
      if (b % 2 === 0) {
        // The service's commit: one transaction.
        await store.writeBatch({ events: stored, alerts, entities: out.entities });
        t = lap('commit', t);
      } else {
        // Split in two transactions to see what the threat-memory upserts cost.
        await store.writeBatch({ events: stored, alerts, entities: [] });
        t = lap('commit_events_alone', t);
        await store.writeBatch({ events: [], alerts: [], entities: out.entities });
        t = lap('commit_entities_alone', t);
      }
      const results = out.scored.map((x) => ({
        id: x.event.id,
        risk: Math.round(x.risk * 1e6) / 1e6,
        risk_class: x.riskClass,
        alerts: x.alert === null ? [] : [{ id: x.alert.id, severity: x.alert.severity, reasons: x.alert.reasons, techniques: x.alert.techniques }],
      }));
      const checked = responseSchema.safeParse({ results });
      t = lap('response_zod', t);
      JSON.stringify(checked.data);
      lap('response_stringify', t);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const wall = performance.now() - w0;
  const med = (xs: number[]) => round(Float64Array.from(xs).sort()[xs.length >> 1], 3);
  const ms = Object.fromEntries(names.map((k) => [k, med(times[k])]));
  const total = names.reduce((s, k) => (k.includes('alone') ? s : s + ms[k]), 0);
  return {
    mode: 'stages',
    batches: n,
    model,
    median_ms_per_batch: ms,
    entity_states_per_batch: round(entityStates / n, 1),
    sum_of_medians_ms: round(total, 2),
    implied_events_per_s_one_core: Math.round(1000 / (total / 1000)),
    wall_s: round(wall / 1000),
    cpu: cpuMs(cpu0),
  };
}

// ---------------------------------------------------------------- main

const modes: Record<string, () => Promise<object>> = { http: httpClosed, latency: httpOpen, mqtt: mqttLoad, entities, stages };
const run = modes[mode];
if (run === undefined) {
  console.error(`usage: node dist/bench/ingest-load.js <${Object.keys(modes).join('|')}> --url URL --token T [options]`);
  process.exit(2);
}
run().then(
  (report) => {
    const total = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ ...report, cpu_total_s: (total.user + total.system) / 1e6 })}\n`);
    process.exit(0);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
