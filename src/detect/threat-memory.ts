/**
 * Threat memory: one {@link EntityState} per entity (`ip:…`, `robot:…`, `sensor:…`), updated event by event.
 *
 * Decay (exponential, half-life `halfLifeMs`, the damped-window decay 2^(−Δt/halfLife) of Kitsune's AfterImage,
 * Mirsky et al., NDSS 2018):
 * - `recurrence` is a decayed count of suspicious events (risk ≥ `suspiciousAt`), stored as of `last_seen_ms`:
 *   at time t ≥ last_seen its value is recurrence · 2^(−(t − last_seen)/halfLife). An event at t adds 1 (if
 *   suspicious) after decaying the count to t. An event older than `last_seen_ms` (out of order) adds its decayed
 *   weight 2^(−(last_seen − t)/halfLife), which is exactly the count that event would have left by last_seen.
 * - `ewma_risk` is an exponentially weighted moving average over unevenly spaced events (Eckner, "Algorithms
 *   for unevenly spaced time series", 2019, §4): the old mean keeps weight w = (1 − ewmaAlpha) · 2^(−Δt/halfLife)
 *   and the new risk gets 1 − w. Back-to-back events move it by `ewmaAlpha`; after a long quiet gap the mean
 *   follows the new risk. Out-of-order events use Δt = 0.
 *
 * Order of use by the engine: read {@link ThreatMemory.recurrenceAt} (before the event) to compute escalation,
 * then {@link ThreatMemory.update} with the event's final risk.
 *
 * Bound and eviction: at most `maxEntities` states, evicting the least recently *updated* (or loaded) entity
 * (LRU over a `Map`'s insertion order; reads do not refresh). States changed since the last
 * {@link ThreatMemory.drainDirty} are also kept in the dirty set, so an entity evicted before it was drained is
 * still handed to the store once; the dirty set holds at most `maxEntities` + (evictions since the last drain)
 * states. `update` allocates one state object; everything else is O(1) per call.
 */
import type { EpochMs } from '../core/events.js';
import { riskClassOf, type EntityState, type RiskClass } from '../core/records.js';

/** Options of {@link ThreatMemory}. */
export interface ThreatMemoryOptions {
  /** Half-life of recurrence and of the old mean's weight in the EWMA, in ms (finite, > 0). Default 6 h. */
  readonly halfLifeMs: number;
  /** EWMA weight of a new event when no time has passed, in (0, 1]. Default 0.2. */
  readonly ewmaAlpha: number;
  /** Event risk at or above which an event is suspicious and recurrence grows by 1, in [0, 1]. Default 0.4 (Medium). */
  readonly suspiciousAt: number;
  /** Most entity states held (integer ≥ 1); beyond it the least recently updated is evicted. Default 200,000. */
  readonly maxEntities: number;
}

/** Defaults of {@link ThreatMemoryOptions}. */
export const THREAT_MEMORY_DEFAULTS: Readonly<ThreatMemoryOptions> = Object.freeze({
  halfLifeMs: 6 * 3_600_000,
  ewmaAlpha: 0.2,
  suspiciousAt: 0.4,
  maxEntities: 200_000,
});

/** One scored event as threat memory sees it. */
export interface ThreatObservation {
  /** Final risk of the event in [0, 1]. */
  readonly risk: number;
  /** Event time, epoch ms (finite). */
  readonly tsMs: EpochMs;
  /** Whether the event raised an alert (counted in `alerts`). */
  readonly alerted: boolean;
  /** Device risk class to store (sensors: from the sensor detectors); when absent, `riskClassOf(ewma_risk)`. */
  readonly riskClass?: RiskClass;
  /**
   * The evidence that makes the event count towards `recurrence` (default: `risk`). The engine passes the
   * strongest single detector signal (rule or ML), so that the α-weighted blend of the final risk does not hide a
   * mildly suspicious event from the recurrence count.
   */
  readonly evidence?: number;
}

/** Risk class of a host or robot: from the larger of its EWMA risk and its scan exposure. */
function hostClass(ewma: number, exposure: number): RiskClass {
  return riskClassOf(Math.max(ewma, exposure));
}

