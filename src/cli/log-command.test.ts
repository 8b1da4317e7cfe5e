import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IpqsecError } from '../core/errors.js';
import { startLogServer, type RunningLogServer, type ServedLog } from '../agent/_test-log-server.js';
import { testPqcProvider as p } from '../ledger/_test-provider.js';
import { buildTestLog, testEntry } from '../ledger/_test-log.js';
import { signCheckpoint } from '../ledger/checkpoint.js';
import { cosignerVerifierKey, mlDsaCosignatureVerifier, mlDsaCosigner } from '../ledger/cosignature.js';
import { encodeLogEntry } from '../ledger/log-entry.js';
import { leafHash } from '../ledger/merkle.js';
import { MerkleTree } from '../ledger/merkle-tree.js';
import { mlDsaNoteKeyId } from '../ledger/note-signer.js';
import { formatSignatureLine, parseNote } from '../ledger/signed-note.js';
import { logCommand, parseLogVerifyOptions, runLogExport, runLogVerify, type LogCommandIo } from './log-command.js';
import { expectIpqsecRejection } from '../core/_test-errors.js';

const N = 1500;
const SIZES = [10, 700, 1200, N];
const log = buildTestLog(p, N, SIZES);
const stranger = buildTestLog(p, 2, [2], log.origin, 42);

function served(): ServedLog {
  return {
    origin: log.origin,
    vkey: log.vkey,
    publicKey: log.key.publicKey,
    keyId: Buffer.from(mlDsaNoteKeyId(log.origin, log.key.publicKey)).toString('hex'),
    entries: [...log.entries],
    tree: log.tree,
    checkpoints: SIZES.map((size) => ({ size, ts_ms: size, note: log.checkpoints.get(size) as string })),
    witnesses: [],
    cosignatures: new Map(),
    token: 'tok',
    requests: [],
  };
}

let state: ServedLog = served();
const proxy = new Proxy({} as ServedLog, { get: (_t, k) => state[k as keyof ServedLog], set: (_t, k, v) => ((state as unknown as Record<string, unknown>)[k as string] = v) });
let server: RunningLogServer;
let dir: string;
beforeAll(async () => {
  server = await startLogServer(proxy);
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-log-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  state = served();
});

function io(): LogCommandIo & { lines: string[]; warnings: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  return { fetch: globalThis.fetch, provider: p, out: (l) => lines.push(l), warn: (l) => warnings.push(l), lines, warnings };
}

const fails = (f: () => Promise<unknown>): Promise<IpqsecError> => expectIpqsecRejection(f);

describe('ipqsec log verify --server', () => {
  it('verifies an intact log with the pinned key', async () => {
    const o = io();
    const s = await runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, o);
    expect(s).toMatchObject({ origin: log.origin, entries: N, checkpoints: SIZES.length + 1, latestSize: N, keyPinned: true });
    expect(o.lines[0]).toMatch(/OK, 1500 entries verified/);
    expect(o.warnings).toEqual([]);
  });
  it('warns when the key is not pinned, and refuses a pinned key of another log', async () => {
    const o = io();
    await runLogVerify({ server: server.url, token: 'tok' }, o);
    expect(o.warnings[0]).toMatch(/not pinned/);
    const e = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: stranger.vkey.replace(log.origin, 'other.log/x') }, io()));
    expect(e.code).toBe('IPQ-L004'); // the key id no longer matches the renamed key
    const e2 = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: stranger.vkey }, io()));
    expect(e2.code).toBe('IPQ-L002');
  });
  it('names the exact first bad index of a modified entry (bisection with consistency proofs)', async () => {
    state.entries[777] = encodeLogEntry(testEntry(777, 'edited'));
    const o = io();
    const e = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, o));
    expect(e.code).toBe('IPQ-L001');
    expect(e.spec.exitCode).toBe(5);
    expect(e.message).toMatch(/first bad index 777:/);
    expect(o.warnings.some((w) => /root-mismatch \(size 1200\)/.test(w))).toBe(true);
  });
  it('names the first bad index of a deleted entry and of a truncated tail', async () => {
    state.entries.splice(1300, 1);
    const e = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, io()));
    expect(e.code).toBe('IPQ-L001');
    expect(e.message).toMatch(/first bad index 1300:/);
    state = served();
    state.entries = state.entries.slice(0, 1234);
    const t = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, io()));
    expect(t.message).toMatch(/first bad index 1234:/);
  });
  it('rejects a forged checkpoint signature (IPQ-L002) and a rewritten log (IPQ-L003)', async () => {
    const n = parseNote(state.checkpoints[1].note);
    const sig = n.signatures[0].signature.slice();
    sig[5] ^= 1;
    state.checkpoints[1] = { ...state.checkpoints[1], note: `${n.text}\n${formatSignatureLine({ ...n.signatures[0], signature: sig })}\n` };
    expect((await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, io()))).code).toBe('IPQ-L002');

    // The log rewrites entry 3 and signs a new tree of size 1600 over the new history.
    state = served();
    const rewritten = [...log.entries];
    rewritten[3] = encodeLogEntry(testEntry(3, 'rewritten'));
    for (let i = N; i < 1600; i++) rewritten.push(encodeLogEntry(testEntry(i)));
    const t = new MerkleTree();
    for (const e of rewritten) t.append(leafHash(e));
    state.entries = rewritten;
    state.tree = t;
    state.checkpoints.push({ size: 1600, ts_ms: 1600, note: signCheckpoint({ origin: log.origin, size: 1600, rootHash: t.root(1600), extensions: [] }, [log.signer]) });
    const e = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey }, io()));
    expect(e.code).toBe('IPQ-L003');
    expect(e.spec.exitCode).toBe(5);
  });
  it('needs the token for entries (IPQ-S003 naming the URL)', async () => {
    const e = await fails(() => runLogVerify({ server: server.url, key: log.vkey }, io()));
    expect(e.code).toBe('IPQ-S003');
    expect(e.message).toMatch(/\/api\/v1\/log\/entries\?start=0&end=1000 answered 401/);
  });
  it('enforces a witness quorum', async () => {
    const wk = p.mlDsaKeygen(new Uint8Array(32).fill(8));
    const wvkey = cosignerVerifierKey('w.test/1', wk.publicKey);
    const e = await fails(() => runLogVerify({ server: server.url, token: 'tok', key: log.vkey, witnessKeys: [wvkey] }, io()));
    expect(e.code).toBe('IPQ-L002');
    expect(e.message).toMatch(/witness cosignature/);
    const w = mlDsaCosigner(p, 'w.test/1', wk, () => 1000);
    state.witnesses = [mlDsaCosignatureVerifier(p, 'w.test/1', wk.publicKey)];
    for (const c of state.checkpoints) {
      const line = formatSignatureLine({ name: w.name, keyId: w.keyId, signature: w.sign(new TextEncoder().encode(parseNote(c.note).text)) });
      state.cosignatures.set(c.size, [line]);
    }
    const s = await runLogVerify({ server: server.url, token: 'tok', key: log.vkey, witnessKeys: [wvkey] }, io());
    expect(s.checkpoints).toBe(SIZES.length + 1);
  });
});

