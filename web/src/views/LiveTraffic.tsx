/**
 * Live traffic: the newest events (up to 10,000, from the live stream and `GET /api/v1/events`) with risk, the ML
 * model's confidence (its probability of attack; `—` when no model scored the event), risk class and the reasons of the alerts they raised (joined by `event_id` from the alert buffer), in a virtualised
 * table (@tanstack/react-virtual: only the visible rows plus a few are in the DOM, at a fixed row height).
 *
 * Order: newest first by event time (`ts_ms` descending, then id descending), whatever order the events arrived
 * in. The store keeps its buffer sorted (time-buffer.ts: a binary-search insertion per event), so a refresh only
 * copies it in reverse, and only when events changed.
 *
 * Filters: event type, minimum risk, free text (entity, addresses, task, sensor, reasons), alerts only.
 * The table follows the stream while it is scrolled to the top; scrolled down (or paused) it keeps its rows still
 * and counts what arrived meanwhile, so reading is not disturbed by new rows pushing the old ones down. While held
 * still it keeps the rows and the alert reasons it showed when it was stopped and rebuilds neither (no copy of the
 * 10,000-row buffer, no reason lookup, no filtering on each 250 ms notification: only the count of newer events,
 * a binary search, is refreshed), so scrolling stays smooth however fast events arrive.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useMemo, useRef, useState } from 'react';
import { RiskClassBadge, RiskValue } from '../components/bits';
import { detailOf } from '../lib/event-detail';
import { clockTimeMs, int } from '../lib/format';
import type { RecordRing } from '../lib/ring';
import { EVENT_TYPES, type Alert, type StoredEvent } from '../lib/types';
import { useSession, useStoreVersion } from '../session-context';

/** Row height in CSS pixels (fixed: no measuring while scrolling). */
export const ROW_HEIGHT = 30;

interface Filters {
  readonly type: string;
  readonly minRisk: number;
  readonly text: string;
  readonly alertsOnly: boolean;
}

const NO_REASONS: readonly string[] = [];
const NO_ROWS: readonly StoredEvent[] = [];
const NO_REASON_MAP: ReadonlyMap<string, readonly string[]> = new Map();

/** Reasons of the alerts of each event (by `event_id`), each reason once, in alert order. */
function reasonsByEvent(alerts: RecordRing<Alert>): ReadonlyMap<string, readonly string[]> {
  const m = new Map<string, string[]>();
  for (const a of alerts.toArray()) {
    const r = m.get(a.event_id);
    if (r === undefined) m.set(a.event_id, [...a.reasons]);
    else for (const x of a.reasons) if (!r.includes(x)) r.push(x);
  }
  return m;
}

/** What the table shows while held still: the rows (newest first) and reasons it showed when it was stopped. */
interface Held {
  readonly rows: readonly StoredEvent[];
  readonly reasons: ReadonlyMap<string, readonly string[]>;
}

const Row = memo(function Row({ e, reasons, index, top }: { e: StoredEvent; reasons: readonly string[]; index: number; top: number }) {
  return (
    <div role="row" aria-rowindex={index + 2} className={`trow${reasons.length > 0 ? ' has-alert' : ''}`} data-testid="traffic-row" style={{ transform: `translateY(${top}px)` }}>
      <span role="cell" className="mono">
        {clockTimeMs(e.ts_ms)}
      </span>
      <span role="cell">
        <span className={`type type-${e.type}`}>{e.type}</span>
      </span>
      <span role="cell" className="mono ellipsis" title={e.entity}>
        {e.entity}
      </span>
      <span role="cell" className="mono ellipsis" title={detailOf(e)}>
        {detailOf(e)}
      </span>
      <span role="cell">
        <RiskValue risk={e.risk} />
      </span>
      <span role="cell" className="mono num" title="ML confidence (probability of attack)">
        {e.confidence === null || e.confidence === undefined ? '—' : `${Math.round(e.confidence * 100)} %`}
      </span>
      <span role="cell">
        <RiskClassBadge value={e.risk_class} />
      </span>
      <span role="cell" className="ellipsis" title={reasons.join(', ')}>
        {reasons.length === 0 ? '' : reasons.join(', ')}
      </span>
    </div>
  );
});

