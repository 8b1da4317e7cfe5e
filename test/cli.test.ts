/**
 * End-to-end tests of the built `ipqsec` CLI (dist/, built by `npm test` before vitest runs): real processes,
 * real files, exit codes and output contracts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readModelFile } from '../src/ml/model-file.js';
import { loadBundle, predictTable } from '../src/pipeline/predict.js';
import { readFeatureFile } from '../src/pipeline/read-features.js';
import type { LoaderRecord } from '../src/pipeline/train.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const data = process.env.IPQSEC_DATA ?? join(root, '..', 'shared', 'data');
const nslTrain20 = join(data, 'nsl-kdd', 'KDDTrain+_20Percent.txt');
const nslTest = join(data, 'nsl-kdd', 'KDDTest+.txt');
const hasNsl = existsSync(nslTrain20) && existsSync(nslTest);
if (!hasNsl) console.warn(`skipping NSL-KDD CLI tests: ${nslTrain20} not found (set IPQSEC_DATA)`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

let dir = '';

/** A small labelled CSV with a learnable rule, a categorical column, and awkward values. */
function syntheticCsv(rows: number, seed: number, extra: (i: number) => string = () => ''): string {
  let s = seed;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const lines = ['bytes,proto,duration,label'];
  for (let i = 0; i < rows; i++) {
    const attack = rand() < 0.4;
    const bytes = attack ? 5000 + rand() * 3000 : rand() * 4000;
    const proto = ['tcp', 'udp', 'icmp'][Math.floor(rand() * 3)];
    lines.push(`${bytes.toFixed(1)},${proto},${(rand() * 10).toFixed(3)},${attack ? 'attack' : 'normal'}${extra(i)}`);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'ipqsec-cli-'));
  writeFileSync(join(dir, 'train.csv'), syntheticCsv(600, 1));
  writeFileSync(join(dir, 'test.csv'), syntheticCsv(300, 2));
});

