/**
 * `ipqsec log verify` and `ipqsec log export`: audit the tamper-evident log (docs/ledger.md).
 *
 * - `log verify --server URL | --bundle FILE [--key VKEY | --key-file F] [--witness-key VKEY ...]
 *   [--witness-quorum N] [--token T] [--json]`: fetches (or reads) every entry and checkpoint, verifies them
 *   with `verifyLog` (src/ledger/verify-log.ts) and prints a summary (exit 0). On failure it prints the problems
 *   and fails with `IPQ-L001` (entries do not match the signed log; the first bad index is named, found exactly
 *   with consistency proofs from the server by binary search), `IPQ-L002` (a checkpoint signature) or `IPQ-L003`
 *   (a rewritten log).
 * - `log export --server URL --out FILE [--token T]`: writes an export bundle (src/ledger/bundle.ts).
 *
 * Without `--key` the log key is taken from the server or the bundle itself and a warning says so: that checks
 * integrity against the key the log claims, not against a key pinned out of band.
 * Entries need a token with scope `read` (`--token` or `IPQSEC_TOKEN`); checkpoints and proofs are public.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { LogClient } from '../agent/log-client.js';
import { formatLogBundle, parseLogBundle } from '../ledger/bundle.js';
import { parseCheckpoint, type Checkpoint } from '../ledger/checkpoint.js';
import { mlDsaNoteVerifier, type NoteVerifier } from '../ledger/note-signer.js';
import { parseNote } from '../ledger/signed-note.js';
import { verifierFromKey } from '../ledger/verifier-key.js';
import { locateFirstBadIndex, logVerificationError, verifyLog, type LogVerification } from '../ledger/verify-log.js';
import type { PqcProvider } from '../pqc/provider.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readPublicKeyFile } from './key-files.js';

/** Default server when neither `--server` nor `IPQSEC_SERVER` is given. */
const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** What the log commands need from the outside world (tests pass their own). */
export interface LogCommandIo {
  readonly fetch: typeof fetch;
  readonly provider: PqcProvider;
  /** One line of the result (stdout). */
  readonly out: (line: string) => void;
  /** One warning or problem line (stderr). */
  readonly warn: (line: string) => void;
}

/** Options of {@link runLogVerify}. */
export interface LogVerifyOptions {
  readonly server?: string;
  readonly bundle?: string;
  /** Pinned log verifier key string. */
  readonly key?: string;
  /** File with the verifier key string, or the log's public key (key file, `keys show --json`, base64). */
  readonly keyFile?: string;
  readonly token?: string;
  readonly witnessKeys?: readonly string[];
  /** Valid cosignatures each checkpoint needs (default 1 when witness keys are given, else 0). */
  readonly witnessQuorum?: number;
  readonly json?: boolean;
}

/** Summary of a passed verification. */
export interface LogVerifySummary {
  readonly origin: string;
  readonly entries: number;
  readonly checkpoints: number;
  readonly latestSize: number | null;
  readonly latestRoot: string | null;
  readonly keyPinned: boolean;
}

function sizeOf(note: string): Checkpoint | undefined {
  try {
    return parseCheckpoint(parseNote(note).text);
  } catch {
    return undefined;
  }
}

