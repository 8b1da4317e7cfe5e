/**
 * `ipqsec keys gen|show|rotate`: ML-DSA-65 identity keys and X-Wing KEM keys held as seeds in key files of
 * mode 0600, optionally encrypted under a passphrase (scrypt + AES-256-GCM; format in `src/pqc/key-file.ts`).
 * The passphrase comes from `--passphrase-file` or the environment variable `IPQSEC_KEY_PASSPHRASE`.
 */
import { Command, Option } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { encodeKeyFile, keyPairFromSeed, publicKeyId, type KeyAlgorithm, type KeyFileInfo, type ScryptParams } from '../pqc/key-file.js';
import type { PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readKeyFile, readKeyFileInfo, replaceKeyFileKeepingOld, resolvePassphrase, writeKeyFile } from './key-files.js';

/** Injection points of {@link keysCommand} (tests); every field has a production default. */
export interface KeysCommandDeps {
  /** The crypto provider (default `defaultPqcProvider()`, called when a command runs). */
  readonly provider?: () => PqcProvider;
  /** Environment for `IPQSEC_KEY_PASSPHRASE` (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Clock, ms since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** Writes to standard output (default `process.stdout.write`). */
  readonly out?: (text: string) => void;
  /** Writes to standard error (default `process.stderr.write`). */
  readonly err?: (text: string) => void;
  /** scrypt cost for newly encrypted files (default N = 2^15, r = 8, p = 1; tests lower it). */
  readonly scrypt?: Partial<ScryptParams>;
}

const ALGORITHMS: Readonly<Record<string, KeyAlgorithm>> = { 'ml-dsa-65': 'ML-DSA-65', 'x-wing': 'X-Wing' };

/** `20250102T030405678Z`: the UTC time of `ms`, safe in file names. */
export function fileTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:.]/g, '');
}

function describeProtection(info: KeyFileInfo): string {
  if (!info.encrypted || info.scrypt === undefined) return 'none (seed stored in clear; protect the file)';
  return `scrypt (N = 2^${info.scrypt.log2N}, r = ${info.scrypt.r}, p = ${info.scrypt.p}) + AES-256-GCM`;
}

