/**
 * Maps alert reasons to MITRE ATT&CK techniques: Enterprise (`T1xxx`) and ATT&CK for ICS (`T0xxx`), v18.1.
 * Ids and names are the STIX `attack-pattern` objects' `external_id` and `name` in MITRE's bundles
 * (enterprise-attack, ics-attack; https://github.com/mitre-attack/attack-stix-data); a test checks every one
 * against the bundles, and that none is revoked or deprecated.
 *
 * Rationale, reason by reason:
 * - Port Scan: a host probing many ports is Network Service Discovery (T1046); in an OT network the same probing
 *   enumerates systems, ICS Remote System Discovery (T0846).
 * - Traffic Burst: a volume flood from one originator is Network Denial of Service (T1498); ICS Denial of Service
 *   (T0814) names the same effect on control devices, which are known to fail under floods.
 * - Suspicious Port Access, by destination port:
 *   - 22 SSH (T1021.004), 3389 RDP (T1021.001), 5900 VNC (T1021.005), 23 and 2323 telnet (Mirai's pair): Remote
 *     Services (T1021; ATT&CK has no telnet sub-technique). On a robot, ICS Remote Services (T0886) as well.
 *   - 4444 (Metasploit's default handler) and 31337 (Back Orifice): ports no standard protocol uses, the
 *     signature of Non-Standard Port (T1571).
 *   - 6667 IRC, the classic botnet command channel (Tsunami/Kaiten, early Mirai relatives): Application Layer
 *     Protocol (T1071); on a robot also ICS Standard Application Layer Protocol (T0869).
 *   - any other port: none (a port alone says nothing more).
 * - Unusual Task Switch (robot): a robot made to switch to a task its type never follows is an Unauthorized
 *   Command Message (T0855: a command making a device act outside its intended function) whose effect is
 *   Manipulation of Control (T0831). Not T0821 Modify Controller Tasking, which is about IEC 61131-3 task/POU
 *   associations inside a PLC, not a robot's work task.
 * - Sensor readings (the detector sees the reports, not the process):
 *   - Out Of Range: an impossible reading is a forged report, Spoof Reporting Message (T0856), or a process
 *     really pushed out of bounds, Manipulation of Control (T0831).
 *   - Spike: a sudden false value in the telemetry, Spoof Reporting Message (T0856).
 *   - Drift and Stuck: a slowly biased or frozen (replayed) view while the process may be elsewhere,
 *     Manipulation of View (T0832).
 *   - High Risk: none; it summarises the reasons above, which carry their own techniques.
 * - ML Intrusion Score: none; the model scores "attack-like", not which technique.
 * - Recurring Offender: none; it is a property of the entity's history, not a behaviour.
 * - Blocked Entity: none; it is a policy decision (the operator's list), not an observed technique.
 *
 * Network sensor reasons (packet and protocol detectors, carried by flow events as `signals`):
 * - Host Sweep: one port (or ping) tried on many hosts lists the systems that are up, Remote System Discovery
 *   (T1018, "a listing of other systems by IP address ... Ping"), and on a service port finds that service on
 *   each, Network Service Discovery (T1046); in an OT network ICS Remote System Discovery (T0846), as for Port Scan.
 * - Brute Force: many failed logins from one originator, Brute Force (T1110). Not a sub-technique: failures alone
 *   do not tell guessing (.001) from spraying (.003) or stuffing (.004). ICS has no brute-force technique
 *   (T0859 Valid Accounts is the use of the credentials, not the guessing).
 * - ARP Spoofing: ARP Cache Poisoning (T1557.002); ICS Adversary-in-the-Middle (T0830), whose description names
 *   ARP poisoning as its most common method.
 * - Exploit Attempt: SQL injection, path traversal, command injection, Log4Shell or Shellshock in an HTTP
 *   request, Exploit Public-Facing Application (T1190: "websites/web servers"). Not ICS T0819: it is about
 *   internet-facing software as the way into an industrial network, an exposure the sensor cannot see.
 * - Unauthorized Modbus Write: a write function code from a host not known to write to that unit is an
 *   Unauthorized Command Message (T0855) that changes set points or outputs, Modify Parameter (T0836).
 * - Modbus Diagnostics (MODBUS Application Protocol v1.1b3 §5.1, the "Diagnostics" function codes 7, 8, 11, 12,
 *   17, 43), by function and sub-function when the context gives them:
 *   - FC 8 sub-function 1, Restart Communications Option (§6.8.1: the serial port is re-initialised and restarted):
 *     Unauthorized Command Message (T0855) and Device Restart/Shutdown (T0816);
 *   - FC 8 sub-function 4, Force Listen Only Mode (§6.8.1: the device stops answering): T0855 and Denial of
 *     Service (T0814, "render it unresponsive");
 *   - FC 8 sub-functions 10 and 20, Clear Counters and Diagnostic Register / Clear Overrun Counter and Flag: T0855
 *     and Indicator Removal on Host (T0872): the device's error counters are the evidence of a preceding attack;
 *   - any other diagnostic (Return Query Data, the counters, Report Server ID, Read Device Identification,
 *     or no context): Remote System Information Discovery (T0888, "make/model, role, and configuration").
 * - MQTT Wildcard Subscription: a filter that matches every topic (`#`, `+/#`) receives all device telemetry,
 *   Monitor Process State (T0801, process state from "network traffic") and, with it, every topic name, Point &
 *   Tag Identification (T0861). A `$SYS/` filter reads the broker's version, uptime and client counts instead
 *   (wildcards never match `$` topics, MQTT 3.1.1 §4.7.2): Remote System Information Discovery (T0888).
 *   Not Enterprise T1119 Automated Collection: it describes scripted searches and copies of stored files and
 *   cloud data by criteria, not a subscription to a live feed.
 * - MQTT Connect Flood: many CONNECTs exhaust the broker's connection slots and authentication work, not the
 *   link, so Service Exhaustion Flood (T1499.002, "a large number of requests ... to overwhelm" a network service)
 *   rather than T1498 Network Denial of Service (bandwidth); ICS Denial of Service (T0814, "a high volume of
 *   requests in a short time period").
 * - Online Anomaly: none; like the ML score it says "unusual", not which technique.
 * - IDS Signature: none of ours; the signature's own technique ids (Suricata metadata) travel with the signal.
 *
 * Returned arrays are shared and frozen: callers must not modify them. Cost O(1), no allocation.
 */
