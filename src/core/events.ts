/**
 * The one event model of the live service (schema version 1): `flow`, `robot` and `sensor` events, validated
 * once with zod at the edge (HTTP body, MQTT payload, simulator) and carried with one `id` through every later
 * record (stored event, alert, threat memory).
 *
 * Wire form (what clients send) versus internal form: clients send the fields below; {@link parseEvents}
 * returns {@link IngestEvent}s with an `id` (the client's, or a new one) and `tsMs`, the event time as integer
 * milliseconds since the Unix epoch (the one internal timestamp form).
 *
 * Timestamps on the wire: a number is epoch **seconds** (Zeek's `ts`, fractional allowed); a string is an
 * ISO 8601 / RFC 3339 date-time. Sources: Zeek conn.log field names and conn_state values
 * (https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html), UNSW-NB15 feature names
 * (Moustafa & Slay 2015), and the robot-fleet log entry of the design we replace.
 */
import { z } from 'zod';
import { IpqsecError } from './errors.js';
import type { AlertReason } from './records.js';

/** Schema version of the wire form; a client may send `v: 1`, any other value is rejected. */
export const EVENT_SCHEMA_VERSION = 1;
/** Largest number of events in one request or MQTT message. */
export const MAX_EVENTS_PER_BATCH = 10_000;

/** Zeek conn.log `conn_state` values (base/protocols/conn/main.zeek). */
export const CONN_STATES = ['S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH'] as const;
/** Zeek `conn_state`. */
export type ConnState = (typeof CONN_STATES)[number];

/** Event kinds; also the `<kind>` segment of MQTT topics. */
export const EVENT_TYPES = ['flow', 'robot', 'sensor'] as const;
/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Numeric UNSW-NB15 feature fields a flow may carry besides the Zeek ones (all optional, all finite numbers). */
export const UNSW_FLOW_FIELDS = [
  'sttl', 'dttl', 'sload', 'dload', 'sloss', 'dloss', 'sinpkt', 'dinpkt', 'sjit', 'djit', 'swin', 'dwin', 'stcpb',
  'dtcpb', 'tcprtt', 'synack', 'ackdat', 'smean', 'dmean', 'trans_depth', 'response_body_len', 'ct_srv_src',
  'ct_state_ttl', 'ct_dst_ltm', 'ct_src_dport_ltm', 'ct_dst_sport_ltm', 'ct_dst_src_ltm', 'is_ftp_login',
  'ct_ftp_cmd', 'ct_flw_http_mthd', 'ct_src_ltm', 'ct_srv_dst', 'is_sm_ips_ports',
] as const;

const MAX_TS_SECONDS = 32_503_680_000; // year 3000: anything later is a unit mistake (ms sent as s)

const tsField = z.union([
  z.number().finite().min(0).max(MAX_TS_SECONDS, 'epoch seconds expected (got a value past year 3000: milliseconds?)'),
  z.iso.datetime({ offset: true, local: false }),
]);
const idField = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'id may hold only letters, digits and . _ : -');
const name = (max: number) => z.string().min(1).max(max);
const port = z.number().int().min(0).max(65535);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ip = z.union([z.ipv4(), z.ipv6()]);

const unswShape = Object.fromEntries(UNSW_FLOW_FIELDS.map((f) => [f, z.number().finite().optional()])) as Record<
  (typeof UNSW_FLOW_FIELDS)[number],
  z.ZodOptional<z.ZodNumber>
>;

/**
 * Reasons a sensor may attach to a flow as a {@link FlowSignal}: the network sensor's packet and protocol
 * detectors (`ipqsec pcap`, `ipqsec sensor`) and external IDSs (Suricata alerts become `IDS Signature`).
 */
export const SIGNAL_REASONS = [
  'Port Scan', 'Host Sweep', 'Brute Force', 'ARP Spoofing', 'Exploit Attempt', 'Unauthorized Modbus Write',
  'Modbus Diagnostics', 'MQTT Wildcard Subscription', 'MQTT Connect Flood', 'Online Anomaly', 'IDS Signature',
] as const satisfies readonly AlertReason[];
/** One of {@link SIGNAL_REASONS}. */
export type SignalReason = (typeof SIGNAL_REASONS)[number];
/** Alert severities, lowest first (the same strings as `Severity` in records.ts). */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** ATT&CK technique id: Enterprise `T1xxx`, ICS `T0xxx`, optional sub-technique `.nnn`. */
export const techniqueIdSchema = z.string().regex(/^T\d{4}(\.\d{3})?$/, 'ATT&CK technique id expected (T1046, T1110.001)');

