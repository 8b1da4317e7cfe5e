/**
 * Service identification: picks the analyzer for a flow from its transport, ports and first payload bytes, the
 * way Zeek's dynamic protocol detection does (a payload signature, confirmed by the parser), with the well-known
 * port as a hint where the payload alone is ambiguous.
 *
 * Rules, in order (first match wins); "client" is the side that sends requests:
 * | service | evidence | client |
 * |---|---|---|
 * | ssh | `SSH-` + digit, any port (RFC 4253 §4.2) | resp port 22 → orig; orig port 22 → resp; else orig |
 * | http | a known method + SP + `/`, `*` or `http` (RFC 9112 §3), any port | the sender |
 * | http | `HTTP/1.` + digit status-line (RFC 9112 §4), any port | the receiver |
 * | mqtt | CONNECT with protocol name `MQTT`/`MQIsdp` (MQTT 3.1.1 §3.1.2.1), any port | the sender |
 * | dnp3 | `05 64` header block with a correct CRC (IEEE 1815-2012 §9.2.4), any port, TCP or UDP | — |
 * | ssl | TLS handshake record with a ClientHello/ServerHello (RFC 8446 §5.1, §4), any TCP port | — |
 * | ftp | `220` greeting naming "FTP", any port | the receiver |
 * | telnet | IAC WILL/WONT/DO/DONT (RFC 854), any port | by port 23, else orig |
 * | modbus | TCP port 502 and a plausible MBAP header (Modbus/TCP Guide v1.0b §3.1.3) | the side talking to 502 |
 * | mqtt | TCP port 1883/8883 and a valid fixed header (MQTT 3.1.1 §2.2) | the side talking to 1883/8883 |
 * | ftp | TCP port 21 and a reply code or a 3–4 letter command (RFC 959 §4) | the side talking to 21 |
 * | ssh | TCP port 22 and a text line (a server's lines before its identification string, RFC 4253 §4.2) | the side talking to 22 |
 * | telnet | TCP port 23, any payload | the side talking to 23 |
 * | dns | port 53 (TCP, UDP), 5353 mDNS or 5355 LLMNR (UDP), with a plausible header (RFC 1035 §4.1.1) | — |
 *
 * MQTT over TLS on 8883 starts with a ClientHello and is named `ssl`, as Zeek names it; its MQTT is not visible.
 * `identifyService` is stateless: a caller that gets null for a flow's first payload may call it again with the
 * next payloads (the first segment may be a fragment of something else, e.g. a capture that starts mid-flow).
 */
import { clampRange } from './_bytes.js';
import type { ProtocolAnalyzer } from './app-event.js';
import { Dnp3Analyzer, looksLikeDnp3 } from './dnp3.js';
import { FTP_PORT, FtpAnalyzer, looksLikeFtpGreeting, looksLikeFtpLine } from './ftp.js';
import { HttpAnalyzer, looksLikeHttpRequest, looksLikeHttpResponse } from './http.js';
import { looksLikeModbus, MODBUS_TCP_PORT, ModbusAnalyzer } from './modbus.js';
import { looksLikeMqttConnect, MQTT_PORT, MQTT_TLS_PORT, MqttAnalyzer, mqttPacketLength } from './mqtt.js';
import { ServiceTagAnalyzer } from './service-tag.js';
import { looksLikeSsh, SSH_PORT, SshAnalyzer } from './ssh.js';
import { looksLikeTelnet, TELNET_PORT, TelnetAnalyzer } from './telnet.js';

/** DNS ports: DNS (RFC 1035 §4.2), mDNS (RFC 6762 §3), LLMNR (RFC 4795 §2). */
const DNS_PORT = 53;
const MDNS_PORT = 5353;
const LLMNR_PORT = 5355;

const RANGE = new Int32Array(1);

/**
 * Chooses the analyzer for a new flow, or null when nothing matches (the caller may retry on later payloads).
 * `data[off, off + len)` is the first payload seen, sent by orig when `fromOrig`. Returns a fresh analyzer per
 * call (analyzers are per flow). Never throws; out-of-range `off`/`len` are clamped; an empty payload gives null.
 * Cost: a few byte comparisons (the HTTP method list is the longest check, 18 methods).
 */