describe('ipqsec log export and verify --bundle', () => {
  it('exports a bundle that verifies offline, and fails the tampered copies', async () => {
    const file = join(dir, 'bundle.json');
    const o = io();
    expect(await runLogExport({ server: server.url, out: file, token: 'tok' }, o)).toEqual({ entries: N, checkpoints: SIZES.length });
    expect(o.lines[0]).toMatch(/wrote .*bundle\.json: log log\.ipqsec\.test\/main, 1500 entries, 4 checkpoint/);
    const ok = await runLogVerify({ bundle: file, key: log.vkey }, io());
    expect(ok).toMatchObject({ entries: N, checkpoints: SIZES.length, keyPinned: true });

    const b = JSON.parse(await readFile(file, 'utf8')) as { entries: string[]; checkpoints: string[] };
    const modified = { ...b, entries: [...b.entries] };
    modified.entries[5] = Buffer.from(encodeLogEntry(testEntry(5, 'x'))).toString('base64');
    await writeFile(join(dir, 'modified.json'), JSON.stringify(modified));
    const e = await fails(() => runLogVerify({ bundle: join(dir, 'modified.json'), key: log.vkey }, io()));
    expect(e.code).toBe('IPQ-L001');
    expect(e.message).toMatch(/first bad index 0 or later: .*0\.\.9/);
    const reordered = { ...b, entries: [...b.entries] };
    [reordered.entries[800], reordered.entries[801]] = [reordered.entries[801], reordered.entries[800]];
    await writeFile(join(dir, 'reordered.json'), JSON.stringify(reordered));
    const r = await fails(() => runLogVerify({ bundle: join(dir, 'reordered.json'), key: log.vkey }, io()));
    expect(r.message).toMatch(/first bad index 700 or later: .*700\.\.1199/);
    await writeFile(join(dir, 'bad.json'), '{"format":"other"}');
    expect((await fails(() => runLogVerify({ bundle: join(dir, 'bad.json'), key: log.vkey }, io()))).code).toBe('IPQ-L004');
    // A key file holding the log public key (base64) pins it too.
    await writeFile(join(dir, 'log.pub'), Buffer.from(log.key.publicKey).toString('base64'));
    expect((await runLogVerify({ bundle: file, keyFile: join(dir, 'log.pub') }, io())).keyPinned).toBe(true);
    await writeFile(join(dir, 'log.vkey'), `${log.vkey}\n`);
    expect((await runLogVerify({ bundle: file, keyFile: join(dir, 'log.vkey') }, io())).keyPinned).toBe(true);
  });
  it('runs through commander and maps options and the environment', async () => {
    const file = join(dir, 'bundle2.json');
    await runLogExport({ server: server.url, out: file, token: 'tok' }, io());
    const o = io();
    await logCommand(() => o).parseAsync(['node', 'log', 'verify', '--bundle', file, '--key', log.vkey, '--json'], { from: 'node' });
    expect(JSON.parse(o.lines[0])).toMatchObject({ ok: true, entries: N, latestSize: N });
    expect(parseLogVerifyOptions({}, { IPQSEC_SERVER: 'http://h:1/', IPQSEC_TOKEN: 't' })).toMatchObject({ server: 'http://h:1', token: 't' });
    expect(parseLogVerifyOptions({ bundle: 'f' }, { IPQSEC_SERVER: 'http://h:1/' }).server).toBeUndefined();
    expect(() => parseLogVerifyOptions({ witnessQuorum: '-1' }, {})).toThrow(/IPQ-C001/);
    expect(() => parseLogVerifyOptions({ server: 'ftp://x' }, {})).toThrow(/IPQ-C001/);
    expect((await fails(() => runLogVerify({ server: server.url, bundle: file }, io()))).code).toBe('IPQ-C001');
  });
});
