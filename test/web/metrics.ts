/**
 * Figures of the dashboard's end-to-end run (issue 6 targets): what was measured, the target, and a printable
 * summary table in which a missed target reads MISSED (speed is reported, never asserted).
 *
 * Sizes are bytes; times are milliseconds; rates are frames per second. Percentiles use the nearest-rank method
 * (NIST/SEMATECH e-Handbook §7.2.5.2: the value at rank ⌈p·n⌉ of the sorted sample).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** One measured figure. */
export interface Figure {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  /** The target, e.g. `≤ 1000`; absent for figures reported without a target. */
  readonly target?: { readonly op: '<=' | '>='; readonly limit: number };
  /** How it was measured. */
  readonly how: string;
}

/** Whether a figure meets its target: `met`, `MISSED`, `n/a` (no target) or `not measured`. */
export function verdict(f: Figure): 'met' | 'MISSED' | 'n/a' | 'not measured' {
  if (f.value === null) return 'not measured';
  if (f.target === undefined) return 'n/a';
  return (f.target.op === '<=' ? f.value <= f.target.limit : f.value >= f.target.limit) ? 'met' : 'MISSED';
}

/** The nearest-rank `p`-quantile (0 < p ≤ 1) of `xs`; NaN for an empty sample. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** One JavaScript file of the build with its raw and gzip (level 9, RFC 1952) sizes. */
export interface JsFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** True when index.html loads it directly (the entry and its modulepreloads); false for lazy chunks. */
  readonly initial: boolean;
}

/** The `.js` files under `<webDir>/assets` with their sizes; `initial` from the references in index.html. */
export function jsFiles(webDir: string): JsFile[] {
  const html = readFileSync(join(webDir, 'index.html'), 'utf8');
  const dir = join(webDir, 'assets');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => {
      const buf = readFileSync(join(dir, f));
      return { file: `assets/${f}`, bytes: buf.length, gzipBytes: gzipSync(buf, { level: 9 }).length, initial: html.includes(`/assets/${f}`) };
    });
}

/** The summary table (one line per figure) as text. */
export function summaryTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    f.value === null ? '—' : `${Number.isInteger(f.value) ? f.value : f.value.toFixed(1)} ${f.unit}`,
    f.target === undefined ? '' : `${f.target.op === '<=' ? '≤' : '≥'} ${f.target.limit} ${f.unit}`,
    verdict(f),
  ]);
  const head = ['figure', 'measured', 'target', 'verdict'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}
