/**
 * Reads Suricata's EVE JSON log (eve.json, one object per line) into flow events ({@link FlowEventInput}), so a
 * site that already runs Suricata can feed IPqSEC. Format: Suricata user guide, "Eve JSON Format"
 * (https://docs.suricata.io/en/latest/output/eve/eve-json-format.html, doc/userguide/output/eve/ in
 * https://github.com/OISF/suricata).
 *
 * `event_type: "flow"` (one per finished flow) → one flow event:
 * - `src_ip`/`src_port` → orig, `dest_ip`/`dest_port` → resp (Suricata's flow direction: the side that sent the
 *   first packet is the client, as Zeek's orig); ICMP has no ports: `icmp_type` → orig_p and `icmp_code` →
 *   resp_p, as Zeek; another transport gets ports 0 unless given;
 * - `proto` (`TCP`, `UDP`, `ICMP`, `IPv6-ICMP`, any case) → `tcp`/`udp`/`icmp`; any other → `unknown_transport`;
 * - `flow.start` → `ts`; `flow.end − flow.start` → `duration` (rounded to the microsecond, Suricata's
 *   resolution); `flow.pkts_toserver`/`pkts_toclient` → orig_pkts/resp_pkts;
 * - `flow.bytes_toserver`/`bytes_toclient` → orig_ip_bytes/resp_ip_bytes. Note: Suricata counts whole captured
 *   frames (`f->todstbytecnt += GET_PKT_LEN(p)` in src/flow.c; `GET_PKT_LEN` is the packet buffer length, link
 *   header included), so on Ethernet these exceed Zeek's IP-level bytes by 14 bytes per packet. Option
 *   {@link SuricataEveReadOptions.frameOverheadBytes} subtracts a per-packet link header (default 0: the value as
 *   Suricata logged it). Payload bytes (Zeek orig_bytes/resp_bytes) and `history` have no Suricata equivalent and
 *   are left unset;
 * - `app_proto` → `service`, with Zeek's names where they differ (`tls` → `ssl`, `dcerpc` → `dce_rpc`, `krb5` →
 *   `krb`); `failed`/`unknown` → unset;
 * - `flow_id` → `uid` (its decimal digits: Suricata's own join key across an eve.json, 51-bit so exact in JSON);
 * - `conn_state` best effort, see {@link suricataConnState}.
 *
 * `event_type: "alert"` → a flow event for the alert's flow carrying one signal
 * `{ reason: 'IDS Signature', severity, source: 'suricata', detail: alert.signature, signature_id, techniques }`:
 * - severity: `alert.severity` 1 → `high`, 2 → `medium`, 3 and above → `low` (Suricata's 1 is the most severe:
 *   it is the rule's classification priority, classification.config; ≥ 4 exists only with custom classifications);
 * - techniques: the valid ATT&CK ids (`T1234`, `T1234.567`) in `alert.metadata.mitre_technique_id` (the key ET
 *   and other rule sets use), deduplicated, at most 8;
 * - `ts` is the alert's `timestamp` (the packet that matched), not the flow start; orig/resp are the flow's
 *   client/server when Suricata says so (`flow.src_ip`… in the alert, or `direction: "to_client"`, Suricata 7),
 *   else the matching packet's source/destination;
 * - counters, duration and conn_state are left unset: the alert's partial counters would be counted twice with
 *   the flow event that follows.
 *
 * Other event types (dns, http, tls, fileinfo, anomaly, stats, netflow, …) are skipped and counted by type.
 * Malformed JSON or a missing/invalid required field (timestamp or flow.start, addresses, proto, ports of TCP/UDP,
 * alert.signature and alert.severity) is IpqsecError IPQ-N004 with `{file, line}` and `{field, value}`; with
 * `skipBad` such lines are skipped and counted. Timestamps are ISO 8601 with Suricata's colon-less offset
 * (`2024-01-15T10:20:30.123456+0000`), see `parseIsoTime`.
 */
import { techniqueIdSchema, type ConnState, type FlowEventInput, type FlowSignal } from '../core/events.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './packet.js';
import {
  newLogReadSummary,
  parseLogLines,
  parseTextWith,
  readLogWith,
  sourceLabel,
  type LineSource,
  type LogReadOptions,
  type LogReadSummary,
} from './line-reader.js';
import { canonicalIp, checkFlowEvent, malformedLine, parseIsoTime, MAX_TS_SECONDS, type LineContext } from './zeek-conn-reader.js';

/** Transport as conn.log names it. */
type Transport = FlowEventInput['proto'];

