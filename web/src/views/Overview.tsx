/**
 * Overview: events per second (by event time, from the events loaded and streamed), alerts by severity over time
 * (uPlot), top risky entities
 * (threat memory, `GET /api/v1/entities`) and system health (`GET /api/v1/health`, refreshed every 30 s while the
 * view is open, plus the stream connection).
 *
 * Performance mark: {@link OVERVIEW_READY_MARK} (`performance.mark('ipqsec:overview-ready')`, W3C User Timing 3) is
 * set once per sign-in (per session, also when a kept token signs in on a reload), right after the first commit in
 * which the Overview shows real content: the health panel holds the server's answer (its status, not "checking…")
 * and both uPlot charts are drawn (their canvases are created by effects that run before this view's own). That is
 * the moment the end-to-end test calls "usable"; read it with `performance.getEntriesByName('ipqsec:overview-ready')`
 * (its `startTime` is in ms since navigation start).
 */
import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import { Panel, RiskClassBadge, RiskValue, Stat } from '../components/bits';
import { SEVERITY_COLOUR, axes } from '../components/chart-theme';
import { UPlotChart } from '../components/UPlotChart';
import { call } from '../lib/api';
import { ago, duration, int } from '../lib/format';
import { ALERT_BUCKET_MS, ALERT_WINDOW_MS, alertSeries } from '../lib/alert-series';
import { SEVERITIES, type Health } from '../lib/types';
import { useNow, useSession, useStoreVersion } from '../session-context';

/** Name of the User Timing mark set when the Overview first shows real content after sign-in. */
export const OVERVIEW_READY_MARK = 'ipqsec:overview-ready';

/** Sessions whose Overview has been marked ready (weak: a signed-out session is collected, no cap needed). */
const markedReady = new WeakSet<object>();

/** Entity states are reloaded at most this often (ms), and only after new alerts. */
export const ENTITY_REFRESH_MS = 10_000;

