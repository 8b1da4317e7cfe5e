/**
 * Application-level observations made by the protocol analyzers, and the analyzer contract.
 *
 * The sensor identifies a flow's service ({@link ./service-id.ts}), creates one {@link ProtocolAnalyzer} per flow
 * and feeds it every TCP segment / UDP datagram payload of the flow in capture order, both directions
 * interleaved as captured (no reassembly by the caller). The analyzer keeps a small bounded buffer per direction
 * for PDUs split across segments and emits an {@link AppEvent} per observation. Events are rare compared with
 * packets (one per PDU or login), so they are plain objects allocated per observation; the byte paths that run
 * per packet allocate nothing.
 *
 * Service names are the ones Zeek writes in conn.log `service` (`http`, `ftp`, `ssh`, `telnet`, `modbus`,
 * `dnp3`, `mqtt`, `dns`, `ssl`).
 */

/** MQTT control packet types by their 4-bit type value (MQTT 3.1.1 §2.2.1 Table 2.1; MQTT 5.0 §2.1.2, `AUTH`). */
export const MQTT_PACKET_TYPES = [
  'RESERVED',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
] as const;

/** Name of an MQTT control packet type (type 0 is reserved and never emitted). */
export type MqttPacketType = Exclude<(typeof MQTT_PACKET_TYPES)[number], 'RESERVED'>;

/** A login attempt's outcome as the server answered it (FTP reply codes, Telnet prompts). */
export interface LoginEvent {
  kind: 'login';
  /** `ssh` is part of the type for the detectors' sake, but no analyzer emits it: SSH authentication is
   * encrypted (RFC 4253 §7), see `ssh.ts`. */
  service: 'ftp' | 'ssh' | 'telnet';
  outcome: 'success' | 'failure';
  /** The user name the client gave (FTP `USER`, the name typed at a Telnet `login:` prompt), at most 256
   * characters, bytes decoded as Latin-1. Passwords are never reported. */
  user?: string;
}

/** One HTTP/1.x request head (RFC 9112 §3 request line, RFC 9110 §7.2 Host, §10.1.5 User-Agent). */
export interface HttpRequestEvent {
  kind: 'http_request';
  /** Method token as sent (case-sensitive, RFC 9110 §9.1). */
  method: string;
  /** Request target exactly as sent (not percent-decoded), bytes decoded as Latin-1 so that every byte
   * survives; at most 16 KiB of request line is kept (a longer line is cut and counted in `malformed`). */
  uri: string;
  /** `HTTP/1.1` or `HTTP/1.0` (RFC 9112 §2.3); the empty string when the request line was longer than 16 KiB
   * and was cut (the `uri` then holds the target's first bytes). */
  version: string;
  /** Value of the Host header field, leading/trailing whitespace removed; unset when absent. */
  host?: string;
  /** Value of the User-Agent header field; unset when absent. */
  userAgent?: string;
}

/** One Modbus/TCP ADU (MODBUS Messaging on TCP/IP Implementation Guide v1.0b §3.1.3; MODBUS Application
 * Protocol v1.1b3 §4.1, §7). */
export interface ModbusEvent {
  kind: 'modbus';
  /** True for client → server (the side that connected to port 502 or that the identification named). */
  isRequest: boolean;
  /** MBAP transaction identifier, 0..65535. */
  transactionId: number;
  /** MBAP unit identifier, 0..255. */
  unitId: number;
  /** Function code without the exception bit (`fc & 0x7f`, as Wireshark's `modbus.func_code`), 0..127. */
  functionCode: number;
  /** Exception code (v1.1b3 §7: 1 illegal function, 2 illegal data address, …) when the function code byte had
   * bit 0x80 set; unset otherwise. */
  exceptionCode?: number;
  /** FC 8 Diagnostics: the 2-byte sub-function (§6.8; 1 restart communications, 4 force listen-only mode, …);
   * FC 43: the MEI type (§6.19; 14 read device identification). Unset for other function codes and exceptions. */
  subFunction?: number;
}

/** The first transport segment of a DNP3 application fragment (IEEE 1815-2012 §4.2.2.5, §8.2). */
export interface Dnp3Event {
  kind: 'dnp3';
  /** True for request function codes (0x00..0x7f), false for responses (0x81 response, 0x82 unsolicited
   * response, 0x83 authentication response). */
  isRequest: boolean;
  /** Application-layer function code, 0..255 (e.g. 0x01 READ, 0x02 WRITE, 0x05 DIRECT_OPERATE, 0x0d COLD_RESTART). */
  functionCode: number;
  /** Link-layer source address, 0..65535. */
  source: number;
  /** Link-layer destination address, 0..65535. */
  destination: number;
}

/** One MQTT control packet (MQTT 3.1 `MQIsdp`, 3.1.1 and 5.0). */
export interface MqttEvent {
  kind: 'mqtt';
  packetType: MqttPacketType;
  /** CONNECT: the client identifier (may be the empty string, MQTT 3.1.1 §3.1.3.1). */
  clientId?: string;
  /** PUBLISH: the topic name (empty when an MQTT 5 topic alias stands in for it). */
  topic?: string;
  /** SUBSCRIBE / UNSUBSCRIBE: the topic filters in packet order (wildcards `#` and `+` kept as sent). */
  topics?: string[];
  /** CONNACK: the connect return code (3.1.1 §3.2.2.3) or reason code (5.0 §3.2.2.2); 0 = accepted. */
  returnCode?: number;
}

/** Everything an analyzer can observe. */
export type AppEvent = LoginEvent | HttpRequestEvent | ModbusEvent | Dnp3Event | MqttEvent;

/** The flow a payload belongs to, as the caller gives it (conn.log names: uid, orig/resp). */
export interface FlowRef {
  /** Zeek-style connection uid. */
  uid: string;
  /** Time of the packet carrying the payload, epoch seconds. */
  ts: number;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** True when this payload was sent by orig. */
  fromOrig: boolean;
}

/**
 * Per-flow, per-protocol parser state. One instance per flow; not shared between flows.
 *
 * Contract (checked for every implementation by `protocol-analyzer.case.ts`):
 * - `feed` gets each TCP segment / UDP datagram payload `data[off, off + len)` in capture order, both
 *   directions interleaved. The bytes are only read during the call (the caller may reuse the buffer).
 * - `feed` never throws on any bytes: malformed input is counted in `malformed` and the analyzer
 *   resynchronises or stops parsing that direction. Out-of-range `off`/`len` are clamped to `data`.
 * - Splitting the same byte stream into different segments yields the same events.
 * - Memory is bounded: at most a few buffers of ≤ 64 KiB per analyzer.
 */
export interface ProtocolAnalyzer {
  /** conn.log service name (`http`, `modbus`, …). */
  readonly service: string;
  /** PDUs, lines or frames found malformed so far (framing errors, bad CRCs, oversized lines). */
  readonly malformed: number;
  /** True when orig is the client (requests, commands, logins come from orig); unset for analyzers without roles. */
  readonly clientIsOrig?: boolean;
  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, emit: (e: AppEvent) => void): void;
}

/** Options common to the TCP analyzers: which side is the client. */
export interface AnalyzerOptions {
  /** True when orig is the client (sends requests / commands / CONNECT). Default true. Identification
   * decides it from the well-known port or from who sent the first request-like payload. */
  clientIsOrig?: boolean;
}
