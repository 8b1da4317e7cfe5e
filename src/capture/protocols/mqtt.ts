/**
 * MQTT analyzer (MQTT 3.1 `MQIsdp`, OASIS MQTT 3.1.1 and 5.0): one {@link MqttEvent} per control packet, with the
 * client id of CONNECT, the topic of PUBLISH, the topic filters of SUBSCRIBE/UNSUBSCRIBE and the CONNACK code.
 *
 * Sources:
 * - MQTT 3.1.1 (OASIS Standard, 2014) §2.2 fixed header: type (4 bits), flags (4 bits), Remaining Length as a
 *   variable byte integer of 1..4 octets, 7 bits each, least significant first (§2.2.3, at most 268,435,455);
 *   §1.5.3 UTF-8 strings: 2-octet big-endian length + bytes; §3.1 CONNECT: protocol name ("MQTT", "MQIsdp" for
 *   3.1), protocol level (3 = 3.1, 4 = 3.1.1, 5 = 5.0), connect flags, keep alive (2), then the payload starting
 *   with the client identifier; §3.2 CONNACK: acknowledge flags, return code; §3.3 PUBLISH: topic name, then a
 *   packet identifier when QoS > 0; §3.8 SUBSCRIBE: packet identifier, then (topic filter, requested QoS)+;
 *   §3.10 UNSUBSCRIBE: packet identifier, then topic filter+.
 * - MQTT 5.0 (OASIS Standard, 2019) §2.2.2: a Properties section (variable byte integer length + properties)
 *   follows the variable header of CONNECT (after keep alive), PUBLISH (after the packet identifier), SUBSCRIBE and
 *   UNSUBSCRIBE (after the packet identifier); the analyzer skips it by its length. §3.2.2.2 CONNACK reason code.
 *
 * The protocol level is learnt from CONNECT; a flow seen without its CONNECT is parsed as 3.1.1 (PUBLISH topics are
 * right either way: they precede the properties).
 */
import { utf8Slice } from './_bytes.js';
import { FramedAnalyzer, GARBAGE, NEED_MORE } from './_framed-analyzer.js';
import type { AnalyzerOptions, AppEvent, FlowRef, MqttEvent } from './app-event.js';
import { MQTT_PACKET_TYPES } from './app-event.js';

/** IANA ports: MQTT (1883) and MQTT over TLS (8883) (MQTT 3.1.1 §4.2). */
export const MQTT_PORT = 1883;
export const MQTT_TLS_PORT = 8883;

/** Control packet type values (MQTT 3.1.1 §2.2.1 Table 2.1). */
const CONNECT = 1;
const CONNACK = 2;
const PUBLISH = 3;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;
/** Protocol level of MQTT 5.0 (MQTT 5.0 §3.1.2.2). */
const LEVEL_5 = 5;

/**
 * Total length of the MQTT packet at `b[o]` from its fixed header: > 0, {@link NEED_MORE} or {@link GARBAGE}
 * (type 0, PUBLISH QoS 3 — MQTT 3.1.1 §3.3.1.2 — or a fifth Remaining Length octet, §2.2.3). O(1).
 */
