/**
 * Micro benchmark of the tree models on NSL-KDD (KDDTrain+ → KDDTest+, binary): GBDT fit time (300 trees,
 * lr 0.1, 31 leaves), prediction throughput, peak RSS, accuracy; random forest fit time and accuracy.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/trees-micro.js [gbdt|forest|all]`.
 * Data from IPQSEC_DATA (default ../shared/data). Parses the CSV minimally itself (categoricals → ordinal codes
 * by first appearance) so it depends on src/ml only. Fixed seeds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Matrix } from '../src/core/matrix.js';
import { trainForest } from '../src/ml/forest.js';
import { trainGbdt } from '../src/ml/gbdt.js';

const DATA = process.env.IPQSEC_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');

/** NSL-KDD rows: 41 features (columns 2–4 categorical, coded by first appearance in `codes`), label attack = 1. */
function loadNslKdd(file: string, codes: Map<string, number>[]): { X: Matrix; y: Int32Array } {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const F = 41;
  const data = new Float64Array(lines.length * F);
  const y = new Int32Array(lines.length);
  lines.forEach((line, r) => {
    const c = line.split(',');
    for (let f = 0; f < F; f++) {
      if (f >= 1 && f <= 3) {
        const m = codes[f - 1];
        if (!m.has(c[f])) m.set(c[f], m.size);
        data[r * F + f] = m.get(c[f]) as number;
      } else data[r * F + f] = Number(c[f]);
    }
    y[r] = c[41] === 'normal' ? 0 : 1;
  });
  return { X: { data, nRows: lines.length, nCols: F }, y };
}

/** User + system CPU seconds of this process (all threads). */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function accuracy(pred: Int32Array, y: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'all';
  const codes = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  const train = loadNslKdd(join(DATA, 'nsl-kdd', 'KDDTrain+.txt'), codes);
  const test = loadNslKdd(join(DATA, 'nsl-kdd', 'KDDTest+.txt'), codes);
  const rss0 = process.memoryUsage().rss;
  if (what === 'all' || what === 'gbdt') {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    const m = await trainGbdt(train.X, train.y, 2, { maxIter: 300, learningRate: 0.1, maxLeafNodes: 31, seed: 42 });
    const t1 = performance.now();
    const c1 = cpuSeconds();
    m.predict(test.X);
    const reps = 10;
    const c2 = cpuSeconds();
    const t2 = performance.now();
    let pred: Int32Array = new Int32Array(0);
    for (let r = 0; r < reps; r++) pred = m.predict(test.X);
    const t3 = performance.now();
    const c3 = cpuSeconds();
    const rowsPerS = (reps * test.X.nRows) / ((t3 - t2) / 1000);
    const rowsPerCpuS = (reps * test.X.nRows) / (c3 - c2);
    console.log(
      `gbdt: fit ${((t1 - t0) / 1000).toFixed(2)} s wall, ${(c1 - c0).toFixed(2)} s CPU (${m.nRounds} rounds), ` +
        `predict ${(rowsPerS / 1e6).toFixed(3)} M rows/s wall, ${(rowsPerCpuS / 1e6).toFixed(3)} M rows/CPU-s, ` +
        `KDDTest+ accuracy ${accuracy(pred, test.y).toFixed(4)}`,
    );
  }
  if (what === 'all' || what === 'forest') {
    const threads = Number(process.argv[3] ?? 2);
    const t0 = performance.now();
    const m = await trainForest(train.X, train.y, 2, { nEstimators: 100, seed: 42 }, { threads });
    const t1 = performance.now();
    const t2 = performance.now();
    const pred = m.predict(test.X);
    const t3 = performance.now();
    console.log(
      `forest (${threads} threads): fit ${((t1 - t0) / 1000).toFixed(2)} s, predict ${(test.X.nRows / ((t3 - t2) / 1000) / 1e6).toFixed(2)} M rows/s, ` +
        `OOB accuracy ${m.oobAccuracy.toFixed(4)}, KDDTest+ accuracy ${accuracy(pred, test.y).toFixed(4)}`,
    );
  }
  // maxRSS (KiB) is the process's peak resident set, sampled by the kernel.
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (after loading data: ${(rss0 / 2 ** 20).toFixed(0)} MiB)`);
}

await main();
