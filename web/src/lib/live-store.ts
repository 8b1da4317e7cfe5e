/**
 * The dashboard's in-memory state: what came over the live stream and the REST routes, in bounded buffers, plus
 * the per-sensor and per-robot series the Sensors and Robots views draw. Pure (no I/O): `live.ts` feeds it.
 *
 * Caps (every container is bounded):
 * - events: the newest {@link EVENT_CAP} (10,000) events of any type by event time, kept in (time, id) order
 *   whatever order they arrive in (time-buffer.ts; Live traffic);
 * - alerts: the newest {@link ALERT_CAP} (1,000) alerts;
 * - sensors: at most {@link MAX_SENSORS} sensors × {@link SENSOR_POINTS} readings each (least recently seen
 *   sensor evicted first);
 * - robots: at most {@link MAX_ROBOTS} robots × {@link ROBOT_POINTS} task reports each;
 * - event rate: one counter per second of event time for the last {@link RATE_SECONDS} seconds;
 * - entities: at most {@link ENTITY_CAP} threat-memory states (the most recently seen).
 *
 * Subscribers are told of changes at most every {@link NOTIFY_INTERVAL_MS} (250 ms), well within the 2 s the
 * issue allows between an event and its display, so 300 events/s cost four renders a second.
 */
import { RecordRing } from './ring';
import { TimeOrderedBuffer } from './time-buffer';
import type { Alert, EntityState, ListEntry, StoredEvent } from './types';

/** Events kept (Live traffic). */
export const EVENT_CAP = 10_000;
/** Alerts kept. */
export const ALERT_CAP = 1_000;
/** Sensors tracked for the heatmap. */
export const MAX_SENSORS = 200;
/** Readings kept per sensor (15 minutes at the demo's 1 Hz). */
export const SENSOR_POINTS = 900;
/** Robots tracked for the Gantt chart. */
export const MAX_ROBOTS = 200;
/** Task reports kept per robot (about 13 minutes at the demo's one per 2 s). */
export const ROBOT_POINTS = 400;
/** Seconds of event-rate counters. */
export const RATE_SECONDS = 180;
/** Entity states kept. */
export const ENTITY_CAP = 5_000;
/** Longest delay between a change and the listeners being told (ms). */
export const NOTIFY_INTERVAL_MS = 250;

/** One reading of a sensor. */
export interface SensorPoint {
  readonly id: string;
  readonly ts: number;
  readonly value: number;
  readonly unit: string;
  readonly risk: number;
}

/** One task report of a robot. */
export interface RobotPoint {
  readonly id: string;
  readonly ts: number;
  readonly task: string;
  readonly previous: string | null;
  readonly risk: number;
}

/** Bounded map of bounded series: at most `maxKeys` keys (least recently updated evicted) × `perKey` points. */
export class SeriesMap<P extends { readonly id: string; readonly ts: number }> {
  private readonly map = new Map<string, RecordRing<P>>();

  constructor(
    readonly maxKeys: number,
    readonly perKey: number,
  ) {}

  /** Adds a point to a key's series (duplicates by id are skipped). */
  add(key: string, p: P): void {
    let ring = this.map.get(key);
    if (ring === undefined) {
      if (this.map.size >= this.maxKeys) {
        const oldest = this.map.keys().next();
        if (oldest.done !== true) this.map.delete(oldest.value);
      }
      ring = new RecordRing<P>(this.perKey, (x) => x.id);
      this.map.set(key, ring);
    } else {
      // Keep the map in least-recently-updated order.
      this.map.delete(key);
      this.map.set(key, ring);
    }
    const last = ring.size > 0 ? ring.at(ring.size - 1) : undefined;
    if (last !== undefined && p.ts < last.ts) ring.merge([p], (x) => x.ts);
    else ring.push(p);
  }

  /** Adds many points at once (a REST page), merged by time. */
  addMany(key: string, points: readonly P[]): void {
    if (points.length === 0) return;
    if (!this.map.has(key)) {
      this.add(key, points[0]);
      points = points.slice(1);
    }
    this.map.get(key)!.merge(points, (x) => x.ts);
  }

  /** The keys, sorted. */
  keys(): string[] {
    return [...this.map.keys()].sort();
  }

