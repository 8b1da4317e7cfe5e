/**
 * `ipqsec witness`: an independent witness of a server's tamper-evident log (docs/ledger.md), run as its own
 * process with its own ML-DSA-65 key.
 *
 * Each round: fetch the latest checkpoint, verify the log's signature with the pinned log key, fetch a
 * consistency proof from the last cosigned size, verify it, cosign (C2SP tlog-cosignature, ML-DSA-65) and POST
 * the cosignature. An inconsistent checkpoint (a second tree of a size, or one that does not extend the last
 * cosigned tree) is logged and never cosigned. The decisions are the pure `Witness` (src/ledger/witness.ts);
 * this file does the I/O.
 *
 * - Key (`--key FILE`): an IPqSEC ML-DSA-65 key file (`ipqsec keys gen`; encrypted ones take
 *   `IPQSEC_KEY_PASSPHRASE` or `--passphrase-file`), or a raw 32-byte ML-DSA seed, or a text file of 64 hex digits.
 *   Must not be readable by group or others (IPQ-P004).
 * - Log key: `--log-key VKEY` pins it; else it is taken from the server on first use and pinned in the state file.
 * - State (`--state FILE`, JSON): `{ version: 1, origin, log_vkey, size, root_hash, updated_ms }`, written
 *   atomically after every cosignature.
 * - `--once`: one round, then exit (a refusal exits with the refusal's code, e.g. IPQ-L003); otherwise a round
 *   every `--interval-ms` until SIGINT/SIGTERM, logging failures and refusals without stopping.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { LogClient } from '../agent/log-client.js';
import { cosignerVerifierKey } from '../ledger/cosignature.js';
import { isValidKeyName } from '../ledger/signed-note.js';
import { verifierFromKey } from '../ledger/verifier-key.js';
import { Witness, type WitnessState } from '../ledger/witness.js';
import { isKeyFile } from '../pqc/key-file.js';
import { ML_DSA_65, type MlDsaKeyPair, type PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readKeyFile, resolvePassphrase } from './key-files.js';

/** Default server when neither `--server` nor `IPQSEC_SERVER` is given. */
const DEFAULT_SERVER = 'http://127.0.0.1:8080';
/** Default pause between rounds, ms. */
export const WITNESS_INTERVAL_MS = 60_000;

/** What the witness needs from the outside world. */
export interface WitnessIo {
  readonly fetch: typeof fetch;
  readonly provider: PqcProvider;
  readonly nowMs: () => number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One log line (stderr). */
  readonly log: (line: string) => void;
}

/** Options of {@link runWitness}. */
export interface WitnessRunOptions {
  readonly server: string;
  readonly keyFile: string;
  readonly name: string;
  readonly stateFile: string;
  readonly intervalMs: number;
  readonly once: boolean;
  readonly logKey?: string;
  readonly passphraseFile?: string;
}

/** The state file's content. */
interface StateFile {
  readonly version: 1;
  readonly origin: string;
  readonly log_vkey: string;
  readonly size?: number;
  readonly root_hash?: string;
  readonly updated_ms: number;
}

/** Outcome of one round. */
export type WitnessRound =
  | { readonly outcome: 'cosigned'; readonly size: number }
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'refused'; readonly error: IpqsecError };

/**
 * Loads the witness key: an IPqSEC ML-DSA-65 key file, a raw 32-byte seed, or 64 hex digits.
 * @throws IpqsecError IPQ-P002 (unreadable or none of these), IPQ-P004 (group/other may read it), IPQ-P003
 *   (encrypted key file, wrong passphrase)
 */
export async function loadWitnessKey(path: string, p: PqcProvider, passphrase?: string): Promise<MlDsaKeyPair> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new IpqsecError('IPQ-P002', `cannot read the witness key: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: path } });
  }
  if (isKeyFile(bytes)) {
    const k = await readKeyFile(path, p, passphrase === undefined ? {} : { passphrase });
    if (k.algorithm !== 'ML-DSA-65') throw new IpqsecError('IPQ-P002', `the witness key must be ML-DSA-65, the file holds ${k.algorithm}`, { location: { file: path } });
    return p.mlDsaKeygen(k.seed);
  }
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
    throw new IpqsecError('IPQ-P004', 'the witness seed file is readable by group or others', { location: { file: path } });
  }
  let seed: Uint8Array | undefined;
  if (bytes.length === ML_DSA_65.seedBytes) seed = bytes;
  else {
    const text = new TextDecoder().decode(bytes).trim();
    if (/^[0-9a-fA-F]{64}$/.test(text)) seed = new Uint8Array(Buffer.from(text, 'hex'));
  }
  if (seed === undefined) throw new IpqsecError('IPQ-P002', 'not an IPqSEC key file, a raw 32-byte seed or 64 hex digits', { location: { file: path } });
  return p.mlDsaKeygen(seed);
}

async function readState(path: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IpqsecError('IPQ-C001', `--state: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: path } });
  }
  const bad = (why: string) => new IpqsecError('IPQ-C001', `--state: not a witness state file: ${why}`, { location: { file: path } });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const o = v as Partial<StateFile> | null;
  if (o === null || typeof o !== 'object' || o.version !== 1 || typeof o.origin !== 'string' || typeof o.log_vkey !== 'string') throw bad('missing version, origin or log_vkey');
  if ((o.size === undefined) !== (o.root_hash === undefined)) throw bad('size and root_hash go together');
  if (o.size !== undefined && (!Number.isSafeInteger(o.size) || o.size < 0)) throw bad('size');
  if (o.root_hash !== undefined && (typeof o.root_hash !== 'string' || Buffer.from(o.root_hash, 'base64').length !== 32)) throw bad('root_hash');
  return o as StateFile;
}

