/**
 * Modbus writes and diagnostics from hosts not known to send them: in an OT network the set of masters that
 * write to a given PLC unit is small and stable, so a write from a new host is an Unauthorized Command Message
 * (ATT&CK for ICS T0855) until an operator says otherwise.
 *
 * Function codes (MODBUS Application Protocol Specification v1.1b3 §5.1, public function code table):
 * - writes ({@link MODBUS_WRITE_FUNCTIONS}): 5 Write Single Coil, 6 Write Single Register, 15 Write Multiple
 *   Coils, 16 Write Multiple Registers, 21 Write File Record, 22 Mask Write Register, 23 Read/Write Multiple
 *   Registers;
 * - diagnostics ({@link MODBUS_DIAGNOSTIC_FUNCTIONS}): 7 Read Exception Status, 8 Diagnostics, 11 Get Comm Event
 *   Counter, 12 Get Comm Event Log, 17 Report Server ID, 43 Encapsulated Interface Transport (MEI 14 Read Device
 *   Identification, MEI 13 CANopen). FC 8 sub-functions (§6.8.1) differ widely: 1 Restart Communications Option
 *   restarts the device's port, 4 Force Listen Only Mode makes it stop answering until restarted (a denial of
 *   service of the serial line), 3 changes the ASCII delimiter, 10 and 20 clear the counters and logs that would
 *   show an attack; the others only read.
 *
 * Who is known (per target = (responder, unit id)):
 * - `knownWriters`: hosts allowed to write and run diagnostics everywhere (configuration);
 * - a learning period (`learningPeriod` seconds of event time from the first Modbus request seen): every host
 *   seen writing (or sending diagnostics) to a target during it becomes known for that target. It must cover a
 *   full operating cycle, or rare legitimate writes (a daily recipe change) will alert later;
 * - with neither (the default: no baseline), a new writer is reported once at `low` and then becomes known, so a
 *   capture of unknown provenance gives one low detection per (writer, target) and nothing more. With a baseline,
 *   hosts are never learned after the learning period: an unknown writer is reported again every re-alert interval.
 *
 * | severity | request from a host not known for the target                                             |
 * | -------- | ---------------------------------------------------------------------------------------- |
 * | high     | FC 8 sub-function 1 or 4 (from any host, known or not, even while learning)               |
 * | high     | write, baselined, while another host is the target's known writer                        |
 * | medium   | write, baselined, target with no known writer; FC 8 sub-function 3, 10 or 20; other      |
 * |          | diagnostics when baselined                                                                |
 * | low      | write or read-only diagnostics without a baseline (first time per host and target)        |
 *
 * Responses (`isRequest` false) are ignored. Memory: a {@link GenerationalCache} (approximate LRU) of at most
 * `maxTargets` targets (default 16,384), each with at most 16 writer and 16 diagnostic hosts (oldest dropped
 * first; a dropped host is new again): about 3 MiB at most. Modbus requests arrive at polling rates (tens per second per master): the known-host check
 * allocates one key string per write or diagnostic request and nothing for reads.
 */
import type { Severity } from '../core/records.js';
import { techniquesFor } from './attack-mapping.js';
import { ALERT_GATE_DEFAULTS, AlertGate, type AlertGateOptions, GenerationalCache, isFiniteNumber, type PacketDetection } from './packet-detection.js';

/** Write function codes (v1.1b3 §5.1). */
export const MODBUS_WRITE_FUNCTIONS: ReadonlySet<number> = new Set([5, 6, 15, 16, 21, 22, 23]);
/** Diagnostic function codes (v1.1b3 §5.1, the "Diagnostics" rows). */
export const MODBUS_DIAGNOSTIC_FUNCTIONS: ReadonlySet<number> = new Set([7, 8, 11, 12, 17, 43]);

/** Names of the function codes this detector reports (v1.1b3 §6). */
const FUNCTION_NAMES: ReadonlyMap<number, string> = new Map([
  [5, 'Write Single Coil'],
  [6, 'Write Single Register'],
  [7, 'Read Exception Status'],
  [8, 'Diagnostics'],
  [11, 'Get Comm Event Counter'],
  [12, 'Get Comm Event Log'],
  [15, 'Write Multiple Coils'],
  [16, 'Write Multiple Registers'],
  [17, 'Report Server ID'],
  [21, 'Write File Record'],
  [22, 'Mask Write Register'],
  [23, 'Read/Write Multiple Registers'],
  [43, 'Encapsulated Interface Transport'],
]);
/** FC 8 sub-functions named in details (§6.8.1). */
const DIAGNOSTIC_SUB_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Return Query Data'],
  [1, 'Restart Communications Option'],
  [3, 'Change ASCII Input Delimiter'],
  [4, 'Force Listen Only Mode'],
  [10, 'Clear Counters and Diagnostic Register'],
  [20, 'Clear Overrun Counter and Flag'],
]);
/** FC 8 sub-functions that disrupt the device: always `high`. */
const DISRUPTIVE_SUBS: ReadonlySet<number> = new Set([1, 4]);
/** FC 8 sub-functions that change configuration or erase evidence: `medium`. */
const ALTERING_SUBS: ReadonlySet<number> = new Set([3, 10, 20]);

const MAX_HOSTS_PER_TARGET = 16;

/** Options of {@link ModbusWriteDetector} (times in seconds of event time). */
export interface ModbusWriteOptions extends AlertGateOptions {
  /** Learning period from the first Modbus request seen (≥ 0; default 0: no learning period). */
  readonly learningPeriod: number;
  /** Hosts allowed to write and send diagnostics to every target (default none). */
  readonly knownWriters: Iterable<string>;
  /** Largest number of (responder, unit) targets tracked (default 16,384). */
  readonly maxTargets: number;
}

