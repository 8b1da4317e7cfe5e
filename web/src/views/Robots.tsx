/**
 * Robots: a Gantt chart of each robot's tasks over the last 10 minutes (SVG; one row per robot, one bar per run of
 * identical task reports, from the first report of the run to the first report of the next task), with unusual
 * task switches (alerts whose reasons include `Unusual Task Switch`) outlined in red and marked with a tick, and
 * the same switches listed in a table below.
 *
 * Data: `robot` events from the live stream plus, once per session, the newest 6,000 robot events from
 * `GET /api/v1/events?type=robot` (10 minutes of the demo's 20 robots), and the alerts buffer.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Panel, SeverityBadge } from '../components/bits';
import { clockTime, dateTime } from '../lib/format';
import { segmentsOf } from '../lib/gantt';
import type { Alert } from '../lib/types';
import { useSession, useStoreVersion } from '../session-context';

/** Chart window (ms). */
export const GANTT_WINDOW_MS = 10 * 60_000;
/** The reason that marks an unusual switch. */
export const UNUSUAL_SWITCH = 'Unusual Task Switch';
const KNOWN_TASKS = ['welding', 'delivery', 'charging', 'idle'];
const LABEL_W = 90;
const ROW_H = 22;
const AXIS_H = 20;

const taskClass = (t: string): string => (KNOWN_TASKS.includes(t) ? `task-${t}` : 'task-other');
const robotName = (entity: string): string => entity.replace(/^robot:/, '');

