/**
 * `npm run bench:pqc`: the post-quantum layer's numbers in one run (issue 4 targets), each beside its peer.
 *
 * 1. Primitives, noble (this process, Node 20) and native (`node:crypto`, a child process under Node 24 from the npm
 *    registry's `node` package at `.tools/node24`, or IPQSEC_NODE24): ops/s and the native/noble ratio.
 * 2. X-Wing: our composition (src/pqc/xwing.ts over the provider) beside noble's own `ml_kem768_x25519` (the peer).
 * 3. Secure channel on both back-ends: server-side handshakes/s (target >= 250/s noble on Node 20, >= 1,000/s
 *    native on Node 24) and envelope seal + open/s at 256 bytes (target >= 100,000/s).
 * 4. Tamper-evident log: entries/s (target >= 200,000/s with one signed checkpoint per second) for the pure core
 *    (canonical encoding + leaf hash + tree append) and for the service path (AuditLog → SQLite writer thread, batches
 *    of 1,000 entries, checkpoints signed by the 1 s timer), with the checkpoints issued.
 *
 * The machine has 2 noisy cores: rates are medians of 5 rounds. Results go to `.bench/pqc.json`.
 * Usage: node dist/bench/pqc.js [--seconds S (per measure, default 2)] [--quick]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { encodeLogEntry, type LogEntry } from '../src/ledger/log-entry.js';
import { MerkleTree } from '../src/ledger/merkle-tree.js';
import { leafHash } from '../src/ledger/merkle.js';
import { mlDsaNoteSigner } from '../src/ledger/note-signer.js';
import { createPqcProvider } from '../src/pqc/select-provider.js';
import { xwingDecapsulate, xwingEncapsulate, xwingKeygen } from '../src/pqc/xwing.js';
import { AuditLog } from '../src/service/audit-log.js';
import { openSqliteStore } from '../src/store/index.js';
import { benchChannel, type ChannelBench } from './pqc-channel.js';
import { benchCryptoOps, CRYPTO_OPS, type CryptoOp } from './pqc-crypto.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const seconds = Number(argv[argv.indexOf('--seconds') + 1] ?? NaN) || (quick ? 1 : 2);

function node24(): string | undefined {
  const candidates = [process.env.IPQSEC_NODE24, join(ROOT, '.tools/node24/node_modules/node/bin/node')];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

function child<T>(script: string, args: string[]): T | undefined {
  const bin = node24();
  if (bin === undefined) return undefined;
  const r = spawnSync(bin, [join(ROOT, 'dist/bench', script), '--backend', 'native', '--json', ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    console.error(`native (${bin}) failed: ${r.stderr.slice(0, 500)}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number | undefined) => (n === undefined ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);

/** X-Wing encaps/decaps of ours vs noble's ml_kem768_x25519, on the noble back-end (same primitives underneath). */
function xwingPeer(roundMs: number): Record<string, { ours: number; peer: number }> {
  const p = createPqcProvider('noble');
  const ours = xwingKeygen(p);
  const oursCt = xwingEncapsulate(p, ours.publicKey).ciphertext;
  const peer = ml_kem768_x25519.keygen();
  const peerCt = ml_kem768_x25519.encapsulate(peer.publicKey).cipherText;
  const rate = (f: () => unknown) => {
    const rs: number[] = [];
    for (let r = 0; r < 5; r++) {
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      do {
        f();
        n++;
        t = performance.now();
      } while (t - t0 < roundMs);
      rs.push((n * 1000) / (t - t0));
    }
    return med(rs);
  };
  return {
    xwing_encaps: { ours: rate(() => xwingEncapsulate(p, ours.publicKey)), peer: rate(() => ml_kem768_x25519.encapsulate(peer.publicKey)) },
    xwing_decaps: { ours: rate(() => xwingDecapsulate(p, ours, oursCt)), peer: rate(() => ml_kem768_x25519.decapsulate(peerCt, peer.secretKey)) },
  };
}

/** A realistic alert entry (what the Monitor appends), varied by `i`. */
function alertEntry(i: number): LogEntry {
  return {
    v: 1,
    kind: 'alert',
    ts_ms: 1_763_700_000_000 + i,
    subject: `ip:10.0.${(i >> 8) & 255}.${i & 255}`,
    data: { alert_id: `01JBENCH${String(i).padStart(18, '0')}`, event_id: `ev-${i}`, event_type: 'flow', severity: 'high', risk_ppm: 912_345, reasons: ['Port Scan'], techniques: ['T1046', 'T0846'] },
  };
}

/** Pure core: encode + leaf hash + tree append, median of 5 rounds of `n` entries. */
function ledgerCore(n: number): number {
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const tree = new MerkleTree();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) tree.append(leafHash(encodeLogEntry(alertEntry(i))));
    tree.root();
    rates.push((n * 1000) / (performance.now() - t0));
  }
  return med(rates);
}

