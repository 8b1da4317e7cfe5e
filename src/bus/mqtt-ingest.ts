/**
 * MQTT telemetry to ingest calls: {@link MqttIngest} validates each message against its topic and the event
 * schema and hands valid events to the monitor in batches; {@link connectExternal} feeds it from an external
 * broker (Mosquitto, EMQX, …) with the `mqtt` client.
 *
 * Message contract (topic `ipqsec/<site>/<device>/<kind>`, see mqtt-topic.ts): the payload is UTF-8 JSON, either
 * one event object or an array of 1..{@link MAX_EVENTS_PER_BATCH} event objects, every one of the topic's kind.
 * The topic fills fields the device may leave out and must agree with the ones it sends:
 *
 * | field       | filled from the topic when absent | when present            |
 * | ----------- | --------------------------------- | ----------------------- |
 * | `type`      | `<kind>`                          | must equal `<kind>`     |
 * | `site`      | `<site>` (every kind)             | must equal `<site>`     |
 * | `sensor_id` | `<device>` (sensor events)        | must equal `<device>`   |
 * | `robot_id`  | `<device>` (robot events)         | must equal `<device>`   |
 *
 * A message is all or nothing, like one HTTP request: if any event in it is malformed the whole message is
 * dropped and counted as `malformed`.
 */
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { MqttClient } from 'mqtt';
import { IpqsecError } from '../core/errors.js';
import { MAX_EVENTS_PER_BATCH, parseEvents } from '../core/events.js';
import type { IngestEvent } from '../core/events.js';
import { checkTopic, SECURE_KIND, TELEMETRY_FILTER } from './mqtt-topic.js';
import type { MqttTopic } from './mqtt-topic.js';

/** Largest payload accepted, in bytes (the HTTP ingest's body limit). */
export const MAX_MQTT_PAYLOAD_BYTES = 16 * 1024 * 1024;
/** Parsed topics kept for reuse; the cache is cleared whole when it reaches this size. */
const TOPIC_CACHE_SIZE = 4096;

/** Options of {@link MqttIngest}. */
export interface MqttIngestOptions {
  /** Receives each batch of valid events, in arrival order (the lead passes `MonitorPort.ingest` with source `mqtt`). */
  readonly ingest: (events: IngestEvent[]) => Promise<unknown>;
  /** Id for events that carry none (called once per such event). */
  readonly newId: () => string;
  /** Told about each malformed message (after it is counted); an exception it throws goes to `onError`. */
  readonly onMalformed?: (info: { readonly topic: string; readonly reason: string }) => void;
  /** Told about each failed ingest call (the events of that batch are lost) and callback failures. */
  readonly onError?: (err: unknown) => void;
  /**
   * Opens a secure-channel DATA envelope published to `ipqsec/<site>/<device>/secure` and returns its validated
   * events (throwing names why it was refused: counted as malformed). Absent: such messages are malformed.
   */
  readonly openSecure?: (payload: Uint8Array, topic: MqttTopic) => IngestEvent[];
  /** Flush when this many events are pending. Integer 1..{@link MAX_EVENTS_PER_BATCH}; default 1000. */
  readonly maxBatch?: number;
  /** Flush this many milliseconds after the first pending event. Default 10. */
  readonly maxDelayMs?: number;
  /**
   * Bound on events held (pending plus in ingest calls not yet settled); a message arriving when the bound is
   * reached is dropped and counted in `dropped` (load shedding: the newest is refused, nothing held is evicted).
   * Default 100,000.
   */
  readonly maxBuffered?: number;
}

/** Counter snapshot of {@link MqttIngest}. `received = accepted + malformed + dropped` at all times. */
export interface MqttIngestStats {
  /** Messages given to `handle`. */
  readonly received: number;
  /** Messages whose events were queued for ingest. */
  readonly accepted: number;
  /** Messages rejected for their topic or payload. */
  readonly malformed: number;
  /** Messages refused because `maxBuffered` was reached or the ingest was closed. */
  readonly dropped: number;
  /** Events in accepted messages. */
  readonly events: number;
  /** Ingest calls made, and those that rejected. */
  readonly batches: number;
  readonly ingestErrors: number;
  /** Events waiting for the next flush, and events in ingest calls not yet settled. */
  readonly pending: number;
  readonly inFlight: number;
}

/**
 * Turns MQTT messages into batched ingest calls.
 *
 * Per message: one topic lookup (cached), one `JSON.parse`, one schema pass (`parseEvents`); no timers or
 * promises except the one flush timer per batch. Valid events are appended to a pending batch that is flushed as
 * one ingest call when `maxBatch` events are pending or `maxDelayMs` after the first pending one, whichever comes
 * first; a message's events never straddle two calls (a batch is flushed early instead), so a batch holds at most
 * `max(maxBatch, events of one message)` events. Ingest calls are not awaited before the next one starts: the
 * monitor serialises them in call order, so arrival order is kept.
 *
 * `handle` never throws: a malformed message is counted and reported through `onMalformed`; a failed ingest is
 * counted and reported through `onError`.
 */