async function writeState(path: string, s: StateFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`, { encoding: 'utf8', mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    throw new IpqsecError('IPQ-C001', `--state: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: path } });
  }
}

/** A prepared witness: the pure decision object plus the I/O around it. */
export class WitnessRunner {
  private constructor(
    private readonly o: WitnessRunOptions,
    private readonly io: WitnessIo,
    private readonly client: LogClient,
    private readonly witness: Witness,
    private readonly pinned: { origin: string; vkey: string },
    /** The witness verifier key string (give it to the server operator: `serve --witness-key`). */
    readonly witnessKey: string,
  ) {}

  /**
   * Loads the key and state, pins the log key (from `--log-key`, the state file, or the server on first use).
   * @throws IpqsecError as {@link loadWitnessKey}; IPQ-L004 for a bad log key; IPQ-L002 when `--log-key` differs
   *   from the key pinned in the state file; IPQ-S003 when the server must be asked and fails
   */
  static async create(o: WitnessRunOptions, io: WitnessIo): Promise<WitnessRunner> {
    if (!isValidKeyName(o.name)) throw new IpqsecError('IPQ-C001', `--name must be non-empty, without spaces or "+": ${JSON.stringify(o.name)}`);
    const passphrase = await resolvePassphrase(o.passphraseFile === undefined ? {} : { passphraseFile: o.passphraseFile });
    const keyPair = await loadWitnessKey(o.keyFile, io.provider, passphrase);
    const client = new LogClient({ server: o.server, fetch: io.fetch });
    const state = await readState(o.stateFile);
    let vkey: string;
    if (state !== undefined) {
      vkey = state.log_vkey;
      if (o.logKey !== undefined && o.logKey.trim() !== vkey) throw new IpqsecError('IPQ-L002', `--log-key differs from the log key pinned in ${o.stateFile}; move the state file away to start over`);
    } else if (o.logKey !== undefined) vkey = o.logKey.trim();
    else {
      vkey = (await client.key()).vkey;
      io.log(`pinned the log key on first use: ${vkey.slice(0, vkey.indexOf('+', vkey.indexOf('+') + 1))}`);
    }
    const log = verifierFromKey(io.provider, vkey, 'log');
    const ws: WitnessState | undefined =
      state?.size === undefined ? undefined : { origin: state.origin, size: state.size, rootHash: new Uint8Array(Buffer.from(state.root_hash as string, 'base64')) };
    const witness = new Witness(io.provider, { name: o.name, keyPair, log, ...(ws === undefined ? {} : { state: ws }) });
    if (state === undefined) await writeState(o.stateFile, { version: 1, origin: log.name, log_vkey: vkey, updated_ms: io.nowMs() });
    const witnessKey = cosignerVerifierKey(o.name, keyPair.publicKey);
    io.log(`witness ${o.name} for log ${log.name}; witness key (for the server's --witness-key): ${witnessKey}`);
    return new WitnessRunner(o, io, client, witness, { origin: log.name, vkey }, witnessKey);
  }