/** Service path: AuditLog over a file SQLite store (writer thread), batches of 1,000, checkpoints by the 1 s timer. */
async function ledgerService(durationMs: number): Promise<{ entries_per_s: number; checkpoints: number; entries: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-bench-log-'));
  try {
    const store = await openSqliteStore({ dataDir: dir });
    const p = createPqcProvider();
    const identity = p.mlDsaKeygen();
    const log = await AuditLog.open({ store, origin: 'bench.ipqsec/log', signer: mlDsaNoteSigner(p, 'bench.ipqsec/log', identity), checkpointIntervalMs: 1000, checkpointEveryEntries: 1_000_000_000 });
    let i = 0;
    const t0 = performance.now();
    // Keep up to 4 batches in flight (as the Monitor pipelines commits); each batch is 1,000 entries.
    const inflight = new Set<Promise<void>>();
    while (performance.now() - t0 < durationMs) {
      const batch = Array.from({ length: 1000 }, () => alertEntry(i++));
      const pr = log.append(batch).then(() => void inflight.delete(pr));
      inflight.add(pr);
      if (inflight.size >= 4) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    const secondsTaken = (performance.now() - t0) / 1000;
    const checkpoints = (await store.listCheckpoints(0, 1000)).length;
    await log.close();
    await store.close();
    return { entries_per_s: i / secondsTaken, checkpoints, entries: i, seconds: secondsTaken };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const noble = createPqcProvider('noble');
  console.log(`bench:pqc — Node ${process.version} (noble) vs ${node24() === undefined ? 'no Node 24 found (native column empty; .ci/run installs it)' : 'Node 24 child (native)'}, ${seconds} s per measure, medians of 5 rounds\n`);

  const nobleOps = await benchCryptoOps(noble, { seconds });
  const nativeOps = child<{ ops: Record<CryptoOp, number>; node: string; openssl: string }>('pqc-crypto.js', ['--seconds', String(seconds)]);
  console.log(`1. Primitives (ops/s)${nativeOps === undefined ? '' : `; native = Node ${nativeOps.node}, OpenSSL ${nativeOps.openssl}`}`);
  console.log('| operation | noble | native | native / noble |\n| --- | ---: | ---: | ---: |');
  for (const op of CRYPTO_OPS) console.log(`| ${op} | ${fmt(nobleOps[op])} | ${fmt(nativeOps?.ops[op])} | ${ratio(nativeOps?.ops[op], nobleOps[op])} |`);

  const peer = xwingPeer((seconds * 1000) / 5);
  console.log('\n2. X-Wing: ours (xwing.ts over the noble provider) vs the peer (noble ml_kem768_x25519), ops/s');
  console.log('| operation | ours | peer | ours / peer |\n| --- | ---: | ---: | ---: |');
  for (const [op, r] of Object.entries(peer)) console.log(`| ${op} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${ratio(r.ours, r.peer)} |`);

  const nobleCh = await benchChannel(noble, { seconds });
  const nativeCh = child<ChannelBench>('pqc-channel.js', ['--seconds', String(seconds)]);
  console.log('\n3. Secure channel');
  console.log('| measure | noble (Node 20) | native (Node 24) | target |\n| --- | ---: | ---: | --- |');
  console.log(`| server handshakes/s | ${fmt(nobleCh.handshakes_per_s)} | ${fmt(nativeCh?.handshakes_per_s)} | >= 250 noble, >= 1,000 native |`);
  console.log(`| envelope seal + open/s (256 B) | ${fmt(nobleCh.envelope_seal_open_per_s)} | ${fmt(nativeCh?.envelope_seal_open_per_s)} | >= 100,000 |`);

  const core = ledgerCore(quick ? 100_000 : 200_000);
  const service = await ledgerService(quick ? 4000 : 8000);
  console.log('\n4. Tamper-evident log (entries/s)');
  console.log('| path | entries/s | detail |\n| --- | ---: | --- |');
  console.log(`| core: canonical encoding + leaf hash + tree append | ${fmt(core)} | alert entries, ~240 B each |`);
  console.log(`| service: AuditLog → SQLite (WAL, writer thread), 1,000 per batch | ${fmt(service.entries_per_s)} | ${service.entries.toLocaleString('en-US')} entries in ${service.seconds.toFixed(1)} s, ${service.checkpoints} signed checkpoints (1 s timer) |`);
  console.log(`target: >= 200,000 entries/s with one signed checkpoint per second`);

  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(
    join(ROOT, '.bench/pqc.json'),
    JSON.stringify({ at: new Date().toISOString(), node: process.version, seconds, noble: { ops: nobleOps, channel: nobleCh }, native: { ops: nativeOps?.ops ?? null, channel: nativeCh ?? null }, xwingPeer: peer, log: { core_entries_per_s: core, service } }, null, 2),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
