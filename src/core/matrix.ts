/**
 * Dense row-major matrix of float64 features: the input of every model.
 *
 * `data[r * nCols + c]` is feature `c` of row `r`. Missing values are `NaN`; models treat `NaN` and
 * `±Infinity` without crashing (trees send them down a learned default branch, linear models see the
 * preprocessing's imputed value).
 */
export interface Matrix {
  readonly data: Float64Array;
  readonly nRows: number;
  readonly nCols: number;
}

/**
 * Wraps `data` as a matrix after checking its length.
 * @throws RangeError when `data.length !== nRows * nCols`.
 */
export function matrix(data: Float64Array, nRows: number, nCols: number): Matrix {
  if (!Number.isInteger(nRows) || !Number.isInteger(nCols) || nRows < 0 || nCols < 0) {
    throw new RangeError(`matrix shape must be non-negative integers, got ${nRows}x${nCols}`);
  }
  if (data.length !== nRows * nCols) {
    throw new RangeError(`matrix data has ${data.length} values, shape ${nRows}x${nCols} needs ${nRows * nCols}`);
  }
  return { data, nRows, nCols };
}

/** Builds a matrix from an array of equal-length rows (tests and small inputs). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const nRows = rows.length;
  const nCols = nRows === 0 ? 0 : rows[0].length;
  const data = new Float64Array(nRows * nCols);
  for (let r = 0; r < nRows; r++) {
    const row = rows[r];
    if (row.length !== nCols) throw new RangeError(`row ${r} has ${row.length} values, expected ${nCols}`);
    data.set(row, r * nCols);
  }
  return { data, nRows, nCols };
}

/** The rows of `m` at `indices`, copied into a new matrix (in the order given). */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const n = indices.length;
  const c = m.nCols;
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    const src = indices[i] * c;
    out.set(m.data.subarray(src, src + c), i * c);
  }
  return { data: out, nRows: n, nCols: c };
}

/** Elements of a typed or plain array at `indices`, into a new array of the same type. */
export function takeValues<T extends Int32Array | Float64Array | Uint8Array | Float32Array>(a: T, indices: ArrayLike<number>): T {
  const out = new (a.constructor as new (n: number) => T)(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = a[indices[i]];
  return out;
}