/** Distinct other event types counted by name; more are counted under `(other)` (bounds the summary). */
const MAX_EVENT_TYPE_KEYS = 64;
/** Longest `detail` a signal may carry (flowSignalSchema). */
const MAX_DETAIL = 512;
/** Suricata `app_proto` names that differ from Zeek's `service` names. */
const ZEEK_SERVICE: Readonly<Record<string, string>> = { tls: 'ssl', dcerpc: 'dce_rpc', krb5: 'krb' };

/**
 * Suricata `alert.severity` → IPqSEC severity: 1 → high, 2 → medium, 3 or more → low (1 is Suricata's most severe;
 * Suricata has no "critical").
 */
export function suricataSeverity(n: number): 'high' | 'medium' | 'low' {
  return n <= 1 ? 'high' : n === 2 ? 'medium' : 'low';
}

/** Suricata `proto` → conn.log transport. */
export function suricataTransport(proto: string): Transport {
  switch (proto.toLowerCase()) {
    case 'tcp':
      return 'tcp';
    case 'udp':
      return 'udp';
    case 'icmp':
    case 'ipv6-icmp':
    case 'icmpv6':
      return 'icmp';
    default:
      return 'unknown_transport';
  }
}

/**
 * Zeek `conn_state` from what a Suricata flow record tells, best effort. It follows Zeek's `conn_state()`
 * (scripts/base/protocols/conn/main.zeek) with each side's state read from the TCP flags it sent
 * (`tcp.tcp_flags_ts` = client→server, `tcp.tcp_flags_tc` = server→client; hex bit masks, RFC 9293 §3.1):
 *
 * | condition (checked in this order)                         | conn_state |
 * | --------------------------------------------------------- | ---------- |
 * | resp sent RST: orig sent SYN, resp no SYN-ACK             | REJ        |
 * | resp sent RST: orig sent no SYN                           | RSTRH      |
 * | resp sent RST: otherwise                                  | RSTR       |
 * | orig sent RST: resp sent no SYN-ACK, orig sent SYN        | RSTOS0     |
 * | orig sent RST: resp sent no SYN-ACK, no SYN either        | OTH        |
 * | orig sent RST: otherwise                                  | RSTO       |
 * | both sent FIN                                             | SF         |
 * | orig sent FIN: resp no SYN-ACK / else                     | SH / S2    |
 * | resp sent FIN: orig no SYN / else                         | SHR / S3   |
 * | orig SYN, resp sent nothing                               | S0         |
 * | orig SYN + ACK, resp SYN-ACK                              | S1         |
 * | anything else (midstream, half handshake)                 | OTH        |
 *
 * Without the per-direction flags (TCP logging off, old Suricata): `flow.state` `established` → S1, else unset.
 * UDP, as Zeek: packets both ways → SF, only to the server → S0, only to the client → SHR. ICMP and other
 * transports → OTH (Zeek's rule for non-TCP/UDP).
 *
 * @param flagsTs union of TCP flags client→server, or undefined when not logged
 * @param flagsTc union of TCP flags server→client, or undefined
 */
export function suricataConnState(
  proto: Transport,
  pktsToServer: number | undefined,
  pktsToClient: number | undefined,
  flagsTs: number | undefined,
  flagsTc: number | undefined,
  flowState: string | undefined,
): ConnState | undefined {
  if (proto === 'udp') {
    const o = (pktsToServer ?? 0) > 0;
    const r = (pktsToClient ?? 0) > 0;
    return o ? (r ? 'SF' : 'S0') : r ? 'SHR' : 'OTH';
  }
  if (proto !== 'tcp') return 'OTH';
  if (flagsTs === undefined || flagsTc === undefined) return flowState === 'established' ? 'S1' : undefined;
  const oSyn = (flagsTs & TCP_SYN) !== 0;
  const oFin = (flagsTs & TCP_FIN) !== 0;
  const oRst = (flagsTs & TCP_RST) !== 0;
  const oAck = (flagsTs & TCP_ACK) !== 0;
  const rSyn = (flagsTc & TCP_SYN) !== 0;
  const rFin = (flagsTc & TCP_FIN) !== 0;
  const rRst = (flagsTc & TCP_RST) !== 0;
  const respSeen = pktsToClient === undefined ? flagsTc !== 0 : pktsToClient > 0;
  if (rRst) return oSyn && !rSyn ? 'REJ' : !oSyn ? 'RSTRH' : 'RSTR';
  if (oRst) return !rSyn ? (oSyn ? 'RSTOS0' : 'OTH') : 'RSTO';
  if (oFin && rFin) return 'SF';
  if (oFin) return rSyn ? 'S2' : 'SH';
  if (rFin) return oSyn ? 'S3' : 'SHR';
  if (oSyn && !respSeen) return 'S0';
  if (oSyn && oAck && rSyn) return 'S1';
  return 'OTH';
}

