/**
 * The MQTT topic layout of IPqSEC telemetry: `ipqsec/<site>/<device>/<kind>`, with `<kind>` one of
 * {@link EVENT_TYPES} (`flow`, `robot`, `sensor`). A device publishes its events of one kind to its own topic;
 * the broker and {@link MqttIngest} take the site and device from the topic.
 *
 * Topic syntax follows MQTT 3.1.1 §4.7 (OASIS, 2014): levels are separated by `/`; `+` and `#` are wildcards
 * that a PUBLISH topic must not contain (§4.7.1); topics starting with `$` are reserved for the server (§4.7.2);
 * U+0000 is not allowed in any UTF-8 string (§1.5.3).
 */
import { IpqsecError } from '../core/errors.js';
import { EVENT_TYPES } from '../core/events.js';
import type { EventType } from '../core/events.js';

/** First level of every IPqSEC telemetry topic. */
export const TOPIC_ROOT = 'ipqsec';
/** Subscription filter matching every telemetry topic (one level each for site, device and kind). */
export const TELEMETRY_FILTER = `${TOPIC_ROOT}/+/+/+`;
/** Longest site or device segment, in characters (the event schema's limit for `site`, `sensor_id`, `robot_id`). */
export const MAX_TOPIC_SEGMENT = 64;

/**
 * The topic kind of secure-channel envelopes (`ipqsec/<site>/<device>/secure`): the payload is a DATA envelope
 * (docs/envelope.md) whose plaintext is a JSON array of events of any kind.
 */
export const SECURE_KIND = 'secure';

/** A parsed telemetry topic. */
export interface MqttTopic {
  readonly site: string;
  readonly device: string;
  readonly kind: EventType | typeof SECURE_KIND;
}

const KINDS: ReadonlySet<string> = new Set([...EVENT_TYPES, SECURE_KIND]);

/**
 * Parses a topic without throwing: the {@link MqttTopic}, or a one-line reason (a string) when the topic is not
 * `ipqsec/<site>/<device>/<kind>` with non-empty segments of at most {@link MAX_TOPIC_SEGMENT} characters free of
 * `+`, `#` and U+0000. Cost: one `split`; meant for hot paths (use {@link parseTopic} elsewhere).
 */
export function checkTopic(topic: string): MqttTopic | string {
  if (typeof topic !== 'string') return 'topic is not a string';
  const parts = topic.split('/');
  if (parts.length !== 4) return `expected 4 levels ${TOPIC_ROOT}/<site>/<device>/<kind>, got ${parts.length}`;
  const [root, site, device, kind] = parts as [string, string, string, string];
  if (root !== TOPIC_ROOT) return `first level must be "${TOPIC_ROOT}"`;
  const bad = checkSegment('site', site) ?? checkSegment('device', device);
  if (bad !== undefined) return bad;
  if (!KINDS.has(kind)) return `kind must be one of ${EVENT_TYPES.join(', ')}, ${SECURE_KIND}`;
  return { site, device, kind: kind as MqttTopic['kind'] };
}

function checkSegment(what: string, s: string): string | undefined {
  if (s.length === 0) return `${what} level is empty`;
  if (s.length > MAX_TOPIC_SEGMENT) return `${what} level longer than ${MAX_TOPIC_SEGMENT} characters`;
  if (s.includes('+') || s.includes('#')) return `${what} level contains a wildcard (+ or #)`;
  if (s.includes('\u0000')) return `${what} level contains U+0000`;
  return undefined;
}

/**
 * Parses `ipqsec/<site>/<device>/<kind>`.
 *
 * @throws IpqsecError `IPQ-E006` naming the topic and the reason (see {@link checkTopic} for the rules)
 */
export function parseTopic(topic: string): MqttTopic {
  const r = checkTopic(topic);
  if (typeof r === 'string') {
    throw new IpqsecError('IPQ-E006', `topic ${JSON.stringify(topic)}: ${r}`, { details: { topic } });
  }
  return r;
}

/**
 * Builds the topic for a device's events of one kind (the inverse of {@link parseTopic}).
 *
 * @throws IpqsecError `IPQ-E006` when `site` or `device` is not a valid segment
 */
export function telemetryTopic(site: string, device: string, kind: EventType): string {
  const topic = `${TOPIC_ROOT}/${site}/${device}/${kind}`;
  parseTopic(topic);
  return topic;
}
