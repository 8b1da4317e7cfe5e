import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpqsecError } from '../core/errors.js';
import { servedLogOf, startLogServer, type RunningLogServer, type ServedLog } from '../agent/_test-log-server.js';
import { testPqcProvider as p } from '../ledger/_test-provider.js';
import { buildTestLog, testEntry } from '../ledger/_test-log.js';
import { openCheckpoint, signCheckpoint } from '../ledger/checkpoint.js';
import { mlDsaCosignatureVerifier } from '../ledger/cosignature.js';
import { encodeLogEntry } from '../ledger/log-entry.js';
import { leafHash } from '../ledger/merkle.js';
import { MerkleTree } from '../ledger/merkle-tree.js';
import { encodeKeyFile } from '../pqc/key-file.js';
import { loadWitnessKey, parseWitnessOptions, runWitness, WitnessRunner, type WitnessIo, type WitnessRunOptions } from './witness-command.js';
import { expectIpqsecRejection } from '../core/_test-errors.js';

const SEED = new Uint8Array(32).fill(0x5a);
const wk = p.mlDsaKeygen(SEED);
const NAME = 'witness.test/w1';
const log = buildTestLog(p, 40, [5, 20, 30, 40]);

const served: ServedLog = servedLogOf(log, {
  checkpoints: [{ size: 5, ts_ms: 5, note: log.checkpoints.get(5) as string }],
  witnesses: [mlDsaCosignatureVerifier(p, NAME, wk.publicKey)],
  cosignatures: new Map(),
  requests: [],
});
let server: RunningLogServer;
let dir: string;
beforeAll(async () => {
  server = await startLogServer(served);
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-witness-'));
  await writeFile(join(dir, 'seed.bin'), SEED, { mode: 0o600 });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function io(clock = { t: 1_754_000_000_000 }): WitnessIo & { lines: string[] } {
  const lines: string[] = [];
  return { fetch: globalThis.fetch, provider: p, nowMs: () => clock.t, sleep: async () => {}, log: (l) => lines.push(l), lines };
}

function opts(extra: Partial<WitnessRunOptions> = {}): WitnessRunOptions {
  return { server: server.url, keyFile: join(dir, 'seed.bin'), name: NAME, stateFile: join(dir, 'state.json'), intervalMs: 1000, once: true, ...extra };
}

const fails = (f: () => Promise<unknown>): Promise<IpqsecError> => expectIpqsecRejection(f);

function cosignedBy(size: number): string[] {
  const note = served.checkpoints.find((c) => c.size === size)?.note as string;
  const lines = served.cosignatures.get(size) ?? [];
  if (lines.length === 0) return [];
  return openCheckpoint(`${note}${lines.map((l) => `${l}\n`).join('')}`, log.verifier, { witnesses: served.witnesses }).witnesses as string[];
}

describe('witness key files', () => {
  it('reads a raw seed, 64 hex digits and an IPqSEC key file; refuses others', async () => {
    expect(Buffer.from((await loadWitnessKey(join(dir, 'seed.bin'), p)).publicKey).equals(Buffer.from(wk.publicKey))).toBe(true);
    await writeFile(join(dir, 'seed.hex'), `${Buffer.from(SEED).toString('hex')}\n`, { mode: 0o600 });
    expect(Buffer.from((await loadWitnessKey(join(dir, 'seed.hex'), p)).publicKey).equals(Buffer.from(wk.publicKey))).toBe(true);
    await writeFile(join(dir, 'w.key'), encodeKeyFile({ algorithm: 'ML-DSA-65', seed: SEED, publicKey: wk.publicKey, createdMs: 0 }), { mode: 0o600 });
    expect(Buffer.from((await loadWitnessKey(join(dir, 'w.key'), p)).publicKey).equals(Buffer.from(wk.publicKey))).toBe(true);
    await writeFile(join(dir, 'open.bin'), SEED);
    await chmod(join(dir, 'open.bin'), 0o644);
    if (process.platform !== 'win32') expect((await fails(() => loadWitnessKey(join(dir, 'open.bin'), p))).code).toBe('IPQ-P004');
    await writeFile(join(dir, 'junk'), 'hello', { mode: 0o600 });
    expect((await fails(() => loadWitnessKey(join(dir, 'junk'), p))).code).toBe('IPQ-P002');
    expect((await fails(() => loadWitnessKey(join(dir, 'missing'), p))).code).toBe('IPQ-P002');
  });
});

describe('ipqsec witness', () => {
  it('pins the log key on first use, cosigns, then cosigns only consistent extensions', async () => {
    const o = io();
    const [r1] = await runWitness(opts(), o, new AbortController().signal);
    expect(r1).toEqual({ outcome: 'cosigned', size: 5 });
    expect(cosignedBy(5)).toEqual([NAME]);
    const st = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
    expect(st).toMatchObject({ version: 1, origin: log.origin, log_vkey: log.vkey, size: 5, root_hash: Buffer.from(log.tree.root(5)).toString('base64') });
    expect(o.lines.some((l) => l.includes('pinned the log key on first use'))).toBe(true);
    expect(o.lines.some((l) => l.includes('witness key (for the server'))).toBe(true);

    // The log grows: the witness fetches the consistency proof 5 -> 30 and cosigns.
    served.checkpoints.push({ size: 20, ts_ms: 20, note: log.checkpoints.get(20) as string }, { size: 30, ts_ms: 30, note: log.checkpoints.get(30) as string });
    served.requests.length = 0;
    const [r2] = await runWitness(opts(), io(), new AbortController().signal);
    expect(r2).toEqual({ outcome: 'cosigned', size: 30 });
    expect(served.requests).toContain('GET /api/v1/log/proof/consistency?old=5&new=30');
    expect(cosignedBy(30)).toEqual([NAME]);
  });

  it('refuses a forked checkpoint and does not cosign it', async () => {
    const fork = new MerkleTree();
    for (let i = 0; i < 40; i++) fork.append(leafHash(encodeLogEntry(testEntry(i, i === 12 ? 'fork' : ''))));
    const forkNote = signCheckpoint({ origin: log.origin, size: 40, rootHash: fork.root(40), extensions: [] }, [log.signer]);
    const honestTree = served.tree;
    served.tree = fork;
    served.checkpoints.push({ size: 40, ts_ms: 40, note: forkNote });
    const o = io();
    const e = await fails(() => runWitness(opts(), o, new AbortController().signal));
    expect(e.code).toBe('IPQ-L003');
    expect(o.lines.some((l) => l.startsWith('REFUSED'))).toBe(true);
    expect(served.cosignatures.get(40)).toBeUndefined();
    const st = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { size: number };
    expect(st.size).toBe(30);
    // The honest checkpoint of size 40 is cosigned afterwards.
    served.tree = honestTree;
    served.checkpoints[served.checkpoints.length - 1] = { size: 40, ts_ms: 40, note: log.checkpoints.get(40) as string };
    expect((await runWitness(opts(), io(), new AbortController().signal))[0]).toEqual({ outcome: 'cosigned', size: 40 });
  });

  it('refuses checkpoints signed by another key than the pinned one', async () => {
    const other = buildTestLog(p, 50, [50], log.origin, 77);
    const saved = served.checkpoints;
    served.checkpoints = [{ size: 50, ts_ms: 50, note: other.checkpoints.get(50) as string }];
    const e = await fails(() => runWitness(opts(), io(), new AbortController().signal));
    expect(e.code).toBe('IPQ-L002');
    served.checkpoints = saved;
    // --log-key contradicting the pinned key is refused at start.
    expect((await fails(() => WitnessRunner.create(opts({ logKey: other.vkey }), io()))).code).toBe('IPQ-L002');
  });

  it('loops until aborted, logging failures without stopping', async () => {
    const stop = new AbortController();
    let sleeps = 0;
    const o = { ...io(), sleep: async () => void (++sleeps === 2 && stop.abort()) };
    const rounds = await runWitness(opts({ once: false, stateFile: join(dir, 'loop-state.json') }), o, stop.signal);
    expect(rounds.map((r) => r.outcome)).toEqual(['cosigned', 'cosigned']);
    const stop2 = new AbortController();
    const downIo = { ...io(), sleep: async () => void stop2.abort() };
    const r = await runWitness(opts({ once: false, server: 'http://127.0.0.1:1', stateFile: join(dir, 'loop-state.json') }), downIo, stop2.signal);
    expect(r).toEqual([]);
    expect(downIo.lines.some((l) => l.startsWith('round failed: IPQ-S003'))).toBe(true);
  });

  it('parses options', () => {
    const v = { key: 'k', name: NAME, state: 's.json', intervalMs: '5000' };
    expect(parseWitnessOptions(v, { IPQSEC_SERVER: 'http://h:2/' })).toMatchObject({ server: 'http://h:2', intervalMs: 5000, once: false });
    expect(() => parseWitnessOptions({ ...v, intervalMs: '10' }, {})).toThrow(/IPQ-C001/);
    expect(() => parseWitnessOptions({ ...v, name: 'a b' }, {})).toThrow(/IPQ-C001/);
  });
});
