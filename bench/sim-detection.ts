/**
 * Detection quality on the simulator's ground truth (`npm run bench:sim`), and the ablation of the risk
 * modulation (docs/detection.md).
 *
 * For each seed, a fresh detection engine (rules + the first-start flow model, trained once exactly as the
 * service does at first start) scores one simulated run in batches of 1,000 events, in order, committing state as
 * the service does. Reported:
 *  - per scenario kind, over all seeds: instances, recall, precision (an alert with the kind's reasons on any
 *    attack instance counts as true: see src/sim/score.ts `precision_any`), strict precision (only instances of
 *    that kind) and mean time to detect;
 *  - per risk setting (modulation sine | identity, α): event-level ROC-AUC of the final risk against "event
 *    belongs to an attack instance", and precision/recall of the High class (risk ≥ 0.7) as a detector.
 *
 * Options: --seeds N (default 5), --duration S (default 600), --quick (2 seeds × 300 s), --json FILE.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseEvents, type IngestEvent } from '../src/core/events.js';
import { DetectionEngine, type ScoredEvent } from '../src/detect/engine.js';
import { RISK_DEFAULTS, type RiskConfig } from '../src/detect/risk.js';
import { rocAuc } from '../src/ml/roc.js';
import { ModelFlowScorer, trainFlowModel } from '../src/service/flow-model.js';
import { seedTransitionsFromSimulator } from '../src/service/task-history.js';
import { scoreRun, simulate, type ObservedEvent, type ScenarioScore } from '../src/sim/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const quick = process.argv.includes('--quick');
const nSeeds = Number(arg('seeds') ?? (quick ? 2 : 5));
const durationS = Number(arg('duration') ?? (quick ? 300 : 600));

// The first variant is the default (its alerts give the per-scenario table); the others are the ablation.
const VARIANTS: { label: string; risk: RiskConfig }[] = [
  { label: `${RISK_DEFAULTS.modulation}, α ${RISK_DEFAULTS.alpha} (default)`, risk: RISK_DEFAULTS },
  { label: `${RISK_DEFAULTS.modulation === 'sine' ? 'identity' : 'sine'}, α 0.5`, risk: { ...RISK_DEFAULTS, modulation: RISK_DEFAULTS.modulation === 'sine' ? 'identity' : 'sine', alpha: 0.5 } },
  { label: 'sine, α 0.3', risk: { ...RISK_DEFAULTS, modulation: 'sine', alpha: 0.3 } },
  { label: 'identity, α 0.3', risk: { ...RISK_DEFAULTS, modulation: 'identity', alpha: 0.3 } },
];

async function main(): Promise<void> {
  console.log(`simulator detection bench: ${nSeeds} seeds × ${durationS} simulated s; default risk: ${RISK_DEFAULTS.modulation}, α ${RISK_DEFAULTS.alpha}`);
  const t0 = Date.now();
  const { bundle, provenance } = await trainFlowModel();
  console.log(`first-start flow model trained in ${((Date.now() - t0) / 1000).toFixed(1)} s (${provenance.simulatorRows} simulator flows, ${provenance.unswRows} UNSW-NB15 rows)\n`);
  const scorer = new ModelFlowScorer(bundle, 'first-start model');

  const perVariant = VARIANTS.map(() => ({ y: [] as number[], risk: [] as number[] }));
  const aucBySeed: number[][] = VARIANTS.map(() => []);
  const scenarioRows: ScenarioScore[][] = [];
  let events = 0;
  let seconds = 0;
  for (let s = 0; s < nSeeds; s++) {
    const seed = 1000 + s;
    const sim = simulate({ seed, startMs: Date.UTC(2026, 2, 1 + s, 6), durationS });
    let n = 0;
    const parsed: IngestEvent[] = [];
    for (let i = 0; i < sim.events.length; i += 10_000) parsed.push(...parseEvents(sim.events.slice(i, i + 10_000), () => `g${n++}`));
    const attack = new Set(sim.truth.scenarios.flatMap((x) => x.event_ids));
    for (let v = 0; v < VARIANTS.length; v++) {
      const engine = new DetectionEngine({ risk: VARIANTS[v]!.risk }, { newId: () => `a${n++}`, flowScorer: scorer });
      seedTransitionsFromSimulator(engine.transitions);
      const scored: ScoredEvent[] = [];
      const t1 = performance.now();
      for (let i = 0; i < parsed.length; i += 1000) scored.push(...engine.scoreBatch(parsed.slice(i, i + 1000), true).scored);
      if (v === 0) {
        seconds += (performance.now() - t1) / 1000;
        events += parsed.length;
        const observed: ObservedEvent[] = scored.map((x, i) => ({ event: sim.events[i]!, alerts: x.alert === null ? [] : [{ reasons: [...x.alert.reasons] }] }));
        scenarioRows.push(scoreRun(sim.truth, observed));
      }
      const ys = scored.map((x) => (attack.has(x.event.id) ? 1 : 0));
      const rs = scored.map((x) => x.risk);
      aucBySeed[v]!.push(rocAuc(ys, rs));
      for (let k = 0; k < ys.length; k++) {
        perVariant[v]!.y.push(ys[k]!);
        perVariant[v]!.risk.push(rs[k]!);
      }
    }
    process.stderr.write(`seed ${seed} done\n`);
  }

  // Per-scenario totals over seeds.
  const kinds = scenarioRows[0]!.map((r) => r.kind);
  const table = kinds.map((kind) => {
    const rows = scenarioRows.map((rs) => rs.find((r) => r.kind === kind)!);
    const sum = (f: (r: ScenarioScore) => number) => rows.reduce((a, r) => a + f(r), 0);
    const instances = sum((r) => r.instances);
    const detected = sum((r) => r.detected);
    const alerts = sum((r) => r.alerts);
    const ttd = rows.filter((r) => r.mean_ttd_s !== null).map((r) => r.mean_ttd_s! * r.detected);
    return {
      kind,
      instances,
      detected,
      recall: instances === 0 ? null : detected / instances,
      precision: alerts === 0 ? null : sum((r) => r.attack_alerts) / alerts,
      strict_precision: alerts === 0 ? null : sum((r) => r.true_alerts) / alerts,
      mean_ttd_s: detected === 0 ? null : ttd.reduce((a, b) => a + b, 0) / detected,
    };
  });
  const f = (x: number | null, d = 3) => (x === null ? '-' : x.toFixed(d));
  console.log('scenario               instances  recall  precision  strict prec.  mean TTD s  target (P, R >= 0.95)');
  for (const r of table) {
    const ok = r.kind === 'events' ? '' : (r.recall ?? 0) >= 0.95 && (r.precision ?? 0) >= 0.95 ? 'met' : 'NOT MET';
    console.log(`${r.kind.padEnd(22)} ${String(r.instances).padStart(9)}  ${f(r.recall).padStart(6)}  ${f(r.precision).padStart(9)}  ${f(r.strict_precision).padStart(12)}  ${f(r.mean_ttd_s, 1).padStart(10)}  ${ok}`);
  }
  console.log(`\nengine throughput (scoring only, in process, with the flow model): ${Math.round(events / seconds).toLocaleString('en')} events/s\n`);

  console.log('risk setting                event ROC-AUC  High precision  High recall  Medium+ precision  Medium+ recall');
  const ablation = VARIANTS.map((v, i) => {
    const { y, risk } = perVariant[i]!;
    const pr = (th: number) => {
      let tp = 0, fp = 0, pos = 0;
      for (let k = 0; k < y.length; k++) {
        if (y[k] === 1) pos++;
        if (risk[k]! >= th) {
          if (y[k] === 1) tp++;
          else fp++;
        }
      }
      return { precision: tp + fp === 0 ? null : tp / (tp + fp), recall: tp / pos };
    };
    const high = pr(0.7);
    const med = pr(0.4);
    const row = { setting: v.label, auc: rocAuc(y, risk), high, medium: med };
    console.log(`${v.label.padEnd(26)}  ${f(row.auc, 4).padStart(13)}  ${f(high.precision).padStart(14)}  ${f(high.recall).padStart(11)}  ${f(med.precision).padStart(17)}  ${f(med.recall).padStart(14)}`);
    return row;
  });
  const diffs = aucBySeed[0]!.map((a, i) => a - aucBySeed[1]![i]!);
  console.log(`\n${VARIANTS[0]!.label} − ${VARIANTS[1]!.label}, event ROC-AUC per seed: ${diffs.map((d) => (d >= 0 ? '+' : '') + d.toFixed(5)).join(' ')}`);
  const out = arg('json') ?? '.bench/sim-results.json';
  mkdirSync('.bench', { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), seeds: nSeeds, durationS, scenarios: table, ablation, aucBySeed, engineEventsPerS: events / seconds }, null, 2));
  console.log(`\nresults: ${out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