/** The Robots view (`#/robots`). */
export function RobotsView() {
  const { store, session } = useSession();
  const version = useStoreVersion(store, 'series', 'alerts');
  const [loading, setLoading] = useState(true);
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);

  useEffect(() => {
    let live = true;
    void session.loadHistory('robot').finally(() => {
      if (live) setLoading(false);
    });
    return () => {
      live = false;
    };
  }, [session]);

  useEffect(() => {
    const el = wrap.current;
    if (el === null) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(400, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const robots = useMemo(() => store.robots.keys(), [store, version]);
  const switches = useMemo(
    () => store.alerts.newestFirst().filter((a) => a.entity.startsWith('robot:') && a.reasons.includes(UNUSUAL_SWITCH)),
    [store, version],
  );
  const { rows, endMs, startMs } = useMemo(() => {
    const rows = robots.map((r) => ({ robot: r, segments: segmentsOf(store.robots.points(r)) }));
    let end = 0;
    for (const r of rows) for (const s of r.segments) end = Math.max(end, s.endMs);
    if (end === 0) end = Date.now();
    return { rows, endMs: end, startMs: end - GANTT_WINDOW_MS };
  }, [robots, store, version]);

  const byRobot = useMemo(() => {
    const m = new Map<string, Alert[]>();
    for (const a of switches) (m.get(a.entity) ?? m.set(a.entity, []).get(a.entity)!).push(a);
    return m;
  }, [switches]);

  const plotW = width - LABEL_W - 8;
  const x = (ms: number): number => LABEL_W + ((Math.min(endMs, Math.max(startMs, ms)) - startMs) / GANTT_WINDOW_MS) * plotW;
  const height = AXIS_H + rows.length * ROW_H + 4;
  const ticks = Array.from({ length: 6 }, (_, i) => startMs + (i * GANTT_WINDOW_MS) / 5);
  const inWindow = switches.filter((a) => a.ts_ms >= startMs).length;

  return (
    <>
      <h1 tabIndex={-1}>Robots</h1>
      {loading && (
        <p className="muted small" role="status">
          Loading robot history…
        </p>
      )}
      <Panel title={`Tasks per robot (${rows.length} robots)`}>
        <div className="legend" aria-hidden="true">
          {KNOWN_TASKS.map((t) => (
            <span key={t}>
              <span className={`legend-swatch ${taskClass(t)}`} /> {t}
            </span>
          ))}
          <span>
            <span className="legend-swatch task-other" /> other
          </span>
          <span>
            <span className="legend-swatch unusual" /> unusual switch
          </span>
        </div>
        <div ref={wrap} className="gantt-wrap">
          {rows.length === 0 ? (
            <p className="muted">No robot reports yet.</p>
          ) : (
            <svg
              className="gantt"
              width={width}
              height={height}
              viewBox={`0 0 ${width} ${height}`}
              role="img"
              aria-label={`Gantt chart of the tasks of ${rows.length} robots from ${clockTime(startMs)} to ${clockTime(endMs)}; ${inWindow} unusual task switches marked in red`}
              data-testid="robot-gantt"
            >
              {ticks.map((t) => (
                <g key={t}>
                  <line className="gantt-grid" x1={x(t)} x2={x(t)} y1={AXIS_H - 4} y2={height} />
                  <text className="gantt-axis" x={x(t)} y={12} textAnchor={t === ticks[ticks.length - 1] ? 'end' : t === ticks[0] ? 'start' : 'middle'}>
                    {clockTime(t)}
                  </text>
                </g>
              ))}
              {rows.map((r, i) => {
                const y = AXIS_H + i * ROW_H;
                const alerts = byRobot.get(r.robot) ?? [];
                const alertIds = new Set(alerts.map((a) => a.event_id));
                return (
                  <g key={r.robot} data-robot={r.robot}>
                    <text className="gantt-label" x={4} y={y + ROW_H / 2 + 4}>
                      {robotName(r.robot)}
                    </text>
                    {r.segments
                      .filter((s) => s.endMs > startMs)
                      .map((s) => {
                        const unusual = alertIds.has(s.firstId);
                        const x0 = x(s.startMs);
                        // An unusual run is drawn at least 6 px wide so that its outline shows.
                        const w = Math.max(unusual ? 6 : 1, x(s.endMs) - x0);
                        return (
                          <rect key={s.firstId} className={`${taskClass(s.task)}${unusual ? ' unusual' : ''}`} x={x0} y={y + 3} width={w} height={ROW_H - 6} rx={2} data-unusual={unusual ? 'true' : undefined}>
                            <title>{`${robotName(r.robot)}: ${s.task} ${clockTime(s.startMs)}–${clockTime(s.endMs)}${unusual ? ' (unusual switch)' : ''}`}</title>
                          </rect>
                        );
                      })}
                    {alerts
                      .filter((a) => a.ts_ms >= startMs && a.ts_ms <= endMs)
                      .map((a) => (
                        <path key={a.id} className="gantt-mark" data-testid="unusual-switch-mark" d={`M${x(a.ts_ms)},${y + 1} l-5,-6 h10 z M${x(a.ts_ms)},${y} v${ROW_H}`}>
                          <title>{`${robotName(r.robot)}: unusual switch ${a.previous_task ?? '?'} → ${a.task ?? '?'} at ${clockTime(a.ts_ms)}`}</title>
                        </path>
                      ))}
                  </g>
                );
              })}
            </svg>
          )}
        </div>
      </Panel>
      <Panel title="Unusual task switches">
        {switches.length === 0 ? (
          <p className="muted">None in the newest 1,000 alerts.</p>
        ) : (
          <div className="table-wrap">
            <table className="table compact" aria-label="Unusual task switches">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Robot</th>
                  <th scope="col">Switch</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Other reasons</th>
                </tr>
              </thead>
              <tbody>
                {switches.slice(0, 100).map((a) => (
                  <tr key={a.id} data-testid="robot-switch-row">
                    <td className="mono nowrap">{dateTime(a.ts_ms)}</td>
                    <td className="mono">{robotName(a.entity)}</td>
                    <td>
                      {a.previous_task ?? '?'} → {a.task ?? '?'}
                    </td>
                    <td>
                      <SeverityBadge severity={a.severity} />
                    </td>
                    <td>{a.reasons.filter((r) => r !== UNUSUAL_SWITCH).join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
    </>
  );
}