export function identifyService(proto: 'tcp' | 'udp', origP: number, respP: number, data: Uint8Array, off: number, len: number, fromOrig: boolean): ProtocolAnalyzer | null {
  const end = clampRange(data, off, len, RANGE);
  const o = RANGE[0]!;
  const n = end - o;
  if (n <= 0) return null;

  if (proto === 'udp') {
    if (looksLikeDnp3(data, o, n)) return new Dnp3Analyzer({ datagram: true });
    if (isUdpDnsPort(origP) || isUdpDnsPort(respP)) return looksLikeDnsHeader(data, o, n) ? new ServiceTagAnalyzer('dns') : null;
    return null;
  }

  // Payload signatures, any port.
  if (looksLikeSsh(data, o, n)) return new SshAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, SSH_PORT, SSH_PORT, true) });
  if (looksLikeHttpRequest(data, o, n)) return new HttpAnalyzer({ clientIsOrig: fromOrig });
  if (looksLikeHttpResponse(data, o, n)) return new HttpAnalyzer({ clientIsOrig: !fromOrig });
  if (looksLikeMqttConnect(data, o, n)) return new MqttAnalyzer({ clientIsOrig: fromOrig });
  if (looksLikeDnp3(data, o, n)) return new Dnp3Analyzer();
  if (looksLikeTlsHello(data, o, n)) return new ServiceTagAnalyzer('ssl');
  if (looksLikeFtpGreeting(data, o, n)) return new FtpAnalyzer({ clientIsOrig: !fromOrig });
  if (looksLikeTelnet(data, o, n)) return new TelnetAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, TELNET_PORT, TELNET_PORT, true) });

  // Well-known ports, with a plausibility check of the payload.
  if (origP === MODBUS_TCP_PORT || respP === MODBUS_TCP_PORT) {
    if (looksLikeModbus(data, o, n)) return new ModbusAnalyzer({ clientIsOrig: respP === MODBUS_TCP_PORT });
  }
  if (isMqttPort(origP) || isMqttPort(respP)) {
    if (mqttPacketLength(data, o, n) > 0) return new MqttAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, MQTT_PORT, MQTT_TLS_PORT, true) });
  }
  if (origP === FTP_PORT || respP === FTP_PORT) {
    if (looksLikeFtpLine(data, o, n)) return new FtpAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, FTP_PORT, FTP_PORT, true) });
  }
  if (origP === TELNET_PORT || respP === TELNET_PORT) return new TelnetAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, TELNET_PORT, TELNET_PORT, true) });
  if (origP === SSH_PORT || respP === SSH_PORT) {
    // RFC 4253 §4.2: a server may send text lines before its identification string.
    if (looksLikeTextLine(data, o, n)) return new SshAnalyzer({ clientIsOrig: clientIsOrigByPort(origP, respP, SSH_PORT, SSH_PORT, true) });
  }
  if (origP === DNS_PORT || respP === DNS_PORT) {
    // DNS over TCP: a 2-octet length prefix, then the message (RFC 1035 §4.2.2).
    if (n >= 14 && looksLikeDnsHeader(data, o + 2, n - 2)) return new ServiceTagAnalyzer('dns');
  }
  return null;
}

/** True when the payload up to its first LF (or its end) is printable ASCII text (HT, CR allowed). */
function looksLikeTextLine(b: Uint8Array, o: number, n: number): boolean {
  const end = o + Math.min(n, 256);
  for (let i = o; i < end; i++) {
    const c = b[i]!;
    if (c === 0x0a) return i > o;
    if ((c < 0x20 || c > 0x7e) && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** True when orig is the client: resp uses one of the server ports; false when orig does; else `fallback`. */
function clientIsOrigByPort(origP: number, respP: number, portA: number, portB: number, fallback: boolean): boolean {
  if (respP === portA || respP === portB) return true;
  if (origP === portA || origP === portB) return false;
  return fallback;
}

function isMqttPort(p: number): boolean {
  return p === MQTT_PORT || p === MQTT_TLS_PORT;
}

function isUdpDnsPort(p: number): boolean {
  return p === DNS_PORT || p === MDNS_PORT || p === LLMNR_PORT;
}

/**
 * A plausible DNS header (RFC 1035 §4.1.1): 12 octets, an assigned OPCODE (0 QUERY, 1 IQUERY, 2 STATUS, 4 NOTIFY,
 * 5 UPDATE, 6 DSO; IANA DNS parameters), at most 64 questions and 4,096 records per section.
 */
function looksLikeDnsHeader(b: Uint8Array, o: number, n: number): boolean {
  if (n < 12) return false;
  const opcode = (b[o + 2]! >> 3) & 0x0f;
  if (opcode === 3 || opcode > 6) return false;
  const qd = (b[o + 4]! << 8) | b[o + 5]!;
  const an = (b[o + 6]! << 8) | b[o + 7]!;
  const ns = (b[o + 8]! << 8) | b[o + 9]!;
  const ar = (b[o + 10]! << 8) | b[o + 11]!;
  return qd <= 64 && an <= 4096 && ns <= 4096 && ar <= 4096;
}

/**
 * A TLS handshake record carrying a ClientHello (1) or ServerHello (2): content type 22, legacy version 3.0..3.4,
 * record length 1..2^14 + 2048 (RFC 8446 §5.1, §5.2; RFC 5246 §6.2), handshake type at octet 5 (RFC 8446 §4).
 */
function looksLikeTlsHello(b: Uint8Array, o: number, n: number): boolean {
  if (n < 6 || b[o] !== 22 || b[o + 1] !== 3 || b[o + 2]! > 4) return false;
  const length = (b[o + 3]! << 8) | b[o + 4]!;
  return length > 0 && length <= 16_384 + 2048 && (b[o + 5] === 1 || b[o + 5] === 2);
}
