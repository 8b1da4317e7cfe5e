/**
 * A signed-in session: keeps {@link LiveStore} filled from the live stream (`GET /api/v1/stream`) and the REST
 * routes. Start-up connects the stream first (so nothing published during the initial load is missed), then loads
 * the newest events (`GET /api/v1/events`, up to 10 pages of 1,000, each shown as it arrives) and alerts
 * (`GET /api/v1/alerts`, 1,000), the entity states and the lists. After a reconnection the gap is filled from the REST routes with `since` = the newest time seen
 * minus 5 s (duplicates are dropped by id). The Sensors and Robots views ask for deeper history of their event type
 * once per session ({@link LiveSession.loadHistory}).
 *
 * Records from the server are checked for shape before they are stored; a malformed message is skipped and counted.
 */
import { ApiError, call, query, sinceParam } from './api';
import type { LiveStore } from './live-store';
import { connectStream, type StreamState } from './stream-client';
import { SEVERITIES, type Alert, type EntityState, type EventType, type ListEntry, type Page, type StoredEvent } from './types';

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** True when `x` has the fields of a stored event the dashboard reads. */
export function isStoredEvent(x: unknown): x is StoredEvent {
  return (
    isObj(x) && isStr(x.id) && (x.type === 'flow' || x.type === 'robot' || x.type === 'sensor') && isStr(x.entity) && isNum(x.ts_ms) && isNum(x.risk) &&
    isStr(x.risk_class) && isObj(x.body)
  );
}

/** True when `x` has the fields of an alert the dashboard reads. */
export function isAlert(x: unknown): x is Alert {
  return (
    isObj(x) && isStr(x.id) && isStr(x.event_id) && isStr(x.entity) && isNum(x.ts_ms) && isNum(x.risk) &&
    (SEVERITIES as readonly unknown[]).includes(x.severity) && Array.isArray(x.reasons) && x.reasons.every(isStr) &&
    Array.isArray(x.techniques) && x.techniques.every((t) => isObj(t) && isStr(t.id) && isStr(t.name)) && typeof x.acked === 'boolean'
  );
}

function isEntityState(x: unknown): x is EntityState {
  return isObj(x) && isStr(x.entity) && isStr(x.kind) && isNum(x.last_seen_ms) && isNum(x.first_seen_ms) && isNum(x.ewma_risk) && isNum(x.max_risk);
}

/** Pages of 1,000 events loaded at sign-in: enough to fill the 10,000-event traffic buffer. */
export const INITIAL_EVENT_PAGES = 10;

/** Pages fetched per kind by {@link LiveSession.loadHistory} (1,000 events each). */
export const HISTORY_PAGES: Readonly<Record<'sensor' | 'robot', number>> = { sensor: 30, robot: 6 };

/** The live part of a signed-in session. */
export class LiveSession {
  private stream: { stop(): void } | null = null;
  private readonly abort = new AbortController();
  private readonly history = new Map<string, Promise<void>>();
  private entitiesLoading: Promise<void> | null = null;
  /** Stream messages skipped because they were malformed. */
  malformed = 0;

  constructor(
    readonly token: string,
    readonly store: LiveStore,
    /** Whether the token has the admin scope (acknowledge, list changes). */
    readonly isAdmin: boolean,
    private readonly onUnauthorized: (why: string) => void,
  ) {}

  /** Connects the stream and loads the initial state. */
  start(): void {
    this.stream = connectStream({
      url: '/api/v1/stream',
      token: this.token,
      onMessage: (m) => this.onMessage(m.event, m.data),
      onState: (s) => this.onState(s),
      onOpen: (previous) => {
        if (previous > 0) {
          this.store.setConnection({ reconnects: previous });
          void this.fillGap();
        }
      },
    });
    void this.initialLoad();
  }

  /** Disconnects and cancels pending requests. */
  stop(): void {
    this.stream?.stop();
    this.stream = null;
    this.abort.abort();
  }

  /** GET with this session's token, aborted on sign-out. */
  get<T>(path: string, as: 'json' | 'text' = 'json'): Promise<T> {
    return call<T>(this.token, path, { signal: this.abort.signal, as });
  }

