/**
 * Where the data sets live, how to get them, and one entry point that loads any of them.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { IpqsecError } from '../core/errors.js';
import { loadGenericCsv } from './generic-csv.js';
import type { GenericCsvOptions } from './generic-csv.js';
import { loadNslKdd } from './nsl-kdd.js';
import type { NslKddOptions } from './nsl-kdd.js';
import type { LabelledDataset } from './table.js';
import { loadTonIot } from './ton-iot.js';
import type { TonIotOptions } from './ton-iot.js';
import { loadUnswNb15 } from './unsw-nb15.js';
import type { UnswNb15Options } from './unsw-nb15.js';

/** Data set kinds {@link loadDataset} understands. */
export type DatasetKind = 'nsl-kdd' | 'unsw-nb15' | 'ton-iot' | 'csv';

/** The kinds, in the order the CLI lists them. */
export const DATASET_KINDS: readonly DatasetKind[] = ['nsl-kdd', 'unsw-nb15', 'ton-iot', 'csv'];

/** How to obtain one public data set. */
export interface DatasetSource {
  readonly kind: Exclude<DatasetKind, 'csv'>;
  readonly title: string;
  /** Official download page. */
  readonly url: string;
  /** Sub-folder of {@link dataDir} the files go in. */
  readonly folder: string;
  /** File names the loader expects, with what each is. */
  readonly files: Readonly<Record<string, string>>;
  /** Licence / terms of use, as the publisher states them. */
  readonly terms: string;
  /** The paper to cite. */
  readonly cite: string;
}

/** The public data sets and where to get them (printed by the CLI when a file is absent). */
export const DATASET_SOURCES: Readonly<Record<Exclude<DatasetKind, 'csv'>, DatasetSource>> = {
  'nsl-kdd': {
    kind: 'nsl-kdd',
    title: 'NSL-KDD',
    url: 'https://www.unb.ca/cic/datasets/nsl.html',
    folder: 'nsl-kdd',
    files: {
      'KDDTrain+.txt': 'training set, 125,973 rows',
      'KDDTest+.txt': 'test set, 22,544 rows',
      'KDDTest-21.txt': 'test rows with difficulty < 21, 11,850 rows',
      'KDDTrain+_20Percent.txt': '20 % subset of the training set, 25,192 rows',
    },
    terms: 'Published by the Canadian Institute for Cybersecurity (UNB) for research; cite the paper below.',
    cite: 'M. Tavallaee, E. Bagheri, W. Lu, A. A. Ghorbani, "A detailed analysis of the KDD CUP 99 data set", IEEE CISDA 2009.',
  },
  'unsw-nb15': {
    kind: 'unsw-nb15',
    title: 'UNSW-NB15',
    url: 'https://research.unsw.edu.au/projects/unsw-nb15-dataset',
    folder: 'unsw-nb15',
    files: {
      'UNSW_NB15_training-set.csv': 'official training partition, 175,341 rows',
      'UNSW_NB15_testing-set.csv': 'official testing partition, 82,332 rows',
    },
    terms: 'Free for academic research; commercial use needs the authors\' permission (UNSW Canberra).',
    cite:
      'N. Moustafa, J. Slay, "UNSW-NB15: a comprehensive data set for network intrusion detection systems", MilCIS 2015; ' +
      'and "The evaluation of network anomaly detection systems", Information Security Journal 25, 2016.',
  },
  'ton-iot': {
    kind: 'ton-iot',
    title: 'TON_IoT (telemetry of IoT devices)',
    url: 'https://research.unsw.edu.au/projects/toniot-datasets',
    folder: 'ton-iot',
    files: {
      'Train_Test_IoT_Fridge.csv': 'fridge temperature sensor',
      'Train_Test_IoT_GPS_Tracker.csv': 'GPS tracker',
      'Train_Test_IoT_Garage_Door.csv': 'garage door',
      'Train_Test_IoT_Thermostat.csv': 'thermostat',
      'Train_Test_IoT_Modbus.csv': 'Modbus device',
      'Train_Test_IoT_Motion_Light.csv': 'motion-activated light',
      'Train_Test_IoT_Weather.csv': 'weather station',
    },
    terms: 'Free for academic research; commercial use needs the authors\' permission (UNSW Canberra).',
    cite:
      'A. Alsaedi, N. Moustafa, Z. Tari, A. Mahmood, A. Anwar, "TON_IoT telemetry dataset: a new generation dataset of IoT and IIoT ' +
      'for data-driven intrusion detection systems", IEEE Access 8, 2020.',
  },
};

