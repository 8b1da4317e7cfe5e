/** Data of the charts (hand-computed): alert buckets, heatmap grid and colours, sensor trace anomalies, Gantt runs. */
import { describe, expect, it } from 'vitest';
import { ALERT_BUCKET_MS, ALERT_WINDOW_MS, alertSeries } from './alert-series';
import { MAX_REPORT_SPAN_MS, segmentsOf } from './gantt';
import type { RobotPoint, SensorPoint } from './live-store';
import { TRACE_HALF_RANGE_S, heatmapGrid, riskColour, traceData, traceXRange } from './sensor-charts';
import type { Alert } from './types';

const T0 = Date.parse('2026-11-21T12:00:00Z'); // a multiple of 30 s

const alertAt = (ts: number, severity: Alert['severity'], event_id = 'e'): Alert => ({
  id: `a-${ts}-${severity}`, event_id, event_type: 'sensor', entity: 'sensor:site-a/tt-001', timestamp: '', ts_ms: ts, ip: null, task: null, previous_task: null,
  ports_accessed: [], intrusion_detected: true, reasons: ['Sensor Spike'], severity, risk: 0.8, techniques: [], acked: false, acked_by: null, acked_at_ms: null,
});

describe('alertSeries', () => {
  it('counts alerts per severity per 30 s bucket over the 30 min ending at endMs', () => {
    const end = T0;
    const d = alertSeries([alertAt(T0, 'high'), alertAt(T0 + 29_999, 'high'), alertAt(T0 - 1, 'low'), alertAt(T0 - ALERT_WINDOW_MS, 'critical'), alertAt(T0 + ALERT_BUCKET_MS, 'medium')], end);
    const n = ALERT_WINDOW_MS / ALERT_BUCKET_MS;
    expect(d[0].length).toBe(n);
    expect(d[0][n - 1]).toBe(T0 / 1000);
    expect(d[0][0]).toBe((T0 - (n - 1) * ALERT_BUCKET_MS) / 1000);
    const [, low, medium, high, critical] = d as number[][];
    expect(high[n - 1]).toBe(2);
    expect(low[n - 2]).toBe(1);
    expect(medium.reduce((a, b) => a + b, 0)).toBe(0); // after the window
    expect(critical.reduce((a, b) => a + b, 0)).toBe(0); // before the window
  });
});

describe('heatmapGrid and riskColour', () => {
  it('takes the highest risk per bucket and leaves empty buckets NaN', () => {
    const p = (ts: number, risk: number): SensorPoint => ({ id: `${ts}`, ts, value: 20, unit: 'C', risk });
    const [row] = heatmapGrid([[p(T0, 0.1), p(T0 + 5_000, 0.6), p(T0 + 9_999, 0.3), p(T0 + 20_000, 0.2), p(T0 - 1, 0.9), p(T0 + 30_000, 0.9)]], T0, 3, 10_000);
    expect(row[0]).toBe(0.6);
    expect(row[1]).toBeNaN();
    expect(row[2]).toBe(0.2);
  });

  it('maps risk onto the colour stops, clamping outside [0, 1]', () => {
    expect(riskColour(0)).toBe('rgb(22,50,79)');
    expect(riskColour(0.4)).toBe('rgb(250,204,21)');
    expect(riskColour(0.7)).toBe('rgb(249,115,22)');
    expect(riskColour(1)).toBe('rgb(220,38,38)');
    expect(riskColour(-3)).toBe(riskColour(0));
    expect(riskColour(7)).toBe(riskColour(1));
    expect(riskColour(0.475)).toBe('rgb(250,182,21)'); // a quarter of the way from the 0.4 stop to the 0.7 stop
  });
});

describe('traceData', () => {
  it('marks the reading that raised an alert, or the nearest one in time', () => {
    const pts: SensorPoint[] = [0, 1, 2, 3].map((i) => ({ id: `r${i}`, ts: T0 + i * 1000, value: 20 + i, unit: 'C', risk: i / 10 }));
    const { data, anomalies } = traceData(pts, [alertAt(T0 + 2000, 'high', 'r2'), alertAt(T0 + 900, 'low', 'gone'), alertAt(T0 + 10_000, 'low', 'later')]);
    expect(anomalies).toBe(2);
    expect(data[0]).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2, T0 / 1000 + 3]);
    expect(data[1]).toEqual([20, 21, 22, 23]);
    expect(data[2]).toEqual([0, 0.1, 0.2, 0.3]);
    expect(data[3]).toEqual([null, 21, 22, null]);
  });
});

describe('segmentsOf', () => {
  it('joins runs of one task, ends a run at the next task, and cuts at silences', () => {
    const r = (i: number, s: number, task: string): RobotPoint => ({ id: `p${i}`, ts: T0 + s * 1000, task, previous: null, risk: 0 });
    const segs = segmentsOf([r(0, 0, 'idle'), r(1, 2, 'idle'), r(2, 4, 'welding'), r(3, 6, 'welding'), r(4, 30, 'welding'), r(5, 32, 'charging')]);
    expect(segs.map((s) => [s.task, (s.startMs - T0) / 1000, (s.endMs - T0) / 1000, s.firstId])).toEqual([
      ['idle', 0, 4, 'p0'],
      ['welding', 4, 6 + MAX_REPORT_SPAN_MS / 1000, 'p2'],
      ['welding', 30, 32, 'p4'],
      ['charging', 32, 34, 'p5'],
    ]);
    expect(segmentsOf([])).toEqual([]);
  });
});

describe('traceXRange', () => {
  it('gives a single reading ±5 min, keeps a real span and a zoom inside the window', () => {
    const t = T0 / 1000;
    expect(TRACE_HALF_RANGE_S).toBe(300);
    // uPlot widens a zero span on a time axis by 86,400,000 s before asking: replaced by ±5 min.
    expect(traceXRange([t], t, t + 86_400_000)).toEqual([t - 300, t + 300]);
    expect(traceXRange([t], t, t)).toEqual([t - 300, t + 300]);
    expect(traceXRange([t, t, t], null, null)).toEqual([t - 300, t + 300]);
    // A zoom within the ±5 min window of a single reading is kept.
    expect(traceXRange([t], t - 60, t + 30)).toEqual([t - 60, t + 30]);
    // Readings spanning time: the asked range unchanged (the data's span, or a zoom).
    expect(traceXRange([t, t + 1], t, t + 1)).toEqual([t, t + 1]);
    expect(traceXRange([t, t + 3600], t + 10, t + 20)).toEqual([t + 10, t + 20]);
    expect(traceXRange([], null, null)).toEqual([null, null]);
  });
});
