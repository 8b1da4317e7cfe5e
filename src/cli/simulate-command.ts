/**
 * `ipqsec simulate`: generates a seeded simulated run (robot fleet, temperature sensors, network traffic with
 * scheduled attacks, `src/sim`), sends it to a running IPqSEC server over HTTP or MQTT, writes the ground truth
 * to a JSON file and, with `--score`, scores the server's alerts against it per scenario.
 *
 * HTTP: POSTs JSON arrays of `--batch` events to `<server>/api/v1/events` with `Authorization: Bearer <token>`
 * and reads the per-event `results` (`{ results: [{ id, risk, risk_class, alerts: [{ id, severity, reasons,
 * techniques }] }] }`). MQTT: publishes to `ipqsec/<site>/<device>/<kind>` (username `sim`, password = token),
 * QoS 1, consecutive events of one topic as one JSON array; scoring then waits until the server has stored the
 * last event (`GET <server>/api/v1/events?entity=…&since=…`) and pages through `GET <server>/api/v1/alerts?since=…`.
 * Errors: a server that cannot be reached or answers 4xx/5xx is `IPQ-S003` (naming the URL, with the server's
 * error body); bad options are `IPQ-C001`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { connectAsync, type MqttClient } from 'mqtt';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { SecureFleet } from './secure-fleet.js';
import { IpqsecError } from '../core/errors.js';
import { entityOf, eventTimeMs, type EventInput, type EventType } from '../core/events.js';
import {
  SCENARIO_KINDS,
  scoreRun,
  simEventIdPrefix,
  simulateStream,
  SIM_DEFAULTS,
  type GroundTruth,
  type ObservedEvent,
  type ScenarioKind,
  type ScenarioScore,
  type SimEvent,
  type SimulateOptions,
} from '../sim/index.js';
import { fmt, textTable } from './format.js';
import { createProgress } from './progress.js';

/** Default server when neither `--server` nor `IPQSEC_SERVER` is given. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** How long scoring over MQTT waits for the server to store the last event, ms. */
export const MQTT_DRAIN_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Everything `runSimulate` needs (the command's options, parsed): the simulator's own options (robots, sensors
 * and flow rate resolved), plus where and how to send.
 */
export interface SimulateRunOptions
  extends Pick<SimulateOptions, 'seed' | 'startMs' | 'durationS' | 'sensorIntervalMs' | 'scenarios'>,
    Required<Pick<SimulateOptions, 'robots' | 'sensors' | 'flowsPerSecond'>> {
  /** Base URL of the server, without a trailing slash. */
  readonly server: string;
  readonly token?: string;
  /** Broker URL; when set, events go over MQTT instead of HTTP. */
  readonly mqtt?: string;
  /** Events per request or per MQTT flush (1…10,000). */
  readonly batch: number;
  /** Events per second to send at most; undefined = as fast as possible. */
  readonly rate?: number;
  readonly truthFile: string;
  readonly score: boolean;
  /** Send over the secure channel (HTTP): one enrolled identity and session per device (secure-fleet.ts). */
  readonly secure?: boolean;
  /** Pinned server identity public key for `secure` (undefined: trust on first use). */
  readonly serverIdentityPublicKey?: Uint8Array;
  /** Approves the simulated devices that are pending (in-process operator; default: the token approves). */
  readonly approveDevices?: (deviceIds: readonly string[]) => Promise<void>;
}

/** What `runSimulate` did (the `--json` output). */
export interface SimulateSummary {
  readonly transport: 'http' | 'mqtt' | 'secure';
  readonly target: string;
  readonly seed: number;
  readonly start: string;
  readonly duration_s: number;
  readonly events: number;
  readonly by_type: Readonly<Record<EventType, number>>;
  readonly instances: number;
  /** Alerts seen (HTTP: in the answers; MQTT: fetched for scoring, else null). */
  readonly alerts: number | null;
  readonly alerted_events: number | null;
  readonly seconds: number;
  readonly truth: string;
  readonly scores: readonly ScenarioScore[] | null;
}

/** Injected I/O (tests replace it). */
export interface SimulateIo {
  readonly fetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  /** Progress line (stderr). */
  readonly progress?: (simulatedS: number, totalS: number) => void;
  /** Warnings (stderr). */
  readonly warn: (line: string) => void;
}

/** The MQTT topic of an event: `ipqsec/<site or default>/<device>/<kind>` (device: orig_h, robot_id or sensor_id). */
export function mqttTopicOf(e: EventInput): string {
  const device = e.type === 'flow' ? e.orig_h : e.type === 'robot' ? e.robot_id : e.sensor_id;
  return `ipqsec/${e.site ?? 'default'}/${device}/${e.type}`;
}

interface HttpResult {
  readonly id: string;
  readonly alerts: readonly { readonly reasons: readonly string[] }[];
}

/** One HTTP exchange with IPQ-S003 on failure. Resolves to the parsed JSON body. */
async function request(io: SimulateIo, url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await io.fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (e) {
    const why = e instanceof Error ? (e.cause instanceof Error ? `${e.message} (${e.cause.message})` : e.message) : String(e);
    throw new IpqsecError('IPQ-S003', `${init.method ?? 'GET'} ${url}: ${why}`, { details: { url }, cause: e });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new IpqsecError('IPQ-S003', `${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 2000)}`, {
      details: { url, status: res.status, body: text.slice(0, 2000) },
    });
  }
  try {
    return text.length === 0 ? undefined : (JSON.parse(text) as unknown);
  } catch {
    throw new IpqsecError('IPQ-S003', `${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, { details: { url } });
  }
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** Sends one batch over HTTP and returns the per-event results (checked to match the batch). */
async function postBatch(io: SimulateIo, o: SimulateRunOptions, batch: readonly SimEvent[]): Promise<HttpResult[]> {
  const url = `${o.server}/api/v1/events`;
  const body = await request(io, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(o.token) },
    body: JSON.stringify(batch),
  });
  const results = (body as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results) || results.length !== batch.length) {
    throw new IpqsecError('IPQ-S003', `POST ${url}: expected ${batch.length} results, got ${Array.isArray(results) ? results.length : 'none'}`, { details: { url } });
  }
  return results as HttpResult[];
}

/** Publishes a batch over MQTT, consecutive events of one topic as one array message, QoS 1. */
async function publishBatch(client: MqttClient, url: string, batch: readonly SimEvent[]): Promise<void> {
  const sends: Promise<unknown>[] = [];
  let i = 0;
  while (i < batch.length) {
    const topic = mqttTopicOf(batch[i]);
    let j = i + 1;
    while (j < batch.length && mqttTopicOf(batch[j]) === topic) j++;
    const payload = j - i === 1 ? batch[i] : batch.slice(i, j);
    sends.push(client.publishAsync(topic, JSON.stringify(payload), { qos: 1 }));
    i = j;
  }
  try {
    await Promise.all(sends);
  } catch (e) {
    throw new IpqsecError('IPQ-S003', `publishing to ${url}: ${e instanceof Error ? e.message : String(e)}`, { details: { url }, cause: e });
  }
}

interface AlertRecord {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly entity: string;
  readonly ts_ms: number;
  readonly reasons: readonly string[];
}

/** Waits until the server has stored `last` (MQTT ingest is asynchronous); warns and goes on after the timeout. */
async function waitForEvent(io: SimulateIo, o: SimulateRunOptions, last: SimEvent): Promise<void> {
  const q = new URLSearchParams({ entity: entityOf(last), since: String(Math.floor(eventTimeMs(last) / 1000)), limit: '1000' });
  const url = `${o.server}/api/v1/events?${q.toString()}`;
  const until = io.now() + MQTT_DRAIN_TIMEOUT_MS;
  while (io.now() < until) {
    const page = (await request(io, url, { headers: authHeaders(o.token) })) as { items?: { id: string }[] } | undefined;
    if ((page?.items ?? []).some((e) => e.id === last.id)) return;
    await io.sleep(500);
  }
  io.warn(`the server had not stored event ${last.id} after ${MQTT_DRAIN_TIMEOUT_MS / 1000} s; scoring what is there`);
}

/** Fetches every alert since the run's start whose event belongs to this run, grouped by event. */
async function fetchAlerts(io: SimulateIo, o: SimulateRunOptions, idPrefix: string): Promise<ObservedEvent[]> {
  const byEvent = new Map<string, { ref: ObservedEvent['event']; alerts: { reasons: readonly string[] }[] }>();
  let cursor: string | null = null;
  do {
    const q = new URLSearchParams({ since: new Date(o.startMs).toISOString(), limit: '1000' });
    if (cursor !== null) q.set('cursor', cursor);
    const url = `${o.server}/api/v1/alerts?${q.toString()}`;
    const page = (await request(io, url, { headers: authHeaders(o.token) })) as { items?: AlertRecord[]; next_cursor?: string | null } | undefined;
    for (const a of page?.items ?? []) {
      if (!a.event_id.startsWith(idPrefix)) continue;
      const g = byEvent.get(a.event_id) ?? { ref: { id: a.event_id, type: a.event_type, entity: a.entity, ts_ms: a.ts_ms }, alerts: [] };
      g.alerts.push({ reasons: a.reasons });
      byEvent.set(a.event_id, g);
    }
    cursor = page?.next_cursor ?? null;
  } while (cursor !== null);
  return [...byEvent.values()].map((g) => ({ event: g.ref, alerts: g.alerts }));
}

/**
 * Runs a simulation against a server: generates, sends, writes the truth file, optionally scores.
 * Memory: one batch of events plus the events that raised alerts (HTTP) or the alert records (MQTT).
 * @throws IpqsecError IPQ-S003 (server or broker unreachable, or refusing), IPQ-C001 (truth file not writable)
 */
export async function runSimulate(o: SimulateRunOptions, io: SimulateIo): Promise<SimulateSummary> {
  const stream = simulateStream({
    seed: o.seed,
    startMs: o.startMs,
    durationS: o.durationS,
    robots: o.robots,
    sensors: o.sensors,
    flowsPerSecond: o.flowsPerSecond,
    sensorIntervalMs: o.sensorIntervalMs,
    scenarios: o.scenarios,
  });
  const t0 = io.now();
  const byType: Record<EventType, number> = { flow: 0, robot: 0, sensor: 0 };
  const observed: ObservedEvent[] = [];
  let sent = 0;
  let alerts = 0;
  let last: SimEvent | null = null;
  let client: MqttClient | undefined;
  let fleet: SecureFleet | undefined;
  if (o.secure === true) {
    fleet = await SecureFleet.open({
      server: o.server,
      token: o.token,
      deviceIds: [],
      ...(o.approveDevices === undefined ? {} : { approve: o.approveDevices }),
      provider: defaultPqcProvider(),
      fetch: io.fetch,
      warn: io.warn,
      ...(o.serverIdentityPublicKey === undefined ? {} : { serverIdentityPublicKey: o.serverIdentityPublicKey }),
    });
  } else if (o.mqtt !== undefined) {
    try {
      client = await connectAsync(o.mqtt, { username: 'sim', password: o.token, reconnectPeriod: 0, connectTimeout: 10_000 }, false);
    } catch (e) {
      throw new IpqsecError('IPQ-S003', `MQTT broker ${o.mqtt}: ${e instanceof Error ? e.message : String(e)}`, { details: { url: o.mqtt }, cause: e });
    }
  }
  const flush = async (batch: SimEvent[]): Promise<void> => {
    if (batch.length === 0) return;
    if (client !== undefined) await publishBatch(client, o.mqtt as string, batch);
    else {
      const results = fleet !== undefined ? await fleet.send(batch) : await postBatch(io, o, batch);
      for (let i = 0; i < batch.length; i++) {
        const a = results[i].alerts ?? [];
        if (a.length === 0) continue;
        alerts += a.length;
        observed.push({ event: batch[i], alerts: a.map((x) => ({ reasons: x.reasons })) });
      }
    }
    for (const e of batch) byType[e.type]++;
    sent += batch.length;
    last = batch[batch.length - 1];
    if (o.rate !== undefined) {
      const ahead = (sent / o.rate) * 1000 - (io.now() - t0);
      if (ahead > 0) await io.sleep(ahead);
    }
  };
  try {
    let pending: SimEvent[] = [];
    for (const slice of stream) {
      for (const e of slice) {
        pending.push(e);
        if (pending.length >= o.batch) {
          await flush(pending);
          pending = [];
        }
      }
      io.progress?.((eventTimeMs(slice[slice.length - 1]) - o.startMs) / 1000, o.durationS);
    }
    await flush(pending);
  } finally {
    await client?.endAsync();
    fleet?.close();
  }
  const truth = stream.truth();
  await writeTruth(o.truthFile, truth);

  let scores: ScenarioScore[] | null = null;
  let alertCount: number | null = o.mqtt === undefined ? alerts : null;
  let alertedEvents: number | null = o.mqtt === undefined ? observed.length : null;
  if (o.score) {
    let obs = observed;
    if (o.mqtt !== undefined) {
      if (last !== null) await waitForEvent(io, o, last);
      obs = await fetchAlerts(io, o, simEventIdPrefix(o.seed, o.startMs));
      alertCount = obs.reduce((s, x) => s + x.alerts.length, 0);
      alertedEvents = obs.length;
    }
    scores = scoreRun(truth, obs);
  }
  return {
    transport: o.secure === true ? 'secure' : o.mqtt === undefined ? 'http' : 'mqtt',
    target: o.secure === true ? `${o.server}/api/v1/events (secure channel, ${fleet?.size ?? 0} devices)` : (o.mqtt ?? `${o.server}/api/v1/events`),
    seed: o.seed,
    start: new Date(o.startMs).toISOString(),
    duration_s: o.durationS,
    events: sent,
    by_type: byType,
    instances: truth.scenarios.length,
    alerts: alertCount,
    alerted_events: alertedEvents,
    seconds: (io.now() - t0) / 1000,
    truth: o.truthFile,
    scores,
  };
}

async function writeTruth(file: string, truth: GroundTruth): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(truth, null, 1)}\n`);
  } catch (e) {
    throw new IpqsecError('IPQ-C001', `--truth ${file}: cannot write: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** The per-scenario score as a text table (kind, instances, detected, recall, precision, precision on any attack, TTD). */
export function scoreTable(scores: readonly ScenarioScore[]): string {
  return textTable(
    ['scenario', 'instances', 'detected', 'recall', 'precision', 'prec. any attack', 'mean TTD s', 'median TTD s'],
    scores.map((s) => [
      s.kind === 'events' ? 'all events' : s.kind,
      String(s.instances),
      String(s.detected),
      fmt(s.recall, 3),
      fmt(s.precision, 3),
      fmt(s.precision_any, 3),
      fmt(s.mean_ttd_s, 1),
      fmt(s.median_ttd_s, 1),
    ]),
  );
}

/** Human-readable summary. */
export function summaryText(s: SimulateSummary): string {
  const lines = [
    `sent ${s.events} events (${s.by_type.flow} flows, ${s.by_type.robot} robot reports, ${s.by_type.sensor} sensor readings; ` +
      `${s.instances} attack instances) over ${s.transport.toUpperCase()} to ${s.target} in ${s.seconds.toFixed(1)} s`,
  ];
  if (s.alerts !== null) lines.push(`${s.alerts} alerts on ${s.alerted_events} events`);
  lines.push(`ground truth: ${s.truth}`);
  if (s.scores !== null) {
    lines.push('', scoreTable(s.scores));
    lines.push('', 'event-level row: instances = attack events, detected = those alerted; precision = alerted attack events / alerted events');
  }
  return `${lines.join('\n')}\n`;
}

interface SimulateValues {
  duration: string;
  seed: string;
  server?: string;
  token?: string;
  mqtt?: string;
  batch: string;
  rate?: string;
  truth: string;
  score?: boolean;
  json?: boolean;
  start?: string;
  robots: string;
  sensors: string;
  flowRate: string;
  sensorInterval?: string;
  scenarios?: string;
  secure?: boolean;
}

function numberOption(name: string, s: string, o: { min: number; max?: number; integer?: boolean }): number {
  const n = Number(s);
  const ok = s.trim() !== '' && Number.isFinite(n) && n >= o.min && (o.max === undefined || n <= o.max) && (o.integer !== true || Number.isInteger(n));
  if (!ok) {
    const what = `${o.integer === true ? 'an integer' : 'a number'} >= ${o.min}${o.max === undefined ? '' : ` and <= ${o.max}`}`;
    throw new IpqsecError('IPQ-C001', `--${name} must be ${what}, got "${s}"`);
  }
  return n;
}

/** Parses the command's raw option values (and the environment) into {@link SimulateRunOptions}. @throws IPQ-C001 */
export function parseSimulateOptions(v: SimulateValues, env: Readonly<Record<string, string | undefined>>, nowMs: number): SimulateRunOptions {
  let startMs = Math.floor(nowMs / 1000) * 1000;
  if (v.start !== undefined) {
    startMs = Date.parse(v.start);
    if (!Number.isFinite(startMs) || startMs < 0) throw new IpqsecError('IPQ-C001', `--start must be an ISO 8601 date-time, got "${v.start}"`);
  }
  const server = (v.server ?? env.IPQSEC_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(server)) throw new IpqsecError('IPQ-C001', `--server must be an http(s) URL, got "${server}"`);
  if (v.mqtt !== undefined && !/^(mqtts?|wss?|tcp|tls):\/\//.test(v.mqtt)) {
    throw new IpqsecError('IPQ-C001', `--mqtt must be an mqtt://, mqtts://, ws:// or wss:// URL, got "${v.mqtt}"`);
  }
  let scenarios: ScenarioKind[] | undefined;
  if (v.scenarios !== undefined) {
    scenarios = v.scenarios
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0 && x !== 'none') as ScenarioKind[];
    const bad = scenarios.filter((k) => !(SCENARIO_KINDS as readonly string[]).includes(k));
    if (bad.length > 0) throw new IpqsecError('IPQ-C001', `--scenarios: unknown ${bad.join(', ')} (known: ${SCENARIO_KINDS.join(', ')}, or none)`);
  }
  const token = v.token ?? env.IPQSEC_TOKEN;
  if (v.secure === true && v.mqtt !== undefined) throw new IpqsecError('IPQ-C001', '--secure sends over HTTP through the secure channel; leave out --mqtt');
  return {
    seed: numberOption('seed', v.seed, { min: -Number.MAX_SAFE_INTEGER, integer: true }),
    startMs,
    durationS: numberOption('duration', v.duration, { min: 1, max: 31 * 86_400 }),
    robots: numberOption('robots', v.robots, { min: 0, max: 100_000, integer: true }),
    sensors: numberOption('sensors', v.sensors, { min: 0, max: 1_000_000, integer: true }),
    flowsPerSecond: numberOption('flow-rate', v.flowRate, { min: 0, max: 1_000_000 }),
    sensorIntervalMs: v.sensorInterval === undefined ? undefined : numberOption('sensor-interval', v.sensorInterval, { min: 100, max: 86_400_000, integer: true }),
    scenarios,
    server,
    token: token === undefined || token === '' ? undefined : token,
    mqtt: v.mqtt,
    batch: numberOption('batch', v.batch, { min: 1, max: 10_000, integer: true }),
    rate: v.rate === undefined ? undefined : numberOption('rate', v.rate, { min: 0.001 }),
    truthFile: v.truth,
    score: v.score === true,
    secure: v.secure === true,
  };
}

/**
 * The start of a run without `--start`: now, or just after the newest event the server already holds when that
 * is later. Simulated time runs faster than the clock when sending as fast as possible, so a second run started
 * right after a first would otherwise overlap it in event time, and detection (which runs on event time) would see
 * both runs' sensors and sources going back in time. Needs a token with the read scope; without one (or when the
 * server holds nothing) the start stays `nowStartMs`.
 */
export async function startAfterServer(io: Pick<SimulateIo, 'fetch'>, server: string, token: string | undefined, nowStartMs: number): Promise<number> {
  try {
    const r = await io.fetch(`${server}/api/v1/events?limit=1`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    if (!r.ok) return nowStartMs;
    const body = (await r.json()) as { items?: { ts_ms?: unknown }[] };
    const newest = body.items?.[0]?.ts_ms;
    if (typeof newest !== 'number' || !Number.isFinite(newest) || newest < nowStartMs) return nowStartMs;
    return Math.ceil((newest + 1) / 1000) * 1000;
  } catch {
    return nowStartMs;
  }
}

/** Builds the `simulate` command. */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description('send a seeded simulated run (robots, sensors, network traffic with scheduled attacks) to a server and score its alerts')
    .option('--duration <s>', 'simulated seconds', '120')
    .option('--seed <n>', 'seed of every random choice (same seed and start: same events and truth)', '1')
    .option('--start <iso>', 'simulated start time, ISO 8601 (default: now, rounded down to the second, or after the newest event on the server when later)')
    .option('--server <url>', `server base URL (env IPQSEC_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <t>', 'API token with the ingest scope (and read for --score over MQTT) (env IPQSEC_TOKEN)')
    .option('--mqtt <url>', 'send over MQTT to this broker instead of HTTP (topics ipqsec/<site>/<device>/<kind>, user sim, password = token)')
    .option('--batch <n>', 'events per request (1-10000)', '1000')
    .option('--rate <events/s>', 'send at most this many events per second (default: as fast as possible)')
    .option('--truth <file>', 'where to write the ground truth (JSON)', './sim-truth.json')
    .option('--secure', 'send through the post-quantum secure channel: every robot and sensor (and a network gateway) enrolls an ML-DSA-65 identity and opens an X-Wing session (an admin token also approves them)')
    .option('--score', 'score the alerts against the ground truth per scenario (recall, precision, time to detect)')
    .option('--json', 'print a JSON summary instead of text')
    .option('--robots <n>', 'robots', String(SIM_DEFAULTS.robots))
    .option('--sensors <n>', 'temperature sensors', String(SIM_DEFAULTS.sensors))
    .option('--flow-rate <n>', 'normal flows per second', String(SIM_DEFAULTS.flowsPerSecond))
    .option('--sensor-interval <ms>', `reading interval of each sensor (default ${SIM_DEFAULTS.sensorIntervalMs})`)
    .option('--scenarios <a,b,...>', `scenario kinds to schedule (default all: ${SCENARIO_KINDS.join(', ')}; "none" for none)`)
    .action(async (v: SimulateValues) => {
      let o = parseSimulateOptions(v, process.env, Date.now());
      if (v.start === undefined) {
        const startMs = await startAfterServer({ fetch: globalThis.fetch }, o.server, o.token, o.startMs);
        if (startMs !== o.startMs) {
          process.stderr.write(`the server already holds events up to ${new Date(startMs).toISOString()}: this run starts there (--start to choose)\n`);
          o = { ...o, startMs };
        }
      }
      const progress = createProgress(process.stderr, { enabled: v.json !== true });
      const summary = await runSimulate(o, {
        fetch: globalThis.fetch,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        now: () => performance.now(),
        progress: (done, total) => progress.update('simulated s', Math.round(done), total),
        warn: (line) => process.stderr.write(`warning: ${line}\n`),
      });
      progress.done();
      if (v.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(summaryText(summary));
    });
}