import type { EventType } from '../core/events.js';
import type { AlertReason, Technique } from '../core/records.js';

/**
 * Context of one alert reason: the event kind and, for port reasons, one destination port; for the Modbus and
 * MQTT reasons, what the packet detectors saw (absent on the server side, which then gets the reason's default).
 */
export interface AttackContext {
  readonly eventType: EventType;
  /** Destination port (flow `resp_p`, one of a robot's `ports_accessed`). */
  readonly port?: number;
  /** Modbus Diagnostics: the function code (0..127). */
  readonly modbusFunction?: number;
  /** Modbus Diagnostics: the FC 8 sub-function (0..65535). */
  readonly modbusSubFunction?: number;
  /** MQTT Wildcard Subscription: true when the filter is on the broker's `$SYS/` topics. */
  readonly mqttSys?: boolean;
}

const t = (id: string, name: string): Technique => Object.freeze({ id, name });

// Enterprise (enterprise-attack v18.1).
const T1046 = t('T1046', 'Network Service Discovery');
const T1498 = t('T1498', 'Network Denial of Service');
const T1021 = t('T1021', 'Remote Services');
const T1021_001 = t('T1021.001', 'Remote Desktop Protocol');
const T1021_004 = t('T1021.004', 'SSH');
const T1021_005 = t('T1021.005', 'VNC');
const T1571 = t('T1571', 'Non-Standard Port');
const T1071 = t('T1071', 'Application Layer Protocol');
const T1018 = t('T1018', 'Remote System Discovery');
const T1110 = t('T1110', 'Brute Force');
const T1557_002 = t('T1557.002', 'ARP Cache Poisoning');
const T1190 = t('T1190', 'Exploit Public-Facing Application');
const T1499_002 = t('T1499.002', 'Service Exhaustion Flood');
// ICS (ics-attack v18.1).
const T0846 = t('T0846', 'Remote System Discovery');
const T0814 = t('T0814', 'Denial of Service');
const T0886 = t('T0886', 'Remote Services');
const T0869 = t('T0869', 'Standard Application Layer Protocol');
const T0855 = t('T0855', 'Unauthorized Command Message');
const T0831 = t('T0831', 'Manipulation of Control');
const T0856 = t('T0856', 'Spoof Reporting Message');
const T0832 = t('T0832', 'Manipulation of View');
const T0830 = t('T0830', 'Adversary-in-the-Middle');
const T0836 = t('T0836', 'Modify Parameter');
const T0816 = t('T0816', 'Device Restart/Shutdown');
const T0872 = t('T0872', 'Indicator Removal on Host');
const T0888 = t('T0888', 'Remote System Information Discovery');
const T0801 = t('T0801', 'Monitor Process State');
const T0861 = t('T0861', 'Point & Tag Identification');

const list = (...ts: Technique[]): readonly Technique[] => Object.freeze(ts);
const NONE = list();

