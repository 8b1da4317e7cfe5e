/**
 * Data of the Sensors view (pure): the risk heatmap grid (highest event risk per sensor per time bucket), its
 * colour scale, and a sensor's trace with its anomalies (readings that raised an alert) for uPlot.
 */
import type uPlot from 'uplot';
import type { SensorPoint } from './live-store';
import type { Alert } from './types';

/** Heatmap window (ms): 5 minutes. */
export const HEATMAP_WINDOW_MS = 5 * 60_000;
/** Heatmap bucket (ms): 5 seconds. */
export const HEATMAP_BUCKET_MS = 5_000;

/** Colour stops of the risk scale (risk, [r, g, b]). */
const STOPS: readonly [number, [number, number, number]][] = [
  [0, [22, 50, 79]],
  [0.2, [31, 111, 139]],
  [0.4, [250, 204, 21]],
  [0.7, [249, 115, 22]],
  [1, [220, 38, 38]],
];

/** CSS colour of a risk in [0, 1] on the heatmap scale. */
export function riskColour(r: number): string {
  const x = Math.min(1, Math.max(0, r));
  for (let i = 1; i < STOPS.length; i++) {
    const [r1, c1] = STOPS[i];
    if (x <= r1) {
      const [r0, c0] = STOPS[i - 1];
      const t = (x - r0) / (r1 - r0);
      const c = c0.map((v, k) => Math.round(v + (c1[k] - v) * t));
      return `rgb(${c[0]},${c[1]},${c[2]})`;
    }
  }
  return 'rgb(220,38,38)';
}

/** Per sensor, the highest risk per bucket (NaN: no reading), over `buckets` buckets starting at `startMs`. */
export function heatmapGrid(series: readonly SensorPoint[][], startMs: number, buckets: number, bucketMs: number): Float64Array[] {
  return series.map((pts) => {
    const row = new Float64Array(buckets).fill(Number.NaN);
    for (const p of pts) {
      const k = Math.floor((p.ts - startMs) / bucketMs);
      if (k < 0 || k >= buckets) continue;
      if (!(row[k] >= p.risk)) row[k] = p.risk;
    }
    return row;
  });
}

/** Trace data: x (s), value, risk, anomaly value (null where none). */
export function traceData(points: readonly SensorPoint[], alerts: readonly Alert[]): { data: uPlot.AlignedData; anomalies: number } {
  const xs = points.map((p) => p.ts / 1000);
  const values = points.map((p) => p.value);
  const risks = points.map((p) => p.risk);
  const marks: (number | null)[] = points.map(() => null);
  const index = new Map(points.map((p, i) => [p.id, i]));
  let anomalies = 0;
  for (const a of alerts) {
    let i = index.get(a.event_id);
    if (i === undefined) {
      if (points.length === 0 || a.ts_ms < points[0].ts || a.ts_ms > points[points.length - 1].ts) continue;
      // Nearest reading in time (binary search).
      let lo = 0;
      let hi = points.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (points[mid].ts < a.ts_ms) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    if (marks[i] === null) anomalies++;
    marks[i] = values[i];
  }
  return { data: [xs, values, risks, marks], anomalies };
}


/** Half-width (s) of the x range of a trace whose readings span no time (one reading): 5 minutes. */
export const TRACE_HALF_RANGE_S = 300;

/**
 * The x range (epoch seconds) of a sensor trace, as a uPlot `scales.x.range` function computes it from the x data
 * (`xs`, ascending) and the range uPlot asks for (`min`, `max`): readings spanning some time keep the asked range
 * (the data's span, or a zoom); readings at a single time (one reading) get `±` {@link TRACE_HALF_RANGE_S} around it,
 * since uPlot itself would widen a zero span by 86,400 units, i.e. 86,400,000 s (about 2.7 years) on a time axis in
 * seconds. A zoom inside that window is kept. No data: the asked range unchanged.
 */
export function traceXRange(xs: ArrayLike<number | null | undefined>, min: number | null, max: number | null): [number | null, number | null] {
  const n = xs.length;
  const first = n > 0 ? xs[0] : null;
  const last = n > 0 ? xs[n - 1] : null;
  if (first === null || first === undefined || last === null || last === undefined || last > first) return [min, max];
  if (min !== null && max !== null && max > min && max - min <= 2 * TRACE_HALF_RANGE_S) return [min, max];
  return [first - TRACE_HALF_RANGE_S, first + TRACE_HALF_RANGE_S];
}
