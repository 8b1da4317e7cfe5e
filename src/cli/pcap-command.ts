/**
 * `ipqsec pcap FILE… [--model FILE] [--json] [--flows FILE]`: reads packet captures (pcap, pcapng; `-` is standard
 * input) through the network sensor (`capture/sensor.ts`) and reports what it found.
 *
 * Text output: per file, a summary (packets, bytes, flows, time span, protocols) and the alerts. `--json`: NDJSON
 * in Suricata's EVE style (`capture/eve-output.ts`): one `"event_type": "alert"` object per alert, then one
 * `"event_type": "stats"` object per file. `--flows FILE` writes the connections as a Zeek conn.log (TSV; NDJSON
 * when FILE ends in `.json` or `.ndjson`, or with `--flows-format`). `--model FILE` scores every connection with a
 * model file (`cli/capture-scoring.ts`): a probability ≥ `--ml-alert-at` (default 0.9) is an
 * `ML Intrusion Score` alert, `low` below 0.99 and `medium` from it (a model's score alone is never `high`: it
 * names no technique and the model was trained on another network).
 *
 * A truncated or corrupt capture: everything read up to the error is reported as usual, then the error (IPQ-N001/
 * N002/N003, naming the byte offset) ends the command with exit code 2. Later files are still read.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Command } from 'commander';
import { readCaptureFile, type CaptureSummary } from '../capture/capture-reader.js';
import { ConnLogWriter } from '../capture/conn-log-writer.js';
import type { ConnRecord } from '../capture/conn-record.js';
import { eveAlert, eveStats, type SensorAlert, type SensorRunStats } from '../capture/eve-output.js';
import { NetworkSensor, type OnlineAnomalyOptions } from '../capture/sensor.js';
import { IpqsecError } from '../core/errors.js';
import { UnswCounters } from '../features/unsw-counters.js';
import { readModelFile } from '../ml/model-file.js';
import { CaptureFlowScorer, type ScoredFlow } from './capture-scoring.js';

/** Options of {@link runPcap} (the command's, parsed). */
export interface PcapRunOptions {
  readonly model?: string;
  readonly json?: boolean;
  readonly flows?: string;
  readonly flowsFormat?: 'tsv' | 'ndjson';
  /** ML alert threshold (probability of attack). */
  readonly mlAlertAt?: number;
  /** Online anomaly detection (AfterImage + KitNET); undefined = off. */
  readonly anomaly?: OnlineAnomalyOptions;
}

/** Where {@link runPcap} writes. */
export interface PcapIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** What one file gave. */
export interface PcapFileResult {
  readonly file: string;
  readonly summary: CaptureSummary;
  readonly stats: SensorRunStats;
  readonly alerts: readonly SensorAlert[];
}

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3 } as const;

/**
 * Runs the command over `files` in order, each through its own sensor. Returns the per-file results; the first
 * capture error (if any) is in `error` — the caller reports it after the output and exits with its code.
 * Rejects with IPQ-D001 (unreadable file), IPQ-M* (model file) or IPQ-C001 (bad options).
 */
