/**
 * `ipqsec model sign MODEL --key KEYFILE` and `ipqsec model verify MODEL --key PUBFILE...`: ML-DSA-65 signatures
 * on model files (`docs/model-file.md`, "Signature block"). Added to the `model` command group by
 * {@link modelSignCommands}.
 */
import type { Command } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { decodeModelBundle, readModelFileBytes, writeModelFileBytes } from '../ml/model-file.js';
import { publicKeyId } from '../pqc/key-file.js';
import type { PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { resolvePassphrase } from './key-files.js';
import { loadModelSigningKey, loadTrustedModelKeys, signModelFile, verifyModelFile } from './model-signing.js';

/** Injection points of {@link modelSignCommands} (tests); every field has a production default. */
export interface ModelSignDeps {
  /** The crypto provider (default `defaultPqcProvider()`, called when a command runs). */
  readonly provider?: () => PqcProvider;
  /** Environment for `IPQSEC_KEY_PASSPHRASE` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output (default `process.stdout.write`). */
  readonly out?: (text: string) => void;
}

/**
 * Adds the subcommands `sign` and `verify` to the `model` command group and returns it. Call it on the command
 * built by `modelCommand()`: `program.addCommand(modelSignCommands(modelCommand()))`.
 */
export function modelSignCommands(model: Command, deps: ModelSignDeps = {}): Command {
  const provider = deps.provider ?? defaultPqcProvider;
  const env = deps.env ?? process.env;
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));

  model
    .command('sign')
    .description('sign a model file with an ML-DSA-65 key file (replaces any signature it has)')
    .argument('<model>', 'model file')
    .requiredOption('--key <file>', 'ML-DSA-65 key file (ipqsec keys gen)')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key file (else IPQSEC_KEY_PASSPHRASE)')
    .option('--out <file>', 'write the signed model here (default: replace the model file, atomically)')
    .option('--json', 'print JSON')
    .action(async (file: string, v: { key: string; passphraseFile?: string; out?: string; json?: boolean }) => {
      const p = provider();
      const passphrase = await resolvePassphrase(v, env);
      const keyPair = await loadModelSigningKey(v.key, p, passphrase === undefined ? {} : { passphrase });
      const bytes = await readModelFileBytes(file);
      decodeModelBundle(bytes, file); // sign only a complete, well-formed model
      const signed = signModelFile(p, keyPair, bytes, file);
      const target = v.out ?? file;
      await writeModelFileBytes(target, signed);
      const keyId = publicKeyId(keyPair.publicKey);
      if (v.json === true) out(`${JSON.stringify({ file: target, algorithm: 'ML-DSA-65', key_id: keyId, bytes: signed.length })}\n`);
      else out(`signed ${file} with ML-DSA-65 key ${keyId}; wrote ${target}\n`);
    });

  model
    .command('verify')
    .description('check that a model file is signed by one of the given keys (exit code 3, IPQ-P008, when not)')
    .argument('<model>', 'model file')
    .requiredOption('--key <files...>', 'trusted key: a key file, `ipqsec keys show --json` output, or a base64 public key (repeatable)')
    .option('--json', 'print JSON (also when the check fails)')
    .action(async (file: string, v: { key: string[]; json?: boolean }) => {
      const trusted = await loadTrustedModelKeys(v.key);
      const bytes = await readModelFileBytes(file);
      decodeModelBundle(bytes, file);
      const status = verifyModelFile(provider(), bytes, trusted, file);
      if (v.json === true) {
        const keyId = status.status === 'unsigned' ? undefined : status.keyId;
        out(`${JSON.stringify({ file, status: status.status, key_id: keyId ?? null, reason: status.status === 'invalid' ? status.reason : null })}\n`);
      } else if (status.status === 'valid') {
        out(`${file}: valid ML-DSA-65 signature by trusted key ${status.keyId}\n`);
      }
      if (status.status !== 'valid') {
        const reason = status.status === 'unsigned' ? 'the model file is not signed' : status.reason;
        throw new IpqsecError('IPQ-P008', reason, { location: { file }, details: { ...status } });
      }
    });

  return model;
}
