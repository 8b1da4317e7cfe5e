/**
 * Prometheus metrics of the live service, in one registry per service instance (never prom-client's global
 * registry, so that two instances in one process — tests, an embedded service — do not share counters).
 * Exposition format: Prometheus text format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/),
 * served by `GET /api/v1/metrics`. Names follow the Prometheus naming guide: `_total` for counters, base units
 * (`_seconds`) for histograms.
 *
 * Who updates what:
 * - the Monitor: `eventsIngested`, `alerts`, `ingestBatchSeconds`, `trackedEntities`;
 * - every transport (HTTP, MQTT): `ingestRejected` when it refuses a batch before the Monitor sees it;
 * - the MQTT ingest: `mqttMalformed`;
 * - the HTTP server: `httpRequestSeconds` (one observation per answered request, labelled with the route
 *   pattern such as `/api/v1/entities/:id`, never the raw URL, so label cardinality stays bounded) and
 *   `streamDropped`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MonitorHooks } from './monitor.js';

/**
 * Why a transport refused a batch (`ipqsec_ingest_rejected_total{reason}`): `schema` IPQ-E001, `too_large`
 * IPQ-E002, `malformed` IPQ-E003 (not JSON/NDJSON, or an MQTT payload that is not an event), `store` when the
 * commit failed.
 */
export type IngestRejectReason = 'schema' | 'too_large' | 'malformed' | 'store';

/** The service's metrics; every member is registered in `registry`. */
export interface Metrics {
  /** The registry to expose (`await registry.metrics()`, content type `registry.contentType`). */
  readonly registry: Registry;
  /** `ipqsec_events_ingested_total{type,source}`: events stored (type `flow|robot|sensor`, source `http|mqtt|sim`). */
  readonly eventsIngested: Counter<'type' | 'source'>;
  /** `ipqsec_alerts_total{severity}`: alerts raised. */
  readonly alerts: Counter<'severity'>;
  /**
   * `ipqsec_ingest_rejected_total{reason}`: ingest batches (HTTP requests to `POST /events`, MQTT messages)
   * refused before scoring, by {@link IngestRejectReason}. Counts batches, not events: a body too large or not
   * JSON has no event count.
   */
  readonly ingestRejected: Counter<'reason'>;
  /** `ipqsec_mqtt_malformed_total`: MQTT messages dropped for a bad topic or payload. */
  readonly mqttMalformed: Counter;
  /** `ipqsec_ingest_batch_seconds{source}`: time from a batch entering the Monitor to it being durable. */
  readonly ingestBatchSeconds: Histogram<'source'>;
  /** `ipqsec_http_request_duration_seconds{route,method,status}`: HTTP request latency. */
  readonly httpRequestSeconds: Histogram<'route' | 'method' | 'status'>;
  /** `ipqsec_tracked_entities`: entities currently held in threat memory. */
  readonly trackedEntities: Gauge;
  /** `ipqsec_stream_dropped_total`: live-stream messages dropped because a client read too slowly. */
  readonly streamDropped: Counter;
  /**
   * Exposes the secure channel's counters: `ipqsec_channel_rejected_total{reason}` (envelopes and hellos refused,
   * by reason: replay, auth_failed, unknown_session, …) and `ipqsec_channel_sessions` (open sessions). Read at
   * scrape time from the channel server.
   */
  registerChannel(channel: { readonly rejections: Readonly<Record<string, number>>; readonly sessionCount: number }): void;
}

/** Latency buckets in seconds: 0.5 ms .. 10 s (an ingest batch of 1,000 events should take a few ms). */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates the metrics in a new registry, with prom-client's default process metrics (CPU, memory, event-loop
 * lag, GC) registered there too.
 *
 * @param opts.defaultMetrics set false to skip the process metrics (default true)
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsIngested: new Counter({ name: 'ipqsec_events_ingested_total', help: 'Events stored, by event type and ingest source.', labelNames: ['type', 'source'] as const, registers }),
    alerts: new Counter({ name: 'ipqsec_alerts_total', help: 'Alerts raised, by severity.', labelNames: ['severity'] as const, registers }),
    ingestRejected: new Counter({ name: 'ipqsec_ingest_rejected_total', help: 'Ingest batches refused before scoring, by reason.', labelNames: ['reason'] as const, registers }),
    mqttMalformed: new Counter({ name: 'ipqsec_mqtt_malformed_total', help: 'MQTT messages dropped for a bad topic or payload.', registers }),
    ingestBatchSeconds: new Histogram({ name: 'ipqsec_ingest_batch_seconds', help: 'Seconds to score and commit one ingest batch, by source.', labelNames: ['source'] as const, buckets: LATENCY_BUCKETS_S, registers }),
    httpRequestSeconds: new Histogram({ name: 'ipqsec_http_request_duration_seconds', help: 'HTTP request duration in seconds, by route pattern, method and status.', labelNames: ['route', 'method', 'status'] as const, buckets: LATENCY_BUCKETS_S, registers }),
    trackedEntities: new Gauge({ name: 'ipqsec_tracked_entities', help: 'Entities held in threat memory.', registers }),
    streamDropped: new Counter({ name: 'ipqsec_stream_dropped_total', help: 'Live-stream messages dropped because a client fell behind.', registers }),
    registerChannel(channel) {
      new Gauge({
        name: 'ipqsec_channel_rejected_total',
        help: 'Secure-channel envelopes and hellos rejected, by reason (a counter read from the channel server at scrape time).',
        labelNames: ['reason'] as const,
        registers,
        collect() {
          for (const [reason, n] of Object.entries(channel.rejections)) this.labels(reason).set(n);
        },
      });
      new Gauge({
        name: 'ipqsec_channel_sessions',
        help: 'Open secure-channel sessions.',
        registers,
        collect() {
          this.set(channel.sessionCount);
        },
      });
    },
  };
}

/**
 * The Monitor hooks that keep these metrics: events ingested by type and source, alerts by severity, batch time
 * by source, and the threat-memory size after each committed batch. Predict calls (`persist: false`) count nothing.
 */
export function monitorMetricsHooks(metrics: Metrics, trackedEntities: () => number): MonitorHooks {
  return {
    onBatch: ({ source, persist, events, alerts, seconds }) => {
      if (!persist) return;
      metrics.ingestBatchSeconds.labels(source).observe(seconds);
      let flow = 0;
      let robot = 0;
      let sensor = 0;
      for (const e of events) {
        if (e.type === 'flow') flow++;
        else if (e.type === 'robot') robot++;
        else sensor++;
      }
      if (flow > 0) metrics.eventsIngested.labels('flow', source).inc(flow);
      if (robot > 0) metrics.eventsIngested.labels('robot', source).inc(robot);
      if (sensor > 0) metrics.eventsIngested.labels('sensor', source).inc(sensor);
      for (const a of alerts) metrics.alerts.labels(a.severity).inc();
      metrics.trackedEntities.set(trackedEntities());
    },
  };
}
