/**
 * Causal temporal features for device telemetry (`--temporal`).
 *
 * A single telemetry record ("temperature 30.6") rarely says whether the device is under attack; how the
 * stream behaves around it does (a burst of records, a value that jumps or freezes). These features describe
 * each record by the records of the same device that came BEFORE it, so a model using them can run online:
 * a record's features never depend on a later record (a property test checks this).
 *
 * Order: records are stably sorted by (device, time); ties keep file order, and a record counts as earlier than
 * every record after it in that order. `NaN` times sort last.
 *
 * Features appended (all numeric, `NaN` where undefined, e.g. for a device's first record):
 * - per numeric column `c`:
 *   - `c__delta`: `x − x_prev` (the previous record of the device);
 *   - `c__run`: length of the run of identical values ending at this record (≥ 1; `NaN` equals `NaN`);
 *   - for each window `W`: `c__mean_wW`, `c__std_wW` (population std) of the finite values among the `W`
 *     previous records, and `c__dev_wW = x − c__mean_wW`;
 * - per categorical column `c`: `c__run` as above and `c__changed` (1 if the value differs from the previous
 *   record's, 0 if not);
 * - per device: `time__interarrival` (`t − t_prev`, seconds) and, for each rate window `S` seconds,
 *   `time__count_Ss`: how many previous records of the device have `t_prev ≥ t − S`.
 *
 * Cost: O(n log n) for the sort, then O(n · columns · windows) with sliding sums (no inner loop over a window).
 * The sums use shifted data (Chan, Golub and LeVeque, "Algorithms for computing the sample variance", 1983:
 * values minus the device's first finite value) and are recomputed from the ring buffer every 1,024 records so
 * rounding errors cannot accumulate.
 */
import { IpqsecError } from '../core/errors.js';
import type { CategoricalColumn, Column, NumericColumn, Table } from './table.js';
import { compareByTime } from './_time-order.js';

/** Options of {@link addTemporalFeatures}. */
export interface TemporalOptions {
  /** Time of each row in seconds (e.g. `dataset.time`). */
  readonly time: Float64Array | undefined;
  /** Column whose value identifies the device; default: the whole table is one device. */
  readonly deviceColumn?: string;
  /** Rolling windows in records (default [10, 50]). */
  readonly windows?: readonly number[];
  /** Rate windows in seconds (default [1, 10, 60]). */
  readonly rateWindowsSec?: readonly number[];
  /** Columns to derive features from (default: every column except the device column). */
  readonly columns?: readonly string[];
}

/** The default rolling windows, in records. */
export const DEFAULT_WINDOWS: readonly number[] = [10, 50];
/** The default rate windows, in seconds. */
export const DEFAULT_RATE_WINDOWS_SEC: readonly number[] = [1, 10, 60];

const RESUM_EVERY = 1024;

/** Sliding-window sum and sum of squares of the finite values among the last `w` pushed (shifted) values. */
class Window {
  private readonly ring: Float64Array;
  private pos = 0;
  private filled = 0;
  private sum = 0;
  private sumSq = 0;
  private count = 0;
  private pushes = 0;
  constructor(readonly w: number) {
    this.ring = new Float64Array(w);
  }
  reset(): void {
    this.pos = 0;
    this.filled = 0;
    this.sum = 0;
    this.sumSq = 0;
    this.count = 0;
    this.pushes = 0;
  }
  push(v: number): void {
    if (this.filled === this.w) {
      const old = this.ring[this.pos];
      if (Number.isFinite(old)) {
        this.sum -= old;
        this.sumSq -= old * old;
        this.count--;
      }
    } else {
      this.filled++;
    }
    this.ring[this.pos] = v;
    this.pos = this.pos + 1 === this.w ? 0 : this.pos + 1;
    if (Number.isFinite(v)) {
      this.sum += v;
      this.sumSq += v * v;
      this.count++;
    }
    if (++this.pushes % RESUM_EVERY === 0) this.resum();
  }
  private resum(): void {
    let s = 0;
    let q = 0;
    for (let i = 0; i < this.filled; i++) {
      const v = this.ring[i];
      if (Number.isFinite(v)) {
        s += v;
        q += v * v;
      }
    }
    this.sum = s;
    this.sumSq = q;
  }
  /** Mean of the window's finite values (shifted), NaN if none. */
  mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }
  std(): number {
    if (this.count === 0) return Number.NaN;
    const m = this.sum / this.count;
    const v = this.sumSq / this.count - m * m;
    return v > 0 ? Math.sqrt(v) : 0;
  }
}

/** Device id per row: categorical code, or distinct numeric value, or 0 for all. */
function deviceIds(table: Table, name: string | undefined): Int32Array {
  const n = table.nRows;
  const ids = new Int32Array(n);
  if (name === undefined) return ids;
  const c = table.columns.find((x) => x.name === name);
  if (c === undefined) throw new IpqsecError('IPQ-D007', `device column "${name}" is not in the data`, { location: { column: name } });
  if (c.kind === 'categorical') {
    for (let i = 0; i < n; i++) ids[i] = c.codes[i] + 1;
  } else {
    const m = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      let id = m.get(v);
      if (id === undefined) {
        id = m.size;
        m.set(v, id);
      }
      ids[i] = id;
    }
  }
  return ids;
}

/**
 * Appends causal temporal features (see the file comment) to `table`. Rows keep their original order; the
 * input columns are kept as they are.
 * @throws IpqsecError IPQ-D010 when `time` is undefined; IPQ-D007 when `deviceColumn` or a name in `columns`
 *   is not in the table.
 * @throws RangeError when `time.length !== table.nRows` or a window is not a positive integer / number.
 */