describe('ipqsec evaluate', () => {
  it('--json prints exactly one JSON object with the documented keys', async () => {
    const r = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--train', join(dir, 'train.csv'), '--test', join(dir, 'test.csv'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]) as Record<string, unknown>;
    for (const k of ['dataset', 'model', 'accuracy', 'precision', 'recall', 'f1', 'fpr', 'roc_auc', 'fit_seconds', 'predict_rows_per_second', 'confusion']) {
      expect(j).toHaveProperty(k);
    }
    // The rule (bytes > ~4500 is an attack) is learnable: an independent check of the whole path.
    expect(j.accuracy as number).toBeGreaterThan(0.95);
    const c = j.confusion as number[][];
    expect(c[0][0] + c[0][1] + c[1][0] + c[1][1]).toBe(300);
  });

  it('multiclass --json carries per_class, and --cv works on one file', async () => {
    const lines = readFileSync(join(dir, 'train.csv'), 'utf8').trim().split('\n');
    // Classes: normal, and two attack kinds told apart by the protocol column.
    const multi = [lines[0], ...lines.slice(1).map((l) => (l.endsWith('normal') ? l : l.replace(/attack$/, l.includes(',tcp,') ? 'dos' : 'scan')))];
    writeFileSync(join(dir, 'multi.csv'), `${multi.join('\n')}\n`);
    const r = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'multi.csv'), '--cv', '3', '--target', 'multiclass', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { per_class: { label: string; recall: number }[]; folds: unknown[]; accuracy: number };
    expect(j.per_class.map((c) => c.label)).toEqual(['normal', 'dos', 'scan']);
    expect(j.accuracy).toBeGreaterThan(0.9);
    expect(j.folds).toHaveLength(3);
  });

  it('--report writes a self-contained HTML page with charts', async () => {
    const out = join(dir, 'r.html');
    const r = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'train.csv'), '--split', '0.8', '--report', out]);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|(src|href)\s*=/i);
    expect(r.stdout).toContain('accuracy');
  });

  it('a malformed row fails with file, line and column; --skip-bad-rows skips and counts it', async () => {
    // Column kinds are auto-detected on the first 1,000 rows; later a word in a numeric column is malformed.
    const bad = syntheticCsv(1200, 3).split('\n');
    bad[1100] = '12.5,tcp,abc,normal';
    bad[1140] = '1,2';
    const f = join(dir, 'bad.csv');
    writeFileSync(f, bad.join('\n'));
    const r = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', f, '--split', '0.8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv:1101/);
    expect(r.stderr).toMatch(/duration/);
    const s = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', f, '--split', '0.8', '--skip-bad-rows', '--json']);
    expect(s.code).toBe(0);
    expect((JSON.parse(s.stdout) as { skipped_rows: number }).skipped_rows).toBe(2);
  });

  it('NaN and Infinity in features never crash training or prediction', async () => {
    const f = join(dir, 'inf.csv');
    const lines = syntheticCsv(300, 4).split('\n');
    for (let i = 1; i < 300; i += 7) lines[i] = lines[i].replace(/^[^,]+/, i % 2 === 0 ? 'Infinity' : 'NaN');
    writeFileSync(f, lines.join('\n'));
    for (const model of ['gbdt', 'forest', 'logistic', 'iforest']) {
      const r = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', f, '--split', '0.8', '--model', model, '--json']);
      expect(r.code, `${model}: ${r.stderr}`).toBe(0);
      expect(Number.isFinite((JSON.parse(r.stdout) as { accuracy: number }).accuracy)).toBe(true);
    }
  });

  it('empty files, one-class labels and wrong options fail with clear messages', async () => {
    writeFileSync(join(dir, 'empty.csv'), '');
    const e = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'empty.csv'), '--cv', '3']);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('IPQ-D002');
    writeFileSync(join(dir, 'one.csv'), 'a,label\n1,normal\n2,normal\n3,normal\n');
    const o = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'one.csv'), '--cv', '2']);
    expect(o.code).toBe(2);
    expect(o.stderr).toContain('IPQ-D006');
    writeFileSync(join(dir, 'header.csv'), 'a,label\n');
    const h = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'header.csv'), '--cv', '2']);
    expect(h.stderr).toContain('IPQ-D005');
    const m = await run(['evaluate', '--dataset', 'csv', '--label-column', 'label', '--data', join(dir, 'train.csv'), '--cv', '3', '--model', 'svm']);
    expect(m.stderr).toContain('IPQ-M005');
    const c = await run(['evaluate', '--dataset', 'csv', '--label-column', 'nope', '--data', join(dir, 'train.csv'), '--cv', '3']);
    expect(c.stderr).toContain('IPQ-D007');
  });
});

