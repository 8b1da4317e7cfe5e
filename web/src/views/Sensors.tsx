/**
 * Sensors: a risk heatmap of every sensor over the last 5 minutes (rows: sensors, columns: 5-second buckets,
 * colour: the highest event risk of the sensor in the bucket; canvas), and the trace of one sensor (uPlot: its
 * readings, the event risk on a second axis, and its anomalies, i.e. the readings that raised an alert, marked).
 *
 * Data: `sensor` events from the live stream plus, once per session, the newest 30,000 sensor events from
 * `GET /api/v1/events?type=sensor` (30 pages: 5 minutes of the demo's 100 sensors; the live stream adds the rest), and
 * the alerts buffer. Up to 200 sensors × 900 readings are kept (live-store.ts).
 *
 * Heatmap row labels are drawn as canvas text (never markup), cut to the label column with "…" (text-fit.ts); the
 * full name of the row under the pointer is the canvas's `title` (a tooltip), and every name is in full in the
 * sensor list below. A trace with a single reading spans ±5 minutes around it (sensor-charts.ts `traceXRange`) and
 * shows that reading as a dot.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type uPlot from 'uplot';
import { Panel } from '../components/bits';
import { AXIS_STROKE, axes } from '../components/chart-theme';
import { UPlotChart } from '../components/UPlotChart';
import { clockTime, dateTime, risk2 } from '../lib/format';
import { MAX_SENSORS } from '../lib/live-store';
import { HEATMAP_BUCKET_MS, HEATMAP_WINDOW_MS, heatmapGrid, riskColour, traceData, traceXRange } from '../lib/sensor-charts';
import { ellipsize } from '../lib/text-fit';
import { useSession, useStoreVersion } from '../session-context';

const LABEL_W = 120;
/** Left margin of a row label, and the gap kept between the label and the first cell (CSS px). */
const LABEL_X = 4;
const LABEL_GAP = 6;
const AXIS_H = 22;
const LABEL_FONT = '10px system-ui, sans-serif';

const shortName = (entity: string): string => entity.replace(/^sensor:/, '');

/** uPlot `points.show` of the trace lines: a dot only when a single reading is in view (a line needs two). */
const loneReading = (_u: uPlot, _series: number, idx0: number, idx1: number): boolean => idx1 - idx0 < 1;

