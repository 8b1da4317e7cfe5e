/**
 * Class weights for imbalanced data.
 */

/**
 * scikit-learn's `class_weight='balanced'` (`sklearn.utils.class_weight.compute_class_weight`):
 * `w_c = n / (k · count_c)` with `n` rows and `k` the number of classes present in `y`.
 * @param y class per row (0-based).
 * @param nClasses length of the result (default: max label + 1); absent classes get weight 0.
 * @returns weight per class.
 * @throws RangeError for an empty `y` or a negative label.
 */
export function balancedClassWeights(y: Int32Array | Uint8Array, nClasses?: number): Float64Array {
  const n = y.length;
  if (n === 0) throw new RangeError('balancedClassWeights: no rows');
  let max = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] < 0) throw new RangeError(`balancedClassWeights: negative label at row ${i}`);
    if (y[i] > max) max = y[i];
  }
  const k = Math.max(nClasses ?? 0, max + 1);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  let present = 0;
  for (let c = 0; c < k; c++) if (counts[c] > 0) present++;
  const w = new Float64Array(k);
  for (let c = 0; c < k; c++) w[c] = counts[c] > 0 ? n / (present * counts[c]) : 0;
  return w;
}

/**
 * Per-row sample weights from {@link balancedClassWeights}: row `i` gets `w[y[i]]`, so every class carries the
 * same total weight `n / k`.
 */
export function balancedSampleWeights(y: Int32Array | Uint8Array): Float64Array {
  const w = balancedClassWeights(y);
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = w[y[i]];
  return out;
}