export function mqttPacketLength(b: Uint8Array, o: number, avail: number): number {
  const first = b[o]!;
  const type = first >> 4;
  if (type === 0) return GARBAGE;
  if (type === PUBLISH && (first & 0x06) === 0x06) return GARBAGE;
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i++) {
    if (i >= avail) return NEED_MORE;
    const c = b[o + i]!;
    value += (c & 0x7f) * multiplier;
    if ((c & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  return GARBAGE;
}

/**
 * True when `b[o, o + avail)` starts with an MQTT CONNECT whose protocol name is `MQTT` or `MQIsdp` (MQTT 3.1.1
 * §3.1.2.1), the signature identification uses on any port. O(1).
 */
export function looksLikeMqttConnect(b: Uint8Array, o: number, avail: number): boolean {
  if (avail < 2 || b[o] !== 0x10) return false;
  let p = o + 1;
  const end = o + avail;
  while (p < end && p < o + 5 && (b[p]! & 0x80) !== 0) p++;
  p++;
  if (p + 8 > end || b[p] !== 0) return false;
  const n = b[p + 1]!;
  if (n === 4) return b[p + 2] === 0x4d && b[p + 3] === 0x51 && b[p + 4] === 0x54 && b[p + 5] === 0x54; // "MQTT"
  if (n === 6) return p + 8 <= end && b[p + 2] === 0x4d && b[p + 3] === 0x51 && b[p + 4] === 0x49 && b[p + 5] === 0x73 && b[p + 6] === 0x64 && b[p + 7] === 0x70; // "MQIsdp"
  return false;
}

/**
 * MQTT stream analyzer. Emits `{ kind: 'mqtt', packetType, clientId?, topic?, topics?, returnCode? }` per control
 * packet, both directions. A packet whose variable header does not parse (a string running past the packet end)
 * still emits its type, without the field, and counts in `malformed`. A fixed header that is garbage (type 0, a
 * 5-octet Remaining Length) counts in `malformed`; parsing resumes at the next segment, and after 4 consecutive
 * errors the direction is abandoned (an MQTT receiver closes the connection on the first, §4.8).
 * Packets longer than the 64 KiB buffer are parsed from their first 64 KiB (the topic of a large PUBLISH is there)
 * and the rest is skipped unbuffered.
 *
 * Cost: O(1) per packet plus the decoded strings; allocation only for the event.
 */
export class MqttAnalyzer extends FramedAnalyzer {
  readonly service = 'mqtt';
  /** Protocol level from the last CONNECT (3, 4, 5), 4 until one is seen. */
  protocolLevel = 4;
  /** Read position of the string reader below (kept on the instance to avoid returning pairs). */
  private pos = 0;

  constructor(_opts: AnalyzerOptions = {}) {
    super({ maxFailures: 4 });
  }

  protected frameLength(b: Uint8Array, o: number, avail: number): number {
    return mqttPacketLength(b, o, avail);
  }

  protected onFrame(b: Uint8Array, o: number, n: number, _total: number, _flow: FlowRef, emit: (e: AppEvent) => void): void {
    const type = b[o]! >> 4;
    const end = o + n;
    let p = o + 1;
    while ((b[p]! & 0x80) !== 0) p++; // Remaining Length octets (frameLength checked there are ≤ 4)
    p++;
    const e: MqttEvent = { kind: 'mqtt', packetType: MQTT_PACKET_TYPES[type] as MqttEvent['packetType'] };
    let ok = true;
    switch (type) {
      case CONNECT:
        ok = this.parseConnect(b, p, end, e);
        break;
      case CONNACK:
        // §3.2.2: acknowledge flags (1), return / reason code (1).
        if (p + 2 <= end) e.returnCode = b[p + 1]!;
        else ok = false;
        break;
      case PUBLISH: {
        const topic = this.readString(b, p, end);
        if (topic === null) ok = false;
        else e.topic = topic;
        break;
      }
      case SUBSCRIBE:
      case UNSUBSCRIBE:
        ok = this.parseFilters(b, p, end, type === SUBSCRIBE, e);
        break;
      default:
        break;
    }
    if (!ok) this.malformed++;
    emit(e);
  }

  /** CONNECT variable header and client identifier (§3.1.2, §3.1.3; 5.0 §3.1.2.11 properties). */
  private parseConnect(b: Uint8Array, p: number, end: number, e: MqttEvent): boolean {
    if (p + 2 > end) return false;
    const nameLen = (b[p]! << 8) | b[p + 1]!;
    p += 2 + nameLen;
    if (p + 4 > end) return false;
    const level = b[p]!;
    if (level >= 3 && level <= LEVEL_5) this.protocolLevel = level;
    p += 4; // level, connect flags, keep alive (2)
    if (level === LEVEL_5) {
      p = this.skipProperties(b, p, end);
      if (p < 0) return false;
    }
    const clientId = this.readString(b, p, end);
    if (clientId === null) return false;
    e.clientId = clientId;
    return true;
  }

  /** SUBSCRIBE / UNSUBSCRIBE: packet identifier, [5.0 properties], topic filters (+ options octet for SUBSCRIBE). */
  private parseFilters(b: Uint8Array, p: number, end: number, subscribe: boolean, e: MqttEvent): boolean {
    p += 2;
    if (p > end) return false;
    if (this.protocolLevel === LEVEL_5) {
      p = this.skipProperties(b, p, end);
      if (p < 0) return false;
    }
    const topics: string[] = [];
    while (p < end) {
      const t = this.readString(b, p, end);
      if (t === null) break;
      topics.push(t);
      p = this.pos + (subscribe ? 1 : 0);
    }
    e.topics = topics;
    // §3.8.3 / §3.10.3: at least one filter; every filter (and its options octet) inside the packet.
    return topics.length > 0 && p === end;
  }

  /** Reads a 2-octet-length UTF-8 string at `p` (§1.5.3); sets `pos` after it; null when it runs past `end`. */
  private readString(b: Uint8Array, p: number, end: number): string | null {
    if (p + 2 > end) return null;
    const len = (b[p]! << 8) | b[p + 1]!;
    const start = p + 2;
    if (start + len > end) return null;
    this.pos = start + len;
    return utf8Slice(b, start, start + len);
  }

  /** Skips an MQTT 5 Properties section (variable byte integer length + bytes, 5.0 §2.2.2.1); -1 if it overruns. */
  private skipProperties(b: Uint8Array, p: number, end: number): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      if (p >= end) return -1;
      const c = b[p++]!;
      value += (c & 0x7f) * multiplier;
      if ((c & 0x80) === 0) return p + value <= end ? p + value : -1;
      multiplier *= 128;
    }
    return -1;
  }
}
