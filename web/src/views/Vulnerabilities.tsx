/**
 * Vulnerabilities: the server's vulnerability scans (`GET /api/v1/scans?limit=100`, newest first; one scan's report
 * from `GET /api/v1/scans/:id` when the list does not carry it). A 404 or 503 answer means scanning is not set up on
 * this server (the routes exist only when the service runs with a scanner): the view then says "not configured".
 * While a scan is queued or running the list is reloaded every 5 s (scans are not on the live stream).
 *
 * Shapes (src/server/scans.ts `scanRecordSchema`, src/scan/scan-report.ts): a page `{ items, next_cursor }` of
 * `{ id, status, requested_by, targets, ports, created_ms, started_ms, finished_ms, error, report, diffs }`, with
 * `report = { hosts: [{ address, hostnames, status, ports: [{ port, proto, state, service, product, version, cpe,
 * cves: [{ id, score, severity, kev, confidence }] }] }], errors: [{ target, code, message }] }` and
 * `diffs = [{ address, first_scan, opened, closed, cves_new, cves_gone }]`. Read defensively: a missing part is shown
 * as absent, never trusted. CVE ids link to NVD only when they are valid CVE ids; KEV (CISA Known Exploited
 * Vulnerabilities) is a badge.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ErrorLine, NotConfigured, Panel } from '../components/bits';
import { ApiError, isAbort } from '../lib/api';
import { dateTime, int } from '../lib/format';
import { nvdCveUrl } from '../lib/links';
import { obj, reportOf, scansOf, summary, type Report, type Scan } from '../lib/scans';
import { useSession } from '../session-context';

function ReportView({ report }: { report: Report }) {
  return (
    <>
      {report.errors.length > 0 && (
        <ul className="errors">
          {report.errors.map((e, i) => (
            <li key={i} className="error">
              {e.target}: {e.code} {e.message}
            </li>
          ))}
        </ul>
      )}
      {report.hosts.map((h) => (
        <section key={h.address} className="host" aria-label={`Host ${h.address}`}>
          <h3>
            <span className="mono">{h.address}</span> {h.hostnames.length > 0 && <span className="muted">({h.hostnames.join(', ')})</span>} <span className="muted small">{h.status}</span>
          </h3>
          {h.ports.length === 0 ? (
            <p className="muted">No open port.</p>
          ) : (
            <table className="table compact" aria-label={`Ports of ${h.address}`}>
              <thead>
                <tr>
                  <th scope="col">Port</th>
                  <th scope="col">State</th>
                  <th scope="col">Service</th>
                  <th scope="col">Product</th>
                  <th scope="col">CVEs</th>
                </tr>
              </thead>
              <tbody>
                {h.ports.map((p) => (
                  <tr key={`${p.proto}/${p.port}`}>
                    <td className="mono">
                      {p.port}/{p.proto}
                    </td>
                    <td>{p.state}</td>
                    <td>{p.service ?? '—'}</td>
                    <td>{[p.product, p.version].filter((v) => v !== null).join(' ') || '—'}</td>
                    <td>
                      {p.cves.length === 0 ? (
                        <span className="muted">none known</span>
                      ) : (
                        <ul className="inline-list">
                          {p.cves.map((c) => {
                            const url = nvdCveUrl(c.id);
                            return (
                              <li key={c.id}>
                                {url === null ? c.id : (
                                  <a href={url} target="_blank" rel="noopener noreferrer">
                                    {c.id}
                                  </a>
                                )}{' '}
                                {c.score !== null && <span className={`badge cvss-${(c.severity ?? '').toLowerCase()}`}>{c.score.toFixed(1)}</span>}
                                {c.kev && (
                                  <span className="badge kev" title="Listed in CISA's Known Exploited Vulnerabilities catalog">
                                    KEV
                                  </span>
                                )}
                              </li>
                            );
                          })}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ))}
    </>
  );
}

/** The Vulnerabilities view (`#/vulnerabilities`). */
export function VulnerabilitiesView() {
  const { session } = useSession();
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'absent' } | { kind: 'error'; message: string } | { kind: 'ok'; scans: Scan[] }>({ kind: 'loading' });
  const [selected, setSelected] = useState<string | null>(null);
  const [details, setDetails] = useState<Map<string, Report>>(new Map());
  const [detailError, setDetailError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const body = await session.get<unknown>('/scans?limit=100');
      setState({ kind: 'ok', scans: scansOf(body) });
    } catch (e) {
      if (isAbort(e)) return;
      if (e instanceof ApiError && e.notConfigured) setState({ kind: 'absent' });
      else setState({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
    }
  }, [session]);

  useEffect(() => {
    void load();
  }, [load]);

  const scans = useMemo(() => (state.kind === 'ok' ? state.scans : []), [state]);
  const pending = scans.some((x) => x.status === 'queued' || x.status === 'running');
  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => void load(), 5_000);
    return () => clearInterval(t);
  }, [pending, load]);
  const current = scans.find((x) => x.id === selected) ?? null;
  const report = current?.report ?? (selected === null ? null : (details.get(selected) ?? null));

  useEffect(() => {
    if (current === null || current.report !== null || details.has(current.id) || current.status !== 'done') return;
    let live = true;
    setDetailError(null);
    session
      .get<unknown>(`/scans/${encodeURIComponent(current.id)}`)
      .then((b) => {
        const r = reportOf(obj(b)?.report) ?? reportOf(b);
        if (live && r !== null) setDetails((m) => new Map(m).set(current.id, r));
        else if (live) setDetailError('The scan has no report yet.');
      })
      .catch((e: unknown) => {
        if (live && !isAbort(e)) setDetailError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      live = false;
    };
  }, [current, details, session]);

  return (
    <>
      <h1 tabIndex={-1}>Vulnerabilities</h1>
      {state.kind === 'loading' && <p className="muted" role="status">Loading scans…</p>}
      {state.kind === 'absent' && (
        <NotConfigured what="Vulnerability scanning">This server has no scan API (GET /api/v1/scans answered 404 or 503).</NotConfigured>
      )}
      {state.kind === 'error' && <ErrorLine error={`Could not load scans: ${state.message}`} />}
      {state.kind === 'ok' && (
        <>
          <Panel title={`Scans (${scans.length})`}>
            {scans.length === 0 ? (
              <p className="muted">No scan yet.</p>
            ) : (
              <div className="table-wrap">
                <table className="table" aria-label="Scans">
                  <thead>
                    <tr>
                      <th scope="col">Scan</th>
                      <th scope="col">Started</th>
                      <th scope="col">Status</th>
                      <th scope="col">Targets</th>
                      <th scope="col">Hosts</th>
                      <th scope="col">Ports</th>
                      <th scope="col">CVEs</th>
                      <th scope="col">KEV</th>
                      <th scope="col">Changes</th>
                    </tr>
                  </thead>
                  <tbody>
                    {scans.map((x) => {
                      const sm = summary(x.report ?? details.get(x.id) ?? null);
                      const known = x.report !== null || details.has(x.id);
                      return (
                        <tr key={x.id} className={x.id === selected ? 'selected' : undefined} data-testid="scan-row">
                          <td>
                            <button type="button" className="link mono" aria-pressed={x.id === selected} onClick={() => setSelected(x.id === selected ? null : x.id)}>
                              {x.id}
                            </button>
                          </td>
                          <td className="mono nowrap">{x.startedMs === null ? '—' : dateTime(x.startedMs)}</td>
                          <td>
                            {x.status ?? '—'}
                            {x.error !== null && <div className="error small">{x.error}</div>}
                          </td>
                          <td className="mono">{x.targets.join(', ') || '—'}</td>
                          <td className="num">{known ? int(sm.hosts) : '—'}</td>
                          <td className="num">{known ? int(sm.ports) : '—'}</td>
                          <td className="num">{known ? int(sm.cves) : '—'}</td>
                          <td>{known ? (sm.kev > 0 ? <span className="badge kev">{sm.kev} KEV</span> : '0') : '—'}</td>
                          <td className="small">{x.opened + x.cvesNew === 0 ? '—' : `${x.opened} ports opened, ${x.cvesNew} new CVEs`}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </Panel>
          {selected !== null && (
            <Panel title={`Scan ${selected}`}>
              <ErrorLine error={detailError} />
              {report !== null ? (
                <ReportView report={report} />
              ) : current !== null && current.status !== 'done' ? (
                <p className="muted">No report: the scan is {current.status ?? 'not finished'}.</p>
              ) : (
                <p className="muted">Loading the report…</p>
              )}
            </Panel>
          )}
        </>
      )}
    </>
  );
}
