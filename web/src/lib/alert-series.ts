/** Alerts per severity over time for the Overview chart (pure; uPlot's aligned data, x in epoch seconds). */
import type uPlot from 'uplot';
import { SEVERITIES, type Alert } from './types';

/** Alerts chart window (ms): 30 minutes. */
export const ALERT_WINDOW_MS = 30 * 60_000;
/** Alerts chart bucket (ms): 30 seconds. */
export const ALERT_BUCKET_MS = 30_000;

/** Alerts per severity per bucket over the window ending at `endMs` (x in epoch seconds). */
export function alertSeries(alerts: readonly Alert[], endMs: number): uPlot.AlignedData {
  const n = ALERT_WINDOW_MS / ALERT_BUCKET_MS;
  const start = Math.floor(endMs / ALERT_BUCKET_MS) * ALERT_BUCKET_MS - (n - 1) * ALERT_BUCKET_MS;
  const xs = Array.from({ length: n }, (_, i) => (start + i * ALERT_BUCKET_MS) / 1000);
  const ys = SEVERITIES.map(() => new Array<number>(n).fill(0));
  for (const a of alerts) {
    const k = Math.floor((a.ts_ms - start) / ALERT_BUCKET_MS);
    if (k < 0 || k >= n) continue;
    ys[SEVERITIES.indexOf(a.severity)][k]++;
  }
  return [xs, ...ys];
}