/**
 * The data folder: `$IPQSEC_DATA`, else `<cwd>/../shared/data`.
 * @param env the environment to read (default `process.env`).
 * @param cwd the working directory (default `process.cwd()`).
 */
export function dataDir(env: Readonly<Record<string, string | undefined>> = process.env, cwd: string = process.cwd()): string {
  const v = env.IPQSEC_DATA;
  return v !== undefined && v.length > 0 ? resolve(cwd, v) : resolve(cwd, '..', 'shared', 'data');
}

/**
 * Narrows a user string to a data set kind.
 * @throws IpqsecError IPQ-D011 for anything else.
 */
export function parseDatasetKind(s: string): DatasetKind {
  if ((DATASET_KINDS as readonly string[]).includes(s)) return s as DatasetKind;
  throw new IpqsecError('IPQ-D011', `"${s}" (known: ${DATASET_KINDS.join(', ')})`);
}

/** Text telling a user how to get a data set (for the CLI). */
export function downloadInstructions(kind: DatasetKind, dir: string = dataDir()): string {
  if (kind === 'csv') return 'A labelled CSV file with a header row; pass its path and --label-column.';
  const s = DATASET_SOURCES[kind];
  const lines = [
    `${s.title}: download from ${s.url}`,
    `and put these files in ${join(dir, s.folder)} (or set IPQSEC_DATA to the folder holding ${s.folder}/):`,
    ...Object.entries(s.files).map(([f, what]) => `  ${f}  (${what})`),
    `Terms: ${s.terms}`,
    `Cite: ${s.cite}`,
  ];
  return lines.join('\n');
}

/**
 * Resolves a data file: an absolute path, or a path relative to the working directory that exists, is used
 * as is; a bare name is looked up in `<dataDir>/<folder of kind>/`.
 * @throws IpqsecError IPQ-D013 when the data folder is needed but absent; IPQ-D001 (with the download
 *   instructions) when the file is not found.
 */
export function resolveDataFile(kind: DatasetKind, file: string, dir: string = dataDir()): string {
  if (isAbsolute(file) || existsSync(file) || kind === 'csv') {
    if (!existsSync(file)) throw new IpqsecError('IPQ-D001', 'no such file', { location: { file } });
    return file;
  }
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new IpqsecError('IPQ-D013', `${dir} does not exist\n${downloadInstructions(kind, dir)}`);
  }
  const p = join(dir, DATASET_SOURCES[kind].folder, file);
  if (!existsSync(p)) throw new IpqsecError('IPQ-D001', `no such file\n${downloadInstructions(kind, dir)}`, { location: { file: p } });
  return p;
}

/** Options of {@link loadDataset}: the union of the loaders' options. */
export type LoadDatasetOptions = NslKddOptions & UnswNb15Options & TonIotOptions & Partial<GenericCsvOptions> & { readonly dataDir?: string };

/**
 * Loads a data set of any kind. `file` is resolved with {@link resolveDataFile}; for `unsw-nb15` several
 * partition files may be given.
 * @throws IpqsecError IPQ-D011 for an unknown kind, IPQ-D007 for `csv` without `labelColumn`, and those of
 *   the loaders and of {@link resolveDataFile}.
 */
export async function loadDataset(kind: string, file: string | readonly string[], opts: LoadDatasetOptions = {}): Promise<LabelledDataset> {
  const k = parseDatasetKind(kind);
  const files = (typeof file === 'string' ? [file] : [...file]).map((f) => resolveDataFile(k, f, opts.dataDir ?? dataDir()));
  if (files.length !== 1 && k !== 'unsw-nb15') throw new IpqsecError('IPQ-C001', `${k} loads one file at a time, got ${files.length}`);
  switch (k) {
    case 'nsl-kdd':
      return loadNslKdd(files[0], opts);
    case 'unsw-nb15':
      return loadUnswNb15(files, opts);
    case 'ton-iot':
      return loadTonIot(files[0], opts);
    case 'csv':
      if (opts.labelColumn === undefined) throw new IpqsecError('IPQ-D007', 'a CSV data set needs --label-column', { location: { file: files[0] } });
      return loadGenericCsv(files[0], { ...opts, labelColumn: opts.labelColumn });
  }
}