export function addTemporalFeatures(table: Table, opts: TemporalOptions): Table {
  const time = opts.time;
  if (time === undefined) throw new IpqsecError('IPQ-D010', 'temporal features need the time of each record');
  const n = table.nRows;
  if (time.length !== n) throw new RangeError(`time has ${time.length} entries for ${n} rows`);
  const windows = opts.windows ?? DEFAULT_WINDOWS;
  const rates = opts.rateWindowsSec ?? DEFAULT_RATE_WINDOWS_SEC;
  for (const w of windows) if (!Number.isInteger(w) || w < 1) throw new RangeError(`window must be a positive integer, got ${w}`);
  for (const s of rates) if (!(s > 0)) throw new RangeError(`rate window must be > 0 seconds, got ${s}`);
  for (const c of opts.columns ?? []) {
    if (!table.columns.some((x) => x.name === c)) throw new IpqsecError('IPQ-D007', `column "${c}" is not in the data`, { location: { column: c } });
  }
  const dev = deviceIds(table, opts.deviceColumn);
  const use = table.columns.filter((c) => c.name !== opts.deviceColumn && (opts.columns === undefined || opts.columns.includes(c.name)));

  // Stable order by (device, time, file position).
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => (dev[a] !== dev[b] ? dev[a] - dev[b] : compareByTime(time, a, b)));
  const isStart = (p: number): boolean => p === 0 || dev[order[p]] !== dev[order[p - 1]];

  const added: NumericColumn[] = [];
  const col = (name: string): Float64Array => {
    const values = new Float64Array(n);
    added.push({ kind: 'numeric', name, values });
    return values;
  };

  for (const c of use) {
    if (c.kind === 'numeric') numericFeatures(c, order, isStart, windows, col);
    else categoricalFeatures(c, order, isStart, col);
  }

  // Per device: inter-arrival time and record counts in the last S seconds (two pointers per rate window).
  const inter = col('time__interarrival');
  const counts = rates.map((s) => col(`time__count_${s}s`));
  const lo = new Int32Array(rates.length);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    const t = time[i];
    if (isStart(p)) {
      inter[i] = Number.NaN;
      lo.fill(p);
    } else {
      inter[i] = t - time[order[p - 1]];
    }
    for (let r = 0; r < rates.length; r++) {
      const from = t - rates[r];
      while (lo[r] < p && time[order[lo[r]]] < from) lo[r]++;
      counts[r][i] = Number.isNaN(t) ? Number.NaN : p - lo[r];
    }
  }
  return { nRows: n, columns: [...table.columns, ...added] };
}

function numericFeatures(
  c: NumericColumn,
  order: Int32Array,
  isStart: (p: number) => boolean,
  windows: readonly number[],
  col: (name: string) => Float64Array,
): void {
  const n = order.length;
  const x = c.values;
  const delta = col(`${c.name}__delta`);
  const run = col(`${c.name}__run`);
  const means = windows.map((w) => col(`${c.name}__mean_w${w}`));
  const stds = windows.map((w) => col(`${c.name}__std_w${w}`));
  const devs = windows.map((w) => col(`${c.name}__dev_w${w}`));
  const wins = windows.map((w) => new Window(w));
  let shift = 0;
  let runLen = 0;
  for (let p = 0; p < n; p++) {
    const i = order[p];
    const v = x[i];
    if (isStart(p)) {
      for (const w of wins) w.reset();
      shift = Number.NaN;
      runLen = 0;
      delta[i] = Number.NaN;
    } else {
      const prev = x[order[p - 1]];
      delta[i] = v - prev;
      runLen = Object.is(v, prev) || v === prev ? runLen : 0;
    }
    runLen++;
    run[i] = runLen;
    if (Number.isNaN(shift) && Number.isFinite(v)) shift = v;
    // Features from the previous records only, then add this record to the windows.
    for (let k = 0; k < wins.length; k++) {
      const m = wins[k].mean() + shift;
      means[k][i] = m;
      stds[k][i] = wins[k].std();
      devs[k][i] = v - m;
    }
    for (const w of wins) w.push(v - shift);
  }
}

function categoricalFeatures(c: CategoricalColumn, order: Int32Array, isStart: (p: number) => boolean, col: (name: string) => Float64Array): void {
  const n = order.length;
  const run = col(`${c.name}__run`);
  const changed = col(`${c.name}__changed`);
  let runLen = 0;
  for (let p = 0; p < n; p++) {
    const i = order[p];
    if (isStart(p)) {
      runLen = 1;
      changed[i] = Number.NaN;
    } else {
      const same = c.codes[i] === c.codes[order[p - 1]];
      runLen = same ? runLen + 1 : 1;
      changed[i] = same ? 0 : 1;
    }
    run[i] = runLen;
  }
}

/** The names {@link addTemporalFeatures} would append for `columns` (for docs and the CLI). */
export function temporalFeatureNames(columns: readonly Column[], opts: Pick<TemporalOptions, 'windows' | 'rateWindowsSec'> = {}): string[] {
  const windows = opts.windows ?? DEFAULT_WINDOWS;
  const out: string[] = [];
  for (const c of columns) {
    if (c.kind === 'numeric') {
      out.push(`${c.name}__delta`, `${c.name}__run`);
      for (const w of windows) out.push(`${c.name}__mean_w${w}`);
      for (const w of windows) out.push(`${c.name}__std_w${w}`);
      for (const w of windows) out.push(`${c.name}__dev_w${w}`);
    } else {
      out.push(`${c.name}__run`, `${c.name}__changed`);
    }
  }
  out.push('time__interarrival', ...(opts.rateWindowsSec ?? DEFAULT_RATE_WINDOWS_SEC).map((s) => `time__count_${s}s`));
  return out;
}
