/**
 * Entities (threat memory, `GET /api/v1/entities`, up to 2,000 most recently seen): recurrence, risk (EWMA and
 * maximum), risk class, exposure, first and last seen, alert count, and the entity's allow/block list entry
 * (`GET /api/v1/lists/{allow|block}`). Admin tokens can block, allow or remove an entry
 * (`POST /api/v1/lists/{list}` with `{ entity, reason }`, `DELETE /api/v1/lists/{list}/{entity}` URL-encoded).
 * Last seen, event count and maximum risk follow the live stream; the rest is reloaded after new alerts (at most
 * every 10 s) or with the Reload button.
 */
import { useEffect, useMemo, useState } from 'react';
import { ErrorLine, RiskClassBadge, RiskValue } from '../components/bits';
import { ApiError } from '../lib/api';
import { ago, dateTime, int } from '../lib/format';
import type { EntityState } from '../lib/types';
import { useNow, useSession, useStoreVersion } from '../session-context';
import { ENTITY_REFRESH_MS } from './Overview';

/** Rows rendered at most. */
export const MAX_ENTITY_ROWS = 500;

type SortKey = 'ewma_risk' | 'max_risk' | 'recurrence' | 'last_seen_ms' | 'alerts' | 'exposure';

const SORTS: readonly { key: SortKey; label: string }[] = [
  { key: 'ewma_risk', label: 'risk (EWMA)' },
  { key: 'max_risk', label: 'maximum risk' },
  { key: 'recurrence', label: 'recurrence' },
  { key: 'alerts', label: 'alerts' },
  { key: 'exposure', label: 'exposure' },
  { key: 'last_seen_ms', label: 'last seen' },
];

/** The Entities view (`#/entities`). */
export function EntitiesView() {
  const { store, session, isAdmin } = useSession();
  const version = useStoreVersion(store, 'entities', 'alerts');
  const now = useNow(5000);
  const [kind, setKind] = useState('');
  const [sort, setSort] = useState<SortKey>('ewma_risk');
  const [text, setText] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    void session.refreshEntities();
    void session.refreshLists();
  }, [session]);

  useEffect(() => {
    if (store.entitiesStale && Date.now() - store.entitiesFetchedMs > ENTITY_REFRESH_MS) void session.refreshEntities();
  }, [version, now, store, session]);

  const rows = useMemo(() => {
    const t = text.trim().toLowerCase();
    const list: EntityState[] = [];
    for (const e of store.entities.values()) {
      if (kind !== '' && e.kind !== kind) continue;
      if (t !== '' && !e.entity.toLowerCase().includes(t)) continue;
      list.push(e);
    }
    return list.sort((a, b) => b[sort] - a[sort]);
  }, [store, version, kind, sort, text]);

  const act = async (entity: string, op: 'block' | 'allow' | 'remove') => {
    setBusy(entity);
    setError(null);
    try {
      if (op === 'remove') {
        const entry = store.lists.get(entity);
        if (entry !== undefined) await session.send('DELETE', `/lists/${entry.list}/${encodeURIComponent(entity)}`);
      } else {
        // One list per entity: moving it from the other list removes it there first.
        const other = store.lists.get(entity);
        if (other !== undefined && other.list !== op) await session.send('DELETE', `/lists/${other.list}/${encodeURIComponent(entity)}`);
        await session.send('POST', `/lists/${op}`, { entity, reason: reason.trim() === '' ? `from the dashboard (${op})` : reason.trim() });
      }
      await session.refreshLists();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 403 ? 'Changing lists needs an admin token.' : `Could not update the list for ${entity}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(null);
    }
  };

  const shown = rows.slice(0, MAX_ENTITY_ROWS);
  return (
    <>
      <h1 tabIndex={-1}>Entities</h1>
      <form className="toolbar" aria-label="Entity filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">all</option>
            <option value="ip">ip</option>
            <option value="robot">robot</option>
            <option value="sensor">sensor</option>
          </select>
        </label>
        <label>
          Sort by
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            {SORTS.map((s) => (
              <option key={s.key} value={s.key}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Search
          <input type="search" placeholder="ip:10.0.0.5, robot:…" value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        {isAdmin && (
          <label>
            Reason for list changes
            <input type="text" maxLength={500} placeholder="optional" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
        )}
        <button type="button" className="secondary" onClick={() => void Promise.all([session.refreshEntities(), session.refreshLists()])}>
          Reload
        </button>
      </form>
      <ErrorLine error={error} />
      <p className="muted small">
        {int(rows.length)} entities{rows.length > MAX_ENTITY_ROWS ? ` (first ${MAX_ENTITY_ROWS} shown)` : ''}
        {store.entitiesFetchedMs > 0 ? `; threat memory loaded ${ago(store.entitiesFetchedMs, now)}` : ''}
      </p>
      <div className="table-wrap">
        <table className="table" aria-label="Entities">
          <caption className="sr-only">Threat memory per entity</caption>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Class</th>
              <th scope="col">Risk (EWMA)</th>
              <th scope="col">Max risk</th>
              <th scope="col">Recurrence</th>
              <th scope="col">Exposure</th>
              <th scope="col">Events</th>
              <th scope="col">Alerts</th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">List</th>
              {isAdmin && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => {
              const entry = store.lists.get(e.entity);
              return (
                <tr key={e.entity} data-testid="entity-row">
                  <td className="mono">{e.entity}</td>
                  <td>
                    <RiskClassBadge value={e.risk_class} />
                  </td>
                  <td>
                    <RiskValue risk={e.ewma_risk} />
                  </td>
                  <td className="num">{e.max_risk.toFixed(2)}</td>
                  <td className="num">{e.recurrence.toFixed(2)}</td>
                  <td className="num">{e.exposure.toFixed(2)}</td>
                  <td className="num">{int(e.events)}</td>
                  <td className="num">{int(e.alerts)}</td>
                  <td className="mono nowrap">{dateTime(e.first_seen_ms)}</td>
                  <td className="mono nowrap" title={dateTime(e.last_seen_ms)}>
                    {ago(e.last_seen_ms, now)}
                  </td>
                  <td>
                    {entry === undefined ? (
                      <span className="muted">—</span>
                    ) : (
                      <span className={`badge list-${entry.list}`} title={entry.reason}>
                        {entry.list} ({entry.source})
                      </span>
                    )}
                  </td>
                  {isAdmin && (
                    <td className="nowrap">
                      {entry?.list !== 'block' && (
                        <button type="button" className="danger small" disabled={busy === e.entity} onClick={() => void act(e.entity, 'block')} aria-label={`Block ${e.entity}`}>
                          Block
                        </button>
                      )}
                      {entry?.list !== 'allow' && (
                        <button type="button" className="secondary small" disabled={busy === e.entity} onClick={() => void act(e.entity, 'allow')} aria-label={`Allow ${e.entity}`}>
                          Allow
                        </button>
                      )}
                      {entry !== undefined && (
                        <button type="button" className="secondary small" disabled={busy === e.entity} onClick={() => void act(e.entity, 'remove')} aria-label={`Remove ${e.entity} from the ${entry.list} list`}>
                          Remove
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {rows.length === 0 && <p className="muted">No entity matches.</p>}
    </>
  );
}