/** Suspicious Port Access by port: [techniques on any event, extra ICS techniques on robot events]. */
const PORTS: ReadonlyMap<number, readonly [readonly Technique[], readonly Technique[]]> = new Map([
  [22, [list(T1021_004), list(T1021_004, T0886)]],
  [23, [list(T1021), list(T1021, T0886)]],
  [2323, [list(T1021), list(T1021, T0886)]],
  [3389, [list(T1021_001), list(T1021_001, T0886)]],
  [5900, [list(T1021_005), list(T1021_005, T0886)]],
  [4444, [list(T1571), list(T1571)]],
  [31337, [list(T1571), list(T1571)]],
  [6667, [list(T1071), list(T1071, T0869)]],
] as const);

const BY_REASON: Readonly<Record<Exclude<AlertReason, 'Suspicious Port Access'>, readonly Technique[]>> = Object.freeze({
  'Port Scan': list(T1046, T0846),
  'Traffic Burst': list(T1498, T0814),
  'Unusual Task Switch': list(T0855, T0831),
  'Sensor Out Of Range': list(T0856, T0831),
  'Sensor Spike': list(T0856),
  'Sensor Drift': list(T0832),
  'Sensor Stuck': list(T0832),
  'Sensor High Risk': NONE,
  'ML Intrusion Score': NONE,
  'Recurring Offender': NONE,
  'Blocked Entity': NONE,
  // Network sensor reasons.
  'Host Sweep': list(T1018, T1046, T0846),
  'Brute Force': list(T1110),
  'ARP Spoofing': list(T1557_002, T0830),
  'Exploit Attempt': list(T1190),
  'Unauthorized Modbus Write': list(T0855, T0836),
  'Modbus Diagnostics': list(T0888), // by sub-function: MODBUS_DIAGNOSTICS below
  'MQTT Wildcard Subscription': list(T0801, T0861), // $SYS filters: MQTT_SYS below
  'MQTT Connect Flood': list(T1499_002, T0814),
  'Online Anomaly': NONE,
  'IDS Signature': NONE,
  // Vulnerability scan findings: what an adversary's discovery (T1046) would find, and the exploitation it opens
  // (T1190 Exploit Public-Facing Application) when a known-exploitable service is exposed.
  'New Open Port': list(T1046),
  'Vulnerable Service': list(T1190, T1046),
  'Known Exploited Vulnerability': list(T1190, T1046),
});

/** Modbus Diagnostics, FC 8 by sub-function (MODBUS Application Protocol v1.1b3 §6.8.1). */
const MODBUS_DIAGNOSTICS: ReadonlyMap<number, readonly Technique[]> = new Map([
  [1, list(T0855, T0816)], // Restart Communications Option
  [4, list(T0855, T0814)], // Force Listen Only Mode
  [10, list(T0855, T0872)], // Clear Counters and Diagnostic Register
  [20, list(T0855, T0872)], // Clear Overrun Counter and Flag
]);
const MQTT_SYS = list(T0888);

/**
 * ATT&CK techniques for one alert reason in its context (see the file comment for the rationale). Empty when
 * the reason implies no technique, or for Suspicious Port Access without a port or with an unmapped port.
 * Modbus Diagnostics uses `modbusFunction`/`modbusSubFunction` (FC 8 sub-functions 1, 4, 10, 20 have their own
 * techniques, anything else the reason's default); MQTT Wildcard Subscription uses `mqttSys`. Other context
 * fields are ignored. Every technique returned is in {@link ALL_MAPPED_TECHNIQUES}.
 */
export function techniquesFor(reason: AlertReason, ctx: AttackContext): readonly Technique[] {
  if (reason === 'Suspicious Port Access') {
    const byPort = ctx.port === undefined ? undefined : PORTS.get(ctx.port);
    if (byPort === undefined) return NONE;
    return ctx.eventType === 'robot' ? byPort[1] : byPort[0];
  }
  if (reason === 'Modbus Diagnostics' && ctx.modbusFunction === 8 && ctx.modbusSubFunction !== undefined) {
    return MODBUS_DIAGNOSTICS.get(ctx.modbusSubFunction) ?? BY_REASON[reason];
  }
  if (reason === 'MQTT Wildcard Subscription' && ctx.mqttSys === true) return MQTT_SYS;
  return BY_REASON[reason] ?? NONE;
}

/** Every technique {@link techniquesFor} can return, each once (Enterprise first, then ICS). */
export const ALL_MAPPED_TECHNIQUES: readonly Technique[] = list(
  T1046, T1498, T1021, T1021_001, T1021_004, T1021_005, T1571, T1071, T1018, T1110, T1557_002, T1190, T1499_002,
  T0846, T0814, T0886, T0869, T0855, T0831, T0856, T0832, T0830, T0836, T0816, T0872, T0888, T0801, T0861,
);
