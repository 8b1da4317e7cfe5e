/**
 * `ipqsec tune`: choose hyper-parameters by cross-validation on training data only (never a test set).
 */
import { basename } from 'node:path';
import { Command } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { defaultCandidates, tune, type TuneScheme } from '../pipeline/tune.js';
import { addDataOptions, loadFromOptions, type DataOptionValues } from './data-options.js';
import { fmt, textTable } from './format.js';
import { createProgress } from './progress.js';

interface TuneValues extends DataOptionValues {
  data: string;
  scheme: string;
  cv: string;
  seed: string;
  json?: boolean;
}

/** Builds the `tune` command. */
export function tuneCommand(): Command {
  const cmd = new Command('tune').description('score a grid of models by cross-validation on training data and name the best');
  addDataOptions(cmd);
  cmd
    .requiredOption('--data <file>', 'training data (never the test set)')
    .option('--scheme <scheme>', 'stratified | novel-class (attack types held out whole)', 'stratified')
    .option('--cv <k>', 'folds', '5')
    .option('--seed <n>', 'seed', '42')
    .option('--json', 'print one JSON object')
    .action(async (v: TuneValues) => {
      if (v.scheme !== 'stratified' && v.scheme !== 'novel-class') {
        throw new IpqsecError('IPQ-C001', `--scheme must be stratified or novel-class, got "${v.scheme}"`);
      }
      const k = Number(v.cv);
      if (!Number.isInteger(k) || k < 2) throw new IpqsecError('IPQ-D012', `--cv must be an integer >= 2, got "${v.cv}"`);
      const progress = createProgress(process.stderr, { enabled: v.json !== true });
      const ds = await loadFromOptions(v, v.data, (read, total) => progress.update(`loading ${basename(v.data)}`, read, total));
      const r = await tune(ds, defaultCandidates(), v.scheme as TuneScheme, {
        k,
        seed: Number(v.seed),
        onCandidate: (name, i, n) => progress.update(name, i, n),
      });
      progress.done();
      if (v.json === true) {
        process.stdout.write(`${JSON.stringify({ dataset: ds.name, ...r })}\n`);
        return;
      }
      const metric = r.scheme === 'stratified' ? 'accuracy' : 'balanced accuracy';
      process.stdout.write(`${ds.name}: ${r.k}-fold ${r.scheme} CV on training data, seed ${r.seed}, mean ${metric}\n\n`);
      process.stdout.write(
        `${textTable(
          ['candidate', metric, 'folds', 'fit s/fold'],
          r.scores.map((s) => [s.candidate.name, fmt(s.mean), s.folds.map((f) => f.toFixed(3)).join(' '), s.fitSeconds.toFixed(2)]),
        )}\n\nbest: ${r.best.name} (--model ${r.best.model}${Object.entries(r.best.params)
          .map(([key, val]) => ` --param ${key}=${String(val)}`)
          .join('')})\n`,
      );
    });
  return cmd;
}