/** The Live traffic view (`#/traffic`). */
export function LiveTrafficView() {
  const { store } = useSession();
  const eventsVersion = useStoreVersion(store, 'events');
  const alertsVersion = useStoreVersion(store, 'alerts');
  const [filters, setFilters] = useState<Filters>({ type: '', minRisk: 0, text: '', alertsOnly: false });
  const [paused, setPaused] = useState(false);
  const [scrolledAway, setScrolledAway] = useState(false);
  const [held, setHeld] = useState<Held | null>(null);
  const scroller = useRef<HTMLDivElement>(null);

  const still = paused || scrolledAway;
  const hold = still ? held : null;
  const holding = hold !== null;
  // Rebuilt only while live (and then only when their part of the store changed); while held, the memo keys stay
  // put, so nothing is recomputed on the store's notifications.
  const liveRows = useMemo(() => (holding ? null : store.events.newestFirst()), [store, holding, holding ? 0 : eventsVersion]);
  const liveReasons = useMemo(() => (holding ? null : reasonsByEvent(store.alerts)), [store, holding, holding ? 0 : alertsVersion]);
  const base: readonly StoredEvent[] = hold !== null ? hold.rows : (liveRows ?? NO_ROWS);
  const reasons: ReadonlyMap<string, readonly string[]> = hold !== null ? hold.reasons : (liveReasons ?? NO_REASON_MAP);
  // Events newer than the newest held row (a binary search in the sorted buffer).
  const arrived = hold === null ? 0 : hold.rows.length > 0 ? store.events.countAfter(hold.rows[0]) : store.events.size;

  const rows = useMemo(() => {
    const text = filters.text.trim().toLowerCase();
    if (filters.type === '' && filters.minRisk <= 0 && text === '' && !filters.alertsOnly) return base;
    return base.filter((e) => {
      if (filters.type !== '' && e.type !== filters.type) return false;
      if (e.risk < filters.minRisk) return false;
      const why = reasons.get(e.id);
      if (filters.alertsOnly && why === undefined) return false;
      if (text !== '') {
        const hay = `${e.entity} ${detailOf(e)} ${e.type} ${e.site ?? ''} ${why?.join(' ') ?? ''}`.toLowerCase();
        if (!hay.includes(text)) return false;
      }
      return true;
    });
  }, [base, filters, reasons]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i].id,
  });

  // Holds what is on screen now (not a newer copy of the buffer, which would shift the rows under the reader).
  const freeze = useCallback(
    () => setHeld({ rows: liveRows ?? store.events.newestFirst(), reasons: liveReasons ?? reasonsByEvent(store.alerts) }),
    [store, liveRows, liveReasons],
  );

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el === null) return;
    const away = el.scrollTop > ROW_HEIGHT;
    if (away !== scrolledAway) {
      if (away && !paused) freeze();
      setScrolledAway(away);
    }
  }, [scrolledAway, paused, freeze]);

  const togglePause = () => {
    if (!paused && !scrolledAway) freeze();
    setPaused(!paused);
  };

  const jumpToNewest = () => {
    setPaused(false);
    setScrolledAway(false);
    setHeld(null);
    scroller.current?.scrollTo({ top: 0 });
  };

  const items = virtualizer.getVirtualItems();
  return (
    <>
      <h1 tabIndex={-1}>Live traffic</h1>
      <form className="toolbar" aria-label="Traffic filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Type
          <select value={filters.type} onChange={(e) => setFilters({ ...filters, type: e.target.value })}>
            <option value="">all</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Minimum risk
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={filters.minRisk}
            onChange={(e) => setFilters({ ...filters, minRisk: Math.min(1, Math.max(0, Number(e.target.value) || 0)) })}
          />
        </label>
        <label>
          Search
          <input type="search" placeholder="entity, address, task, reason…" value={filters.text} onChange={(e) => setFilters({ ...filters, text: e.target.value })} />
        </label>
        <label className="check">
          <input type="checkbox" checked={filters.alertsOnly} onChange={(e) => setFilters({ ...filters, alertsOnly: e.target.checked })} />
          With alerts only
        </label>
        <button type="button" className="secondary" onClick={togglePause} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </form>
      <p className="muted small" role="status" aria-live="off" data-testid="traffic-count">
        Showing {int(rows.length)} of {int(base.length)} events, newest first
        {still ? ` — held still${arrived > 0 ? `, ${int(arrived)} newer events arrived` : ''}` : ' — live'}
        {still && (
          <>
            {' '}
            <button type="button" className="link" onClick={jumpToNewest}>
              Show newest
            </button>
          </>
        )}
      </p>
      <div role="table" aria-label="Live traffic" aria-rowcount={rows.length + 1} className="vtable">
        <div role="rowgroup">
          <div role="row" aria-rowindex={1} className="trow thead">
            <span role="columnheader">Time</span>
            <span role="columnheader">Type</span>
            <span role="columnheader">Entity</span>
            <span role="columnheader">Detail</span>
            <span role="columnheader">Risk</span>
            <span role="columnheader">Confidence</span>
            <span role="columnheader">Class</span>
            <span role="columnheader">Reasons</span>
          </div>
        </div>
        <div role="rowgroup" aria-label="Events, newest first" className="scroller" data-testid="traffic-scroller" ref={scroller} onScroll={onScroll} tabIndex={0}>
          <div className="spacer" style={{ height: `${virtualizer.getTotalSize()}px` }}>
            {items.map((v) => {
              const e = rows[v.index];
              return <Row key={v.key} e={e} reasons={reasons.get(e.id) ?? NO_REASONS} index={v.index} top={v.start} />;
            })}
          </div>
        </div>
      </div>
      {rows.length === 0 && <p className="muted">No event matches.</p>}
    </>
  );
}
