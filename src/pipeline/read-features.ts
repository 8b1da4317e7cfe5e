/**
 * Reading a file to score with a saved model: the input columns the model knows, read with the kinds the
 * model was trained with (never re-detected), labels optional.
 */
import { open } from 'node:fs/promises';
import { IpqsecError } from '../core/errors.js';
import { readCsv } from '../data/csv-reader.js';
import { NSL_KDD_FEATURES } from '../data/nsl-kdd.js';
import type { Table } from '../data/table.js';
import { addTemporalFeatures } from '../data/temporal.js';
import type { FeatureColumnSpec } from '../ml/model-file.js';
import type { LoaderRecord } from './train.js';

/** A feature table for prediction, with the number of malformed rows skipped. */
export interface FeatureFile {
  readonly table: Table;
  readonly skipped: { readonly count: number; readonly examples: readonly string[] };
}

async function firstLine(path: string): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new IpqsecError('IPQ-D001', String((e as Error).message), { location: { file: path }, cause: e });
  }
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const s = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const nl = s.search(/\r?\n/);
    return nl < 0 ? s : s.slice(0, nl);
  } finally {
    await fh.close();
  }
}

/**
 * Reads `path` for a model trained with `loader` on input columns `schema`. Columns the model does not use are
 * ignored; a missing one fails later in the schema check (IPQ-M004).
 * @throws IpqsecError from the CSV reader (IPQ-D001…D008) with file, line and column.
 */
export async function readFeatureFile(
  path: string,
  schema: readonly FeatureColumnSpec[],
  loader: LoaderRecord,
  opts: { skipBadRows?: boolean } = {},
): Promise<FeatureFile> {
  const categorical = schema.filter((c) => c.kind === 'categorical').map((c) => c.name);
  const line = await firstLine(path);
  const fields = line.split(',').length;
  let header: true | readonly string[] = true;
  let names: readonly string[];
  if (loader.kind === 'nsl-kdd') {
    if (fields < NSL_KDD_FEATURES.length) {
      throw new IpqsecError('IPQ-D003', `${fields} columns, NSL-KDD rows have 41 features (+ attack, difficulty)`, { location: { file: path, line: 1 } });
    }
    names = [...NSL_KDD_FEATURES, 'attack', 'difficulty'].slice(0, fields);
    header = names;
  } else {
    names = line.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  }
  const timeColumn = loader.kind === 'ton-iot' ? 'ts' : (loader.options.timeColumn as string | undefined);
  const derived = new Set(schema.map((c) => c.name));
  const keep = new Set(names.filter((n) => derived.has(n)));
  const labels = loader.temporal && timeColumn !== undefined && names.includes(timeColumn) ? [timeColumn] : [];
  const d = await readCsv(path, {
    header,
    categorical: categorical.filter((c) => keep.has(c)),
    drop: names.filter((n) => !keep.has(n) && !labels.includes(n)),
    labels,
    booleans: loader.kind === 'ton-iot',
    skipBadRows: opts.skipBadRows === true,
  });
  let table = d.table;
  if (loader.temporal) {
    if (timeColumn === undefined || d.labels[timeColumn] === undefined) {
      throw new IpqsecError('IPQ-D010', 'the model uses temporal features; the file needs its time column', { location: { file: path, column: timeColumn ?? 'ts' } });
    }
    const time = Float64Array.from(d.labels[timeColumn], (s) => Number(s));
    table = addTemporalFeatures(table, { time });
  }
  return { table, skipped: d.skipped };
}