/** Per-entity threat memory; see the file comment for the decay rules, the bound and eviction. */
export class ThreatMemory {
  private readonly opts: ThreatMemoryOptions;
  /** ln 2 / halfLife, so 2^(−Δt/halfLife) = exp(−Δt · lambda). */
  private readonly lambda: number;
  /** Insertion order = least recently updated first. */
  private readonly states = new Map<string, EntityState>();
  private readonly dirty = new Map<string, EntityState>();
  private evicted = 0;

  /**
   * @param options overrides of {@link THREAT_MEMORY_DEFAULTS}
   * @throws RangeError when an option is out of its range
   */
  constructor(options: Partial<ThreatMemoryOptions> = {}) {
    const o = { ...THREAT_MEMORY_DEFAULTS, ...options };
    if (!(o.halfLifeMs > 0) || !Number.isFinite(o.halfLifeMs)) throw new RangeError(`halfLifeMs must be a finite number > 0, got ${o.halfLifeMs}`);
    if (!(o.ewmaAlpha > 0 && o.ewmaAlpha <= 1)) throw new RangeError(`ewmaAlpha must be in (0, 1], got ${o.ewmaAlpha}`);
    if (!(o.suspiciousAt >= 0 && o.suspiciousAt <= 1)) throw new RangeError(`suspiciousAt must be in [0, 1], got ${o.suspiciousAt}`);
    if (!Number.isInteger(o.maxEntities) || o.maxEntities < 1) throw new RangeError(`maxEntities must be an integer >= 1, got ${o.maxEntities}`);
    this.opts = Object.freeze(o);
    this.lambda = Math.LN2 / o.halfLifeMs;
  }

  /** The options in force. */
  get options(): Readonly<ThreatMemoryOptions> {
    return this.opts;
  }

  /** Number of entity states held (≤ `maxEntities`). */
  get size(): number {
    return this.states.size;
  }

  /** Number of states evicted so far (LRU bound). */
  get evictions(): number {
    return this.evicted;
  }

  /** The state of `entity` as of its `last_seen_ms` (not decayed to now), or undefined. Never mutated later. */
  get(entity: string): EntityState | undefined {
    return this.states.get(entity);
  }

  /** Whether `entity` has a state in memory. */
  has(entity: string): boolean {
    return this.states.has(entity);
  }

  /**
   * Warm start from stored states (for example after a restart). A state replaces the one in memory unless
   * that one was seen later (`last_seen_ms`). Loaded states are not marked dirty; the LRU bound applies (with
   * more than `maxEntities` states, the last ones given are kept).
   */
  load(states: readonly EntityState[]): void {
    for (const s of states) {
      const cur = this.states.get(s.entity);
      if (cur !== undefined && cur.last_seen_ms > s.last_seen_ms) continue;
      this.put(s);
    }
  }

  /**
   * Recurrence of `entity` decayed to `tsMs`: recurrence · 2^(−(tsMs − last_seen_ms)/halfLife); 0 for an
   * unknown entity. For `tsMs` before `last_seen_ms` the stored value is returned (no un-decay).
   */
  recurrenceAt(entity: string, tsMs: EpochMs): number {
    const s = this.states.get(entity);
    if (s === undefined) return 0;
    return s.recurrence * this.decay(tsMs - s.last_seen_ms);
  }

