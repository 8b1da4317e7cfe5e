/**
 * Loader for any labelled CSV file with a header row (CIC-IDS-style flow exports, a user's own telemetry).
 */
import { basename } from 'node:path';
import { IpqsecError } from '../core/errors.js';
import { readCsv } from './csv-reader.js';
import type { LabelledDataset } from './table.js';
import { validateDataset } from './validate-dataset.js';

/** Label values (compared trimmed and lower-cased) that mean normal traffic; anything else is an attack. */
export const NORMAL_LABELS: readonly string[] = ['0', 'normal', 'benign'];

/** Options of {@link loadGenericCsv}. */
export interface GenericCsvOptions {
  /** The label column (required). */
  readonly labelColumn: string;
  /** Columns to leave out of the features. */
  readonly dropColumns?: readonly string[];
  /** Columns forced categorical; the others are categorical when some non-missing value is not a number. */
  readonly categorical?: readonly string[];
  /**
   * A time column (not a feature): Unix seconds, or a date-time string `Date.parse` understands (ISO 8601);
   * becomes `dataset.time` in seconds.
   */
  readonly timeColumn?: string;
  /** Data set name (default: the file name). */
  readonly name?: string;
  readonly skipBadRows?: boolean;
  readonly requireTwoClasses?: boolean;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** True when a raw label value means normal traffic (see {@link NORMAL_LABELS}). */
export function isNormalLabel(raw: string): boolean {
  return NORMAL_LABELS.includes(raw.trim().toLowerCase());
}

/**
 * Parses a time cell to Unix seconds: a number is taken as seconds; otherwise `Date.parse` (milliseconds) / 1000.
 * @returns NaN when neither works.
 */
export function parseTimeSeconds(raw: string): number {
  const s = raw.trim();
  if (s.length === 0) return Number.NaN;
  const v = Number(s);
  if (Number.isFinite(v)) return v;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? Number.NaN : ms / 1000;
}

/**
 * Loads a labelled CSV.
 *
 * - `binary`: 0 when the label is one of {@link NORMAL_LABELS} (case-insensitive: `0`, `normal`, `BENIGN`, …),
 *   else 1.
 * - `multiclass`: class 0 is `normal` (every normal spelling), then the other distinct label values sorted by
 *   code unit order, so two files with the same labels get the same indices whatever their row order.
 * - `rawLabel`: the label as written (trimmed).
 *
 * @throws IpqsecError IPQ-D007 when `labelColumn` (or another named column) is not in the header; IPQ-D004
 *   when a `timeColumn` value is neither a number nor a date; IPQ-D006 for a single class unless
 *   `requireTwoClasses` is false; and those of {@link readCsv}.
 */
export async function loadGenericCsv(path: string, opts: GenericCsvOptions): Promise<LabelledDataset> {
  if (typeof opts.labelColumn !== 'string' || opts.labelColumn.length === 0) {
    throw new IpqsecError('IPQ-D007', 'no label column given', { location: { file: path } });
  }
  const labels = [opts.labelColumn];
  if (opts.timeColumn !== undefined && opts.timeColumn !== opts.labelColumn) labels.push(opts.timeColumn);
  const d = await readCsv(path, {
    autoCategorical: true,
    categorical: (opts.categorical ?? []).filter((c) => !labels.includes(c)),
    labels,
    drop: (opts.dropColumns ?? []).filter((c) => !labels.includes(c)),
    skipBadRows: opts.skipBadRows,
    onProgress: opts.onProgress,
  });
  const n = d.table.nRows;
  const raw = d.labels[opts.labelColumn];
  const binary = new Uint8Array(n);
  const others = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (isNormalLabel(raw[i])) binary[i] = 0;
    else {
      binary[i] = 1;
      others.add(raw[i]);
    }
  }
  const classNames = ['normal', ...[...others].sort()];
  const index = new Map(classNames.map((c, i) => [c, i]));
  const multiclass = new Int32Array(n);
  for (let i = 0; i < n; i++) multiclass[i] = binary[i] === 0 ? 0 : (index.get(raw[i]) as number);
  let time: Float64Array | undefined;
  if (opts.timeColumn !== undefined) {
    const tc = d.labels[opts.timeColumn];
    time = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      time[i] = parseTimeSeconds(tc[i]);
      if (Number.isNaN(time[i])) {
        throw new IpqsecError('IPQ-D004', `not a time: ${JSON.stringify(tc[i])} (data row ${i + 1})`, { location: { file: path, column: opts.timeColumn } });
      }
    }
  }
  return validateDataset(
    {
      name: opts.name ?? basename(path),
      features: d.table,
      binary,
      multiclass,
      classNames,
      rawLabel: raw,
      time,
      skipped: d.skipped,
      files: [path],
    },
    { requireTwoClasses: opts.requireTwoClasses },
  );
}
