/**
 * Public surface of `bus/`: MQTT telemetry. The topic layout (`ipqsec/<site>/<device>/<kind>`), the batching
 * ingest that turns messages into `MonitorPort.ingest` calls, the client for an external broker and the embedded
 * aedes broker.
 */
export { checkTopic, MAX_TOPIC_SEGMENT, parseTopic, TELEMETRY_FILTER, telemetryTopic, TOPIC_ROOT } from './mqtt-topic.js';
export type { MqttTopic } from './mqtt-topic.js';
export { connectExternal, MAX_MQTT_PAYLOAD_BYTES, MqttIngest } from './mqtt-ingest.js';
export type { ExternalBrokerOptions, MqttIngestOptions, MqttIngestStats } from './mqtt-ingest.js';
export { startEmbeddedBroker } from './mqtt-broker.js';
export type { EmbeddedBroker, EmbeddedBrokerOptions } from './mqtt-broker.js';