/**
 * A detection a sensor attaches to a flow: what it saw (reason), how bad (severity), and optionally the
 * signature or detector message and the ATT&CK technique ids the sensor claims. The server turns each into an
 * alert reason of the flow's originator, with its own technique mapping for the reason plus any valid ids given.
 */
export const flowSignalSchema = z.object({
  reason: z.enum(SIGNAL_REASONS),
  severity: z.enum(SEVERITIES),
  /** Sensor that raised it: `ipqsec-sensor`, `suricata`, … */
  source: z.string().min(1).max(64).optional(),
  /** Detector message or signature text (e.g. Suricata's `alert.signature`). */
  detail: z.string().max(512).optional(),
  /** Signature id (Suricata `alert.signature_id`). */
  signature_id: count.optional(),
  techniques: z.array(techniqueIdSchema).max(8).optional(),
});
/** Wire form of a {@link flowSignalSchema} entry. */
export type FlowSignal = z.infer<typeof flowSignalSchema>;

/** `flow`: one connection summary in Zeek conn.log terms (orig = the side that opened it). */
export const flowEventSchema = z.object({
  type: z.literal('flow'),
  v: z.literal(EVENT_SCHEMA_VERSION).optional(),
  id: idField.optional(),
  /** Zeek connection uid, kept to join with Zeek logs. */
  uid: z.string().max(64).optional(),
  site: name(64).optional(),
  ts: tsField,
  orig_h: ip,
  orig_p: port,
  resp_h: ip,
  resp_p: port,
  proto: z.enum(['tcp', 'udp', 'icmp', 'unknown_transport']),
  service: z.string().max(64).optional(),
  /** Seconds. */
  duration: z.number().finite().min(0).optional(),
  /** Payload bytes sent by the originator (Zeek `orig_bytes`). */
  orig_bytes: count.optional(),
  resp_bytes: count.optional(),
  orig_pkts: count.optional(),
  resp_pkts: count.optional(),
  conn_state: z.enum(CONN_STATES).optional(),
  /** Zeek conn.log `history` (ShADadFfRrCcTtWwIiQq^). */
  history: z.string().max(64).regex(/^[SsHhADadFfRrCcTtWwIiQqGgNnXx^]*$/, 'Zeek history letters expected').optional(),
  /** IP-level bytes (Zeek `orig_ip_bytes`, `resp_ip_bytes`). */
  orig_ip_bytes: count.optional(),
  resp_ip_bytes: count.optional(),
  /** Detections a sensor attached to this flow (at most 16). */
  signals: z.array(flowSignalSchema).max(16).optional(),
  ...unswShape,
});

/** `robot`: the robot-fleet log entry (one task report of one robot). */
export const robotEventSchema = z.object({
  type: z.literal('robot'),
  v: z.literal(EVENT_SCHEMA_VERSION).optional(),
  id: idField.optional(),
  site: name(64).optional(),
  timestamp: tsField,
  ip,
  robot_id: name(64),
  /** Model or role of the robot; task transitions are learned per robot type. Default `default`. */
  robot_type: name(64).optional(),
  task: name(64),
  previous_task: name(64).nullable().optional(),
  /** Destination ports the robot opened since its last report. */
  ports_accessed: z.array(port).max(1024).default([]),
});

/** `sensor`: one reading of one sensor (temperature transmitters and the like). */
export const sensorEventSchema = z.object({
  type: z.literal('sensor'),
  v: z.literal(EVENT_SCHEMA_VERSION).optional(),
  id: idField.optional(),
  ts: tsField,
  site: name(64),
  sensor_id: name(64),
  kind: z.enum(['temperature', 'humidity', 'pressure', 'vibration', 'current', 'other']),
  value: z.number().finite(),
  /** For temperature: `C`, `F` or `K` (converted to °C internally). */
  unit: z.string().min(1).max(16),
});

/** Any event on the wire, discriminated by `type`. */
export const eventSchema = z.discriminatedUnion('type', [flowEventSchema, robotEventSchema, sensorEventSchema]);