  /** A key's points, oldest first (a copy). */
  points(key: string): P[] {
    return this.map.get(key)?.toArray() ?? [];
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * Per-second counter over the newest `seconds` seconds seen (a ring of counters indexed by epoch second). A time
 * older than the newest second seen minus the window is ignored, so a late or replayed event cannot wipe the
 * counter of a current second.
 */
export class RateCounter {
  private readonly counts: Float64Array;
  private readonly stamps: Float64Array;
  private newest = -Infinity;

  constructor(readonly seconds: number) {
    this.counts = new Float64Array(seconds);
    this.stamps = new Float64Array(seconds).fill(-1);
  }

  /** Counts `n` at time `ms` (epoch ms). */
  add(ms: number, n = 1): void {
    const s = Math.floor(ms / 1000);
    if (!Number.isFinite(s) || s <= this.newest - this.seconds) return;
    if (s > this.newest) this.newest = s;
    const k = s % this.seconds;
    if (this.stamps[k] !== s) {
      this.stamps[k] = s;
      this.counts[k] = 0;
    }
    this.counts[k] += n;
  }

  /** Count of second `s` (epoch seconds), 0 when outside the window or never counted. */
  countAt(s: number): number {
    const k = ((s % this.seconds) + this.seconds) % this.seconds;
    return this.stamps[k] === s ? this.counts[k] : 0;
  }

  /** Mean arrivals per second over the `window` complete seconds before `nowMs`. */
  rate(nowMs: number, window = 10): number {
    const s = Math.floor(nowMs / 1000);
    let sum = 0;
    for (let i = 1; i <= window; i++) sum += this.countAt(s - i);
    return sum / window;
  }

  /** `[seconds, counts]` of the last `n` complete seconds, oldest first (x in epoch seconds, for uPlot). */
  series(nowMs: number, n = 120): [number[], number[]] {
    const s = Math.floor(nowMs / 1000);
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = n; i >= 1; i--) {
      xs.push(s - i);
      ys.push(this.countAt(s - i));
    }
    return [xs, ys];
  }
}

/** Sensor key of a sensor event (`site/sensor_id`), or null when the body lacks them. */
function sensorPoint(e: StoredEvent): SensorPoint | null {
  const value = e.body.value;
  if (typeof value !== 'number') return null;
  const unit = typeof e.body.unit === 'string' ? e.body.unit : '';
  return { id: e.id, ts: e.ts_ms, value, unit, risk: e.risk };
}

function robotPoint(e: StoredEvent): RobotPoint | null {
  const task = e.body.task;
  if (typeof task !== 'string') return null;
  const prev = e.body.previous_task;
  return { id: e.id, ts: e.ts_ms, task, previous: typeof prev === 'string' ? prev : null, risk: e.risk };
}

/** The parts of the state, each with its own version (a view re-renders only for the parts it reads). */
export type StorePart = 'events' | 'alerts' | 'series' | 'entities' | 'connection';

/** Stream connection summary for display. */
export interface ConnectionInfo {
  readonly state: 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';
  readonly detail: string;
  /** Messages the server dropped for this client (it read too slowly), per `event: dropped`. */
  readonly dropped: number;
  readonly reconnects: number;
}

/** The state; mutate through the methods, read after `subscribe` notifications. */
export class LiveStore {
  readonly events = new TimeOrderedBuffer<StoredEvent>(EVENT_CAP, (e) => e.id, (e) => e.ts_ms);
  readonly alerts = new RecordRing<Alert>(ALERT_CAP, (a) => a.id);
  readonly sensors = new SeriesMap<SensorPoint>(MAX_SENSORS, SENSOR_POINTS);
  readonly robots = new SeriesMap<RobotPoint>(MAX_ROBOTS, ROBOT_POINTS);
  readonly rate = new RateCounter(RATE_SECONDS);
  readonly entities = new Map<string, EntityState>();
  readonly lists = new Map<string, ListEntry>();
  connection: ConnectionInfo = { state: 'idle', detail: '', dropped: 0, reconnects: 0 };
  /** Newest event or alert time seen (epoch ms), 0 before any. */
  latestTs = 0;
  /** Time of the last entity fetch (epoch ms), 0 before any; `entitiesStale` is set by alerts arriving after it. */
  entitiesFetchedMs = 0;
  entitiesStale = true;
  private v = 0;
  private readonly partV: Record<StorePart, number> = { events: 0, alerts: 0, series: 0, entities: 0, connection: 0 };
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Version, bumped by every change (for `useSyncExternalStore`). */
  get version(): number {
    return this.v;
  }

  /** Subscribes to (throttled) change notifications; returns the unsubscribe function. */
  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.v;

  /** Version of one part (bumped with the global version when that part changes). */
  partVersion(part: StorePart): number {
    return this.partV[part];
  }