/** Defaults (module comment). */
export const MODBUS_WRITE_DEFAULTS: Readonly<ModbusWriteOptions> = Object.freeze({
  ...ALERT_GATE_DEFAULTS,
  learningPeriod: 0,
  knownWriters: Object.freeze([]) as readonly string[],
  maxTargets: 16_384,
});

interface Target {
  readonly writers: string[];
  readonly diagnosers: string[];
}

function remember(list: string[], host: string): void {
  if (list.length >= MAX_HOSTS_PER_TARGET) list.shift();
  list.push(host);
}

/**
 * Unauthorized Modbus write / diagnostics detector (module comment: function codes, known hosts, severity table,
 * memory). Call {@link observe} for every Modbus PDU an analyzer reports.
 */
export class ModbusWriteDetector {
  readonly #o: ModbusWriteOptions;
  readonly #known: ReadonlySet<string>;
  readonly #baselined: boolean;
  readonly #targets: GenerationalCache<string, Target>;
  readonly #gate: AlertGate;
  #start: number | undefined;

  /** @throws RangeError when `learningPeriod` is negative or not finite, or a capacity is invalid. */
  constructor(options: Partial<ModbusWriteOptions> = {}) {
    const o: ModbusWriteOptions = { ...MODBUS_WRITE_DEFAULTS, ...options };
    if (!(o.learningPeriod >= 0) || !Number.isFinite(o.learningPeriod)) throw new RangeError(`learningPeriod must be a finite number >= 0 (seconds), got ${o.learningPeriod}`);
    this.#o = o;
    this.#known = new Set(o.knownWriters);
    this.#baselined = o.learningPeriod > 0 || this.#known.size > 0;
    this.#targets = new GenerationalCache(o.maxTargets);
    this.#gate = new AlertGate(o);
  }

  /** Targets and alert keys held (each bounded by its option). */
  get sizes(): { targets: number; alertKeys: number } {
    return { targets: this.#targets.size, alertKeys: this.#gate.size };
  }

  /**
   * One Modbus PDU. Returns an Unauthorized Modbus Write or Modbus Diagnostics detection per the severity table,
   * gate permitting, else null. Ignored: responses, non-finite `ts`, a function code outside 0..255, a unit id
   * outside 0..255.
   * @param ts packet time, epoch seconds.
   * @param unitId MBAP unit identifier 0..255.
   * @param functionCode 0..127 (the exception bit cleared, as the analyzers report it).
   * @param subFunction FC 8 sub-function (0..65535) or FC 43 MEI type, when the analyzer decoded it.
   * @param uid the flow's conn.log uid.
   */
  observe(ts: number, origH: string, respH: string, unitId: number, functionCode: number, isRequest: boolean, subFunction?: number, uid?: string): PacketDetection | null {
    if (isRequest !== true || !isFiniteNumber(ts)) return null;
    if (!Number.isInteger(functionCode) || functionCode < 0 || functionCode > 255 || !Number.isInteger(unitId) || unitId < 0 || unitId > 255) return null;
    const isWrite = MODBUS_WRITE_FUNCTIONS.has(functionCode);
    if (!isWrite && !MODBUS_DIAGNOSTIC_FUNCTIONS.has(functionCode)) return null;
    const sub = functionCode === 8 && Number.isInteger(subFunction) ? (subFunction as number) : undefined;

    if (this.#start === undefined) this.#start = ts;
    const learning = ts < this.#start + this.#o.learningPeriod;
    const key = `${respH}|${unitId}`;
    let target = this.#targets.get(key);
    if (target === undefined) {
      target = { writers: [], diagnosers: [] };
      this.#targets.set(key, target);
    }
    const list = isWrite ? target.writers : target.diagnosers;
    const othersKnown = isWrite && target.writers.some((h) => h !== origH);
    const seen = this.#known.has(origH) || list.includes(origH);
    if (!seen && (learning || !this.#baselined)) remember(list, origH);

    let severity: Severity | null;
    let why: string;
    if (sub !== undefined && DISRUPTIVE_SUBS.has(sub)) {
      severity = 'high';
      why = 'disrupts the device';
    } else if (learning || seen) {
      return null;
    } else if (isWrite) {
      severity = !this.#baselined ? 'low' : othersKnown ? 'high' : 'medium';
      why = !this.#baselined
        ? 'first write from this host to this unit (no baseline configured)'
        : othersKnown
          ? 'write from a host not known for this unit, which has another known writer'
          : 'write from a host not known for this unit';
    } else {
      severity = sub !== undefined && ALTERING_SUBS.has(sub) ? 'medium' : this.#baselined ? 'medium' : 'low';
      why = sub !== undefined && ALTERING_SUBS.has(sub) ? 'changes the device or erases its counters' : 'diagnostics from a host not known for this unit';
    }
    const reason = isWrite ? 'Unauthorized Modbus Write' : 'Modbus Diagnostics';
    if (!this.#gate.admit(`${reason}|${origH}|${respH}|${unitId}`, ts, severity)) return null;
    const subName = sub === undefined ? '' : ` sub-function ${sub}${DIAGNOSTIC_SUB_NAMES.has(sub) ? ` ${DIAGNOSTIC_SUB_NAMES.get(sub)}` : ''}`;
    return {
      ts,
      reason,
      severity,
      origH,
      respH,
      ...(uid === undefined ? {} : { uid }),
      detail: `${origH} sent ${FUNCTION_NAMES.get(functionCode)} (FC ${functionCode}${subName}) to ${respH} unit ${unitId}: ${why}`,
      techniques: techniquesFor(reason, { eventType: 'flow', modbusFunction: functionCode, ...(sub === undefined ? {} : { modbusSubFunction: sub }) }),
    };
  }
}
