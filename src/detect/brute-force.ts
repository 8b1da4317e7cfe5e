/**
 * Password brute force from login outcomes (FTP 530 replies, Telnet login prompts, MQTT CONNACK "bad user name
 * or password", …): many failures from one originator against one service within a window.
 *
 * Thresholds follow Zeek's policy scripts: `FTP::bruteforce_threshold` = 20 failures within
 * `FTP::bruteforce_measurement_interval` = 15 min (policy/protocols/ftp/detect-bruteforcing.zeek), and
 * `SSH::password_guesses_limit` = 30 (policy/protocols/ssh/detect-bruteforcing.zeek). Failures are counted per
 * (originator, service) across responders, as Zeek does, so spraying one password over many servers counts too.
 *
 * | severity | failed logins from orig to one service within `window` (default 900 s)            |
 * | -------- | ---------------------------------------------------------------------------------- |
 * | high     | ≥ 20 failures (Zeek's FTP threshold), or a success after ≥ 10 failures (guessed?;  |
 * |          | reported on its own even right after a high for the failures)                      |
 * | medium   | ≥ 10 failures                                                                       |
 * | low      | ≥ 5 failures                                                                        |
 *
 * A person mistyping a password fails a few times, then succeeds or gives up; five failures in 15 minutes is
 * already unusual. Counting is exact over a sliding window: the last `highFailures` failure times per key are
 * kept in a ring (`Float64Array`), and the count in the window is the number of ring entries within it.
 *
 * Memory: a {@link GenerationalCache} (approximate LRU) of at most `maxKeys` (orig, service) keys (default
 * 16,384), each a ring of `highFailures` doubles (160 B at 20) plus its key and counters, about 300 B: at most
 * ~5 MiB. Logins are rare (one per connection at most), so a call allocates only its key string, and more only
 * when a key is new or a detection is raised. Cost O(highFailures).
 */
import { techniquesFor } from './attack-mapping.js';
import { ALERT_GATE_DEFAULTS, AlertGate, type AlertGateOptions, clip, GenerationalCache, hashString32, isFiniteNumber, type PacketDetection, SaturatingIntSet } from './packet-detection.js';
import type { Severity } from '../core/records.js';

/** A login's outcome as the server answered it. */
export type LoginOutcome = 'success' | 'failure';

/** Options of {@link BruteForceDetector} (times in seconds of event time). */
export interface BruteForceOptions extends AlertGateOptions {
  /** Sliding window (> 0; default 900, Zeek's FTP measurement interval). */
  readonly window: number;
  /** Failures in the window for `low` (≥ 1; default 5). */
  readonly lowFailures: number;
  /** … for `medium`, and the failures before a success that make the success `high` (> low; default 10). */
  readonly mediumFailures: number;
  /** … for `high` (> medium, ≤ 10,000; default 20). Also the ring size per key. */
  readonly highFailures: number;
  /** Largest number of (orig, service) keys (default 16,384). */
  readonly maxKeys: number;
}

/** Defaults (module comment). */
export const BRUTE_FORCE_DEFAULTS: Readonly<BruteForceOptions> = Object.freeze({
  ...ALERT_GATE_DEFAULTS,
  window: 900,
  lowFailures: 5,
  mediumFailures: 10,
  highFailures: 20,
  maxKeys: 16_384,
});

interface LoginState {
  /** Last failure times, a ring of `highFailures`. */
  readonly times: Float64Array;
  head: number;
  filled: number;
  /** Distinct responders and user names among the failures (saturating at 64, for the detail). */
  readonly targets: SaturatingIntSet;
  readonly users: SaturatingIntSet;
  lastRespH: string;
}

/**
 * Brute-force detector (module comment: thresholds, severity table, memory). Call {@link observeLogin} for every
 * login outcome a protocol analyzer reports.
 */
export class BruteForceDetector {
  readonly #o: BruteForceOptions;
  readonly #keys: GenerationalCache<string, LoginState>;
  readonly #gate: AlertGate;