/** The Overview view (`#/overview`, the default). */
export function OverviewView() {
  const { store, session } = useSession();
  const version = useStoreVersion(store, 'alerts', 'entities', 'connection');
  const now = useNow(1000);
  const [health, setHealth] = useState<Health | null>(null);
  const [healthError, setHealthError] = useState<string | null>(null);

  useEffect(() => {
    let stop = false;
    const load = () =>
      call<Health>(null, '/health')
        .then((h) => {
          if (!stop) {
            setHealth(h);
            setHealthError(null);
          }
        })
        .catch((e: unknown) => {
          if (!stop) setHealthError(e instanceof Error ? e.message : String(e));
        });
    void load();
    const t = setInterval(() => void load(), 30_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);

  const ready = health !== null;
  useEffect(() => {
    if (!ready || markedReady.has(session)) return;
    markedReady.add(session);
    performance.mark(OVERVIEW_READY_MARK);
  }, [ready, session]);

  // Reload threat memory after new alerts, at most every ENTITY_REFRESH_MS.
  useEffect(() => {
    if (store.entitiesStale && Date.now() - store.entitiesFetchedMs > ENTITY_REFRESH_MS) void session.refreshEntities();
  }, [version, now, store, session]);

  // Event time normally tracks the wall clock; when it does not (a replay, a simulator at another speed), follow it.
  const rateEnd = store.latestTs > 0 && Math.abs(now - store.latestTs) > 60_000 ? store.latestTs : now;
  const eps = store.rate.rate(rateEnd, 10);
  const rateData = useMemo<uPlot.AlignedData>(() => store.rate.series(rateEnd, 120), [store, rateEnd]);
  const alerts = useMemo(() => store.alerts.toArray(), [store, version]);
  const open = useMemo(() => alerts.filter((a) => !a.acked).length, [alerts]);
  const endMs = store.latestTs > 0 && now - store.latestTs > ALERT_WINDOW_MS ? store.latestTs : now;
  const endBucket = Math.floor(endMs / ALERT_BUCKET_MS);
  const alertData = useMemo(() => alertSeries(alerts, endBucket * ALERT_BUCKET_MS), [alerts, endBucket]);
  const recentAlerts = useMemo(() => alerts.filter((a) => a.ts_ms >= endMs - 15 * 60_000).length, [alerts, endMs]);

  const top = useMemo(
    () =>
      [...store.entities.values()]
        .sort((a, b) => b.ewma_risk - a.ewma_risk || b.max_risk - a.max_risk)
        .slice(0, 10),
    [store, version],
  );

  const rateOpts = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 180,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
      axes: axes('events/s'),
      series: [{}, { label: 'events/s', stroke: '#38bdf8', fill: 'rgba(56,189,248,0.15)', width: 1.5, points: { show: false } }],
    }),
    [],
  );
  const alertOpts = useMemo<Omit<uPlot.Options, 'width'>>(
    () => ({
      height: 200,
      cursor: { drag: { x: false, y: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] } },
      axes: axes('alerts / 30 s'),
      series: [
        {},
        ...SEVERITIES.map((s) => ({ label: s, stroke: SEVERITY_COLOUR[s], width: 2, points: { show: false } })),
      ],
    }),
    [],
  );

  const c = store.connection;
  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <div className="stats" data-testid="overview-stats">
        <Stat label="events/s (10 s average)" value={eps.toFixed(1)} testId="stat-eps" />
        <Stat label="events in view (max 10,000)" value={int(store.events.size)} />
        <Stat label="open alerts (newest 1,000)" value={int(open)} testId="stat-open-alerts" />
        <Stat label="alerts, last 15 min" value={int(recentAlerts)} />
      </div>
      <div className="grid2">
        <Panel title="Events per second">
          <UPlotChart options={rateOpts} data={rateData} label={`Events per second over the last 2 minutes; now ${eps.toFixed(1)}`} testId="chart-eps" />
        </Panel>
        <Panel title="Alerts by severity">
          <UPlotChart options={alertOpts} data={alertData} label="Alerts per 30 seconds by severity over the last 30 minutes" testId="chart-alerts" />
        </Panel>
      </div>
      <div className="grid2">
        <Panel title="Top risky entities">
          {top.length === 0 ? (
            <p className="muted">No entity seen yet.</p>
          ) : (
            <table className="table compact" aria-label="Top risky entities">
              <thead>
                <tr>
                  <th scope="col">Entity</th>
                  <th scope="col">Risk (EWMA)</th>
                  <th scope="col">Max</th>
                  <th scope="col">Class</th>
                  <th scope="col">Alerts</th>
                </tr>
              </thead>
              <tbody>
                {top.map((e) => (
                  <tr key={e.entity}>
                    <td className="mono ellipsis">{e.entity}</td>
                    <td>
                      <RiskValue risk={e.ewma_risk} />
                    </td>
                    <td className="num">{e.max_risk.toFixed(2)}</td>
                    <td>
                      <RiskClassBadge value={e.risk_class} />
                    </td>
                    <td className="num">{int(e.alerts)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title="System health">
          <dl className="kv" data-testid="health">
            <dt>Service</dt>
            <dd>
              {health === null ? (healthError ?? 'checking…') : <span className={health.status === 'ok' ? 'ok' : 'bad'}>{health.status}</span>}
            </dd>
            <dt>Version</dt>
            <dd>{health?.version ?? '—'}</dd>
            <dt>Uptime</dt>
            <dd>{health === null ? '—' : duration(health.uptime_s)}</dd>
            <dt>Events stored</dt>
            <dd>{health?.events_stored === undefined ? '—' : int(health.events_stored)}</dd>
            <dt>Live stream</dt>
            <dd>
              {c.state} {c.detail !== '' && c.detail !== 'live' ? `(${c.detail})` : ''}
            </dd>
            <dt>Reconnections</dt>
            <dd>{int(c.reconnects)}</dd>
            <dt>Messages dropped by the server</dt>
            <dd>{int(c.dropped)}</dd>
            <dt>Newest event</dt>
            <dd>{store.latestTs > 0 ? ago(store.latestTs, now) : '—'}</dd>
          </dl>
        </Panel>
      </div>
    </>
  );
}