describe('ipqsec train / model info / predict', () => {
  it('round-trips a model file and predicts the same rows as evaluate scored', async () => {
    const model = join(dir, 'm.ipqm');
    const t = await run(['train', '--dataset', 'csv', '--label-column', 'label', '--train', join(dir, 'train.csv'), '--out', model]);
    expect(t.code, t.stderr).toBe(0);
    const info = await run(['model', 'info', model, '--json']);
    expect(info.code).toBe(0);
    const s = JSON.parse(info.stdout) as { kind: string; labels: string[]; nInputColumns: number };
    expect(s.kind).toBe('gbdt');
    expect(s.labels).toEqual(['normal', 'attack']);
    expect(s.nInputColumns).toBe(3);
    const p = await run(['predict', '--model', model, '--data', join(dir, 'test.csv'), '--format', 'ndjson']);
    expect(p.code, p.stderr).toBe(0);
    const rows = p.stdout.trim().split('\n').map((l) => JSON.parse(l) as { prediction: string; proba: Record<string, number> });
    expect(rows).toHaveLength(300);
    // Independent oracle: the rule that generated the labels.
    const truth = readFileSync(join(dir, 'test.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    const correct = rows.filter((r, i) => r.prediction === truth[i]).length;
    expect(correct / 300).toBeGreaterThan(0.95);
    for (const r of rows) expect(r.proba.normal + r.proba.attack).toBeCloseTo(1, 6);
  });

  it('an unseen category at prediction maps to the unseen bucket; a missing column is a schema error', async () => {
    const model = join(dir, 'm2.ipqm');
    await run(['train', '--dataset', 'csv', '--label-column', 'label', '--train', join(dir, 'train.csv'), '--out', model, '--model', 'logistic']);
    writeFileSync(join(dir, 'novel.csv'), 'bytes,proto,duration\n100,sctp,1\n9000,quic,2\n');
    const p = await run(['predict', '--model', model, '--data', join(dir, 'novel.csv')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout.trim().split('\n')).toHaveLength(3);
    writeFileSync(join(dir, 'nocol.csv'), 'bytes,duration\n100,1\n');
    const q = await run(['predict', '--model', model, '--data', join(dir, 'nocol.csv')]);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('IPQ-M004');
    expect(q.stderr).toContain('proto');
  });

  it('a truncated model file fails clearly with IPQ-M001', async () => {
    const model = join(dir, 'm.ipqm');
    if (!existsSync(model)) await run(['train', '--dataset', 'csv', '--label-column', 'label', '--train', join(dir, 'train.csv'), '--out', model]);
    const bytes = readFileSync(model);
    writeFileSync(join(dir, 'cut.ipqm'), bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const r = await run(['model', 'info', join(dir, 'cut.ipqm')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('IPQ-M001');
  });
});

describe('prediction on two threads', () => {
  it('the compiled CLI (second thread for >= 8,192 rows) scores exactly as in-process prediction (one thread)', async () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, syntheticCsv(12_000, 21));
    const model = join(dir, 'hybrid.ipqm');
    const t = await run(['train', '--dataset', 'csv', '--label-column', 'label', '--train', big, '--out', model, '--model', 'hybrid']);
    expect(t.code, t.stderr).toBe(0);
    const p = await run(['predict', '--model', model, '--data', big, '--format', 'ndjson']);
    expect(p.code, p.stderr).toBe(0);
    const cliAttack = p.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { proba: { attack: number } }).proba.attack);
    // In-process: vitest runs the TypeScript sources, where no worker file exists, so everything runs here.
    const bundle = await readModelFile(model);
    const file = await readFeatureFile(big, bundle.featureSchema, bundle.training.loader as LoaderRecord);
    const local = predictTable(loadBundle(bundle), file.table);
    expect(cliAttack).toHaveLength(12_000);
    for (let i = 0; i < 12_000; i++) expect(cliAttack[i]).toBe(Number(local.proba[2 * i + 1].toFixed(6)));
  });
});

describe('ipqsec start', () => {
  it('without data sets, says how to get each and exits 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ipqsec-nodata-'));
    const r = await run(['start'], { IPQSEC_DATA: empty });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('https://www.unb.ca/cic/datasets/nsl.html');
    expect(r.stderr).toContain('https://research.unsw.edu.au/projects/unsw-nb15-dataset');
    expect(r.stderr).toContain('https://research.unsw.edu.au/projects/toniot-datasets');
  });
});

describe.skipIf(!hasNsl)('NSL-KDD through the CLI', () => {
  it('KDDTrain+_20Percent → KDDTest+ lands in the published range for tree models', async () => {
    const r = await run(['evaluate', '--dataset', 'nsl-kdd', '--train', nslTrain20, '--test', nslTest, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { accuracy: number; roc_auc: number; tests: { rows: number }[] };
    expect(j.tests[0].rows).toBe(22544);
    // Published tree-model results on the official split: about 0.77–0.82 accuracy (shared/data README).
    expect(j.accuracy).toBeGreaterThan(0.74);
    expect(j.accuracy).toBeLessThan(0.9);
    expect(j.roc_auc).toBeGreaterThan(0.9);
  });
});