  /** @throws RangeError on an invalid option (thresholds not increasing integers, window not positive). */
  constructor(options: Partial<BruteForceOptions> = {}) {
    const o: BruteForceOptions = { ...BRUTE_FORCE_DEFAULTS, ...options };
    if (!(o.window > 0) || !Number.isFinite(o.window)) throw new RangeError(`window must be a positive finite number of seconds, got ${o.window}`);
    const { lowFailures: l, mediumFailures: m, highFailures: h } = o;
    if (!Number.isInteger(l) || !Number.isInteger(m) || !Number.isInteger(h) || l < 1 || m <= l || h <= m || h > 10_000) {
      throw new RangeError(`thresholds must be integers with 1 <= low < medium < high <= 10000, got ${l}, ${m}, ${h}`);
    }
    this.#o = o;
    this.#keys = new GenerationalCache(o.maxKeys);
    this.#gate = new AlertGate({ reAlertInterval: o.reAlertInterval, maxKeys: o.maxKeys });
  }

  /** Keys held: (orig, service) keys and alert keys (each ≤ `maxKeys`). */
  get sizes(): { keys: number; alertKeys: number } {
    return { keys: this.#keys.size, alertKeys: this.#gate.size };
  }

  /**
   * One login outcome. Returns a Brute Force detection when the failures in the window reach a threshold (or a
   * success follows ≥ `mediumFailures` of them) and the gate lets it through, else null. Invalid input (non-finite
   * `ts`, another outcome) is ignored.
   * @param ts time of the server's answer, epoch seconds.
   * @param service conn.log service (`ftp`, `telnet`, `ssh`, `mqtt`, …).
   * @param user the user name tried, if the analyzer saw it (counted for the detail only; never a password).
   * @param uid the flow's conn.log uid, copied to the detection.
   */
  observeLogin(ts: number, origH: string, respH: string, service: string, outcome: LoginOutcome, user?: string, uid?: string): PacketDetection | null {
    if (!isFiniteNumber(ts) || (outcome !== 'success' && outcome !== 'failure')) return null;
    const key = `${origH}|${service}`;
    const o = this.#o;
    let st = this.#keys.get(key);
    if (outcome === 'success') {
      if (st === undefined) return null;
      const n = this.#failuresInWindow(st, ts);
      if (n < o.mediumFailures) return null;
      return this.#detect(st, ts, origH, respH, service, 'high', true, `a successful ${service} login by ${origH} on ${respH} after ${n} failures in the last ${o.window} s (password guessed?)`, uid);
    }
    if (st === undefined) {
      st = { times: new Float64Array(o.highFailures), head: 0, filled: 0, targets: new SaturatingIntSet(64), users: new SaturatingIntSet(64), lastRespH: respH };
      this.#keys.set(key, st);
    }
    st.times[st.head] = ts;
    st.head = (st.head + 1) % st.times.length;
    if (st.filled < st.times.length) st.filled++;
    st.targets.add(hashString32(respH));
    if (user !== undefined) st.users.add(hashString32(user));
    st.lastRespH = respH;
    const n = this.#failuresInWindow(st, ts);
    const severity: Severity | null = n >= o.highFailures ? 'high' : n >= o.mediumFailures ? 'medium' : n >= o.lowFailures ? 'low' : null;
    if (severity === null) return null;
    const more = n >= o.highFailures ? 'at least ' : '';
    return this.#detect(st, ts, origH, respH, service, severity, false, `${more}${n} failed ${service} logins from ${origH} in the last ${o.window} s`, uid);
  }

  /** Failures of the ring within (ts − window, ts]; later times (out of order) count too. */
  #failuresInWindow(st: LoginState, ts: number): number {
    const from = ts - this.#o.window;
    let n = 0;
    for (let i = 0; i < st.filled; i++) if (st.times[i] > from) n++;
    return n;
  }

  /** `success`: a success after failures has its own gate key, so it is reported even right after a `high`. */
  #detect(st: LoginState, ts: number, origH: string, respH: string, service: string, severity: Severity, success: boolean, what: string, uid: string | undefined): PacketDetection | null {
    if (!this.#gate.admit(`Brute Force|${origH}|${service}${success ? '|success' : ''}`, ts, severity)) return null;
    const users = st.users.size === 0 ? '' : `, ${st.users.saturated ? 'at least ' : ''}${st.users.size} user name(s)`;
    return {
      ts,
      reason: 'Brute Force',
      severity,
      origH,
      respH,
      ...(uid === undefined ? {} : { uid }),
      detail: clip(`${what} (${st.targets.size} server(s)${users}; last ${st.lastRespH})`, 400),
      techniques: techniquesFor('Brute Force', { eventType: 'flow' }),
    };
  }
}
