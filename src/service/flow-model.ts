/**
 * The ML scorer of live flows, and the model the service trains for itself at first start when none is
 * configured.
 *
 * The model sees {@link FLOW_MODEL_FEATURES}: the flow's own Zeek conn.log fields plus its source's sliding-window
 * features. At first start it is trained on (a) labelled flows from the built-in simulator (a fixed seed and start
 * time, so every first start trains the same model) and (b), when the UNSW-NB15 files are found under
 * IPQSEC_DATA, a uniform random sample of their rows mapped onto the same features (UNSW's per-flow `dur`, `sbytes`,
 * `dbytes`, `spkts`, `dpkts`, `proto`, `service`, Argus `state` translated to the nearest Zeek conn_state, and its
 * `ct_*` connection counts; features UNSW lacks are missing values, which the histogram GBDT routes through its
 * missing-value bin).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowEvent } from '../core/events.js';
import { dataDir, loadDataset } from '../data/datasets.js';
import type { LabelledDataset, NumericColumn, CategoricalColumn, Table } from '../data/table.js';
import type { FlowScorer } from '../detect/engine.js';
import { flowRowsToTable } from '../detect/flow-table.js';
import { FLOW_MODEL_FEATURES, flowFeatureRow, flowObservation, type FlowFeatureRow } from '../features/flow-features.js';
import { SourceWindows } from '../features/source-windows.js';
import type { ModelBundle } from '../ml/model-file.js';
import { loadBundle, predictTable, type LoadedModel } from '../pipeline/predict.js';
import { trainBundle } from '../pipeline/train.js';
import { createRng, shuffleInPlace } from '../core/rng.js';
import { simulate } from '../sim/index.js';
import { SCENARIO_EVENT_TYPE } from '../sim/index.js';

/** A {@link FlowScorer} backed by a model file (binary: probability of the attack class). */
export class ModelFlowScorer implements FlowScorer {
  private readonly loaded: LoadedModel;
  private readonly attackIndex: number;

  constructor(
    bundle: ModelBundle,
    readonly description: string,
  ) {
    this.loaded = loadBundle(bundle);
    const i = bundle.labelNames.findIndex((n) => n !== 'normal');
    this.attackIndex = i < 0 ? 1 : i;
  }

  score(rows: readonly FlowFeatureRow[]): Float64Array {
    const p = predictTable(this.loaded, flowRowsToTable(rows));
    const out = new Float64Array(p.nRows);
    for (let r = 0; r < p.nRows; r++) out[r] = p.proba[r * p.nClasses + this.attackIndex]!;
    return out;
  }
}

/** What {@link trainFlowModel} used, for the service log. */
export interface FlowModelProvenance {
  readonly simulatorRows: number;
  readonly simulatorAttacks: number;
  readonly unswRows: number;
  readonly unswFile: string | null;
}

/** Seed and simulated duration of the first-start training run (fixed: every first start trains the same model). */
export const FIRST_START_TRAINING: Readonly<{ seed: number; startMs: number; durationS: number; unswSample: number }> = {
  seed: 20261121,
  startMs: Date.UTC(2026, 0, 5, 8),
  durationS: 300,
  unswSample: 20_000,
};

/** Labelled flow feature rows from one simulator run (attack = a flow of a network scenario instance). */
export function simulatorFlowRows(seed: number, startMs: number, durationS: number): { rows: FlowFeatureRow[]; labels: Uint8Array } {
  const { events, truth } = simulate({ seed, startMs, durationS });
  const attackIds = new Set<string>();
  for (const s of truth.scenarios) if (SCENARIO_EVENT_TYPE[s.kind] === 'flow') for (const id of s.event_ids) attackIds.add(id);
  const windows = new SourceWindows();
  const rows: FlowFeatureRow[] = [];
  const labels: number[] = [];
  for (const e of events) {
    if (e.type !== 'flow') continue;
    const tsMs = typeof e.ts === 'number' ? Math.round(e.ts * 1000) : Date.parse(e.ts);
    const flow = { ...e, tsMs } as FlowEvent;
    const f = windows.observe(flow.orig_h, flowObservation(flow), true);
    rows.push(flowFeatureRow(flow, f));
    labels.push(attackIds.has(e.id) ? 1 : 0);
  }
  return { rows, labels: Uint8Array.from(labels) };
}

/** Argus `state` (UNSW-NB15) to the nearest Zeek `conn_state`. */
const ARGUS_TO_ZEEK: Readonly<Record<string, string>> = {
  FIN: 'SF', CON: 'S1', INT: 'S0', REQ: 'S0', RST: 'RSTO', CLO: 'SF', ACC: 'S1', ECO: 'OTH', ECR: 'OTH', PAR: 'OTH', URN: 'OTH', no: 'OTH',
};

