/**
 * Alerts: the newest alerts (up to 1,000, live stream + `GET /api/v1/alerts`), newest first, with severity,
 * entity, reasons, ATT&CK techniques linked to their pages (valid ids only), risk and acknowledgement.
 * Acknowledge is `POST /api/v1/alerts/:id/ack` (scope admin; a read-only token sees the state but no button).
 * At most {@link MAX_ALERT_ROWS} rows are rendered; the filters narrow the list.
 */
import { useMemo, useState } from 'react';
import { ErrorLine, RiskValue, SeverityBadge, Techniques } from '../components/bits';
import { ApiError } from '../lib/api';
import { isAlert } from '../lib/live';
import { dateTime, int } from '../lib/format';
import { SEVERITIES, type Alert } from '../lib/types';
import { useSession, useStoreVersion } from '../session-context';

/** Rows rendered at most. */
export const MAX_ALERT_ROWS = 500;

/** The Alerts view (`#/alerts`); rows carry `data-testid="alert-row"` and `data-alert-id`. */
export function AlertsView() {
  const { store, session, isAdmin } = useSession();
  const version = useStoreVersion(store, 'alerts');
  const [show, setShow] = useState<'open' | 'all' | 'acked'>('open');
  const [minSeverity, setMinSeverity] = useState(0);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);

  const all = useMemo(() => store.alerts.newestFirst(), [store, version]);
  const rows = useMemo(() => {
    const t = text.trim().toLowerCase();
    return all.filter((a) => {
      if (show === 'open' && a.acked) return false;
      if (show === 'acked' && !a.acked) return false;
      if (SEVERITIES.indexOf(a.severity) < minSeverity) return false;
      if (t !== '') {
        const hay = `${a.entity} ${a.reasons.join(' ')} ${a.techniques.map((x) => `${x.id} ${x.name}`).join(' ')} ${a.ip ?? ''} ${a.task ?? ''}`.toLowerCase();
        if (!hay.includes(t)) return false;
      }
      return true;
    });
  }, [all, show, minSeverity, text]);

  const ack = async (a: Alert) => {
    setBusy((b) => new Set(b).add(a.id));
    setError(null);
    try {
      const updated = await session.send<unknown>('POST', `/alerts/${encodeURIComponent(a.id)}/ack`);
      if (isAlert(updated)) store.addAlert(updated);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 403
          ? 'Acknowledging needs an admin token.'
          : `Could not acknowledge alert ${a.id}: ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      setBusy((b) => {
        const n = new Set(b);
        n.delete(a.id);
        return n;
      });
    }
  };

  const shown = rows.slice(0, MAX_ALERT_ROWS);
  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      <form className="toolbar" aria-label="Alert filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Show
          <select value={show} onChange={(e) => setShow(e.target.value as typeof show)}>
            <option value="open">open</option>
            <option value="acked">acknowledged</option>
            <option value="all">all</option>
          </select>
        </label>
        <label>
          Minimum severity
          <select value={minSeverity} onChange={(e) => setMinSeverity(Number(e.target.value))}>
            {SEVERITIES.map((s, i) => (
              <option key={s} value={i}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" placeholder="entity, reason, technique…" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      </form>
      <ErrorLine error={error} />
      {!isAdmin && <p className="muted small">Read-only token: acknowledging needs an admin token.</p>}
      <p className="muted small" data-testid="alert-count">
        {int(rows.length)} of {int(all.length)} alerts{rows.length > MAX_ALERT_ROWS ? ` (first ${MAX_ALERT_ROWS} shown)` : ''}
      </p>
      <div className="table-wrap">
        <table className="table" aria-label="Alerts">
          <caption className="sr-only">Alerts, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Severity</th>
              <th scope="col">Entity</th>
              <th scope="col">Reasons</th>
              <th scope="col">ATT&amp;CK</th>
              <th scope="col">Risk</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((a) => (
              <tr key={a.id} data-testid="alert-row" data-alert-id={a.id} className={a.acked ? 'acked' : undefined}>
                <td className="mono nowrap">{dateTime(a.ts_ms)}</td>
                <td>
                  <SeverityBadge severity={a.severity} />
                </td>
                <td className="mono">
                  <span className="nowrap">{a.entity}</span>
                  {a.task !== null && (
                    <div className="muted small">
                      {a.previous_task !== null ? `${a.previous_task} → ` : ''}
                      {a.task}
                    </div>
                  )}
                  {a.ports_accessed.length > 0 && <div className="muted small">ports {a.ports_accessed.join(', ')}</div>}
                </td>
                <td>
                  <ul className="inline-list">
                    {a.reasons.map((r) => (
                      <li key={r} className="reason">
                        {r}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  <Techniques items={a.techniques} />
                </td>
                <td>
                  <RiskValue risk={a.risk} />
                </td>
                <td>
                  {a.acked ? (
                    <span className="muted small">
                      acknowledged{a.acked_by !== null ? ` by ${a.acked_by}` : ''}
                      {a.acked_at_ms !== null ? ` at ${dateTime(a.acked_at_ms)}` : ''}
                    </span>
                  ) : isAdmin ? (
                    <button type="button" onClick={() => void ack(a)} disabled={busy.has(a.id)} aria-label={`Acknowledge alert ${a.id} on ${a.entity}`}>
                      {busy.has(a.id) ? 'Acknowledging…' : 'Acknowledge'}
                    </button>
                  ) : (
                    <span className="muted small">open</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p className="muted">No alert matches.</p>}
    </>
  );
}
