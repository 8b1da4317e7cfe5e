/**
 * `ipqsec pcap --json` output: NDJSON in the style of Suricata's EVE JSON
 * (https://docs.suricata.io/en/latest/output/eve/eve-json-format.html): one object per alert
 * (`"event_type": "alert"`), then one `"event_type": "stats"` object for the run.
 *
 * Alert objects keep Suricata's field names where they exist (`timestamp`, `flow_id`-like `uid`, `src_ip`,
 * `src_port`, `dest_ip`, `dest_port`, `proto`, `alert.signature`, `alert.category`, `alert.severity` with
 * Suricata's scale 1 = most severe) and add IPqSEC's: `severity` (low|medium|high|critical), `reasons`,
 * `techniques: [{id, name}]` (MITRE ATT&CK). Fields that do not apply are omitted, as Suricata does.
 */
import type { Severity, Technique } from '../core/records.js';

/** An alert as `ipqsec pcap` reports it (a packet detector's detection or an ML/anomaly score). */
export interface SensorAlert {
  /** Epoch seconds. */
  readonly ts: number;
  readonly reason: string;
  readonly severity: Severity;
  readonly origH: string;
  readonly origP?: number;
  readonly respH?: string;
  readonly respP?: number;
  readonly proto?: string;
  readonly uid?: string;
  readonly detail: string;
  readonly techniques: readonly Technique[];
}

/** Suricata's numeric `alert.severity` (1 high … 3 low; critical is 1 too). */
const SURICATA_SEVERITY: Readonly<Record<Severity, number>> = { critical: 1, high: 1, medium: 2, low: 3 };

/** ISO 8601 UTC with microseconds, from epoch seconds (EVE writes local time with an offset; UTC is `+0000`). */
export function eveTimestamp(ts: number): string {
  const ms = Math.floor(ts * 1000);
  const micros = Math.round((ts * 1000 - ms) * 1000);
  const iso = new Date(ms).toISOString(); // 2024-01-15T10:20:30.123Z
  return `${iso.slice(0, 23)}${String(Math.min(micros, 999)).padStart(3, '0')}+0000`;
}

/** The EVE `alert` object of one alert (a plain JSON-safe object). */
export function eveAlert(a: SensorAlert): Record<string, unknown> {
  const o: Record<string, unknown> = { timestamp: eveTimestamp(a.ts), event_type: 'alert' };
  if (a.uid !== undefined) o.uid = a.uid;
  o.src_ip = a.origH;
  if (a.origP !== undefined) o.src_port = a.origP;
  if (a.respH !== undefined) o.dest_ip = a.respH;
  if (a.respP !== undefined) o.dest_port = a.respP;
  if (a.proto !== undefined) o.proto = a.proto.toUpperCase();
  o.severity = a.severity;
  o.reasons = [a.reason];
  o.techniques = a.techniques.map((t) => ({ id: t.id, name: t.name }));
  o.alert = { signature: a.detail, category: a.reason, severity: SURICATA_SEVERITY[a.severity] };
  return o;
}

/** Counters of one run for the closing `stats` object. */
export interface SensorRunStats {
  /** Epoch seconds of the last packet (or of the run's end when there was none). */
  readonly ts: number;
  readonly packets: number;
  /** Bytes on the wire (sum of frame lengths). */
  readonly bytes: number;
  readonly flows: number;
  /** Application messages parsed, by protocol (Modbus PDUs, MQTT control packets, HTTP requests, …). */
  readonly protocols: Readonly<Record<string, number>>;
  /** Packets by transport (`tcp`, `udp`, `icmp`, `icmpv6`, `arp`, `other`). */
  readonly transports: Readonly<Record<string, number>>;
  readonly alerts: number;
  /** Anything else worth reporting (decode errors, untracked packets, …). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The EVE `stats` object closing a run. */
export function eveStats(s: SensorRunStats): Record<string, unknown> {
  return {
    timestamp: eveTimestamp(s.ts),
    event_type: 'stats',
    packets: s.packets,
    bytes: s.bytes,
    flows: s.flows,
    alerts: s.alerts,
    protocols: { ...s.protocols },
    transports: { ...s.transports },
    ...(s.extra === undefined ? {} : s.extra),
  };
}
