/**
 * `ipqsec predict`: score a file with a saved model; one line per row on stdout (CSV or NDJSON).
 */
import { Command } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { readModelFile } from '../ml/model-file.js';
import { loadBundle, predictTable } from '../pipeline/predict.js';
import { readFeatureFile } from '../pipeline/read-features.js';
import type { LoaderRecord } from '../pipeline/train.js';

interface PredictValues {
  model: string;
  data: string;
  format: string;
  skipBadRows?: boolean;
}

/** Builds the `predict` command. */
export function predictCommand(): Command {
  return new Command('predict')
    .description('score the rows of a file with a saved model')
    .requiredOption('--model <file>', 'model file written by `ipqsec train`')
    .requiredOption('--data <file>', 'file to score (same format as the training data; labels optional)')
    .option('--format <fmt>', 'csv | ndjson', 'csv')
    .option('--skip-bad-rows', 'skip and count malformed rows instead of failing')
    .action(async (v: PredictValues) => {
      if (v.format !== 'csv' && v.format !== 'ndjson') throw new IpqsecError('IPQ-C001', `--format must be csv or ndjson, got "${v.format}"`);
      const bundle = await readModelFile(v.model);
      const loader = bundle.training.loader as LoaderRecord;
      const file = await readFeatureFile(v.data, bundle.featureSchema, loader, { skipBadRows: v.skipBadRows });
      const m = loadBundle(bundle);
      const p = predictTable(m, file.table);
      const k = p.nClasses;
      const names = p.labelNames;
      const chunks: string[] = [];
      if (v.format === 'csv') chunks.push(`row,prediction,${names.map((n) => `p_${n}`).join(',')}\n`);
      for (let i = 0; i < p.nRows; i++) {
        const probs = Array.from(p.proba.subarray(i * k, i * k + k), (x) => Number(x.toFixed(6)));
        if (v.format === 'csv') chunks.push(`${i + 1},${names[p.pred[i]]},${probs.join(',')}\n`);
        else chunks.push(`${JSON.stringify({ row: i + 1, prediction: names[p.pred[i]], proba: Object.fromEntries(names.map((n, c) => [n, probs[c]])) })}\n`);
        if (chunks.length >= 4096) {
          process.stdout.write(chunks.join(''));
          chunks.length = 0;
        }
      }
      process.stdout.write(chunks.join(''));
      if (file.skipped.count > 0) process.stderr.write(`skipped ${file.skipped.count} malformed rows, e.g. ${file.skipped.examples[0]}\n`);
    });
}
