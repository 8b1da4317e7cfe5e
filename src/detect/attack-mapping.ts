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
 * Returned arrays are shared and frozen: callers must not modify them. Cost O(1), no allocation.
 */
import type { EventType } from '../core/events.js';
import type { AlertReason, Technique } from '../core/records.js';

/** Context of one alert reason: the event kind and, for port reasons, one destination port. */
export interface AttackContext {
  readonly eventType: EventType;
  /** Destination port (flow `resp_p`, one of a robot's `ports_accessed`). */
  readonly port?: number;
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
// ICS (ics-attack v18.1).
const T0846 = t('T0846', 'Remote System Discovery');
const T0814 = t('T0814', 'Denial of Service');
const T0886 = t('T0886', 'Remote Services');
const T0869 = t('T0869', 'Standard Application Layer Protocol');
const T0855 = t('T0855', 'Unauthorized Command Message');
const T0831 = t('T0831', 'Manipulation of Control');
const T0856 = t('T0856', 'Spoof Reporting Message');
const T0832 = t('T0832', 'Manipulation of View');

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
});

/**
 * ATT&CK techniques for one alert reason in its context (see the file comment for the rationale). Empty when
 * the reason implies no technique, or for Suspicious Port Access without a port or with an unmapped port.
 * Every technique returned is in {@link ALL_MAPPED_TECHNIQUES}.
 */
export function techniquesFor(reason: AlertReason, ctx: AttackContext): readonly Technique[] {
  if (reason === 'Suspicious Port Access') {
    const byPort = ctx.port === undefined ? undefined : PORTS.get(ctx.port);
    if (byPort === undefined) return NONE;
    return ctx.eventType === 'robot' ? byPort[1] : byPort[0];
  }
  return BY_REASON[reason] ?? NONE;
}

/** Every technique {@link techniquesFor} can return, each once (Enterprise first, then ICS). */
export const ALL_MAPPED_TECHNIQUES: readonly Technique[] = list(
  T1046, T1498, T1021, T1021_001, T1021_004, T1021_005, T1571, T1071,
  T0846, T0814, T0886, T0869, T0855, T0831, T0856, T0832,
);
