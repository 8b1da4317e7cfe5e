/**
 * The one ordering of records in time used by splits and temporal features: earlier time first, `NaN` times
 * last, ties broken by file position (so the order is stable and deterministic).
 */

/** Comparator of row indices `a`, `b` by `time`, for `Int32Array.prototype.sort`. */
export function compareByTime(time: Float64Array, a: number, b: number): number {
  const ta = time[a];
  const tb = time[b];
  if (ta < tb) return -1;
  if (ta > tb) return 1;
  const na = Number.isNaN(ta);
  const nb = Number.isNaN(tb);
  if (na !== nb) return na ? 1 : -1;
  return a - b;
}
