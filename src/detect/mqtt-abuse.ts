/**
 * MQTT abuse: subscriptions that collect every topic, and CONNECT floods.
 *
 * Wildcard subscriptions (MQTT 3.1.1 §4.7.1; MQTT 5.0 §4.7): `#` matches every topic, and a filter made only of
 * `+` levels followed by `#` (`+/#`, `+/+/#`) matches every topic at least that deep; either way the subscriber
 * receives all the telemetry of the broker's devices. Shared subscriptions (`$share/<group>/<filter>`, MQTT 5.0
 * §4.8.2) and EMQX's `$queue/<filter>` are judged by their inner filter. Wildcards at the start of a filter never
 * match topics beginning with `$` (3.1.1 §4.7.2), so the broker's own statistics are read with `$SYS/...#`
 * filters: broker version, uptime, connected clients.
 *
 * | severity | evidence                                                                                   |
 * | -------- | ------------------------------------------------------------------------------------------ |
 * | medium   | an all-topics filter (`#`, `+/#`, …) from a host not in `allowedSubscribers`                |
 * | low      | a `$SYS/` filter ending in `#` (broker reconnaissance; monitoring dashboards do it too)      |
 * | high     | CONNECT flood: decayed CONNECT count ≥ 500 from one source to one broker                     |
 * | medium   | … ≥ 100                                                                                     |
 * | low      | … ≥ 30                                                                                      |
 *
 * Historians, bridges and loggers legitimately subscribe to `#`: list them in `allowedSubscribers`.
 *
 * CONNECT flood: per (source, broker) an exponentially decayed count of CONNECT packets, `c ← c·2^(−Δt/h) + 1`
 * with half-life `h` (default 10 s), the damped window of Kitsune's AfterImage (Mirsky et al., NDSS 2018 §IV-B)
 * with one decay rate. A burst of N connects within a few seconds gives c ≈ N; a steady rate of r per second
 * settles at `1/(1 − 2^(−1/(r·h)))` ≈ r·h/ln 2, so the thresholds 30 / 100 / 500 are bursts of that many connects,
 * or ~2 / 7 / 35 connects per second sustained. A client in a reconnect loop once a second settles at 14.9 and is
 * not reported; a NAT'd gateway re-connecting 100 devices at once after an outage is (medium), which is worth a
 * look anyway. Two numbers per key, no allocation after the key exists.
 *
 * Authentication failures (CONNACK return code 4/5, MQTT 3.1.1 §3.2.2.3) are login failures: feed them to
 * `BruteForceDetector` with service `mqtt`.
 *
 * Memory: a {@link GenerationalCache} (approximate LRU) of at most `maxSources` (source, broker) keys (default
 * 65,536; ~100 B each, ~6.5 MiB).
 */
import type { Severity } from '../core/records.js';
import { techniquesFor } from './attack-mapping.js';
import { ALERT_GATE_DEFAULTS, AlertGate, type AlertGateOptions, clip, GenerationalCache, isFiniteNumber, type PacketDetection } from './packet-detection.js';

/** Options of {@link MqttAbuseDetector} (times in seconds of event time). */
export interface MqttAbuseOptions extends AlertGateOptions {
  /** Half-life of the decayed CONNECT count (> 0; default 10). */
  readonly floodHalfLife: number;
  /** Decayed CONNECT counts for low, medium, high (increasing, ≥ 2; default 30, 100, 500). */
  readonly floodLow: number;
  readonly floodMedium: number;
  readonly floodHigh: number;
  /** Hosts allowed to subscribe to all topics (historians, bridges; default none). */
  readonly allowedSubscribers: Iterable<string>;
  /** Largest number of (source, broker) keys for the flood counts (default 65,536). */
  readonly maxSources: number;
}

/** Defaults (module comment). */
export const MQTT_ABUSE_DEFAULTS: Readonly<MqttAbuseOptions> = Object.freeze({
  ...ALERT_GATE_DEFAULTS,
  floodHalfLife: 10,
  floodLow: 30,
  floodMedium: 100,
  floodHigh: 500,
  allowedSubscribers: Object.freeze([]) as readonly string[],
  maxSources: 65_536,
});

/** Topic filters looked at per SUBSCRIBE (the rest are ignored; a SUBSCRIBE rarely carries more than a few). */
const MAX_FILTERS = 64;

/**
 * What a topic filter covers: `all` (every topic, or every topic from some depth), `sys` (a `$SYS/…/#` filter),
 * or null (anything narrower). Pure; exported for tests.
 */
export function classifyTopicFilter(filter: string): 'all' | 'sys' | null {
  if (typeof filter !== 'string' || filter.length === 0 || filter.length > 65_535) return null;
  let f = filter;
  if (f.startsWith('$share/')) {
    const slash = f.indexOf('/', 7);
    if (slash < 0) return null;
    f = f.slice(slash + 1);
  } else if (f.startsWith('$queue/')) {
    f = f.slice(7);
  }
  if (!f.endsWith('#') || (f.length > 1 && f[f.length - 2] !== '/')) return null;
  if (f.startsWith('$SYS/')) return 'sys';
  // Every level before the final '#' must be '+': "#", "+/#", "+/+/#".
  for (let i = 0; i < f.length - 1; i += 2) {
    if (f[i] !== '+' || f[i + 1] !== '/') return null;
  }
  return 'all';
}

