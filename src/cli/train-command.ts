/**
 * `ipqsec train`: fit a model on a training file and write one model file.
 */
import { basename } from 'node:path';
import { Command } from 'commander';
import { encodeModelBundle, writeModelFile, writeModelFileBytes } from '../ml/model-file.js';
import type { MlDsaKeyPair, PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { trainBundle } from '../pipeline/train.js';
import { addDataOptions, addModelOptions, fitSpecOf, loaderRecord, loadFromOptions, type DataOptionValues, type ModelOptionValues } from './data-options.js';
import { resolvePassphrase } from './key-files.js';
import { loadModelSigningKey, signModelFile } from './model-signing.js';
import { createProgress } from './progress.js';

interface TrainValues extends DataOptionValues, ModelOptionValues {
  train: string;
  out: string;
  json?: boolean;
  signKey?: string;
}

/** The provider and ML-DSA-65 key pair of `--sign-key` (passphrase from IPQSEC_KEY_PASSPHRASE). */
async function loadSigner(keyFile: string): Promise<{ p: PqcProvider; keyPair: MlDsaKeyPair }> {
  const p = defaultPqcProvider();
  const passphrase = await resolvePassphrase({});
  return { p, keyPair: await loadModelSigningKey(keyFile, p, passphrase === undefined ? {} : { passphrase }) };
}

/** Builds the `train` command. */
export function trainCommand(): Command {
  const cmd = new Command('train').description('train a model and save it (preprocessing, schema, labels and model in one file)');
  addDataOptions(cmd);
  addModelOptions(cmd);
  cmd
    .requiredOption('--train <file>', 'training file')
    .requiredOption('--out <file>', 'model file to write (e.g. model.ipqm)')
    .option('--json', 'print a JSON summary instead of text')
    .option('--sign-key <file>', 'sign the model with this ML-DSA-65 key file (passphrase from IPQSEC_KEY_PASSPHRASE)')
    .action(async (v: TrainValues) => {
      // Load the signing key first, so a wrong passphrase or file mode fails before a long training run.
      const signer = v.signKey === undefined ? undefined : await loadSigner(v.signKey);
      const progress = createProgress(process.stderr, { enabled: v.json !== true });
      const spec = fitSpecOf(v, (stage, done, total) => progress.update(stage, done, total));
      const ds = await loadFromOptions(v, v.train, (read, total) => progress.update(`loading ${basename(v.train)}`, read, total));
      const bundle = await trainBundle(ds, spec, loaderRecord(v));
      if (signer === undefined) await writeModelFile(v.out, bundle);
      else await writeModelFileBytes(v.out, signModelFile(signer.p, signer.keyPair, encodeModelBundle(bundle), v.out));
      progress.done();
      const summary = {
        out: v.out,
        signed: signer !== undefined,
        dataset: bundle.dataset,
        model: spec.model,
        target: spec.target,
        rows: ds.features.nRows,
        skipped_rows: ds.skipped.count,
        features: bundle.featureNames.length,
        labels: bundle.labelNames,
        fit_seconds: bundle.training.fitSeconds,
      };
      if (v.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        process.stdout.write(
          `trained ${spec.model} (${spec.target}) on ${ds.features.nRows} rows of ${bundle.dataset} in ${Number(bundle.training.fitSeconds).toFixed(2)} s; wrote ${v.out}\n`,
        );
        if (ds.skipped.count > 0) process.stdout.write(`skipped ${ds.skipped.count} malformed rows, e.g. ${ds.skipped.examples[0]}\n`);
      }
    });
  return cmd;
}
