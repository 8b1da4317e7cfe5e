/**
 * `ipqsec sensor --pcap FILE|- --server URL`: the network sensor as an edge process. Reads a capture file or a
 * live stream on standard input (`tcpdump -i eth0 -U -w - | ipqsec sensor --pcap - --server …`), and streams to
 * an IPqSEC server:
 * - every finished connection as a `flow` event (Zeek conn.log fields, the per-flow UNSW-NB15 fields and the
 *   `ct_*` counters; `capture/flow-event.ts`), which the server scores like any flow;
 * - every detection at once, as a `flow` event of the 5-tuple it concerns carrying the detection as a `signal`
 *   (reason, severity, detail, ATT&CK ids) and no counters: the server raises it as an alert of the originator.
 *
 * Instead of packets it can read a Zeek conn.log (`--zeek-conn FILE|-`, TSV or JSON) or a Suricata eve.json
 * (`--suricata-eve FILE|-`): their flows (and Suricata's alerts, as flows with an `IDS Signature` signal) are sent
 * the same way; a malformed line ends the run with IPQ-N004 after the lines before it were sent, or is skipped and
 * counted with `--skip-bad-lines`.
 *
 * Transport: with `--identity KEYFILE --device-id ID` the edge agent's post-quantum uplink
 * (`agent/secure-uplink.ts`; the device is enrolled with `--token` on first use and must be approved by an
 * operator); otherwise plain `POST /api/v1/events` with `--token`. Events go in batches of `--batch` (default 500)
 * or after `--flush-ms` (default 1,000 ms) of wall time, whichever comes first; sending runs one batch at a time
 * and the reader waits while `--max-pending` batches are queued (bounded memory, back-pressure on the pipe).
 *
 * Errors: a failed send is retried with back-off (`--retries`, default 5) and then ends the command with the
 * server's error; a truncated capture ends it with IPQ-N001 after everything read before was sent (exit 2).
 */
import { createWriteStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Command } from 'commander';
import { SecureUplink, type TrustOnFirstUse } from '../agent/secure-uplink.js';
import { readCaptureFile } from '../capture/capture-reader.js';
import { ConnLogWriter } from '../capture/conn-log-writer.js';
import type { ConnRecord } from '../capture/conn-record.js';
import type { SensorAlert } from '../capture/eve-output.js';
import { connToFlowEvent } from '../capture/flow-event.js';
import { NetworkSensor, type OnlineAnomalyOptions } from '../capture/sensor.js';
import { SuricataEveReader } from '../capture/suricata-eve-reader.js';
import { ZeekConnReader } from '../capture/zeek-conn-reader.js';
import { SIGNAL_REASONS, type FlowEventInput, type SignalReason } from '../core/events.js';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { UnswCounters } from '../features/unsw-counters.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { loadOrCreateIdentity, readPublicKeyFile } from './key-files.js';
import { anomalyOptions } from './pcap-command.js';

/** Sends one batch of wire events; resolves when the server accepted it. */
export type EventSink = (events: readonly FlowEventInput[]) => Promise<void>;

/** Options of {@link runSensor}. */
export interface SensorRunOptions {
  /** Exactly one input: a capture (`-` stdin), a Zeek conn.log (TSV or JSON) or a Suricata eve.json. */
  readonly pcap?: string;
  readonly zeekConn?: string;
  readonly suricataEve?: string;
  /** Zeek/Suricata input: skip and count malformed lines instead of stopping at the first. */
  readonly skipBad?: boolean;
  readonly site?: string;
  readonly batch?: number;
  readonly flushMs?: number;
  readonly maxPending?: number;
  readonly retries?: number;
  /** Also write the flows as a conn.log. */
  readonly flows?: string;
  readonly anomaly?: OnlineAnomalyOptions;
  /** Reads stdin for `-` (tests pass their own). */
  readonly stdin?: AsyncIterable<Uint8Array>;
  /** Delay before retry `k` (ms); default 200 · 2^k. */
  readonly backoffMs?: (k: number) => number;
}

/** What {@link runSensor} did. */
export interface SensorRunResult {
  readonly packets: number;
  readonly flows: number;
  readonly alerts: number;
  readonly eventsSent: number;
  readonly batchesSent: number;
  /** Lines of a Zeek/Suricata input skipped as malformed (`skipBad`). */
  readonly skippedLines: number;
  /** The input's error (truncated or corrupt capture, malformed log line), after which nothing more was read. */
  readonly error?: IpqsecError;
}

