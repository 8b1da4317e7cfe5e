/**
 * Wire shapes of the IPqSEC HTTP API as the dashboard reads them (the server's `src/core/records.ts` and
 * `src/server/_schemas.ts`; the dashboard talks HTTP only and imports nothing from `src/`). Times are epoch
 * milliseconds (`*_ms`).
 */

/** Risk class: Low below 0.4, Medium below 0.7, High from 0.7. */
export type RiskClass = 'Low' | 'Medium' | 'High';
/** Alert severity, lowest first in {@link SEVERITIES}. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';
/** Severities, lowest first. */
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
/** Event kinds. */
export type EventType = 'flow' | 'robot' | 'sensor';
/** Event kinds, in display order. */
export const EVENT_TYPES: readonly EventType[] = ['flow', 'robot', 'sensor'];

/** A MITRE ATT&CK technique as the server names it. */
export interface Technique {
  readonly id: string;
  readonly name: string;
}

/** `Alert` (GET /api/v1/alerts, `event: alert` of the stream). */
export interface Alert {
  readonly id: string;
  readonly event_id: string;
  readonly event_type: EventType | 'scan';
  readonly entity: string;
  readonly timestamp: string;
  readonly ts_ms: number;
  readonly ip: string | null;
  readonly task: string | null;
  readonly previous_task: string | null;
  readonly ports_accessed: readonly number[];
  readonly intrusion_detected: true;
  readonly reasons: readonly string[];
  readonly severity: Severity;
  readonly risk: number;
  readonly techniques: readonly Technique[];
  readonly acked: boolean;
  readonly acked_by: string | null;
  readonly acked_at_ms: number | null;
}

/** `StoredEvent` (GET /api/v1/events, `event: event` of the stream): `body` is the event as sent. */
export interface StoredEvent {
  readonly id: string;
  readonly type: EventType;
  readonly entity: string;
  readonly ts_ms: number;
  readonly site: string | null;
  readonly risk: number;
  readonly risk_class: RiskClass;
  /** The ML model's probability that the event is an attack, 0..1; null when no model scored it (absent from older servers). */
  readonly confidence?: number | null;
  readonly body: Readonly<Record<string, unknown>>;
}

/** `EntityState` (GET /api/v1/entities): threat memory of one entity. */
export interface EntityState {
  readonly entity: string;
  readonly kind: 'ip' | 'robot' | 'sensor';
  readonly first_seen_ms: number;
  readonly last_seen_ms: number;
  readonly events: number;
  readonly alerts: number;
  readonly recurrence: number;
  readonly max_risk: number;
  readonly ewma_risk: number;
  readonly risk_class: RiskClass;
  readonly exposure: number;
}

/** `ListEntry` (GET /api/v1/lists/{allow|block}). */
export interface ListEntry {
  readonly list: 'allow' | 'block';
  readonly entity: string;
  readonly source: 'manual' | 'auto';
  readonly reason: string;
  readonly created_ms: number;
}

/** A page of a list route. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next_cursor: string | null;
}

/** GET /api/v1/health. */
export interface Health {
  readonly status: 'ok' | 'unavailable';
  readonly version: string;
  readonly uptime_s: number;
  readonly events_stored?: number;
}

/** GET /api/v1/log/key. */
export interface LogKey {
  readonly origin: string;
  readonly name: string;
  readonly public_key: string;
  readonly key_id: string;
  readonly vkey: string;
}
