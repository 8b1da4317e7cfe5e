/**
 * TON_IoT telemetry loader (Alsaedi, Moustafa, Tari, Mahmood and Anwar, "TON_IoT telemetry dataset: a new
 * generation dataset of IoT and IIoT for data-driven intrusion detection systems", IEEE Access 8, 2020).
 *
 * The `Train_Test_IoT_<Device>.csv` files start with a UTF-8 byte-order mark and a header `ts, date, time,
 * <sensor columns…>, label, type`. Each device has its own sensor columns.
 *
 * Formatting artefacts handled here (each would leak the label into a per-row model):
 * - string values carry trailing spaces on normal rows only (Fridge `temp_condition` is `high ` on normal rows,
 *   `high` on attack rows): every field is trimmed;
 * - Garage_Door `sphone_signal` is `false`/`true` on normal rows and `0`/`1` on attack rows: booleans are read
 *   as 0/1, so the column is numeric;
 * - `ts`, `date`, `time` (when the record was captured, and attacks were run on other days than normal traffic)
 *   are not features; `ts` becomes `dataset.time` for time-ordered splits and temporal features.
 */
import { basename } from 'node:path';
import { IpqsecError } from '../core/errors.js';
import { readCsv } from './csv-reader.js';
import type { LabelledDataset } from './table.js';
import { indexClasses } from './_labels.js';
import { validateDataset } from './validate-dataset.js';

/**
 * Class order of the multiclass target: `normal`, then the attack types in the order the TON_IoT paper lists
 * them. Only types present in the file are classes (each device file lacks some: Thermostat has no `ddos`);
 * a type outside the list is appended in order of first appearance.
 */
export const TON_IOT_CLASSES: readonly string[] = ['normal', 'ddos', 'backdoor', 'injection', 'password', 'ransomware', 'xss', 'scanning'];

/** Columns never used as features. */
export const TON_IOT_NON_FEATURES: readonly string[] = ['ts', 'date', 'time', 'label', 'type'];

/** Options of {@link loadTonIot}. */
export interface TonIotOptions {
  /** Further feature columns to leave out. */
  readonly dropColumns?: readonly string[];
  readonly skipBadRows?: boolean;
  readonly requireTwoClasses?: boolean;
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** The device name of a TON_IoT file: `Train_Test_IoT_GPS_Tracker.csv` → `GPS_Tracker`. */
export function tonIotDevice(path: string): string {
  const b = basename(path);
  const m = /^Train_Test_IoT_(.+)\.csv$/i.exec(b);
  return m !== null ? m[1] : b.replace(/\.[^.]*$/, '');
}

/**
 * Loads one TON_IoT telemetry file as data set `ton-iot <Device>`.
 *
 * Features: every column except {@link TON_IOT_NON_FEATURES} and `dropColumns`; a column is categorical when
 * some non-missing value is not a number (Fridge `temp_condition`, Garage_Door `door_state`). `binary` from
 * `label`, `multiclass` from `type` (lower-cased), `time` from `ts` (Unix seconds).
 *
 * @throws IpqsecError from {@link readCsv}; IPQ-D007 when `ts`, `label` or `type` is absent; IPQ-D004 when a
 *   `label` is not 0/1 or a `ts` is not a number; IPQ-D006 unless `requireTwoClasses` is false.
 */
export async function loadTonIot(path: string, opts: TonIotOptions = {}): Promise<LabelledDataset> {
  const d = await readCsv(path, {
    autoCategorical: true,
    booleans: true,
    labels: ['ts', 'label', 'type'],
    drop: ['date', 'time', ...(opts.dropColumns ?? []).filter((c) => !TON_IOT_NON_FEATURES.includes(c))].filter(
      (c, i, a) => a.indexOf(c) === i,
    ),
    skipBadRows: opts.skipBadRows,
    onProgress: opts.onProgress,
  });
  const n = d.table.nRows;
  const { ts, label, type } = d.labels;
  const time = new Float64Array(n);
  const binary = new Uint8Array(n);
  const types: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const t = Number(ts[i]);
    if (ts[i].length === 0 || !Number.isFinite(t)) {
      throw new IpqsecError('IPQ-D004', `ts is not a Unix time: ${JSON.stringify(ts[i])} (data row ${i + 1})`, { location: { file: path, column: 'ts' } });
    }
    time[i] = t;
    if (label[i] !== '0' && label[i] !== '1') {
      throw new IpqsecError('IPQ-D014', `label must be 0 or 1, got ${JSON.stringify(label[i])} (data row ${i + 1})`, {
        location: { file: path, column: 'label' },
      });
    }
    binary[i] = label[i] === '1' ? 1 : 0;
    types[i] = type[i].toLowerCase();
  }
  const { multiclass, classNames } = indexClasses(types, TON_IOT_CLASSES, true);
  return validateDataset(
    {
      name: `ton-iot ${tonIotDevice(path)}`,
      features: d.table,
      binary,
      multiclass,
      classNames,
      rawLabel: type,
      time,
      skipped: d.skipped,
      files: [path],
    },
    { requireTwoClasses: opts.requireTwoClasses },
  );
}