const SIGNAL_SET: ReadonlySet<string> = new Set(SIGNAL_REASONS);

/** The wire event of one detection (see the file comment). */
export function alertToFlowEvent(a: SensorAlert, site: string | undefined): FlowEventInput | undefined {
  if (!SIGNAL_SET.has(a.reason)) return undefined;
  const proto = a.proto === 'tcp' || a.proto === 'udp' || a.proto === 'icmp' ? a.proto : 'unknown_transport';
  return {
    type: 'flow',
    ts: a.ts,
    ...(a.uid === undefined ? {} : { uid: a.uid }),
    ...(site === undefined ? {} : { site }),
    orig_h: a.origH,
    orig_p: a.origP ?? 0,
    resp_h: a.respH ?? a.origH,
    resp_p: a.respP ?? 0,
    proto,
    signals: [
      {
        reason: a.reason as SignalReason,
        severity: a.severity,
        source: 'ipqsec-sensor',
        detail: a.detail.slice(0, 512),
        techniques: a.techniques.map((t) => t.id).slice(0, 8),
      },
    ],
  };
}

/**
 * Runs the sensor over `o.pcap` and sends everything through `send`. Resolves when the input ended and every
 * batch was accepted; rejects with the sink's error after `retries` failed attempts of one batch.
 */
export async function runSensor(o: SensorRunOptions, send: EventSink, log: (line: string) => void = () => {}): Promise<SensorRunResult> {
  const batchSize = o.batch ?? 500;
  const flushMs = o.flushMs ?? 1000;
  const maxPending = o.maxPending ?? 8;
  const retries = o.retries ?? 5;
  const backoff = o.backoffMs ?? ((k: number) => 200 * 2 ** k);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new IpqsecError('IPQ-C001', `--batch must be an integer in [1, 10000], got ${batchSize}`);
  if (!(flushMs >= 10)) throw new IpqsecError('IPQ-C001', `--flush-ms must be >= 10, got ${flushMs}`);

  let current: FlowEventInput[] = [];
  const queue: FlowEventInput[][] = [];
  let sending: Promise<void> | undefined;
  let failure: unknown;
  let eventsSent = 0;
  let batchesSent = 0;
  let flows = 0;
  let alerts = 0;

  const sendOne = async (batch: FlowEventInput[]): Promise<void> => {
    for (let k = 0; ; k++) {
      try {
        await send(batch);
        eventsSent += batch.length;
        batchesSent++;
        return;
      } catch (e) {
        // A refusal of the batch itself (schema, device not approved, auth) will not pass on a retry.
        if (k >= retries || (isIpqsecError(e) && e.spec.kind === 'input')) throw e;
        log(`send failed (${e instanceof Error ? e.message : String(e)}); retry ${k + 1} of ${retries}`);
        await new Promise((r) => setTimeout(r, backoff(k)));
      }
    }
  };
  const pump = (): void => {
    if (sending !== undefined || queue.length === 0 || failure !== undefined) return;
    const batch = queue.shift()!;
    sending = sendOne(batch).then(
      () => {
        sending = undefined;
        pump();
      },
      (e: unknown) => {
        sending = undefined;
        failure = e;
      },
    );
  };
  const cut = (): void => {
    if (current.length === 0) return;
    queue.push(current);
    current = [];
    pump();
  };
  const push = (e: FlowEventInput): void => {
    current.push(e);
    if (current.length >= batchSize) cut();
  };

  const counters = new UnswCounters();
  let writer: ConnLogWriter | undefined;
  const flowsOut = o.flows === undefined ? undefined : createWriteStream(o.flows);
  if (flowsOut !== undefined) writer = new ConnLogWriter(flowsOut, { format: /\.(nd)?json$/i.test(o.flows!) ? 'ndjson' : 'tsv' });
  const sensor = new NetworkSensor({
    onFlow: (rec: ConnRecord) => {
      flows++;
      writer?.write(rec);
      push(connToFlowEvent(rec, { counters: counters.observe(rec), ...(o.site === undefined ? {} : { site: o.site }) }));
    },
    onAlert: (a) => {
      alerts++;
      const e = alertToFlowEvent(a, o.site);
      if (e !== undefined) {
        push(e);
        cut(); // detections go out at once
      }
    },
    ...(o.anomaly === undefined ? {} : { anomaly: o.anomaly }),
  });
  const inputs = [o.pcap, o.zeekConn, o.suricataEve].filter((x) => x !== undefined);
  if (inputs.length !== 1) throw new IpqsecError('IPQ-C001', 'give exactly one input: --pcap, --zeek-conn or --suricata-eve');
  // Back-pressure: reading waits while too many batches are queued, so a slow server slows the pipe instead of
  // growing the queue.
  const room = async (): Promise<void> => {
    while (queue.length >= maxPending && failure === undefined) await (sending ?? Promise.resolve());
    if (failure !== undefined) throw failure;
  };
  const timer = setInterval(cut, flushMs);
  let inputError: IpqsecError | undefined;
  let skippedLines = 0;
  try {
    if (o.pcap !== undefined) {
      const summary = await readCaptureFile(
        o.pcap,
        (r) => {
          if (failure !== undefined) throw failure;
          sensor.processRecord(r);
        },
        { ...(o.stdin === undefined ? {} : { stdin: o.stdin }), beforeChunk: room },
      );
      inputError = summary.error;
      sensor.finish();
    } else {
      const logOpts = { ...(o.site === undefined ? {} : { site: o.site }), skipBad: o.skipBad === true };
      const reader = o.zeekConn !== undefined ? new ZeekConnReader(logOpts) : new SuricataEveReader(logOpts);
      const source = (o.zeekConn ?? o.suricataEve)!;
      try {
        for await (const e of reader.read(source === '-' && o.stdin !== undefined ? o.stdin : source)) {
          await room();
          if (e.signals !== undefined) {
            alerts++;
            push(e);
            cut();
          } else {
            flows++;
            push(e);
          }
        }
      } catch (e) {
        if (!isIpqsecError(e, 'IPQ-N004')) throw e;
        inputError = e;
      }
      skippedLines = reader.summary.skipped;
    }
    cut();
    while ((queue.length > 0 || sending !== undefined) && failure === undefined) await (sending ?? Promise.resolve());
    if (failure !== undefined) throw failure;
  } finally {
    clearInterval(timer);
    writer?.close();
    if (flowsOut !== undefined) await new Promise<void>((resolve) => flowsOut.end(() => resolve()));
  }
  const st = sensor.stats();
  return { packets: st.packets, flows, alerts, eventsSent, batchesSent, skippedLines, ...(inputError === undefined ? {} : { error: inputError }) };
}