/** Rows of a UNSW-NB15 data set mapped onto {@link FLOW_MODEL_FEATURES} (uniform random sample of `max`). */
export function unswFlowRows(ds: LabelledDataset, max: number, seed: number): { rows: FlowFeatureRow[]; labels: Uint8Array } {
  const t = ds.features;
  const numCol = (name: string) => (t.columns.find((c) => c.name === name && c.kind === 'numeric') as NumericColumn | undefined)?.values;
  const catCol = (name: string) => t.columns.find((c) => c.name === name && c.kind === 'categorical') as CategoricalColumn | undefined;
  const dur = numCol('dur'), sb = numCol('sbytes'), db = numCol('dbytes'), sp = numCol('spkts'), dp = numCol('dpkts');
  const srv = numCol('ct_srv_src'), dport = numCol('ct_src_dport_ltm'), dst = numCol('ct_dst_ltm');
  const proto = catCol('proto'), service = catCol('service'), state = catCol('state');
  const idx = Array.from({ length: t.nRows }, (_, i) => i);
  shuffleInPlace(idx, createRng(seed));
  const take = idx.slice(0, Math.min(max, idx.length));
  const v = (a: Float64Array | undefined, i: number) => (a === undefined ? Number.NaN : a[i]!);
  const c = (col: CategoricalColumn | undefined, i: number) => (col === undefined || col.codes[i]! < 0 ? '-' : col.categories[col.codes[i]!]!);
  const rows: FlowFeatureRow[] = take.map((i) => ({
    duration: v(dur, i),
    orig_bytes: v(sb, i),
    resp_bytes: v(db, i),
    orig_pkts: v(sp, i),
    resp_pkts: v(dp, i),
    resp_p: Number.NaN,
    rate: Number.NaN,
    burst_rate: Number.NaN,
    spkts: Number.NaN,
    sbytes: Number.NaN,
    ct_src_dport_ltm: v(dport, i),
    ct_dst_ltm: v(dst, i),
    ct_srv_src: v(srv, i),
    proto: c(proto, i),
    service: c(service, i),
    conn_state: ARGUS_TO_ZEEK[c(state, i)] ?? 'OTH',
  }));
  return { rows, labels: Uint8Array.from(take.map((i) => ds.binary[i]!)) };
}

/**
 * Trains the first-start flow model: GBDT (binary) on simulator flows blended with UNSW-NB15 when present.
 * @param dir data directory (IPQSEC_DATA); UNSW-NB15 is optional
 * @param overrides smaller runs for tests (simulated seconds, UNSW sample size, boosting rounds)
 */
export async function trainFlowModel(
  dir: string = dataDir(),
  overrides: Partial<typeof FIRST_START_TRAINING> & { readonly maxIter?: number } = {},
): Promise<{ bundle: ModelBundle; provenance: FlowModelProvenance }> {
  const cfg = { ...FIRST_START_TRAINING, ...overrides };
  const sim = simulatorFlowRows(cfg.seed, cfg.startMs, cfg.durationS);
  let unsw: { rows: FlowFeatureRow[]; labels: Uint8Array } = { rows: [], labels: new Uint8Array(0) };
  let unswFile: string | null = null;
  for (const f of cfg.unswSample > 0 ? ['UNSW_NB15_training-set.csv', 'UNSW_NB15_testing-set.csv'] : []) {
    if (!existsSync(join(dir, 'unsw-nb15', f))) continue;
    const ds = await loadDataset('unsw-nb15', f, { dataDir: dir });
    unsw = unswFlowRows(ds, cfg.unswSample, cfg.seed);
    unswFile = join(dir, 'unsw-nb15', f);
    break;
  }
  const rows = [...sim.rows, ...unsw.rows];
  const binary = new Uint8Array(rows.length);
  binary.set(sim.labels, 0);
  binary.set(unsw.labels, sim.rows.length);
  const features: Table = flowRowsToTable(rows);
  const ds: LabelledDataset = {
    name: unswFile === null ? 'simulator flows' : 'simulator flows + UNSW-NB15 sample',
    features,
    binary,
    multiclass: Int32Array.from(binary),
    classNames: ['normal', 'attack'],
    rawLabel: Array.from(binary, (b) => (b === 1 ? 'attack' : 'normal')),
    skipped: { count: 0, examples: [] },
    files: unswFile === null ? [] : [unswFile],
  };
  const bundle = await trainBundle(
    ds,
    { model: 'gbdt', target: 'binary', seed: cfg.seed, params: { maxIter: overrides.maxIter ?? 100, maxLeafNodes: 15 } },
    { kind: 'flow-events', options: { features: FLOW_MODEL_FEATURES.map((f) => f.name) }, temporal: true },
  );
  return {
    bundle,
    provenance: { simulatorRows: sim.rows.length, simulatorAttacks: sim.labels.reduce((a, b) => a + b, 0), unswRows: unsw.rows.length, unswFile },
  };
}
