/**
 * `ipqsec start`: the ML engine's evaluation of our best model on every standard data set found under
 * IPQSEC_DATA, with how to get the ones that are absent. (`npm start` runs `ipqsec demo`, the live service.)
 */
import { Command } from 'commander';
import { dataDir, downloadInstructions } from '../data/datasets.js';
import { parseModelKind } from '../ml/model-registry.js';
import { bestSetting, runCase, standardCases, standardFitSpec } from '../pipeline/standard-evaluations.js';
import { fmt, textTable } from './format.js';

/** Builds the `start` command. */
export function startCommand(): Command {
  return new Command('start')
    .description('evaluate our best model on every standard data set under IPQSEC_DATA')
    .option('--model <kind>', 'gbdt | forest | logistic | iforest | hybrid (default: the best setting per data set)')
    .option('--json', 'print one JSON line per data set')
    .action(async (v: { model?: string; json?: boolean }) => {
      const dir = dataDir();
      const model = v.model === undefined ? undefined : parseModelKind(v.model);
      const { cases, missing } = standardCases(dir);
      if (v.json !== true) {
        process.stdout.write(`IPqSEC ML engine: ${model ?? 'best setting per data set'} on the standard splits, data from ${dir}\n`);
        if (cases.length > 0) process.stdout.write(`running ${cases.length} evaluations (about a minute each at most)...\n\n`);
      }
      const rows: string[][] = [];
      for (const c of cases) {
        const best = bestSetting(c, { quick: true });
        const spec = model === undefined ? best.spec : standardFitSpec(model);
        const r = await runCase(c, dir, spec);
        if (v.json === true) {
          const { tests, folds: _f, feature_importance: _i, ...rest } = r;
          process.stdout.write(`${JSON.stringify({ case: c.id, ...rest, tests: tests.map(({ roc: _r, ...t }) => t) })}\n`);
          continue;
        }
        for (const t of r.tests) {
          const id = c.split.kind === 'train-test' ? `${c.id} ${t.name}` : c.id;
          const row = [id, model ?? best.label, fmt(t.accuracy), fmt(t.f1), fmt(t.fpr), fmt(t.roc_auc), r.fit_seconds.toFixed(2), Math.round(r.predict_rows_per_second).toLocaleString('en-US')];
          rows.push(row);
          process.stdout.write(`${row.join('  ')}\n`);
        }
      }
      if (v.json !== true && rows.length > 0) {
        process.stdout.write(`\n${textTable(['data set / split', 'model', 'accuracy', 'F1', 'FPR', 'ROC-AUC', 'fit s', 'predict rows/s'], rows)}\n`);
      }
      for (const k of missing) {
        process.stderr.write(`\n${k} not found under ${dir}.\n${downloadInstructions(k, dir)}\n`);
      }
      if (cases.length === 0) {
        process.stderr.write('\nNo data set found: set IPQSEC_DATA to the folder that holds nsl-kdd/, unsw-nb15/ and ton-iot/.\n');
        process.exitCode = 2;
      }
    });
}