/** Options of the eve.json reader. */
export interface SuricataEveReadOptions extends LogReadOptions {
  /** `site` to set on every event (1–64 characters). */
  readonly site?: string;
  /**
   * Link-layer bytes per packet to subtract from `bytes_toserver`/`bytes_toclient` to get IP-level bytes (14 for
   * Ethernet, 18 with one 802.1Q tag; default 0: Suricata's frame bytes as logged). Results are clamped at 0.
   */
  readonly frameOverheadBytes?: number;
  /** Re-check every event with `flowEventSchema` (zod); default false: events are built to pass it (see zeek-conn-reader). */
  readonly validate?: boolean;
}

/** What an eve.json read did. */
export interface SuricataEveSummary extends LogReadSummary {
  /** Flow events from `event_type: flow`. */
  flows: number;
  /** Flow events from `event_type: alert`. */
  alerts: number;
  /** Lines of other event types, skipped. */
  otherEvents: number;
  /** Those by `event_type` (at most 64 names; the rest under `(other)`). */
  readonly otherEventTypes: Record<string, number>;
}

/** Parses eve.json lines into flow events. Stateless between lines except the counters. */
export class SuricataEveReader {
  /** Counters of the lines parsed so far. */
  readonly summary: SuricataEveSummary;
  private readonly opts: SuricataEveReadOptions;
  private readonly overhead: number;
  private file: string | undefined;

  constructor(opts: SuricataEveReadOptions = {}) {
    if (opts.site !== undefined && (typeof opts.site !== 'string' || opts.site.length < 1 || opts.site.length > 64)) {
      throw new RangeError('site must be a string of 1 to 64 characters');
    }
    const overhead = opts.frameOverheadBytes ?? 0;
    if (!Number.isInteger(overhead) || overhead < 0) throw new RangeError(`frameOverheadBytes must be an integer >= 0, got ${overhead}`);
    this.opts = opts;
    this.overhead = overhead;
    this.file = opts.file;
    this.summary = { ...newLogReadSummary(), flows: 0, alerts: 0, otherEvents: 0, otherEventTypes: Object.create(null) as Record<string, number> };
  }