/** Builds the `keys` command group. */
export function keysCommand(deps: KeysCommandDeps = {}): Command {
  const provider = deps.provider ?? defaultPqcProvider;
  const env = deps.env ?? process.env;
  const now = deps.now ?? Date.now;
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  const encryptOpts = (passphrase: string | undefined, scrypt?: Partial<ScryptParams>) => ({
    ...(passphrase === undefined ? {} : { passphrase }),
    ...(scrypt === undefined ? {} : { scrypt }),
  });

  const cmd = new Command('keys').description('identity (ML-DSA-65) and KEM (X-Wing) key files: generate, show, rotate');

  cmd
    .command('gen')
    .description('generate a key file (mode 0600; the seed encrypted under a passphrase with --encrypt)')
    .requiredOption('--out <file>', 'key file to write')
    .addOption(new Option('--alg <alg>', 'key algorithm').choices(Object.keys(ALGORITHMS)).default('ml-dsa-65'))
    .option('--encrypt', `encrypt the seed (scrypt + AES-256-GCM) under the passphrase from --passphrase-file or ${'IPQSEC_KEY_PASSPHRASE'}`)
    .option('--passphrase-file <file>', 'read the passphrase from this file (one trailing newline ignored)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print JSON')
    .action(async (v: { out: string; alg: string; encrypt?: boolean; passphraseFile?: string; force?: boolean; json?: boolean }) => {
      const algorithm = ALGORITHMS[v.alg];
      const passphrase = v.encrypt === true ? await resolvePassphrase(v, env) : undefined;
      if (v.encrypt === true && passphrase === undefined) {
        throw new IpqsecError('IPQ-C001', '--encrypt needs a passphrase: set IPQSEC_KEY_PASSPHRASE or pass --passphrase-file');
      }
      const kp = keyPairFromSeed(provider(), algorithm);
      const createdMs = Math.floor(now());
      const bytes = encodeKeyFile({ algorithm, seed: kp.seed, publicKey: kp.publicKey, createdMs }, encryptOpts(passphrase, deps.scrypt));
      await writeKeyFile(v.out, bytes, { force: v.force === true });
      const keyId = publicKeyId(kp.publicKey);
      if (v.json === true) {
        out(`${JSON.stringify({ file: v.out, algorithm, key_id: keyId, encrypted: passphrase !== undefined, created: new Date(createdMs).toISOString() })}\n`);
      } else {
        out(`wrote ${algorithm} key ${keyId} to ${v.out} (mode 0600, ${passphrase === undefined ? 'not encrypted' : 'encrypted'})\n`);
      }
    });

  cmd
    .command('show')
    .description('print a key file\'s algorithm, key id, public key and creation time (never the secret seed; no passphrase needed)')
    .argument('<file>', 'key file')
    .option('--json', 'print JSON')
    .action(async (file: string, v: { json?: boolean }) => {
      const info = await readKeyFileInfo(file);
      const mode = `0${info.mode.toString(8)}`;
      const lax = process.platform !== 'win32' && (info.mode & 0o077) !== 0;
      if (lax) err(`warning: ${file} has mode ${mode}; a secret key file must be 0600 (chmod 600 ${file})\n`);
      const publicKey = Buffer.from(info.publicKey).toString('base64');
      const created = new Date(info.createdMs).toISOString();
      if (v.json === true) {
        out(
          `${JSON.stringify({
            file,
            algorithm: info.algorithm,
            key_id: info.keyId,
            public_key: publicKey,
            created,
            encrypted: info.encrypted,
            ...(info.scrypt === undefined ? {} : { scrypt: { log2_n: info.scrypt.log2N, r: info.scrypt.r, p: info.scrypt.p } }),
            mode,
          })}\n`,
        );
        return;
      }
      const lines = [
        `file        ${file}`,
        `algorithm   ${info.algorithm}`,
        `key id      ${info.keyId}`,
        `created     ${created}`,
        `protection  ${describeProtection(info)}`,
        `mode        ${mode}${lax ? ' (too open)' : ''}`,
        `public key  ${publicKey}`,
      ];
      out(`${lines.join('\n')}\n`);
    });

  cmd
    .command('rotate')
    .description('replace a key with a new one of the same algorithm; the old file is kept as FILE.<timestamp>.old (mode 0600)')
    .argument('<file>', 'key file')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key (else IPQSEC_KEY_PASSPHRASE); the new key is encrypted under it too')
    .option('--json', 'print JSON')
    .action(async (file: string, v: { passphraseFile?: string; json?: boolean }) => {
      const info = await readKeyFileInfo(file);
      const passphrase = info.encrypted ? await resolvePassphrase(v, env) : undefined;
      const p = provider();
      // Opening the old key checks its mode, its integrity and that the passphrase is the right one.
      const old = await readKeyFile(file, p, passphrase === undefined ? {} : { passphrase });
      const kp = keyPairFromSeed(p, old.algorithm);
      const createdMs = Math.floor(now());
      const bytes = encodeKeyFile(
        { algorithm: old.algorithm, seed: kp.seed, publicKey: kp.publicKey, createdMs },
        encryptOpts(passphrase, info.scrypt ?? deps.scrypt),
      );
      const backup = `${file}.${fileTimestamp(createdMs)}.old`;
      await replaceKeyFileKeepingOld(file, bytes, backup);
      const oldId = publicKeyId(old.publicKey);
      const newId = publicKeyId(kp.publicKey);
      if (v.json === true) {
        out(`${JSON.stringify({ file, algorithm: old.algorithm, old_key_id: oldId, new_key_id: newId, old_file: backup })}\n`);
      } else {
        out(`rotated ${old.algorithm} key in ${file}: old key ${oldId} kept as ${backup}, new key ${newId}\n`);
      }
    });

  return cmd;
}