  /**
   * Applies one event to `entity` and returns the new state. With `commit` false nothing changes (not the
   * state, the LRU order, the dirty set nor the eviction count) and the state it would have is returned.
   * @param kind the entity's kind (kept from the first event; used for a new entity)
   * @throws RangeError when `risk` is not in [0, 1] or `tsMs` is not finite
   */
  update(entity: string, kind: EntityState['kind'], obs: ThreatObservation, commit: boolean): EntityState {
    const { risk, tsMs } = obs;
    if (!(risk >= 0 && risk <= 1)) throw new RangeError(`risk must be in [0, 1], got ${risk}`);
    if (!Number.isFinite(tsMs)) throw new RangeError(`tsMs must be finite, got ${tsMs}`);
    const suspicious = (obs.evidence ?? risk) >= this.opts.suspiciousAt ? 1 : 0;
    const prev = this.states.get(entity);
    let next: EntityState;
    if (prev === undefined) {
      next = {
        entity,
        kind,
        first_seen_ms: tsMs,
        last_seen_ms: tsMs,
        events: 1,
        alerts: obs.alerted ? 1 : 0,
        recurrence: suspicious,
        max_risk: risk,
        ewma_risk: risk,
        risk_class: obs.riskClass ?? riskClassOf(risk),
        exposure: 0,
      };
    } else {
      const dt = tsMs - prev.last_seen_ms;
      let recurrence: number;
      let ewma: number;
      if (dt >= 0) {
        recurrence = prev.recurrence * this.decay(dt) + suspicious;
        const w = (1 - this.opts.ewmaAlpha) * this.decay(dt);
        ewma = w * prev.ewma_risk + (1 - w) * risk;
      } else {
        // Out of order: the count stays as of last_seen, the late event adds what it would have left by then.
        recurrence = prev.recurrence + suspicious * this.decay(-dt);
        ewma = (1 - this.opts.ewmaAlpha) * prev.ewma_risk + this.opts.ewmaAlpha * risk;
      }
      next = {
        entity,
        kind: prev.kind,
        first_seen_ms: Math.min(prev.first_seen_ms, tsMs),
        last_seen_ms: Math.max(prev.last_seen_ms, tsMs),
        events: prev.events + 1,
        alerts: prev.alerts + (obs.alerted ? 1 : 0),
        recurrence,
        max_risk: Math.max(prev.max_risk, risk),
        ewma_risk: ewma,
        risk_class: obs.riskClass ?? hostClass(ewma, prev.exposure),
        exposure: prev.exposure,
      };
    }
    if (commit) {
      this.put(next);
      this.dirty.set(entity, next);
    }
    return next;
  }

  /**
   * Sets the exposure of host `entity` from a vulnerability scan finished at `tsMs` (see `scan/exposure.ts`) and
   * returns the new state; the state is marked dirty. A host never seen gets a state with no events
   * (`first_seen_ms` = `last_seen_ms` = `tsMs`). Recurrence, the EWMA and the counts are unchanged (a scan is not
   * an event of the host); `last_seen_ms` does not move, so decay is unaffected; the risk class becomes the larger
   * of the EWMA's and the exposure's (an exposed host with a known-exploited service is High until fixed).
   * `alerts` (default 0) is added to the host's alert count: the scan alerts raised about it.
   * @throws RangeError when `exposure` is not in [0, 1], `tsMs` is not finite or `alerts` is not an integer ≥ 0
   */
  setExposure(entity: string, exposure: number, tsMs: EpochMs, alerts = 0): EntityState {
    if (!(exposure >= 0 && exposure <= 1)) throw new RangeError(`exposure must be in [0, 1], got ${exposure}`);
    if (!Number.isFinite(tsMs)) throw new RangeError(`tsMs must be finite, got ${tsMs}`);
    if (!Number.isInteger(alerts) || alerts < 0) throw new RangeError(`alerts must be an integer >= 0, got ${alerts}`);
    const prev = this.states.get(entity);
    const next: EntityState =
      prev === undefined
        ? { entity, kind: 'ip', first_seen_ms: tsMs, last_seen_ms: tsMs, events: 0, alerts, recurrence: 0, max_risk: 0, ewma_risk: 0, risk_class: riskClassOf(exposure), exposure }
        : { ...prev, exposure, alerts: prev.alerts + alerts, risk_class: prev.kind === 'sensor' ? prev.risk_class : hostClass(prev.ewma_risk, exposure) };
    this.put(next);
    this.dirty.set(entity, next);
    return next;
  }

  /** States changed by a committed `update` since the last drain (latest version, each entity once); clears the set. */
  drainDirty(): EntityState[] {
    const out = Array.from(this.dirty.values());
    this.dirty.clear();
    return out;
  }

  /** 2^(−dt/halfLife) for dt > 0, else 1. */
  private decay(dtMs: number): number {
    return dtMs > 0 ? Math.exp(-dtMs * this.lambda) : 1;
  }

  /** Inserts or refreshes `s` as most recently used, evicting the least recently used beyond the bound. */
  private put(s: EntityState): void {
    this.states.delete(s.entity);
    this.states.set(s.entity, s);
    if (this.states.size > this.opts.maxEntities) {
      const oldest = this.states.keys().next().value as string;
      this.states.delete(oldest);
      this.evicted++;
    }
  }
}
