/**
 * The checks every loader runs on the data set it built.
 */
import { IpqsecError } from '../core/errors.js';
import type { LabelledDataset } from './table.js';

/** Options of {@link validateDataset}. */
export interface ValidateOptions {
  /**
   * Require both normal and attack rows (default true: a training set needs two classes). Pass false for a
   * file read only to be scored.
   */
  readonly requireTwoClasses?: boolean;
}

/**
 * Checks a freshly loaded data set and returns it.
 *
 * @throws IpqsecError IPQ-D005 when it has no rows; IPQ-D006 when `requireTwoClasses` and every row has the
 *   same binary label.
 * @throws RangeError when a target, time or meta array, or a feature column, does not have `nRows` entries, or
 *   a multiclass index is outside `classNames` (a loader bug, not a user error).
 */
export function validateDataset<T extends LabelledDataset>(ds: T, opts: ValidateOptions = {}): T {
  const n = ds.features.nRows;
  const where = { file: ds.files.join(', ') };
  if (n === 0) throw new IpqsecError('IPQ-D005', `${ds.name}: no rows`, { location: where });
  const check = (len: number, what: string): void => {
    if (len !== n) throw new RangeError(`${ds.name}: ${what} has ${len} entries, expected ${n}`);
  };
  check(ds.binary.length, 'binary');
  check(ds.multiclass.length, 'multiclass');
  check(ds.rawLabel.length, 'rawLabel');
  if (ds.time !== undefined) check(ds.time.length, 'time');
  for (const [k, v] of Object.entries(ds.meta ?? {})) check(v.length, `meta.${k}`);
  for (const c of ds.features.columns) check(c.kind === 'numeric' ? c.values.length : c.codes.length, `column ${c.name}`);
  if (ds.classNames[0] !== 'normal') throw new RangeError(`${ds.name}: class 0 must be "normal", got "${ds.classNames[0]}"`);
  let attacks = 0;
  const k = ds.classNames.length;
  for (let i = 0; i < n; i++) {
    attacks += ds.binary[i];
    const c = ds.multiclass[i];
    if (c < 0 || c >= k) throw new RangeError(`${ds.name}: row ${i} has class ${c}, outside ${k} classes`);
  }
  if ((opts.requireTwoClasses ?? true) && (attacks === 0 || attacks === n)) {
    throw new IpqsecError('IPQ-D006', `${ds.name}: all ${n} rows are ${attacks === 0 ? 'normal' : 'attacks'}`, { location: where });
  }
  return ds;
}
