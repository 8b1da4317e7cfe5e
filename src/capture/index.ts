/**
 * The network sensor's public surface (`ipqsec.capture`): capture readers, the in-place decoder, the flow table,
 * the protocol analyzers, the composed `NetworkSensor`, Zeek/Suricata readers, the conn.log writer and EVE output.
 * See docs/capture.md.
 */
export { CaptureReader, readCaptureBuffer, readCaptureFile, type CaptureFormat, type CaptureSummary } from './capture-reader.js';
export { decodePacket, newDecodeStats, isSupportedLinkType, type DecodeStats } from './decode.js';
export * from './packet.js';
export type { ConnEndReason, ConnProto, ConnRecord } from './conn-record.js';
export { FlowTable, type FlowTableOptions, type FlowTableStats } from './flow-table.js';
export { createUidGenerator, isConnUid } from './conn-uid.js';
export { formatIPv4, formatIPv6 } from './ip-format.js';
export * from './protocols/index.js';
export { NetworkSensor, type NetworkSensorOptions, type OnlineAnomalyOptions } from './sensor.js';
export { connToFlowEvent, unswFlowRow } from './flow-event.js';
export { eveAlert, eveStats, type SensorAlert, type SensorRunStats } from './eve-output.js';
export { ConnLogWriter, formatConnLog, type ConnLogWriterOptions } from './conn-log-writer.js';
export { ZeekConnReader, readZeekConnFile, parseZeekConnText } from './zeek-conn-reader.js';
export { SuricataEveReader, readSuricataEveFile, parseSuricataEveText } from './suricata-eve-reader.js';