/** A sink posting JSON arrays to `POST /api/v1/events` with a bearer token. */
export function httpEventSink(server: string, token: string | undefined, fetchFn: typeof fetch = fetch): EventSink {
  const url = `${server.replace(/\/+$/, '')}/api/v1/events`;
  return async (events) => {
    const res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(events),
      signal: AbortSignal.timeout(30_000),
    }).catch((e: unknown) => {
      throw new IpqsecError('IPQ-S003', `POST ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    });
    if (res.ok) return;
    const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    const code = body?.error?.code;
    const message = body?.error?.message ?? `HTTP ${res.status}`;
    if (code !== undefined && /^IPQ-[A-Z]\d{3}$/.test(code)) {
      throw new IpqsecError(code as 'IPQ-E001', `server refused the batch: ${message}`, { details: { status: res.status } });
    }
    throw new IpqsecError('IPQ-S003', `POST ${url}: HTTP ${res.status}: ${message}`);
  };
}

interface SensorValues {
  pcap?: string;
  zeekConn?: string;
  suricataEve?: string;
  skipBadLines?: boolean;
  server: string;
  token?: string;
  identity?: string;
  deviceId?: string;
  serverKey?: string;
  site?: string;
  batch: string;
  flushMs: string;
  flows?: string;
  anomaly?: boolean;
  anomalyGrace?: string;
}

/** Builds the `sensor` command. */
export function sensorCommand(): Command {
  return new Command('sensor')
    .description('stream flows and alerts to an IPqSEC server: from a capture, a live pcap stream (-), a Zeek conn.log or a Suricata eve.json')
    .option('--pcap <file>', 'capture file, or - to read a pcap/pcapng stream on stdin (tcpdump -w -)')
    .option('--zeek-conn <file>', 'read flows from a Zeek conn.log (TSV or JSON; - for stdin) instead of packets')
    .option('--suricata-eve <file>', 'read flows and alerts from a Suricata eve.json (- for stdin) instead of packets')
    .option('--skip-bad-lines', 'Zeek/Suricata input: skip and count malformed lines')
    .requiredOption('--server <url>', 'IPqSEC server base URL, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'API token (ingest scope); default $IPQSEC_TOKEN')
    .option('--identity <keyfile>', 'device identity (ML-DSA-65 key file, created if absent): send over the post-quantum uplink')
    .option('--device-id <id>', 'device id for --identity (default: the key file name without extension)')
    .option('--server-key <file>', 'pinned server identity public key for --identity (default: trust on first use)')
    .option('--site <name>', 'site tag of the events')
    .option('--batch <n>', 'events per request', '500')
    .option('--flush-ms <ms>', 'send a partial batch after this long', '1000')
    .option('--flows <file>', 'also write the flows as a Zeek conn.log (TSV; NDJSON for .json/.ndjson)')
    .option('--anomaly', 'online anomaly detection (AfterImage + KitNET)')
    .option('--anomaly-grace <packets>', 'packets to learn from before scoring (implies --anomaly)')
    .action(async (v: SensorValues) => {
      const token = v.token ?? process.env.IPQSEC_TOKEN;
      let send: EventSink;
      let transport: string;
      if (v.identity !== undefined) {
        const p = defaultPqcProvider();
        const key = await loadOrCreateIdentity(dirname(v.identity), basename(v.identity), p, {
          algorithm: 'ML-DSA-65',
          ...(process.env.IPQSEC_KEY_PASSPHRASE === undefined ? {} : { passphrase: process.env.IPQSEC_KEY_PASSPHRASE }),
        });
        const pin = v.serverKey === undefined ? undefined : (await readPublicKeyFile(v.serverKey)).publicKey;
        const deviceId = v.deviceId ?? basename(v.identity).replace(/\.[^.]*$/, '');
        const uplink = new SecureUplink({
          server: v.server,
          deviceId,
          identity: key.keyPair,
          provider: p,
          ...(pin === undefined ? {} : { serverIdentityPublicKey: pin }),
          ...(token === undefined ? {} : { token }),
          onTrustOnFirstUse: (t: TrustOnFirstUse) => process.stderr.write(`pinned server identity ${t.name} on first use: SHA-256 ${t.fingerprint}\n`),
        });
        if (key.created || token !== undefined) {
          const a = await uplink.enroll();
          process.stderr.write(`device ${a.device_id} enrolled (key ${a.key_id}): ${a.status}${a.status === 'pending' ? ' — an operator must approve it (ipqsec devices approve)' : ''}\n`);
        }
        send = async (events) => {
          await uplink.sendEvents(events);
        };
        transport = `secure uplink as device ${deviceId}`;
      } else {
        send = httpEventSink(v.server, token);
        transport = 'HTTP with a token';
      }
      const anomaly = anomalyOptions(v.anomaly, v.anomalyGrace);
      const input = v.pcap ?? v.zeekConn ?? v.suricataEve ?? '(none)';
      process.stderr.write(`sensor: reading ${input === '-' ? 'stdin' : input}, sending to ${v.server} (${transport})\n`);
      const r = await runSensor(
        {
          ...(v.pcap === undefined ? {} : { pcap: v.pcap }),
          ...(v.zeekConn === undefined ? {} : { zeekConn: v.zeekConn }),
          ...(v.suricataEve === undefined ? {} : { suricataEve: v.suricataEve }),
          skipBad: v.skipBadLines === true,
          ...(v.site === undefined ? {} : { site: v.site }),
          batch: Number(v.batch),
          flushMs: Number(v.flushMs),
          ...(v.flows === undefined ? {} : { flows: v.flows }),
          ...(anomaly === undefined ? {} : { anomaly }),
        },
        send,
        (line) => process.stderr.write(`sensor: ${line}\n`),
      );
      process.stdout.write(
        `${r.packets} packets, ${r.flows} flows, ${r.alerts} alerts; ${r.eventsSent} events sent in ${r.batchesSent} batches${r.skippedLines > 0 ? `; ${r.skippedLines} malformed lines skipped` : ''}\n`,
      );
      if (r.error !== undefined) throw r.error;
    });
}