export class MqttIngest {
  readonly #ingest: (events: IngestEvent[]) => Promise<unknown>;
  readonly #newId: () => string;
  readonly #onMalformed: ((info: { readonly topic: string; readonly reason: string }) => void) | undefined;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #openSecure: ((payload: Uint8Array, topic: MqttTopic) => IngestEvent[]) | undefined;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #maxBuffered: number;
  readonly #topics = new Map<string, MqttTopic | string>();
  readonly #inFlight = new Set<Promise<void>>();
  #pending: IngestEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #received = 0;
  #accepted = 0;
  #malformed = 0;
  #dropped = 0;
  #events = 0;
  #batches = 0;
  #ingestErrors = 0;
  #inFlightEvents = 0;

  /** @throws RangeError when `maxBatch`, `maxDelayMs` or `maxBuffered` is out of range */
  constructor(opts: MqttIngestOptions) {
    const maxBatch = opts.maxBatch ?? 1000;
    const maxDelayMs = opts.maxDelayMs ?? 10;
    const maxBuffered = opts.maxBuffered ?? 100_000;
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_EVENTS_PER_BATCH) {
      throw new RangeError(`maxBatch must be an integer in 1..${MAX_EVENTS_PER_BATCH}, got ${maxBatch}`);
    }
    if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0) throw new RangeError(`maxDelayMs must be >= 0, got ${maxDelayMs}`);
    if (!Number.isInteger(maxBuffered) || maxBuffered < maxBatch) {
      throw new RangeError(`maxBuffered must be an integer >= maxBatch, got ${maxBuffered}`);
    }
    this.#ingest = opts.ingest;
    this.#newId = opts.newId;
    this.#onMalformed = opts.onMalformed;
    this.#onError = opts.onError;
    this.#openSecure = opts.openSecure;
    this.#maxBatch = maxBatch;
    this.#maxDelayMs = maxDelayMs;
    this.#maxBuffered = maxBuffered;
  }

  /** Messages given to {@link handle}. */
  get received(): number {
    return this.#received;
  }
  /** Messages whose events were queued for ingest. */
  get accepted(): number {
    return this.#accepted;
  }
  /** Messages dropped for a bad topic or payload. */
  get malformed(): number {
    return this.#malformed;
  }
  /** Messages refused for load (`maxBuffered`) or after {@link close}. */
  get dropped(): number {
    return this.#dropped;
  }

  /** A snapshot of every counter. */
  stats(): MqttIngestStats {
    return {
      received: this.#received,
      accepted: this.#accepted,
      malformed: this.#malformed,
      dropped: this.#dropped,
      events: this.#events,
      batches: this.#batches,
      ingestErrors: this.#ingestErrors,
      pending: this.#pending.length,
      inFlight: this.#inFlightEvents,
    };
  }

  /**
   * Takes one MQTT message. Never throws; see the module comment for the payload contract.
   *
   * @param topic the PUBLISH topic
   * @param payload the raw payload bytes (UTF-8 JSON)
   */
  handle(topic: string, payload: Buffer | Uint8Array): void {
    this.#received++;
    if (this.#closed || this.#pending.length + this.#inFlightEvents >= this.#maxBuffered) {
      this.#dropped++;
      return;
    }
    const t = this.#topic(topic);
    if (typeof t === 'string') return this.#reject(topic, t);
    if (!(payload instanceof Uint8Array)) return this.#reject(topic, 'payload is not bytes');
    if (payload.length > MAX_MQTT_PAYLOAD_BYTES) return this.#reject(topic, `payload over ${MAX_MQTT_PAYLOAD_BYTES} bytes`);
    if (t.kind === SECURE_KIND) {
      if (this.#openSecure === undefined) return this.#reject(topic, 'the secure channel is not configured on this service');
      let opened: IngestEvent[];
      try {
        opened = this.#openSecure(payload, t);
      } catch (e) {
        return this.#reject(topic, (e as Error).message);
      }
      if (opened.length === 0) return this.#reject(topic, 'the envelope holds no events');
      return this.#queue(opened);
    }
    let json: unknown;
    try {
      const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
      json = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      return this.#reject(topic, `payload is not JSON: ${(e as Error).message}`);
    }
    const items: unknown[] = Array.isArray(json) ? json : [json];
    if (items.length === 0) return this.#reject(topic, 'payload is an empty array');
    if (items.length > MAX_EVENTS_PER_BATCH) return this.#reject(topic, `${items.length} events in one message (limit ${MAX_EVENTS_PER_BATCH})`);
    for (let i = 0; i < items.length; i++) {
      const bad = bindToTopic(items[i], t);
      if (bad !== undefined) return this.#reject(topic, items.length === 1 ? bad : `event ${i}: ${bad}`);
    }
    let events: IngestEvent[];
    try {
      events = parseEvents(items, this.#newId);
    } catch (e) {
      return this.#reject(topic, (e as Error).message);
    }
    this.#queue(events);
  }

  #queue(events: IngestEvent[]): void {
    this.#accepted++;
    this.#events += events.length;
    if (this.#pending.length > 0 && this.#pending.length + events.length > this.#maxBatch) this.#flushPending();
    if (this.#pending.length === 0) {
      this.#pending = events;
    } else {
      for (const e of events) this.#pending.push(e);
    }
    if (this.#pending.length >= this.#maxBatch) this.#flushPending();
    else this.#timer ??= setTimeout(this.#onTimer, this.#maxDelayMs);
  }

  /** Sends the pending events now and resolves when every ingest call made so far has settled (never rejects). */
  async flush(): Promise<void> {
    if (this.#pending.length > 0) this.#flushPending();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /** Refuses further messages (counted as `dropped`), then flushes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #topic(topic: string): MqttTopic | string {
    let t = this.#topics.get(topic);
    if (t === undefined) {
      t = checkTopic(topic);
      if (this.#topics.size >= TOPIC_CACHE_SIZE) this.#topics.clear();
      if (typeof topic === 'string') this.#topics.set(topic, t);
    }
    return t;
  }

  #reject(topic: string, reason: string): void {
    this.#malformed++;
    if (this.#onMalformed === undefined) return;
    try {
      this.#onMalformed({ topic: String(topic), reason });
    } catch (e) {
      this.#report(e);
    }
  }

  #report(err: unknown): void {
    try {
      this.#onError?.(err);
    } catch {
      // onError itself failed: there is nobody left to tell, and handle() must not throw.
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#pending.length > 0) this.#flushPending();
  };

  #flushPending(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const batch = this.#pending;
    this.#pending = [];
    this.#inFlightEvents += batch.length;
    const p = this.#call(batch);
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async #call(batch: IngestEvent[]): Promise<void> {
    this.#batches++;
    try {
      await this.#ingest(batch);
    } catch (e) {
      this.#ingestErrors++;
      this.#report(e);
    } finally {
      this.#inFlightEvents -= batch.length;
    }
  }
}

/**
 * Fills `type`, `site` and the device id from the topic and checks the ones present (table in the module
 * comment). Mutates `item`, which is a value fresh from `JSON.parse`. Returns a reason when they disagree.
 */
function bindToTopic(item: unknown, t: MqttTopic): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'event is not a JSON object';
  const o = item as Record<string, unknown>;
  const bad = fill(o, 'type', t.kind) ?? fill(o, 'site', t.site);
  if (bad !== undefined) return bad;
  if (t.kind === 'sensor') return fill(o, 'sensor_id', t.device);
  if (t.kind === 'robot') return fill(o, 'robot_id', t.device);
  return undefined;
}

function fill(o: Record<string, unknown>, key: string, value: string): string | undefined {
  const v = Object.hasOwn(o, key) ? o[key] : undefined;
  if (v === undefined) {
    o[key] = value;
    return undefined;
  }
  return v === value ? undefined : `${key} ${JSON.stringify(v)} does not match the topic's ${JSON.stringify(value)}`;
}

/** Options of {@link connectExternal}. */
export interface ExternalBrokerOptions {
  readonly username?: string;
  readonly password?: string;
  /** Default `ipqsec-<8 random hex digits>`. */
  readonly clientId?: string;
  /** Told about connection errors after the first connect (the client keeps reconnecting every second). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Connects to an external broker with MQTT 3.1.1 (`protocolVersion: 4`, clean session), subscribes to
 * {@link TELEMETRY_FILTER} (`ipqsec/+/+/+`) at QoS 1 and feeds every message to `ingest.handle`. After the first
 * connect the client reconnects by itself (every 1 s) and resubscribes.
 *
 * @param url `mqtt://host:port` (or `mqtts://`, `ws://`, `wss://`)
 * @returns a handle whose `close()` disconnects (it does not close `ingest`)
 * @throws IpqsecError `IPQ-S003` when the first connect or the subscription fails (credentials in `url` are not
 *   shown in the message)
 */
export async function connectExternal(
  url: string,
  ingest: MqttIngest,
  opts: ExternalBrokerOptions = {},
): Promise<{ close(): Promise<void> }> {
  const where = redactUrl(url);
  let client: MqttClient;
  try {
    client = await connectAsync(
      url,
      {
        protocolVersion: 4,
        clean: true,
        clientId: opts.clientId ?? `ipqsec-${randomUUID().slice(0, 8)}`,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(opts.username !== undefined ? { username: opts.username } : {}),
        ...(opts.password !== undefined ? { password: opts.password } : {}),
      },
      false,
    );
  } catch (e) {
    throw new IpqsecError('IPQ-S003', `MQTT broker ${where}: ${(e as Error).message}`, { details: { url: where }, cause: e });
  }
  // An 'error' event without a listener would throw out of the client's socket handler.
  client.on('error', (err) => opts.onError?.(err));
  client.on('message', (topic, payload) => ingest.handle(topic, payload));
  try {
    const granted = await client.subscribeAsync(TELEMETRY_FILTER, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${TELEMETRY_FILTER} refused by the broker`);
  } catch (e) {
    await client.endAsync(true);
    throw new IpqsecError('IPQ-S003', `MQTT broker ${where}: ${(e as Error).message}`, { details: { url: where }, cause: e });
  }
  return {
    close: async () => {
      await client.endAsync();
    },
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
