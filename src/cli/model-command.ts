/**
 * `ipqsec model info FILE`: what a model file holds.
 */
import { Command } from 'commander';
import { describeModelBundle, readModelFile } from '../ml/model-file.js';

/** Builds the `model` command group. */
export function modelCommand(): Command {
  const cmd = new Command('model').description('inspect model files');
  cmd
    .command('info')
    .description('print what a model file holds: kind, data set, target, labels, features, parameters')
    .argument('<file>', 'model file')
    .option('--json', 'print JSON')
    .action(async (file: string, v: { json?: boolean }) => {
      const t0 = performance.now();
      const bundle = await readModelFile(file);
      const loadMs = performance.now() - t0;
      const s = describeModelBundle(bundle);
      if (v.json === true) {
        process.stdout.write(`${JSON.stringify({ ...s, loadMs })}\n`);
        return;
      }
      const lines = [
        `file        ${file} (${s.fileBytes.toLocaleString('en-US')} bytes, read in ${loadMs.toFixed(1)} ms)`,
        `format      ipqsec-model v${s.formatVersion}, created ${s.createdAt}`,
        `model       ${s.kind}, ${s.target} target, trained on ${s.dataset}`,
        `labels      ${s.labels.join(', ')}`,
        `inputs      ${s.nInputColumns} columns (${s.inputColumns.filter((c) => c.kind === 'categorical').length} categorical)`,
        `features    ${s.nFeatures} after preprocessing`,
        `params      ${JSON.stringify(s.params)}`,
        `training    ${JSON.stringify(s.training)}`,
        `arrays      ${s.arrays.map((a) => `${a.name} ${a.dtype}[${a.length}]`).join(', ')}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  return cmd;
}