  /**
   * Parses one eve.json line. Returns a flow event for `flow` and `alert` events, null for blank lines and other
   * event types (counted in {@link summary}).
   *
   * @throws IpqsecError IPQ-N004 when the line is malformed (see the file comment)
   */
  parseLine(text: string, line: number): FlowEventInput | null {
    const ctx: LineContext = { file: this.file, line };
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim().length === 0) return null;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw malformedLine(ctx, `not valid JSON: ${(e as Error).message}`, undefined, text);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw malformedLine(ctx, 'eve line is not a JSON object', undefined, text);
    const obj = o as Record<string, unknown>;
    const type = own(obj, 'event_type');
    if (typeof type !== 'string') throw malformedLine(ctx, 'event_type missing or not a string', 'event_type', type ?? null);
    let ev: Record<string, unknown>;
    if (type === 'flow') ev = this.flowEvent(obj, ctx);
    else if (type === 'alert') ev = this.alertEvent(obj, ctx);
    else {
      const s = this.summary;
      s.otherEvents++;
      const key = Object.hasOwn(s.otherEventTypes, type) || Object.keys(s.otherEventTypes).length < MAX_EVENT_TYPE_KEYS ? type : '(other)';
      s.otherEventTypes[key] = (s.otherEventTypes[key] ?? 0) + 1;
      return null;
    }
    if (this.opts.site !== undefined) ev.site = this.opts.site;
    const checked = this.opts.validate === true ? checkFlowEvent(ev, ctx) : (ev as FlowEventInput);
    if (type === 'flow') this.summary.flows++;
    else this.summary.alerts++;
    return checked;
  }

  /**
   * Streams the flow events of an eve.json file (`-`: stdin) or of byte/string chunks. Reading stops at the first
   * malformed line with IPQ-N004 unless `skipBad`; the events before it were already yielded.
   */
  read(source: LineSource): AsyncGenerator<FlowEventInput> {
    this.file = sourceLabel(source, this.opts.file);
    return parseLogLines(source, (t, l) => this.parseLine(t, l), { ...this.opts, file: this.file }, this.summary);
  }

  private flowEvent(o: Record<string, unknown>, ctx: LineContext): Record<string, unknown> {
    const flow = object(o, 'flow', ctx, true) as Record<string, unknown>;
    const ev = tuple(o, ctx, false);
    const start = time(flow, 'start', ctx, 'flow.start', true) as number;
    ev.ts = start;
    const end = time(flow, 'end', ctx, 'flow.end', false);
    if (end !== undefined) {
      const d = Math.round((end - start) * 1e6) / 1e6;
      if (d < 0) throw malformedLine(ctx, 'flow.end is before flow.start', 'flow.end', own(flow, 'end'));
      ev.duration = d;
    }
    const pktsTs = count(flow, 'pkts_toserver', ctx, 'flow.pkts_toserver');
    const pktsTc = count(flow, 'pkts_toclient', ctx, 'flow.pkts_toclient');
    const bytesTs = count(flow, 'bytes_toserver', ctx, 'flow.bytes_toserver');
    const bytesTc = count(flow, 'bytes_toclient', ctx, 'flow.bytes_toclient');
    if (pktsTs !== undefined) ev.orig_pkts = pktsTs;
    if (pktsTc !== undefined) ev.resp_pkts = pktsTc;
    if (bytesTs !== undefined) ev.orig_ip_bytes = Math.max(0, bytesTs - this.overhead * (pktsTs ?? 0));
    if (bytesTc !== undefined) ev.resp_ip_bytes = Math.max(0, bytesTc - this.overhead * (pktsTc ?? 0));
    const tcp = object(o, 'tcp', ctx, false);
    const flagsTs = tcp === undefined ? undefined : hexFlags(tcp, 'tcp_flags_ts', ctx);
    const flagsTc = tcp === undefined ? undefined : hexFlags(tcp, 'tcp_flags_tc', ctx);
    const state = own(flow, 'state');
    const cs = suricataConnState(ev.proto as Transport, pktsTs, pktsTc, flagsTs, flagsTc, typeof state === 'string' ? state : undefined);
    if (cs !== undefined) ev.conn_state = cs;
    return ev;
  }

  private alertEvent(o: Record<string, unknown>, ctx: LineContext): Record<string, unknown> {
    const alert = object(o, 'alert', ctx, true) as Record<string, unknown>;
    const flow = object(o, 'flow', ctx, false);
    const flowHasTuple = flow !== undefined && typeof own(flow, 'src_ip') === 'string' && typeof own(flow, 'dest_ip') === 'string';
    const ev = flowHasTuple ? tuple({ ...flow, proto: own(o, 'proto'), flow_id: own(o, 'flow_id'), app_proto: own(o, 'app_proto') }, ctx, false) : tuple(o, ctx, own(o, 'direction') === 'to_client');
    ev.ts = time(o, 'timestamp', ctx, 'timestamp', true);
    const signature = own(alert, 'signature');
    if (typeof signature !== 'string') throw malformedLine(ctx, 'alert.signature missing or not a string', 'alert.signature', signature ?? null);
    const sev = own(alert, 'severity');
    if (typeof sev !== 'number' || !Number.isInteger(sev) || sev < 1) {
      throw malformedLine(ctx, 'alert.severity missing or not an integer >= 1', 'alert.severity', sev ?? null);
    }
    const signal: FlowSignal = { reason: 'IDS Signature', severity: suricataSeverity(sev), source: 'suricata', detail: signature.length > MAX_DETAIL ? signature.slice(0, MAX_DETAIL) : signature };
    const sid = count(alert, 'signature_id', ctx, 'alert.signature_id');
    if (sid !== undefined) signal.signature_id = sid;
    const techniques = mitreTechniques(own(alert, 'metadata'));
    if (techniques.length > 0) signal.techniques = techniques;
    ev.signals = [signal];
    return ev;
  }
}

/** Own property (never inherited: `__proto__` keys in the JSON stay plain data). */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function object(o: Record<string, unknown>, key: string, ctx: LineContext, required: boolean): Record<string, unknown> | undefined {
  const v = own(o, key);
  if (v === undefined || v === null) {
    if (required) throw malformedLine(ctx, `${key} object missing`, key, null);
    return undefined;
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw malformedLine(ctx, `${key} is not an object`, key, v);
  return v as Record<string, unknown>;
}

function count(o: Record<string, unknown>, key: string, ctx: LineContext, name: string): number | undefined {
  const v = own(o, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformedLine(ctx, `${name}: not a count`, name, v);
  return v;
}

function time(o: Record<string, unknown>, key: string, ctx: LineContext, name: string, required: boolean): number | undefined {
  const v = own(o, key);
  if (v === undefined || v === null) {
    if (required) throw malformedLine(ctx, `${name} missing`, name, null);
    return undefined;
  }
  const t = typeof v === 'string' ? parseIsoTime(v) : null;
  if (t === null || t < 0 || t > MAX_TS_SECONDS) throw malformedLine(ctx, `${name}: not an ISO 8601 time within 1970..3000`, name, v);
  return t;
}

function hexFlags(tcp: Record<string, unknown>, key: string, ctx: LineContext): number | undefined {
  const v = own(tcp, key);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,2}$/.test(v)) throw malformedLine(ctx, `tcp.${key}: not a hex flag byte`, `tcp.${key}`, v);
  return parseInt(v, 16);
}

