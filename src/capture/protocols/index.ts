/**
 * Application protocol analyzers of the network sensor: service identification and per-flow parsers that turn
 * payload bytes into {@link AppEvent}s for the detectors (brute force from login failures, HTTP exploits from
 * request lines, Modbus writes and diagnostics, MQTT wildcard subscriptions and connect floods).
 */
export type { AnalyzerOptions, AppEvent, Dnp3Event, FlowRef, HttpRequestEvent, LoginEvent, ModbusEvent, MqttEvent, MqttPacketType, ProtocolAnalyzer } from './app-event.js';
export { MQTT_PACKET_TYPES } from './app-event.js';
export { identifyService } from './service-id.js';
export { ServiceTagAnalyzer } from './service-tag.js';
export { MODBUS_TCP_PORT, ModbusAnalyzer } from './modbus.js';
export { DNP3_PORT, Dnp3Analyzer } from './dnp3.js';
export { dnp3Crc } from './dnp3-crc.js';
export { MQTT_PORT, MQTT_TLS_PORT, MqttAnalyzer } from './mqtt.js';
export { HTTP_MAX_LINE, HttpAnalyzer } from './http.js';
export { FTP_PORT, FtpAnalyzer } from './ftp.js';
export { SSH_PORT, SshAnalyzer } from './ssh.js';
export { TELNET_PORT, TelnetAnalyzer } from './telnet.js';
