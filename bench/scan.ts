/**
 * `npm run bench:scan`: the vulnerability scanner's numbers (issue 7 targets), each beside its peer in the same run.
 *
 * 1. One loopback host, top-1000 ports with version detection (`scanTargets`: our nmap flags, version probes and
 *    CVE matching): target ≤ 4 s, the figure of the design we replace (nmap + the Vulners script). Peer: plain
 *    `nmap -sV -Pn 127.0.0.1` with nmap's default timing and version intensity, same host, same run.
 * 2. 16 loopback addresses (127.0.0.1–127.0.0.16) with `--parallel 16` against one after another (`--parallel 1`):
 *    amortised seconds per host (target ≤ 1 s) and the speed-up.
 * 3. CVE matching: product-version lookups/s against 200,000 records (target ≥ 10,000/s). The records are
 *    the 43 real NVD records under IPQSEC_DATA/nvd/records plus synthetic variants of them: each copy gets a new id,
 *    a made-up vendor:product (10,000 products, ~20 records each) and its version bounds shifted; the queries mix
 *    the real products at real versions (the scanner's case) and synthetic products at random versions.
 *
 * The machine has 2 noisy cores: times are medians of `--rounds` runs (default 3). Results go to `.bench/scan.json`.
 * Usage: node dist/bench/scan.js [--rounds N] [--quick]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CveIndex, type CveQuery } from '../src/scan/cve-matcher.js';
import { parseNvdDocument, type CveRecord } from '../src/scan/nvd-record.js';
import { scanTargets } from '../src/scan/scan-run.js';
import { parsePortSpec, scanScope } from '../src/scan/scan-target.js';
import { createRng } from '../src/core/rng.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const rounds = Number(argv[argv.indexOf('--rounds') + 1] ?? NaN) || (quick ? 1 : 3);
const DATA = resolve(process.env.IPQSEC_DATA ?? join(ROOT, '..', 'shared', 'data'));

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timeScan(targets: string[], ports: string, parallel: number, cves?: CveIndex): Promise<{ ms: number; hosts: number; open: number; errors: number }> {
  const t0 = performance.now();
  const r = await scanTargets({ targets, ports: parsePortSpec(ports), scope: scanScope(), parallel, hostTimeoutMs: 120_000, ...(cves === undefined ? {} : { cves }) });
  const ms = performance.now() - t0;
  return { ms, hosts: r.hosts.length, open: r.hosts.reduce((n, h) => n + h.ports.length, 0), errors: r.errors.length };
}

function timeNmapDefault(): number {
  const t0 = performance.now();
  const r = spawnSync('nmap', ['-sV', '-Pn', '-oX', '-', '127.0.0.1'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`nmap failed: ${r.stderr}`);
  return performance.now() - t0;
}

/** The real records, as JSON objects. */
function realRecordsJson(): Record<string, unknown>[] {
  const dir = join(DATA, 'nvd', 'records');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
}

/** Shifts the last numeric component of a version string by `d` (≥ 0 stays ≥ 0). */
function shiftVersion(v: string, d: number): string {
  return v.replace(/(\d+)(?!.*\d)/, (m) => String(Math.max(0, Number(m) + d)));
}

/** How many copies keep their real vendor:product (the first pass over the real records: each real record once). */
let REAL_KEPT = 0;
/** Heavy variant: also every 20th copy keeps its real vendor:product (≈ 230 records per real product, like NVD's busiest). */
let KEEP_EVERY = 0;

/** A synthetic variant of a real record: new id, a made-up product (but for the first pass), shifted bounds. */
function variant(rec: Record<string, unknown>, i: number, rand: () => number): Record<string, unknown> {
  const synthetic = i >= REAL_KEPT && (KEEP_EVERY === 0 || i % KEEP_EVERY !== 0);
  const p = Math.floor(rand() * 10_000);
  const product = `product${p}`;
  const vendor = `vendor${p % 2_000}`;
  const shift = Math.floor(rand() * 5) - 2;
  const text = JSON.stringify(rec).replace(/"(versionStartIncluding|versionStartExcluding|versionEndIncluding|versionEndExcluding)":"([^"]*)"/g, (_m, k: string, v: string) => `"${k}":"${shiftVersion(v, shift)}"`);
  const copy = JSON.parse(synthetic ? text.replace(/cpe:2\.3:a:[^:"]+:[^:"]+:/g, `cpe:2.3:a:${vendor}:${product}:`) : text) as Record<string, unknown>;
  copy.id = `CVE-9${String(i % 1000).padStart(3, '0')}-${100000 + i}`;
  return copy;
}

