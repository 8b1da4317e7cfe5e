/**
 * What the HTTP server and the MQTT ingest need from the monitoring service (implemented by `Monitor` in
 * monitor.ts). Kept as an interface so that transports depend on a contract, not on the composition.
 */
import type { IngestEvent } from '../core/events.js';
import type { Alert, EventResult, ListEntry, ListName, StoredEvent } from '../core/records.js';

/** A message of the live stream (`GET /api/v1/stream`, server-sent events named by `type`). */
export type StreamMessage = { readonly type: 'event'; readonly event: StoredEvent } | { readonly type: 'alert'; readonly alert: Alert };

/** What a finished vulnerability scan hands to the monitor (see {@link MonitorPort.applyScanFindings}). */
export interface ScanFindings {
  /** Alerts of the scan (`event_type` 'scan'), built by `scan/scan-alerts.ts`. */
  readonly alerts: readonly Alert[];
  /** Exposure of each scanned host, entity `ip:<address>`, in [0, 1]. */
  readonly exposures: readonly { readonly entity: string; readonly exposure: number }[];
  /** When the scan finished, epoch ms. */
  readonly tsMs: number;
}

/** Where an ingest came from (a metrics label). */
export type IngestSource = 'http' | 'mqtt' | 'sim';

export interface MonitorPort {
  /**
   * Scores validated events in order and, when `persist` is true, stores events, alerts and threat memory in
   * one transaction before resolving (a 2xx answer then means the batch is durable) and publishes them to
   * subscribers, webhooks and the alert log. With `persist: false` (`POST /events/predict`) nothing is stored
   * and no detector state changes: each event is scored against the current state.
   * Calls are serialised: concurrent calls run one after the other, in call order.
   */
  ingest(events: readonly IngestEvent[], opts: { readonly persist: boolean; readonly source: IngestSource }): Promise<EventResult[]>;
  /**
   * Adds or replaces an allow/block entry (an operator's `manual` entry always wins over `auto`); `by` (the
   * operator's token name) goes into the tamper-evident log.
   */
  putListEntry(entry: ListEntry, by?: string): Promise<void>;
  /** Removes an entry; true when one existed. `by` as for putListEntry. */
  deleteListEntry(list: ListName, entity: string, by?: string): Promise<boolean>;
  /**
   * Records what a vulnerability scan found: sets each host's exposure in threat memory (`scan/exposure.ts`),
   * stores the scan's alerts with the changed entity states in one transaction (alerts also go to the
   * tamper-evident log), then publishes the alerts to subscribers, webhooks and the alert log. Serialised with
   * ingests. Entities are `ip:<address>`; exposures in [0, 1].
   * @throws RangeError when an exposure is outside [0, 1]; IPQ-S001 when the store rejects the batch
   */
  applyScanFindings(f: ScanFindings): Promise<void>;
  /** Subscribes to new stored events and alerts; returns the unsubscribe function. */
  subscribe(listener: (msg: StreamMessage) => void): () => void;
}