/** The log verifier: the pinned key (--key / --key-file), else the one the source claims (with a warning). */
async function logVerifier(o: LogVerifyOptions, io: LogCommandIo, claimedVkey: string, origin: string, where: string): Promise<{ v: NoteVerifier; pinned: boolean }> {
  if (o.key !== undefined && o.keyFile !== undefined) throw new IpqsecError('IPQ-C001', 'give --key or --key-file, not both');
  let v: NoteVerifier;
  if (o.key !== undefined) v = verifierFromKey(io.provider, o.key.trim(), 'log');
  else if (o.keyFile !== undefined) {
    let text: string;
    try {
      text = (await readFile(o.keyFile, 'utf8')).trim();
    } catch (e) {
      throw new IpqsecError('IPQ-C001', `--key-file: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: o.keyFile } });
    }
    if (/^[^\s+]+\+[0-9a-f]{8}\+\S+$/.test(text)) v = verifierFromKey(io.provider, text, 'log');
    else {
      const pk = await readPublicKeyFile(o.keyFile);
      if (pk.algorithm !== 'ML-DSA-65') throw new IpqsecError('IPQ-C001', `--key-file holds an ${pk.algorithm} key; the log key is ML-DSA-65`, { location: { file: o.keyFile } });
      v = mlDsaNoteVerifier(io.provider, origin, pk.publicKey);
    }
  } else {
    io.warn(`warning: the log key was not pinned: verifying against the key ${where} claims (pass --key or --key-file to pin it)`);
    return { v: verifierFromKey(io.provider, claimedVkey, 'log'), pinned: false };
  }
  if (v.name !== origin) {
    throw new IpqsecError('IPQ-L002', `the pinned key is for log ${JSON.stringify(v.name)}, but ${where} is log ${JSON.stringify(origin)}`);
  }
  return { v, pinned: true };
}

function witnessVerifiers(o: LogVerifyOptions, io: LogCommandIo): NoteVerifier[] {
  return (o.witnessKeys ?? []).map((k) => verifierFromKey(io.provider, k.trim(), 'cosigner'));
}

function report(r: LogVerification, io: LogCommandIo): void {
  for (const p of r.problems.slice(0, 20)) io.warn(`problem: ${p.kind}${p.size === undefined ? '' : ` (size ${p.size})`}: ${p.detail}`);
  if (r.problems.length > 20) io.warn(`… ${r.problems.length - 20} more problem(s)`);
}

function summarise(r: LogVerification, origin: string, pinned: boolean, io: LogCommandIo, json: boolean | undefined): LogVerifySummary {
  const s: LogVerifySummary = {
    origin,
    entries: r.entries,
    checkpoints: r.checkpoints,
    latestSize: r.latest?.size ?? null,
    latestRoot: r.latest === undefined ? null : Buffer.from(r.latest.rootHash).toString('base64'),
    keyPinned: pinned,
  };
  if (json === true) io.out(JSON.stringify({ ok: true, ...s }));
  else {
    io.out(`log ${origin}: OK, ${s.entries} entries verified against ${s.checkpoints} signed checkpoint(s)`);
    if (r.latest !== undefined) io.out(`latest checkpoint: size ${s.latestSize}, root ${s.latestRoot}`);
    if (!pinned) io.out('(log key not pinned: pass --key to check against a key you trust)');
  }
  return s;
}

/**
 * Verifies a log from a server or a bundle; see the file comment.
 * @throws IpqsecError IPQ-L001/L002/L003 when verification fails, IPQ-L004 for a malformed bundle or key,
 *   IPQ-S003 when the server fails, IPQ-C001 for bad options
 */
export async function runLogVerify(o: LogVerifyOptions, io: LogCommandIo): Promise<LogVerifySummary> {
  if ((o.server === undefined) === (o.bundle === undefined)) throw new IpqsecError('IPQ-C001', 'give exactly one of --server and --bundle');
  const witnesses = witnessVerifiers(o, io);
  const quorum = o.witnessQuorum ?? (witnesses.length > 0 ? 1 : 0);
  if (!Number.isInteger(quorum) || quorum < 0 || quorum > witnesses.length) {
    throw new IpqsecError('IPQ-C001', `--witness-quorum must be an integer 0..${witnesses.length} (the number of --witness-key)`);
  }
  if (o.bundle !== undefined) {
    let text: string;
    try {
      text = await readFile(o.bundle, 'utf8');
    } catch (e) {
      throw new IpqsecError('IPQ-C001', `--bundle: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: o.bundle } });
    }
    const b = parseLogBundle(text, o.bundle);
    const { v, pinned } = await logVerifier(o, io, b.vkey, b.origin, 'the bundle');
    const r = verifyLog({ entries: b.entries, checkpoints: b.checkpoints, verifier: v, witnesses, witnessQuorum: quorum });
    if (!r.ok) {
      report(r, io);
      throw logVerificationError(r) as IpqsecError;
    }
    return summarise(r, b.origin, pinned, io, o.json);
  }

  const client = new LogClient({ server: o.server as string, ...(o.token === undefined ? {} : { token: o.token }), fetch: io.fetch });
  const key = await client.key();
  const { v, pinned } = await logVerifier(o, io, key.vkey, key.origin, 'the server');
  const records = await client.checkpoints(0);
  const notes = records.map((c) => c.note);
  const latest = await client.checkpoint().catch((e: unknown) => {
    // 404 before the first checkpoint: nothing more to add.
    if (isIpqsecError(e, 'IPQ-S003') && (e.details as { status?: number } | undefined)?.status === 404) return undefined;
    throw e;
  });
  if (latest !== undefined) notes.push(latest);
  const maxSize = Math.max(0, ...notes.map((n) => sizeOf(n)?.size ?? 0));
  const entries = await client.entries(0, maxSize);
  const r = verifyLog({ entries, checkpoints: notes, verifier: v, witnesses, witnessQuorum: quorum });
  if (r.ok) return summarise(r, key.origin, pinned, io, o.json);

  report(r, io);
  let result: LogVerification = r;
  // Narrow a range to the exact first bad entry with consistency proofs from the server.
  const anchor = r.problems.find((p) => (p.kind === 'root-mismatch' || p.kind === 'missing-entries') && p.index === r.firstBadIndex);
  if (anchor !== undefined && r.firstBadIndexExact !== true && anchor.checkpoint !== undefined && anchor.size !== undefined) {
    const cp = sizeOf(notes[anchor.checkpoint]);
    if (cp !== undefined) {
      try {
        const exact = await locateFirstBadIndex(r.tree, anchor.index as number, cp.size, cp.rootHash, (a, b) => client.consistencyProof(a, b));
        result = { ...r, firstBadIndex: exact, firstBadIndexExact: true };
        io.warn(`first bad entry located with consistency proofs: index ${exact}`);
      } catch (e) {
        io.warn(`could not narrow the first bad index with consistency proofs: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  throw logVerificationError(result) as IpqsecError;
}

/** Options of {@link runLogExport}. */
export interface LogExportOptions {
  readonly server: string;
  readonly out: string;
  readonly token?: string;
}

/**
 * Writes an export bundle of the server's log: every checkpoint (the latest with its current cosignatures) and
 * every entry up to the largest checkpoint size. The file is written to a temporary name and renamed.
 * @throws IpqsecError IPQ-S003 when the server fails, IPQ-C001 when the file cannot be written
 */
export async function runLogExport(o: LogExportOptions, io: LogCommandIo): Promise<{ entries: number; checkpoints: number }> {
  const client = new LogClient({ server: o.server, ...(o.token === undefined ? {} : { token: o.token }), fetch: io.fetch });
  const key = await client.key();
  const records = await client.checkpoints(0);
  const bySize = new Map<number, string>();
  for (const c of records) bySize.set(c.size, c.note);
  const latest = await client.checkpoint().catch((e: unknown) => {
    if (isIpqsecError(e, 'IPQ-S003') && (e.details as { status?: number } | undefined)?.status === 404) return undefined;
    throw e;
  });
  const latestCp = latest === undefined ? undefined : sizeOf(latest);
  if (latest !== undefined && latestCp !== undefined) bySize.set(latestCp.size, latest);
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  const maxSize = sizes.length > 0 ? sizes[sizes.length - 1] : 0;
  const entries = await client.entries(0, maxSize);
  const text = formatLogBundle({ origin: key.origin, vkey: key.vkey, entries, checkpoints: sizes.map((s) => bySize.get(s) as string) });
  const tmp = `${o.out}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, o.out);
  } catch (e) {
    throw new IpqsecError('IPQ-C001', `--out: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { location: { file: o.out } });
  }
  if (entries.length < maxSize) io.warn(`warning: the server returned ${entries.length} entries, but checkpoints cover ${maxSize}: the bundle will not verify`);
  io.out(`wrote ${o.out}: log ${key.origin}, ${entries.length} entries, ${sizes.length} checkpoint(s)`);
  return { entries: entries.length, checkpoints: sizes.length };
}

interface VerifyValues {
  server?: string;
  bundle?: string;
  key?: string;
  keyFile?: string;
  token?: string;
  witnessKey?: string[];
  witnessQuorum?: string;
  json?: boolean;
}

function defaultIo(): LogCommandIo {
  return {
    fetch: globalThis.fetch,
    provider: defaultPqcProvider(),
    out: (l) => process.stdout.write(`${l}\n`),
    warn: (l) => process.stderr.write(`${l}\n`),
  };
}

/** Parses `log verify` values and the environment into {@link LogVerifyOptions}. @throws IpqsecError IPQ-C001 */
export function parseLogVerifyOptions(v: VerifyValues, env: Readonly<Record<string, string | undefined>>): LogVerifyOptions {
  let quorum: number | undefined;
  if (v.witnessQuorum !== undefined) {
    quorum = Number(v.witnessQuorum);
    if (!/^[0-9]+$/.test(v.witnessQuorum)) throw new IpqsecError('IPQ-C001', `--witness-quorum must be a non-negative integer, got "${v.witnessQuorum}"`);
  }
  const server = v.bundle === undefined ? (v.server ?? env.IPQSEC_SERVER ?? DEFAULT_SERVER) : v.server;
  if (server !== undefined && !/^https?:\/\//.test(server)) throw new IpqsecError('IPQ-C001', `--server must be an http:// or https:// URL, got "${server}"`);
  const token = v.token ?? env.IPQSEC_TOKEN;
  return {
    ...(server === undefined ? {} : { server: server.replace(/\/+$/, '') }),
    ...(v.bundle === undefined ? {} : { bundle: v.bundle }),
    ...(v.key === undefined ? {} : { key: v.key }),
    ...(v.keyFile === undefined ? {} : { keyFile: v.keyFile }),
    ...(token === undefined || token === '' ? {} : { token }),
    witnessKeys: v.witnessKey ?? [],
    ...(quorum === undefined ? {} : { witnessQuorum: quorum }),
    ...(v.json === undefined ? {} : { json: v.json }),
  };
}

/** Builds the `log` command (`verify`, `export`). */
export function logCommand(io: () => LogCommandIo = defaultIo): Command {
  const log = new Command('log').description('audit the tamper-evident log: verify it end to end, or export it as a bundle');
  log
    .command('verify')
    .description('verify every entry and checkpoint of the log (a server, or an exported bundle) against the log key')
    .option('--server <url>', `server base URL (env IPQSEC_SERVER, default ${DEFAULT_SERVER})`)
    .option('--bundle <file>', 'verify an exported bundle instead of a server')
    .option('--key <vkey>', 'the log verifier key to pin (ipqsec keys show / GET /api/v1/log/key "vkey")')
    .option('--key-file <file>', 'file with the verifier key string, or the log public key')
    .option('--witness-key <vkey...>', 'witness verifier keys whose cosignatures count (repeatable)')
    .option('--witness-quorum <n>', 'valid witness cosignatures each checkpoint needs (default 1 with --witness-key)')
    .option('--token <t>', 'API token with the read scope, for the entries (env IPQSEC_TOKEN)')
    .option('--json', 'print a JSON summary')
    .action(async (v: VerifyValues) => {
      await runLogVerify(parseLogVerifyOptions(v, process.env), io());
    });
  log
    .command('export')
    .description('write the log (entries and signed checkpoints) to one JSON bundle for offline verification')
    .option('--server <url>', `server base URL (env IPQSEC_SERVER, default ${DEFAULT_SERVER})`)
    .requiredOption('--out <file>', 'bundle file to write')
    .option('--token <t>', 'API token with the read scope (env IPQSEC_TOKEN)')
    .action(async (v: { server?: string; out: string; token?: string }) => {
      const o = parseLogVerifyOptions({ ...(v.server === undefined ? {} : { server: v.server }), ...(v.token === undefined ? {} : { token: v.token }) }, process.env);
      await runLogExport({ server: o.server as string, out: v.out, ...(o.token === undefined ? {} : { token: o.token }) }, io());
    });
  return log;
}