function port(o: Record<string, unknown>, key: string, ctx: LineContext, required: boolean, max = 65535): number {
  const v = own(o, key);
  if (v === undefined || v === null) {
    if (required) throw malformedLine(ctx, `${key} missing`, key, null);
    return 0;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw malformedLine(ctx, `${key}: not an integer 0..${max}`, key, v);
  return v;
}

function address(o: Record<string, unknown>, key: string, ctx: LineContext): string {
  const v = own(o, key);
  const a = typeof v === 'string' ? canonicalIp(v) : null;
  if (a === null) throw malformedLine(ctx, `${key}: missing or not an IP address`, key, v ?? null);
  return a;
}

/** The 5-tuple, uid and service shared by flow and alert events; `swap`: src/dest are resp/orig. */
function tuple(o: Record<string, unknown>, ctx: LineContext, swap: boolean): Record<string, unknown> {
  const p = own(o, 'proto');
  if (typeof p !== 'string' && typeof p !== 'number') throw malformedLine(ctx, 'proto missing', 'proto', p ?? null);
  const proto = suricataTransport(String(p));
  const src = address(o, 'src_ip', ctx);
  const dst = address(o, 'dest_ip', ctx);
  let sp: number;
  let dp: number;
  if (proto === 'icmp') {
    sp = port(o, 'icmp_type', ctx, false, 255);
    dp = port(o, 'icmp_code', ctx, false, 255);
  } else {
    const needed = proto !== 'unknown_transport';
    sp = port(o, 'src_port', ctx, needed);
    dp = port(o, 'dest_port', ctx, needed);
  }
  const ev: Record<string, unknown> = { type: 'flow' };
  const flowId = own(o, 'flow_id');
  if (typeof flowId === 'number' && Number.isSafeInteger(flowId) && flowId >= 0) ev.uid = String(flowId);
  ev.orig_h = swap && proto !== 'icmp' ? dst : src;
  ev.orig_p = swap && proto !== 'icmp' ? dp : sp;
  ev.resp_h = swap && proto !== 'icmp' ? src : dst;
  ev.resp_p = swap && proto !== 'icmp' ? sp : dp;
  ev.proto = proto;
  const app = own(o, 'app_proto');
  if (typeof app === 'string') {
    const a = app.toLowerCase();
    if (a !== '' && a !== 'failed' && a !== 'unknown' && a.length <= 64) ev.service = ZEEK_SERVICE[a] ?? a;
  }
  return ev;
}

/** Valid ATT&CK technique ids from `alert.metadata.mitre_technique_id` (array or single string), deduplicated, ≤ 8. */
export function mitreTechniques(metadata: unknown): string[] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return [];
  const raw = own(metadata as Record<string, unknown>, 'mitre_technique_id');
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: string[] = [];
  for (const t of list) {
    if (typeof t !== 'string') continue;
    const id = t.trim().toUpperCase();
    if (techniqueIdSchema.safeParse(id).success && !out.includes(id)) out.push(id);
    if (out.length === 8) break;
  }
  return out;
}

/**
 * Reads an eve.json file (`-`: stdin), calling `onEvent` for each flow event in file order. On IPQ-N004 (without
 * `skipBad`) the events before the bad line were delivered; the error is thrown after them.
 *
 * @throws IpqsecError IPQ-N004 (malformed line), IPQ-D001 (file unreadable)
 */
export async function readSuricataEveFile(
  path: string,
  onEvent: (e: FlowEventInput) => void,
  opts: SuricataEveReadOptions = {},
): Promise<SuricataEveSummary> {
  return readLogWith(new SuricataEveReader(opts), path, onEvent);
}

/** Parses eve.json text already in memory, calling `onEvent` per flow event. */
export function parseSuricataEveText(text: string, onEvent: (e: FlowEventInput) => void, opts: SuricataEveReadOptions = {}): SuricataEveSummary {
  return parseTextWith(new SuricataEveReader(opts), text, onEvent, opts);
}