  /** POST/DELETE with this session's token. */
  send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return call<T>(this.token, path, { method, body, signal: this.abort.signal });
  }

  private onState(s: StreamState): void {
    switch (s.kind) {
      case 'connecting':
        this.store.setConnection({ state: 'connecting', detail: 'connecting…' });
        break;
      case 'open':
        this.store.setConnection({ state: 'open', detail: 'live' });
        break;
      case 'waiting':
        this.store.setConnection({ state: 'waiting', detail: `${s.error}; retrying in ${Math.max(1, Math.round((s.retryAtMs - Date.now()) / 1000))} s` });
        break;
      case 'stopped':
        this.store.setConnection({ state: 'stopped', detail: s.error });
        if (s.status === 401) this.onUnauthorized(s.error);
        break;
    }
  }

  private onMessage(type: string, data: string): void {
    let x: unknown;
    try {
      x = JSON.parse(data);
    } catch {
      this.malformed++;
      return;
    }
    if (type === 'event') {
      if (isStoredEvent(x)) this.store.addLiveEvent(x);
      else this.malformed++;
    } else if (type === 'alert') {
      if (isAlert(x)) this.store.addAlert(x);
      else this.malformed++;
    } else if (type === 'dropped') {
      const n = isObj(x) && isNum(x.dropped) ? x.dropped : 0;
      this.store.setConnection({ dropped: this.store.connection.dropped + n });
    }
  }

  private async initialLoad(): Promise<void> {
    await Promise.all([this.loadEvents(undefined, INITIAL_EVENT_PAGES), this.loadAlerts(), this.refreshEntities(), this.refreshLists()]);
  }

  /** Loads the newest events (`pages` pages of 1,000, newest first; each page is shown as soon as it is in). */
  private async loadEvents(since?: number, pages = 1): Promise<void> {
    let cursor: string | null | undefined;
    for (let i = 0; i < pages && cursor !== null; i++) {
      try {
        const page = await this.get<Page<unknown>>(`/events${query({ limit: 1000, cursor, since: since === undefined ? undefined : sinceParam(since) })}`);
        this.store.addEventPage(page.items.filter(isStoredEvent));
        cursor = page.next_cursor;
      } catch (e) {
        this.report(e);
        return;
      }
    }
  }

  private async loadAlerts(since?: number): Promise<void> {
    try {
      const page = await this.get<Page<unknown>>(`/alerts${query({ limit: 1000, since: since === undefined ? undefined : sinceParam(since) })}`);
      this.store.addAlertPage(page.items.filter(isAlert));
    } catch (e) {
      this.report(e);
    }
  }

  private async fillGap(): Promise<void> {
    const since = this.store.latestTs > 0 ? this.store.latestTs - 5_000 : undefined;
    await Promise.all([this.loadEvents(since), this.loadAlerts(since)]);
  }

  /**
   * Loads older events of one type for the Sensors or Robots view ({@link HISTORY_PAGES} pages, newest first),
   * once per session; concurrent calls share the load.
   */
  loadHistory(type: Extract<EventType, 'sensor' | 'robot'>): Promise<void> {
    let p = this.history.get(type);
    if (p === undefined) {
      p = (async () => {
        let cursor: string | null | undefined;
        for (let i = 0; i < HISTORY_PAGES[type] && cursor !== null; i++) {
          try {
            const page = await this.get<Page<unknown>>(`/events${query({ type, limit: 1000, cursor })}`);
            this.store.addEventPage(page.items.filter(isStoredEvent), false);
            cursor = page.next_cursor;
          } catch (e) {
            this.report(e);
            return;
          }
        }
      })();
      this.history.set(type, p);
    }
    return p;
  }

  /**
   * Reloads the entity states: the 2,000 most recently seen (2 pages) plus the 1,000 most recently seen of those
   * whose maximum risk reached Medium (`min_risk=0.4`), so that a risky entity quiet for a while is not missed.
   * Concurrent calls share one load.
   */
  refreshEntities(): Promise<void> {
    this.entitiesLoading ??= (async () => {
      try {
        const byId = new Map<string, EntityState>();
        const add = (items: readonly unknown[]) => {
          for (const x of items) if (isEntityState(x)) byId.set(x.entity, x);
        };
        const risky = this.get<Page<unknown>>(`/entities${query({ limit: 1000, min_risk: 0.4 })}`);
        let cursor: string | null | undefined;
        for (let i = 0; i < 2 && cursor !== null; i++) {
          const page = await this.get<Page<unknown>>(`/entities${query({ limit: 1000, cursor })}`);
          add(page.items);
          cursor = page.next_cursor;
        }
        add((await risky).items);
        this.store.setEntities([...byId.values()]);
      } catch (e) {
        this.report(e);
      } finally {
        this.entitiesLoading = null;
      }
    })();
    return this.entitiesLoading;
  }

  /** Reloads the allow and block lists. */
  async refreshLists(): Promise<void> {
    try {
      const [allow, block] = await Promise.all([this.get<{ items: ListEntry[] }>('/lists/allow'), this.get<{ items: ListEntry[] }>('/lists/block')]);
      this.store.setLists([...allow.items, ...block.items]);
    } catch (e) {
      this.report(e);
    }
  }

  private report(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) this.onUnauthorized(e.message);
  }
}
