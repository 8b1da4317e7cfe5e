/**
 * What the Monitor needs from the tamper-evident log (implemented by `AuditLog` in audit-log.ts), and the log
 * entries it writes for its decisions: every alert and every allow/block list change (an operator's or a
 * detector's).
 *
 * Ordering contract: {@link AuditPort.stage} assigns the next indexes synchronously, and the caller passes the
 * returned records to `Store.writeBatch` in the same synchronous step. The store commits batches in call order
 * and refuses an index that is not the next one, so the log in the store is always a prefix of the log in memory.
 */
import type { Alert, ListEntry, ListName } from '../core/records.js';
import type { LogEntry } from '../ledger/log-entry.js';
import type { LogRecord } from '../store/store.js';

/** The Monitor's view of the log. */
export interface AuditPort {
  /**
   * Assigns the next indexes to `entries` (appending them to the in-memory tree) and returns the store records.
   * @throws IpqsecError IPQ-S001 after a failed commit: the log stops until the service restarts from the store.
   */
  stage(entries: readonly LogEntry[]): LogRecord[];
  /** The batch holding `records` committed (they may now be covered by a checkpoint). */
  committed(records: readonly LogRecord[]): void;
  /** The batch holding `records` failed: nothing later may be appended (see {@link AuditPort.stage}). */
  failed(records: readonly LogRecord[], err: unknown): void;
  /** Stages `entries`, writes them in a batch of their own and waits for the commit. */
  append(entries: readonly LogEntry[]): Promise<void>;
}

/** The log entry of an alert: who, what, how bad, which ATT&CK techniques. */
export function alertLogEntry(a: Alert): LogEntry {
  return {
    v: 1,
    kind: 'alert',
    ts_ms: a.ts_ms,
    subject: a.entity,
    data: {
      alert_id: a.id,
      event_id: a.event_id,
      event_type: a.event_type,
      severity: a.severity,
      // Risk as an integer in millionths: canonical JSON of an integer has one spelling in every language.
      risk_ppm: Math.round(a.risk * 1e6),
      reasons: [...a.reasons],
      techniques: a.techniques.map((t) => t.id),
    },
  };
}

/** The log entry of an allow/block list change; `by` is the token name of an operator, or `detector`. */
export function listLogEntry(op: 'put' | 'delete', list: ListName, entity: string, tsMs: number, by: string, entry?: ListEntry): LogEntry {
  return {
    v: 1,
    kind: 'list',
    ts_ms: tsMs,
    subject: entity,
    data: { op, list, by, source: entry?.source ?? null, reason: entry?.reason ?? null },
  };
}