/** Wire forms. */
export type FlowEventInput = z.infer<typeof flowEventSchema>;
export type RobotEventInput = z.infer<typeof robotEventSchema>;
export type SensorEventInput = z.infer<typeof sensorEventSchema>;
export type EventInput = z.infer<typeof eventSchema>;

/** Milliseconds since the Unix epoch (UTC), integer. */
export type EpochMs = number & { readonly __unit?: 'EpochMs' };
/** A duration in milliseconds. */
export type DurationMs = number & { readonly __unit?: 'DurationMs' };

/** Internal form: the wire fields plus a guaranteed `id` and `tsMs`. */
export type FlowEvent = FlowEventInput & { readonly id: string; readonly tsMs: EpochMs };
export type RobotEvent = RobotEventInput & { readonly id: string; readonly tsMs: EpochMs };
export type SensorEvent = SensorEventInput & { readonly id: string; readonly tsMs: EpochMs };
/** A validated event as detection, the store and the API see it. */
export type IngestEvent = FlowEvent | RobotEvent | SensorEvent;

/** One schema violation: the event's 0-based index in the batch, the field path and zod's message. */
export interface EventIssue {
  readonly index: number;
  readonly path: string;
  readonly message: string;
}

/**
 * The entity an event is about, as a string key with a kind prefix: `ip:<orig_h>` for flows, `robot:<robot_id>`
 * for robot reports, `sensor:<site>/<sensor_id>` for sensor readings. Threat memory, alerts and lists use it.
 */
export function entityOf(e: EventInput | IngestEvent): string {
  switch (e.type) {
    case 'flow':
      return `ip:${e.orig_h}`;
    case 'robot':
      return `robot:${e.robot_id}`;
    case 'sensor':
      return `sensor:${e.site}/${e.sensor_id}`;
  }
}

/** Event time of a wire event in epoch milliseconds (integer). */
export function eventTimeMs(e: EventInput): EpochMs {
  const t = e.type === 'robot' ? e.timestamp : e.ts;
  return typeof t === 'number' ? Math.round(t * 1000) : Date.parse(t);
}

/**
 * Validates a batch of wire events, all or nothing: either every item passes and the events are returned in
 * order with ids and `tsMs` filled in, or {@link IpqsecError} `IPQ-E001` is thrown whose `details.issues` lists
 * every failing field as {@link EventIssue} (at most 100; `details.failed` counts failing events).
 * More than {@link MAX_EVENTS_PER_BATCH} items is `IPQ-E002`.
 *
 * @param items decoded JSON values (one per event)
 * @param newId called once per event that has no `id`, in order (inject a deterministic one in tests)
 * @param indexOffset added to reported indices (for a batch split by the caller)
 */
export function parseEvents(items: readonly unknown[], newId: () => string, indexOffset = 0): IngestEvent[] {
  if (items.length > MAX_EVENTS_PER_BATCH) {
    throw new IpqsecError('IPQ-E002', `${items.length} events in one batch (limit ${MAX_EVENTS_PER_BATCH})`, {
      details: { events: items.length, limit: MAX_EVENTS_PER_BATCH },
    });
  }
  const out: IngestEvent[] = new Array<IngestEvent>(items.length);
  const issues: EventIssue[] = [];
  let failed = 0;
  for (let i = 0; i < items.length; i++) {
    const r = eventSchema.safeParse(items[i]);
    if (!r.success) {
      failed++;
      for (const iss of r.error.issues) {
        if (issues.length < 100) issues.push({ index: i + indexOffset, path: iss.path.map(String).join('.') || '(event)', message: iss.message });
      }
      continue;
    }
    // zod returns a fresh object: fill it in place (a spread copy cost ~10 µs per event, measured with MQTT ingest).
    const e = r.data as EventInput & { id: string; tsMs: EpochMs };
    e.id ??= newId();
    e.tsMs = eventTimeMs(e);
    out[i] = e as IngestEvent;
  }
  if (failed > 0) {
    const first = issues[0];
    const where = first === undefined ? '' : ` (first: event ${first.index} field ${first.path}: ${first.message})`;
    throw new IpqsecError('IPQ-E001', `${failed} of ${items.length} events fail the schema${where}`, {
      details: { failed, issues },
    });
  }
  return out;
}