  /**
   * One round; see the file comment. A refusal is returned, not thrown.
   * @throws IpqsecError IPQ-S003 when the server fails, IPQ-C001 when the state cannot be written
   */
  async round(): Promise<WitnessRound> {
    const note = await this.client.checkpoint();
    const plan = this.witness.plan(note);
    if (plan.action === 'reject') {
      this.io.log(`REFUSED: ${plan.error.message}`);
      return { outcome: 'refused', error: plan.error };
    }
    if (plan.action === 'ignore') {
      this.io.log(`ignored checkpoint of size ${plan.checkpoint.size}: ${plan.reason}`);
      return { outcome: 'ignored', reason: plan.reason };
    }
    const proof = plan.action === 'prove' ? await this.client.consistencyProof(plan.oldSize, plan.newSize) : [];
    const d = this.witness.accept(plan.checkpoint, proof, this.io.nowMs());
    if (!d.ok) {
      this.io.log(`REFUSED: ${d.error.message}`);
      return { outcome: 'refused', error: d.error };
    }
    // The state advances before the POST: a failed POST is retried next round (same tree: cosign again).
    await writeState(this.o.stateFile, {
      version: 1,
      origin: this.pinned.origin,
      log_vkey: this.pinned.vkey,
      size: d.state.size,
      root_hash: Buffer.from(d.state.rootHash).toString('base64'),
      updated_ms: this.io.nowMs(),
    });
    await this.client.postCosignature(d.state.size, d.cosignature);
    this.io.log(`cosigned size ${d.state.size}`);
    return { outcome: 'cosigned', size: d.state.size };
  }
}

/**
 * Runs the witness: one round with `once`, else rounds every `intervalMs` until `signal` aborts.
 * @throws IpqsecError from {@link WitnessRunner.create}; with `once`, the round's failure or refusal
 */
export async function runWitness(o: WitnessRunOptions, io: WitnessIo, signal: AbortSignal): Promise<WitnessRound[]> {
  const runner = await WitnessRunner.create(o, io);
  const rounds: WitnessRound[] = [];
  if (o.once) {
    const r = await runner.round();
    if (r.outcome === 'refused') throw r.error;
    return [r];
  }
  while (!signal.aborted) {
    try {
      rounds.push(await runner.round());
    } catch (e) {
      if (!isIpqsecError(e)) throw e;
      io.log(`round failed: ${e.message}`);
    }
    if (signal.aborted) break;
    await io.sleep(o.intervalMs, signal);
  }
  return rounds;
}

interface WitnessValues {
  server?: string;
  key: string;
  name: string;
  state: string;
  intervalMs: string;
  once?: boolean;
  logKey?: string;
  passphraseFile?: string;
}

/** Parses `witness` values and the environment. @throws IpqsecError IPQ-C001 */
export function parseWitnessOptions(v: WitnessValues, env: Readonly<Record<string, string | undefined>>): WitnessRunOptions {
  const server = (v.server ?? env.IPQSEC_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(server)) throw new IpqsecError('IPQ-C001', `--server must be an http:// or https:// URL, got "${server}"`);
  const intervalMs = Number(v.intervalMs);
  if (!/^[0-9]+$/.test(v.intervalMs) || intervalMs < 100) throw new IpqsecError('IPQ-C001', `--interval-ms must be an integer >= 100, got "${v.intervalMs}"`);
  if (!isValidKeyName(v.name)) throw new IpqsecError('IPQ-C001', `--name must be non-empty, without spaces or "+": ${JSON.stringify(v.name)}`);
  return {
    server,
    keyFile: v.key,
    name: v.name,
    stateFile: v.state,
    intervalMs,
    once: v.once === true,
    ...(v.logKey === undefined ? {} : { logKey: v.logKey }),
    ...(v.passphraseFile === undefined ? {} : { passphraseFile: v.passphraseFile }),
  };
}

function defaultIo(): WitnessIo {
  return {
    fetch: globalThis.fetch,
    provider: defaultPqcProvider(),
    nowMs: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      }),
    log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
  };
}

/** Builds the `witness` command. */
export function witnessCommand(io: () => WitnessIo = defaultIo): Command {
  return new Command('witness')
    .description('witness a server\'s log: verify each new checkpoint is consistent with the last one, cosign it (ML-DSA-65) and post the cosignature')
    .option('--server <url>', `server base URL (env IPQSEC_SERVER, default ${DEFAULT_SERVER})`)
    .requiredOption('--key <file>', 'the witness ML-DSA-65 key: an IPqSEC key file (ipqsec keys gen), a raw 32-byte seed, or 64 hex digits')
    .requiredOption('--name <name>', 'the witness key name, e.g. witness.example.org/w1 (no spaces or "+")')
    .option('--state <file>', 'where the witness keeps the pinned log key and the last cosigned tree', './witness-state.json')
    .option('--interval-ms <n>', 'pause between rounds', String(WITNESS_INTERVAL_MS))
    .option('--once', 'one round, then exit (non-zero when the checkpoint is refused)')
    .option('--log-key <vkey>', 'pin this log verifier key instead of trusting the server on first use')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key file (else env IPQSEC_KEY_PASSPHRASE)')
    .action(async (v: WitnessValues) => {
      const o = parseWitnessOptions(v, process.env);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runWitness(o, io(), stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