export async function runPcap(files: readonly string[], o: PcapRunOptions, io: PcapIo): Promise<{ results: PcapFileResult[]; error?: IpqsecError }> {
  const mlAlertAt = o.mlAlertAt ?? 0.9;
  if (!(mlAlertAt > 0 && mlAlertAt <= 1)) throw new IpqsecError('IPQ-C001', `--ml-alert-at must be in (0, 1], got ${mlAlertAt}`);
  const bundle = o.model === undefined ? undefined : await readModelFile(o.model);
  let flowsOut: WriteStream | undefined;
  let writer: ConnLogWriter | undefined;
  if (o.flows !== undefined) {
    flowsOut = createWriteStream(o.flows);
    const format = o.flowsFormat ?? (/\.(nd)?json$/i.test(o.flows) ? 'ndjson' : 'tsv');
    writer = new ConnLogWriter(flowsOut, { format });
  }
  const results: PcapFileResult[] = [];
  let firstError: IpqsecError | undefined;
  try {
    for (const path of files) {
      const file = path === '-' ? '<stdin>' : path;
      const alerts: SensorAlert[] = [];
      const scorer = bundle === undefined ? undefined : new CaptureFlowScorer(bundle);
      const counters = new UnswCounters();
      const mlAlerts = (scored: readonly ScoredFlow[]): void => {
        for (const s of scored) if (s.p >= mlAlertAt) alerts.push(mlAlert(s, mlAlertAt));
      };
      const onFlow = (rec: ConnRecord): void => {
        writer?.write(rec);
        if (scorer !== undefined) mlAlerts(scorer.add(rec, counters.observe(rec)));
      };
      const sensor = new NetworkSensor({ onFlow, onAlert: (a) => alerts.push(a), ...(o.anomaly === undefined ? {} : { anomaly: o.anomaly }) });
      const summary = await readCaptureFile(path, (r) => sensor.processRecord(r));
      sensor.finish();
      if (scorer !== undefined) {
        mlAlerts(scorer.flush());
        if (scorer.missing.length > 0) io.err(`${file}: the model's columns ${scorer.missing.join(', ')} cannot be derived from packets; scored as missing values\n`);
      }
      const stats = sensor.stats();
      const all = { ...stats, alerts: alerts.length, extra: { ...stats.extra, file, format: summary.format ?? null, ...(scorer === undefined ? {} : { ml_scored: scorer.count }) } };
      results.push({ file, summary, stats: all, alerts });
      if (o.json === true) {
        const lines = alerts.map((a) => JSON.stringify(eveAlert(a)));
        lines.push(JSON.stringify(eveStats(all)));
        io.out(`${lines.join('\n')}\n`);
      } else {
        io.out(fileText(file, summary, all, alerts));
      }
      if (summary.error !== undefined) {
        io.err(`${summary.error.message}\n  results above cover the ${summary.packets} packets before the error\n`);
        firstError ??= summary.error;
      }
    }
  } finally {
    writer?.close();
    if (flowsOut !== undefined) await new Promise<void>((resolve, reject) => flowsOut!.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  return firstError === undefined ? { results } : { results, error: firstError };
}

function mlAlert(s: ScoredFlow, at: number): SensorAlert {
  const r = s.rec;
  return {
    ts: r.ts,
    reason: 'ML Intrusion Score',
    severity: s.p >= 0.99 ? 'medium' : 'low',
    origH: r.orig_h,
    origP: r.orig_p,
    respH: r.resp_h,
    respP: r.resp_p,
    proto: r.proto,
    uid: r.uid,
    detail: `model: attack probability ${s.p.toFixed(3)} (alert from ${at})`,
    techniques: [],
  };
}

const num = (n: number): string => n.toLocaleString('en-US');

function fileText(file: string, s: CaptureSummary, st: SensorRunStats, alerts: readonly SensorAlert[]): string {
  const out: string[] = [];
  const span = s.firstTs !== undefined && s.lastTs !== undefined ? `, ${(s.lastTs - s.firstTs).toFixed(3)} s` : '';
  out.push(`${file}: ${s.format ?? 'unknown format'}, ${num(st.packets)} packets, ${num(st.bytes)} bytes, ${num(st.flows)} flows${span}`);
  const transports = Object.entries(st.transports).filter(([, n]) => n > 0);
  if (transports.length > 0) out.push(`  packets by transport: ${transports.map(([k, n]) => `${k} ${num(n)}`).join(', ')}`);
  const protocols = Object.entries(st.protocols);
  out.push(`  protocols (messages): ${protocols.length === 0 ? 'none recognised' : protocols.map(([k, n]) => `${k} ${num(n)}`).join(', ')}`);
  const sorted = [...alerts].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.ts - b.ts);
  out.push(`  alerts: ${alerts.length}`);
  for (const a of sorted) {
    const dest = a.respH === undefined ? '' : ` -> ${a.respH}${a.respP === undefined ? '' : `:${a.respP}`}`;
    const tech = a.techniques.length === 0 ? '' : ` [${a.techniques.map((t) => `${t.id} ${t.name}`).join('; ')}]`;
    out.push(`    ${a.severity.padEnd(8)} ${a.reason}: ${a.origH}${dest}${tech}`);
    out.push(`             ${a.detail}`);
  }
  return `${out.join('\n')}\n`;
}

interface PcapValues {
  model?: string;
  json?: boolean;
  flows?: string;
  flowsFormat?: string;
  mlAlertAt?: string;
  anomaly?: boolean;
  anomalyGrace?: string;
}

/** Parses `--anomaly`/`--anomaly-grace` into sensor options. */
export function anomalyOptions(enabled: boolean | undefined, grace: string | undefined): OnlineAnomalyOptions | undefined {
  if (enabled !== true && grace === undefined) return undefined;
  if (grace === undefined) return {};
  const n = Number(grace);
  if (!Number.isInteger(n) || n < 100) throw new IpqsecError('IPQ-C001', `--anomaly-grace must be an integer >= 100 (packets), got "${grace}"`);
  // Kitsune's split of the grace: a tenth for the feature mapper, the rest to train; then as many to calibrate.
  const fm = Math.max(10, Math.round(n / 10));
  return { kitnet: { fmGracePeriod: fm, adGracePeriod: n - fm }, calibrationPackets: n };
}

/** Builds the `pcap` command. */
export function pcapCommand(): Command {
  return new Command('pcap')
    .description('analyse packet captures (pcap, pcapng; - for stdin): flows, protocols, alerts')
    .argument('<files...>', 'capture files')
    .option('--model <file>', 'score every flow with this model file (UNSW-NB15 or the service flow model)')
    .option('--json', "NDJSON in Suricata's EVE style: alert objects, then a stats object per file")
    .option('--flows <file>', 'write the flows as a Zeek conn.log (TSV; NDJSON for .json/.ndjson)')
    .option('--flows-format <fmt>', 'tsv | ndjson (default from the file name)')
    .option('--ml-alert-at <p>', 'model probability from which a flow is an alert', '0.9')
    .option('--anomaly', 'online anomaly detection (AfterImage + KitNET; grace 55,000 packets, then 50,000 to calibrate)')
    .option('--anomaly-grace <packets>', 'packets to learn from before scoring (implies --anomaly)')
    .action(async (files: string[], v: PcapValues) => {
      if (v.flowsFormat !== undefined && v.flowsFormat !== 'tsv' && v.flowsFormat !== 'ndjson') {
        throw new IpqsecError('IPQ-C001', `--flows-format must be tsv or ndjson, got "${v.flowsFormat}"`);
      }
      const anomaly = anomalyOptions(v.anomaly, v.anomalyGrace);
      const { error } = await runPcap(
        files,
        {
          ...(v.model === undefined ? {} : { model: v.model }),
          json: v.json === true,
          ...(v.flows === undefined ? {} : { flows: v.flows }),
          ...(v.flowsFormat === undefined ? {} : { flowsFormat: v.flowsFormat as 'tsv' | 'ndjson' }),
          mlAlertAt: Number(v.mlAlertAt ?? '0.9'),
          ...(anomaly === undefined ? {} : { anomaly }),
        },
        { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
      );
      if (error !== undefined) throw error;
    });
}