interface FloodState {
  count: number;
  ts: number;
  clientId: string;
}

/**
 * MQTT wildcard-subscription and CONNECT-flood detector (module comment: filters, severity table, decay,
 * memory). Call {@link observeSubscribe} for every SUBSCRIBE and {@link observeConnect} for every CONNECT an
 * analyzer reports.
 */
export class MqttAbuseDetector {
  readonly #o: MqttAbuseOptions;
  readonly #allowed: ReadonlySet<string>;
  readonly #floods: GenerationalCache<string, FloodState>;
  readonly #gate: AlertGate;

  /** @throws RangeError on an invalid option. */
  constructor(options: Partial<MqttAbuseOptions> = {}) {
    const o: MqttAbuseOptions = { ...MQTT_ABUSE_DEFAULTS, ...options };
    if (!(o.floodHalfLife > 0) || !Number.isFinite(o.floodHalfLife)) throw new RangeError(`floodHalfLife must be a positive finite number of seconds, got ${o.floodHalfLife}`);
    if (!(o.floodLow >= 2 && o.floodMedium > o.floodLow && o.floodHigh > o.floodMedium && Number.isFinite(o.floodHigh))) {
      throw new RangeError(`flood thresholds must satisfy 2 <= low < medium < high < Infinity, got ${o.floodLow}, ${o.floodMedium}, ${o.floodHigh}`);
    }
    this.#o = o;
    this.#allowed = new Set(o.allowedSubscribers);
    this.#floods = new GenerationalCache(o.maxSources);
    this.#gate = new AlertGate(o);
  }

  /** Keys held (each bounded by its option). */
  get sizes(): { sources: number; alertKeys: number } {
    return { sources: this.#floods.size, alertKeys: this.#gate.size };
  }

  /**
   * One SUBSCRIBE. Returns an MQTT Wildcard Subscription detection for the widest filter in it (all topics
   * before `$SYS`), gate permitting, else null. Ignored: non-finite `ts`, a non-array `topics`; only the first 64
   * filters are looked at.
   * @param ts packet time, epoch seconds.
   * @param topics the topic filters as sent.
   */
  observeSubscribe(ts: number, origH: string, respH: string, topics: readonly string[], uid?: string): PacketDetection | null {
    if (!isFiniteNumber(ts) || !Array.isArray(topics)) return null;
    let kind: 'all' | 'sys' | null = null;
    let which = '';
    for (let i = 0; i < topics.length && i < MAX_FILTERS; i++) {
      const k = classifyTopicFilter(topics[i]);
      if (k === 'all' || (k === 'sys' && kind === null)) {
        kind = k;
        which = topics[i];
        if (k === 'all') break;
      }
    }
    if (kind === null) return null;
    if (kind === 'all' && this.#allowed.has(origH)) return null;
    const severity: Severity = kind === 'all' ? 'medium' : 'low';
    if (!this.#gate.admit(`MQTT Wildcard Subscription|${origH}|${respH}|${kind}`, ts, severity)) return null;
    return {
      ts,
      reason: 'MQTT Wildcard Subscription',
      severity,
      origH,
      respH,
      ...(uid === undefined ? {} : { uid }),
      detail: clip(
        kind === 'all'
          ? `${origH} subscribed to "${which}" on ${respH}: every topic's telemetry`
          : `${origH} subscribed to "${which}" on ${respH}: the broker's $SYS statistics`,
        300,
      ),
      techniques: techniquesFor('MQTT Wildcard Subscription', { eventType: 'flow', mqttSys: kind === 'sys' }),
    };
  }

  /**
   * One CONNECT. Returns an MQTT Connect Flood detection when the decayed count from `origH` to `respH` reaches a
   * threshold, gate permitting, else null. Ignored: non-finite `ts`.
   * @param ts packet time, epoch seconds.
   * @param clientId the CONNECT's client identifier (in the detail only).
   */
  observeConnect(ts: number, origH: string, respH: string, clientId?: string, uid?: string): PacketDetection | null {
    if (!isFiniteNumber(ts)) return null;
    const o = this.#o;
    const key = `${origH}|${respH}`;
    let st = this.#floods.get(key);
    if (st === undefined) {
      st = { count: 0, ts, clientId: '' };
      this.#floods.set(key, st);
    }
    // Damped count (AfterImage): decay by 2^(−Δt/h); an earlier time (out of order) does not decay.
    if (ts > st.ts) {
      st.count *= 2 ** (-(ts - st.ts) / o.floodHalfLife);
      st.ts = ts;
    }
    st.count += 1;
    if (typeof clientId === 'string') st.clientId = clientId;
    const c = st.count;
    const severity: Severity | null = c >= o.floodHigh ? 'high' : c >= o.floodMedium ? 'medium' : c >= o.floodLow ? 'low' : null;
    if (severity === null || !this.#gate.admit(`MQTT Connect Flood|${origH}|${respH}`, ts, severity)) return null;
    return {
      ts,
      reason: 'MQTT Connect Flood',
      severity,
      origH,
      respH,
      ...(uid === undefined ? {} : { uid }),
      detail: clip(`${origH} sent about ${Math.round(c)} CONNECTs to ${respH} (count decayed with a ${o.floodHalfLife} s half-life); last client id "${st.clientId}"`, 300),
      techniques: techniquesFor('MQTT Connect Flood', { eventType: 'flow' }),
    };
  }
}