function cveBench(keepEvery: number): { records: number; buildMs: number; lookupsPerS: number[]; hits: number } | undefined {
  let real: Record<string, unknown>[];
  try {
    real = realRecordsJson();
  } catch {
    console.log(`3. CVE matching: skipped (no NVD records under ${join(DATA, 'nvd', 'records')}; set IPQSEC_DATA)`);
    return undefined;
  }
  REAL_KEPT = real.length;
  KEEP_EVERY = keepEvery;
  const rng = createRng(7);
  const rand = () => rng.next();
  const N = 200_000;
  const t0 = performance.now();
  const index = new CveIndex();
  let n = 0;
  for (let i = 0; n < N; i++) {
    const doc = parseNvdDocument(variant(real[i % real.length]!, i, rand));
    for (const r of doc.records) {
      index.add(r as CveRecord);
      n++;
    }
  }
  const buildMs = performance.now() - t0;
  const realQueries: CveQuery[] = [
    { vendor: 'redislabs', product: 'redis', version: '7.0.15' },
    { vendor: 'redislabs', product: 'redis', version: '6.2.6' },
    { vendor: 'openbsd', product: 'openssh', version: '8.2p1' },
    { vendor: 'openbsd', product: 'openssh', version: '9.2p1' },
    { vendor: 'igor_sysoev', product: 'nginx', version: '1.4.0' },
    { vendor: 'igor_sysoev', product: 'nginx', version: '1.22.1' },
    { vendor: 'postgresql', product: 'postgresql', version: '15.19' },
    { vendor: 'eclipse', product: 'mosquitto', version: '2.0.11' },
    { vendor: 'vsftpd', product: 'vsftpd', version: '2.3.4' },
    { vendor: 'apache', product: 'http_server', version: '2.4.49' },
    { vendor: 'mariadb', product: 'mariadb', version: '10.11.19' },
    { vendor: 'matt_johnston', product: 'dropbear_ssh_server', version: '2018.76' },
  ];
  const queries: CveQuery[] = [];
  const qrng = createRng(11);
  const qr = () => qrng.next();
  for (let i = 0; i < 4096; i++) {
    queries.push(
      i % 2 === 0
        ? realQueries[i % realQueries.length]!
        : ((p: number) => ({ vendor: `vendor${p % 2_000}`, product: `product${p}`, version: `${1 + Math.floor(qr() * 9)}.${Math.floor(qr() * 20)}.${Math.floor(qr() * 30)}` }))(Math.floor(qr() * 10_000)),
    );
  }
  const rates: number[] = [];
  let hits = 0;
  for (let r = 0; r < Math.max(3, rounds); r++) {
    let k = 0;
    const t = performance.now();
    let h = 0;
    while (performance.now() - t < 1000) {
      for (let j = 0; j < 256; j++) h += index.match(queries[(k + j) & 4095]!).length;
      k += 256;
    }
    rates.push(k / ((performance.now() - t) / 1000));
    hits = h / k;
  }
  return { records: index.size, buildMs, lookupsPerS: rates, hits };
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  console.log(`bench:scan — ${rounds} round(s); nmap ${spawnSync('nmap', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '?'}\n`);

  // 1. One host, top-1000, ours vs plain nmap -sV.
  const ours: number[] = [];
  const peer: number[] = [];
  let last: Awaited<ReturnType<typeof timeScan>> | undefined;
  for (let r = 0; r < rounds; r++) {
    last = await timeScan(['127.0.0.1'], 'top-1000', 1);
    ours.push(last.ms);
    peer.push(timeNmapDefault());
  }
  console.log('1. one loopback host, top-1000 ports, version detection (target ≤ 4 s)');
  console.log(`   ours (scanTargets):            ${secs(med(ours))}  (${last?.open ?? 0} open ports; runs ${ours.map(secs).join(', ')})`);
  console.log(`   peer (nmap -sV -Pn, defaults): ${secs(med(peer))}  (runs ${peer.map(secs).join(', ')})`);
  console.log(`   ours / peer: ${(med(ours) / med(peer)).toFixed(2)}×  → ${med(ours) <= 4000 ? 'met' : 'MISSED'}\n`);
  out.one_host = { ours_ms: ours, nmap_default_ms: peer };

  // 2. 16 loopback addresses, parallel vs one after another.
  const targets = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`);
  const par: number[] = [];
  const seq: number[] = [];
  for (let r = 0; r < rounds; r++) {
    par.push((await timeScan(targets, 'top-1000', 16)).ms);
    seq.push((await timeScan(targets, 'top-1000', 1)).ms);
  }
  console.log('2. 16 loopback addresses (127.0.0.1–16), top-1000 (target ≤ 1 s per host amortised)');
  console.log(`   parallel 16: ${secs(med(par))} total, ${secs(med(par) / 16)} per host  → ${med(par) / 16 <= 1000 ? 'met' : 'MISSED'}`);
  console.log(`   one by one:  ${secs(med(seq))} total, ${secs(med(seq) / 16)} per host`);
  console.log(`   speed-up: ${(med(seq) / med(par)).toFixed(2)}×\n`);
  out.sixteen_hosts = { parallel_ms: par, sequential_ms: seq };

  // 3. CVE matching.
  for (const [name, keepEvery] of [['mixed', 0], ['heavy', 20]] as const) {
    const c = cveBench(keepEvery);
    if (c === undefined) break;
    console.log(`3. CVE matching against ${c.records.toLocaleString('en-US')} records, ${name === 'mixed' ? '10,000 synthetic products + the real ones' : 'the real products also in every 20th copy (~230 records each)'} (target ≥ 10,000 lookups/s)`);
    console.log(`   index build: ${secs(c.buildMs)} (parse + add)`);
    console.log(`   lookups/s: ${Math.round(med(c.lookupsPerS)).toLocaleString('en-US')} median (runs ${c.lookupsPerS.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')}); ${c.hits.toFixed(2)} CVEs per lookup  → ${med(c.lookupsPerS) >= 10_000 ? 'met' : 'MISSED'}`);
    out[`cve_${name}`] = c;
  }
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(join(ROOT, '.bench', 'scan.json'), `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
