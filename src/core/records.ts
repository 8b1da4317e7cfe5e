/**
 * Records the detection core produces and the store, API, stream and delivery share: scoring results, alerts,
 * threat-memory entity states and allow/block list entries. Plain JSON-safe data (snake_case field names, as on
 * the wire); times are epoch milliseconds (`*_ms`) or ISO strings where the robot-fleet log shape requires them.
 */
import type { EpochMs, EventType } from './events.js';

/** Risk class of an event or device: Low below 0.4, Medium below 0.7, High from 0.7 (see {@link riskClassOf}). */
export type RiskClass = 'Low' | 'Medium' | 'High';
/** Alert severity (ECS `event.severity` uses 1..4 for these, in order). */
export type Severity = 'low' | 'medium' | 'high' | 'critical';
/** An allow or block list. */
export type ListName = 'allow' | 'block';
/** What raised an alert: an ingested event of a type, or a vulnerability scan (`scan`: `event_id` is the scan id). */
export type AlertSource = EventType | 'scan';

/** Risk thresholds of {@link riskClassOf}. */
export const RISK_CLASS_THRESHOLDS = { medium: 0.4, high: 0.7 } as const;

/** Maps a risk in [0, 1] to its class. */
export function riskClassOf(risk: number): RiskClass {
  return risk >= RISK_CLASS_THRESHOLDS.high ? 'High' : risk >= RISK_CLASS_THRESHOLDS.medium ? 'Medium' : 'Low';
}

/** A MITRE ATT&CK technique (Enterprise `T1046`, ICS `T0846`, sub-technique `T1110.001`). */
export interface Technique {
  readonly id: string;
  readonly name: string;
}

/** Alert reasons the detectors emit (stable strings: they are shown to operators and matched by webhooks). */
export const ALERT_REASONS = [
  'Suspicious Port Access',
  'Unusual Task Switch',
  'Port Scan',
  'Traffic Burst',
  'ML Intrusion Score',
  'Recurring Offender',
  'Blocked Entity',
  'Sensor Out Of Range',
  'Sensor Spike',
  'Sensor Drift',
  'Sensor Stuck',
  'Sensor High Risk',
  // Network sensor (packets, protocols) and external sensors (Suricata); carried by flow events as `signals`.
  'Host Sweep',
  'Brute Force',
  'ARP Spoofing',
  'Exploit Attempt',
  'Unauthorized Modbus Write',
  'Modbus Diagnostics',
  'MQTT Wildcard Subscription',
  'MQTT Connect Flood',
  'Online Anomaly',
  'IDS Signature',
  // Vulnerability scans (`event_type` 'scan'): a diff against the host's previous scan.
  'New Open Port',
  'Vulnerable Service',
  'Known Exploited Vulnerability',
] as const;
/** One of {@link ALERT_REASONS}. */
export type AlertReason = (typeof ALERT_REASONS)[number];

/**
 * An alert: the robot-fleet log shape (`timestamp`, `ip`, `task`, `previous_task`, `ports_accessed`,
 * `intrusion_detected`, `reasons`) plus identity, severity, risk and ATT&CK techniques. Fields that do not apply
 * to the event kind are `null`.
 */
export interface Alert {
  readonly id: string;
  /** The event that raised it (for `event_type` `scan`: the scan's id). */
  readonly event_id: string;
  readonly event_type: AlertSource;
  /** Entity key (`ip:…`, `robot:…`, `sensor:…`), see `entityOf`. */
  readonly entity: string;
  /** Event time, ISO 8601 UTC. */
  readonly timestamp: string;
  readonly ts_ms: EpochMs;
  readonly ip: string | null;
  readonly task: string | null;
  readonly previous_task: string | null;
  readonly ports_accessed: readonly number[];
  readonly intrusion_detected: true;
  readonly reasons: readonly AlertReason[];
  readonly severity: Severity;
  /** Final risk of the event in [0, 1]. */
  readonly risk: number;
  readonly techniques: readonly Technique[];
  readonly acked: boolean;
  readonly acked_by: string | null;
  readonly acked_at_ms: EpochMs | null;
}

/** The answer for one event of `POST /events` (one per event, in order). */
export interface EventResult {
  readonly id: string;
  readonly risk: number;
  readonly risk_class: RiskClass;
  readonly alerts: readonly Pick<Alert, 'id' | 'severity' | 'reasons' | 'techniques'>[];
}

/** A stored event: the validated wire event plus scoring. */
export interface StoredEvent {
  readonly id: string;
  readonly type: EventType;
  readonly entity: string;
  readonly ts_ms: EpochMs;
  readonly site: string | null;
  readonly risk: number;
  readonly risk_class: RiskClass;
  /**
   * Confidence of the ML model that the event is an attack: its probability in [0, 1], or null when no model scored
   * the event (robot and sensor events, or a service started with `--model none`). The risk blends it with the rules.
   */
  readonly confidence: number | null;
  /** The validated wire event (JSON object). */
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * Threat memory of one entity. `recurrence` counts suspicious events (risk at or above Medium) with
 * exponential decay over time; `ewma_risk` is an exponentially weighted mean of event risks.
 */
export interface EntityState {
  readonly entity: string;
  readonly kind: 'ip' | 'robot' | 'sensor';
  readonly first_seen_ms: EpochMs;
  readonly last_seen_ms: EpochMs;
  readonly events: number;
  readonly alerts: number;
  /** Decayed count of suspicious events, as of `last_seen_ms`. */
  readonly recurrence: number;
  readonly max_risk: number;
  readonly ewma_risk: number;
  /** Device risk class (sensors: from the sensor detectors; hosts: from the larger of `ewma_risk` and `exposure`). */
  readonly risk_class: RiskClass;
  /**
   * Exposure of a host from its latest vulnerability scan, in [0, 1]: 0 when never scanned or nothing known is
   * vulnerable (`scan/exposure.ts` gives the formula). It raises the risk of attacks aimed at the host.
   */
  readonly exposure: number;
}

/** An allow or block list entry. `source` is `manual` (an operator; always wins) or `auto` (a detector). */
export interface ListEntry {
  readonly list: ListName;
  readonly entity: string;
  readonly source: 'manual' | 'auto';
  readonly reason: string;
  readonly created_ms: EpochMs;
}