  /** Marks a change of `parts`; listeners run within {@link NOTIFY_INTERVAL_MS} (at once when `immediate`). */
  changed(parts: readonly StorePart[], immediate = false): void {
    this.v++;
    for (const p of parts) this.partV[p]++;
    if (immediate) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.flush();
      return;
    }
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, NOTIFY_INTERVAL_MS);
  }

  private flush(): void {
    for (const fn of [...this.listeners]) fn();
  }

  /** A live event from the stream. */
  addLiveEvent(e: StoredEvent): void {
    if (!this.events.has(e.id)) this.rate.add(e.ts_ms);
    this.events.add(e);
    this.index(e);
    const touched = this.touchEntity(e);
    const parts: StorePart[] = e.type === 'flow' ? ['events'] : ['events', 'series'];
    if (touched) parts.push('entities');
    this.changed(parts);
  }

  /** Events from a REST page (any order). `traffic: false` feeds only the sensor and robot series. */
  addEventPage(items: readonly StoredEvent[], traffic = true): void {
    if (items.length === 0) return;
    if (traffic) {
      for (const e of items) if (!this.events.has(e.id)) this.rate.add(e.ts_ms);
      this.events.addMany(items);
    }
    // Group the series points by entity: one merge per series instead of one per point.
    const sensors = new Map<string, SensorPoint[]>();
    const robots = new Map<string, RobotPoint[]>();
    for (const e of items) {
      if (e.ts_ms > this.latestTs) this.latestTs = e.ts_ms;
      if (e.type === 'sensor') {
        const p = sensorPoint(e);
        if (p !== null) (sensors.get(e.entity) ?? sensors.set(e.entity, []).get(e.entity)!).push(p);
      } else if (e.type === 'robot') {
        const p = robotPoint(e);
        if (p !== null) (robots.get(e.entity) ?? robots.set(e.entity, []).get(e.entity)!).push(p);
      }
    }
    for (const [k, ps] of sensors) this.sensors.addMany(k, ps);
    for (const [k, ps] of robots) this.robots.addMany(k, ps);
    this.changed(traffic ? ['events', 'series'] : ['series']);
  }

  private index(e: StoredEvent): void {
    if (e.ts_ms > this.latestTs) this.latestTs = e.ts_ms;
    if (e.type === 'sensor') {
      const p = sensorPoint(e);
      if (p !== null) this.sensors.add(e.entity, p);
    } else if (e.type === 'robot') {
      const p = robotPoint(e);
      if (p !== null) this.robots.add(e.entity, p);
    }
  }

  private touchEntity(e: StoredEvent): boolean {
    const s = this.entities.get(e.entity);
    if (s === undefined) return false;
    this.entities.set(e.entity, {
      ...s,
      last_seen_ms: Math.max(s.last_seen_ms, e.ts_ms),
      events: s.events + 1,
      max_risk: Math.max(s.max_risk, e.risk),
    });
    return true;
  }

  /** A live alert from the stream (or an updated one, e.g. acknowledged). */
  addAlert(a: Alert): void {
    this.alerts.upsert(a);
    if (a.ts_ms > this.latestTs) this.latestTs = a.ts_ms;
    this.entitiesStale = true;
    this.changed(['alerts']);
  }

  /** Alerts from a REST page. */
  addAlertPage(items: readonly Alert[]): void {
    if (items.length === 0) return;
    this.alerts.merge(items, (a) => a.ts_ms);
    for (const a of items) if (a.ts_ms > this.latestTs) this.latestTs = a.ts_ms;
    this.changed(['alerts']);
  }

  /** Replaces the entity states with a fetched set (the most recently seen {@link ENTITY_CAP}). */
  setEntities(items: readonly EntityState[]): void {
    this.entities.clear();
    const sorted = [...items].sort((a, b) => b.last_seen_ms - a.last_seen_ms).slice(0, ENTITY_CAP);
    for (const s of sorted) this.entities.set(s.entity, s);
    this.entitiesFetchedMs = this.nowMs();
    this.entitiesStale = false;
    this.changed(['entities'], true);
  }

  /** Replaces the allow and block list entries. */
  setLists(entries: readonly ListEntry[]): void {
    this.lists.clear();
    // An entity may be on both lists: show the block entry (what detection acts on first).
    for (const e of entries) if (e.list === 'block' || !this.lists.has(e.entity)) this.lists.set(e.entity, e);
    this.changed(['entities'], true);
  }

  /** Stream state for display. */
  setConnection(c: Partial<ConnectionInfo>): void {
    this.connection = { ...this.connection, ...c };
    this.changed(['connection'], true);
  }

  /** Forgets everything (sign-out). */
  reset(): void {
    this.events.clear();
    this.alerts.clear();
    this.sensors.clear();
    this.robots.clear();
    this.entities.clear();
    this.lists.clear();
    this.latestTs = 0;
    this.entitiesFetchedMs = 0;
    this.entitiesStale = true;
    this.connection = { state: 'idle', detail: '', dropped: 0, reconnects: 0 };
    this.changed(['events', 'alerts', 'series', 'entities', 'connection'], true);
  }
}