function Heatmap({ names, grid, startMs, onPick, selected }: { names: string[]; grid: Float64Array[]; startMs: number; onPick: (i: number) => void; selected: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState(-1);
  // Fitted label per sensor key (the font and column width are fixed); cleared beyond twice the sensor cap.
  const fitted = useRef(new Map<string, string>());
  const rowH = names.length > 0 ? Math.max(4, Math.min(14, Math.floor(420 / names.length))) : 10;
  const height = AXIS_H + rowH * Math.max(1, names.length);
  const buckets = grid[0]?.length ?? HEATMAP_WINDOW_MS / HEATMAP_BUCKET_MS;

  useEffect(() => {
    const el = wrap.current;
    if (el === null) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(300, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    if (c === null) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const g = c.getContext('2d');
    if (g === null) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const cellW = (width - LABEL_W) / buckets;
    g.font = LABEL_FONT;
    const labels = fitted.current;
    if (labels.size > 2 * MAX_SENSORS) labels.clear();
    const labelOf = (key: string): string => {
      let t = labels.get(key);
      if (t === undefined) {
        t = ellipsize(shortName(key), LABEL_W - LABEL_GAP - LABEL_X, (x) => g.measureText(x).width);
        labels.set(key, t);
      }
      return t;
    };
    g.fillStyle = AXIS_STROKE;
    g.textBaseline = 'middle';
    // Time axis: a label every minute.
    for (let k = 0; k < buckets; k += Math.round(60_000 / HEATMAP_BUCKET_MS)) g.fillText(clockTime(startMs + k * HEATMAP_BUCKET_MS), LABEL_W + k * cellW, AXIS_H / 2);
    // Row labels at least 14 px apart; none next to the selected row's own label.
    const labelEvery = Math.ceil(14 / rowH);
    grid.forEach((row, i) => {
      const y = AXIS_H + i * rowH;
      const nearSelected = selected >= 0 && i !== selected && Math.abs(i - selected) < labelEvery;
      if ((i % labelEvery === 0 && !nearSelected) || i === selected) {
        // Cut with "…" to the label column, and clipped to it as well: a long sensor name never runs over the cells.
        g.save();
        g.beginPath();
        g.rect(0, AXIS_H, LABEL_W - LABEL_GAP, height - AXIS_H);
        g.clip();
        g.fillStyle = i === selected ? '#ffffff' : AXIS_STROKE;
        g.fillText(labelOf(names[i]), LABEL_X, y + rowH / 2);
        g.restore();
      }
      for (let k = 0; k < buckets; k++) {
        const v = row[k];
        g.fillStyle = Number.isNaN(v) ? '#0f172a' : riskColour(v);
        g.fillRect(LABEL_W + k * cellW, y, Math.ceil(cellW), rowH - (rowH > 5 ? 1 : 0));
      }
    });
    if (selected >= 0 && selected < names.length) {
      g.strokeStyle = '#ffffff';
      g.lineWidth = 1.5;
      g.strokeRect(LABEL_W - 1, AXIS_H + selected * rowH - 0.5, width - LABEL_W, rowH);
    }
  }, [grid, names, width, height, rowH, buckets, startMs, selected]);

  const hottest = useMemo(() => {
    let best = -1;
    let bestV = -1;
    grid.forEach((row, i) => {
      for (const v of row) if (v > bestV) {
        bestV = v;
        best = i;
      }
    });
    return best < 0 ? 'no readings yet' : `highest risk ${risk2(bestV)} at ${shortName(names[best])}`;
  }, [grid, names]);

  /** The row under the pointer, or -1. */
  const rowAt = (e: React.MouseEvent<HTMLCanvasElement>): number => {
    const r = e.currentTarget.getBoundingClientRect();
    const i = Math.floor((e.clientY - r.top - AXIS_H) / rowH);
    return i >= 0 && i < names.length ? i : -1;
  };

  return (
    <div ref={wrap} className="heatmap-wrap">
      <canvas
        ref={canvas}
        className="heatmap"
        style={{ height: `${height}px` }}
        role="img"
        aria-label={`Risk heatmap of ${names.length} sensors over the last ${HEATMAP_WINDOW_MS / 60_000} minutes in ${HEATMAP_BUCKET_MS / 1000}-second buckets; ${hottest}. Click a row to show its trace.`}
        data-testid="sensor-heatmap"
        title={hover >= 0 && hover < names.length ? shortName(names[hover]) : undefined}
        onMouseMove={(e) => setHover(rowAt(e))}
        onMouseLeave={() => setHover(-1)}
        onClick={(e) => {
          const i = rowAt(e);
          if (i >= 0) onPick(i);
        }}
      />
      <div className="scale" aria-hidden="true">
        <span>risk 0</span>
        {[0.1, 0.3, 0.5, 0.7, 0.9].map((r) => (
          <span key={r} className={`swatch sw${Math.round(r * 10)}`} />
        ))}
        <span>1</span>
      </div>
    </div>
  );
}

/** The Sensors view (`#/sensors`). */
export function SensorsView() {
  const { store, session } = useSession();
  const version = useStoreVersion(store, 'series', 'alerts');
  const [loading, setLoading] = useState(true);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void session.loadHistory('sensor').finally(() => {
      if (live) setLoading(false);
    });
    return () => {
      live = false;
    };
  }, [session]);

  const names = useMemo(() => store.sensors.keys(), [store, version]);
  const endBucket = Math.floor(Math.max(store.latestTs, 1) / HEATMAP_BUCKET_MS);
  const startMs = (endBucket + 1) * HEATMAP_BUCKET_MS - HEATMAP_WINDOW_MS;
  const grid = useMemo(
    () => heatmapGrid(names.map((n) => store.sensors.points(n)), startMs, HEATMAP_WINDOW_MS / HEATMAP_BUCKET_MS, HEATMAP_BUCKET_MS),
    [names, store, version, startMs],
  );

  const sensorAlerts = useMemo(() => store.alerts.toArray().filter((a) => a.event_type === 'sensor' || a.entity.startsWith('sensor:')), [store, version]);
  const alertedSensors = useMemo(() => {
    const count = new Map<string, number>();
    for (const a of sensorAlerts) count.set(a.entity, (count.get(a.entity) ?? 0) + 1);
    return [...count.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
  }, [sensorAlerts]);

  const selected = selectedKey ?? alertedSensors[0]?.[0] ?? names[0] ?? null;
  const selectedIndex = selected === null ? -1 : names.indexOf(selected);
  const trace = useMemo(() => {
    if (selected === null) return null;
    const pts = store.sensors.points(selected);
    return traceData(pts, sensorAlerts.filter((a) => a.entity === selected));
  }, [selected, store, version, sensorAlerts]);
  const unit = selected === null ? '' : (store.sensors.points(selected).at(-1)?.unit ?? '');

  const traceOpts = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 240,
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true, range: (u, min, max) => traceXRange(u.data[0], min, max) }, risk: { range: [0, 1] } },
      axes: axes(`value ${unit}`.trim(), [{ scale: 'risk', side: 1, label: 'risk', size: 48, grid: { show: false } }]),
      series: [
        {},
        { label: `value ${unit}`.trim(), stroke: '#38bdf8', width: 1.5, points: { show: loneReading, size: 7 } },
        { label: 'risk', scale: 'risk', stroke: 'rgba(250,204,21,0.7)', width: 1, points: { show: loneReading, size: 5 } },
        { label: 'anomaly (alert)', stroke: '#f43f5e', fill: '#f43f5e', width: 0, paths: () => null, points: { show: true, size: 9, stroke: '#f43f5e', fill: '#f43f5e' } },
      ],
    }),
    [unit],
  );

  return (
    <>
      <h1 tabIndex={-1}>Sensors</h1>
      {loading && (
        <p className="muted small" role="status">
          Loading sensor history…
        </p>
      )}
      <Panel title={`Sensor risk heatmap (${names.length} sensors)`}>
        {names.length === 0 ? (
          <p className="muted">No sensor readings yet.</p>
        ) : (
          <Heatmap names={names} grid={grid} startMs={startMs} selected={selectedIndex} onPick={(i) => setSelectedKey(names[i])} />
        )}
      </Panel>
      <Panel title="Sensor trace">
        <form className="toolbar" onSubmit={(e) => e.preventDefault()} aria-label="Sensor choice">
          <label>
            Sensor
            <select value={selected ?? ''} onChange={(e) => setSelectedKey(e.target.value)} data-testid="sensor-select">
              {names.map((n) => (
                <option key={n} value={n}>
                  {shortName(n)}
                </option>
              ))}
            </select>
          </label>
          {alertedSensors.length > 0 && (
            <div className="chips" role="group" aria-label="Sensors with alerts">
              <span className="muted small">With alerts:</span>
              {alertedSensors.map(([k, n]) => (
                <button key={k} type="button" className={`chip${k === selected ? ' active' : ''}`} aria-pressed={k === selected} onClick={() => setSelectedKey(k)}>
                  {shortName(k)} ({n})
                </button>
              ))}
            </div>
          )}
        </form>
        {selected !== null && trace !== null && (
          <>
            <p className="muted small" data-testid="sensor-trace-summary">
              {shortName(selected)}: {trace.data[0].length} readings
              {trace.data[0].length > 0 ? ` from ${dateTime((trace.data[0][0] as number) * 1000)}` : ''}, {trace.anomalies} anomalies marked
            </p>
            <UPlotChart options={traceOpts} data={trace.data} label={`Readings and risk of sensor ${shortName(selected)} with ${trace.anomalies} anomalies marked`} testId="sensor-trace" />
          </>
        )}
      </Panel>
    </>
  );
}
