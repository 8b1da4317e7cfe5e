/**
 * The detection engine: one pure function of (event, detector state) per event, composing the per-source
 * windows, the rules, the sensor detectors, the task-transition model, the ML scorer, the risk combination, the
 * threat memory, the allow/block lists and the alert builder. No I/O: the service loads and persists state.
 *
 * Per event, in order:
 *  1. features: flows update their source's sliding windows (`SourceWindows`);
 *  2. rule risk in [0, 1] and reasons: network rules (port scan, burst, suspicious port, rejected connection),
 *     robot rules (suspicious ports, unusual task switch), sensor detectors (range, spike, drift, stuck);
 *  3. ML risk for flows (probability of attack from the configured model, batch-scored once per batch);
 *  4. `final = clamp(α·ml + (1−α)·modulation(rule) + escalation(recurrence before this event))` (risk.ts);
 *  5. reasons gain `ML Intrusion Score` when ml ≥ `mlAlertAt`, `Recurring Offender` (sources and robots) when
 *     the entity's recurrence before this event is ≥ `recurrenceAlertAt` and this event is itself suspicious;
 *     any event of a block-listed entity has risk at least `blockedRisk`, and an operator's (manual) block adds
 *     `Blocked Entity`; an entity on the allow list by an
 *     operator's (manual) entry raises no alerts (its events are still scored and remembered);
 *  6. the alert builder de-duplicates per (entity, reason) and maps reasons to ATT&CK techniques;
 *  7. threat memory and, for sensors, the device risk class (its turning High adds `Sensor High Risk`) and the
 *     automatic list entries are updated.
 *
 * With `commit = false` (`POST /events/predict`) every step reads the state as it is and changes nothing, so
 * events of one predict batch do not see each other.
 */
import type { IngestEvent, FlowEvent, RobotEvent, SensorEvent } from '../core/events.js';
import { entityOf } from '../core/events.js';
import { riskClassOf, type Alert, type AlertReason, type EntityState, type ListEntry, type RiskClass, type Severity, type StoredEvent } from '../core/records.js';
import { SourceWindows, type SourceFeatures } from '../features/source-windows.js';
import { flowFeatureRow, type FlowFeatureRow } from '../features/flow-features.js';
import { AlertBuilder } from './alert-builder.js';
import { ListsState } from './lists.js';
import { evaluateNetworkRules, NETWORK_RULE_DEFAULTS } from './network-rules.js';
import { combineRisk, RISK_DEFAULTS, type RiskConfig } from './risk.js';
import { SensorAnomalyDetector } from './sensor-anomaly.js';
import { SensorRiskTracker, type DeviceRisk } from './sensor-risk.js';
import { DEFAULT_SUSPICIOUS_PORTS, suspiciousPortHits } from './suspicious-ports.js';
import { TaskTransitionModel } from './task-transitions.js';
import { ThreatMemory } from './threat-memory.js';

/** Scores a batch of flow feature rows: probability of attack in [0, 1] per row. */
export interface FlowScorer {
  /** Short description for logs and `/health` (model kind, data it was trained on). */
  readonly description: string;
  score(rows: readonly FlowFeatureRow[]): Float64Array;
}

/** Engine settings (defaults in {@link ENGINE_DEFAULTS}). */
export interface EngineConfig {
  readonly suspiciousPorts: readonly number[];
  readonly network: typeof NETWORK_RULE_DEFAULTS;
  readonly risk: RiskConfig;
  /** ML probability from which `ML Intrusion Score` is raised. */
  readonly mlAlertAt: number;
  /** Rule risk of a robot touching a suspicious port. */
  readonly robotPortRisk: number;
  /** Rule risk of an unusual task switch. */
  readonly taskSwitchRisk: number;
  /** Recurrence (decayed count of suspicious events) from which a suspicious event raises `Recurring Offender`. */
  readonly recurrenceAlertAt: number;
  /** Rule or ML risk from which an event counts as suspicious for `Recurring Offender`. */
  readonly suspiciousAt: number;
  /** Risk floor of any event of a block-listed entity. */
  readonly blockedRisk: number;
  /** A device (sensor) Low for this long is auto-allowed. */
  readonly allowAfterMs: number;
  readonly maxSources: number;
  readonly maxEntities: number;
}

export const ENGINE_DEFAULTS: EngineConfig = {
  suspiciousPorts: DEFAULT_SUSPICIOUS_PORTS,
  network: NETWORK_RULE_DEFAULTS,
  risk: RISK_DEFAULTS,
  mlAlertAt: 0.9,
  robotPortRisk: 0.85,
  taskSwitchRisk: 0.75,
  recurrenceAlertAt: 3.5,
  suspiciousAt: 0.4,
  blockedRisk: 0.9,
  allowAfterMs: 24 * 3_600_000,
  maxSources: 100_000,
  maxEntities: 200_000,
};

/** One scored event. `alert` is null when nothing fired or every reason was de-duplicated. */
export interface ScoredEvent {
  readonly event: IngestEvent;
  readonly entity: string;
  readonly risk: number;
  readonly riskClass: RiskClass;
  /** Component risks, for tuning and the ablation. */
  readonly parts: { readonly ml: number | null; readonly rule: number; readonly recurrence: number };
  readonly alert: Alert | null;
  readonly stored: StoredEvent;
}

/** Output of {@link DetectionEngine.scoreBatch}. */
export interface BatchOutcome {
  readonly scored: ScoredEvent[];
  /** Automatic list entries to persist (committed batches only). */
  readonly listChanges: ListEntry[];
  /** Entity states changed by this batch (committed batches only). */
  readonly entities: EntityState[];
}

/**
 * Risk of a flow signal by its severity: the middle of the severity's band of {@link severityOf} (low < 0.4 ≤
 * medium < 0.7 ≤ high < 0.9 ≤ critical), so the alert a signal raises has the severity the sensor gave it.
 */
export const SIGNAL_SEVERITY_RISK: Readonly<Record<Severity, number>> = Object.freeze({ low: 0.3, medium: 0.55, high: 0.8, critical: 0.95 });

interface RuleOutcome {
  rule: number;
  reasons: AlertReason[];
  /** Lower bound of the final risk (a sensor signal's severity). */
  floor?: number;
  /** Sensors: the device's risk class after this reading. */
  device?: DeviceRisk;
}

/** The detection engine; one instance per service. State is bounded by the component limits. */
export class DetectionEngine {
  readonly config: EngineConfig;
  readonly windows: SourceWindows;
  readonly memory: ThreatMemory;
  readonly lists: ListsState;
  transitions: TaskTransitionModel;
  readonly sensors: SensorAnomalyDetector;
  readonly sensorRisk: SensorRiskTracker;
  readonly alerts: AlertBuilder;
  private readonly suspicious: ReadonlySet<number>;
  private flowScorer: FlowScorer | undefined;
  private readonly newId: () => string;

  constructor(config: Partial<EngineConfig>, deps: { newId: () => string; flowScorer?: FlowScorer }) {
    this.config = { ...ENGINE_DEFAULTS, ...config };
    this.newId = deps.newId;
    this.flowScorer = deps.flowScorer;
    this.suspicious = new Set(this.config.suspiciousPorts);
    this.windows = new SourceWindows({ maxSources: this.config.maxSources });
    this.memory = new ThreatMemory({ maxEntities: this.config.maxEntities });
    this.lists = new ListsState({ allowAfterMs: this.config.allowAfterMs });
    this.transitions = new TaskTransitionModel();
    this.sensors = new SensorAnomalyDetector();
    this.sensorRisk = new SensorRiskTracker();
    this.alerts = new AlertBuilder();
  }

  /** Replaces the ML scorer (model reload). */
  setFlowScorer(s: FlowScorer | undefined): void {
    this.flowScorer = s;
  }

  get flowScorerDescription(): string | null {
    return this.flowScorer?.description ?? null;
  }

  /**
   * Scores `events` in order. With `commit` the detector state advances; without, nothing changes. Every time
   * the engine uses is event time (`tsMs`), so a replay scores as the live run did.
   */
  scoreBatch(events: readonly IngestEvent[], commit: boolean): BatchOutcome {
    const n = events.length;
    // Pass 1: features of flows (windows advance in event order), then one ML call for the batch.
    const windowFeatures: (SourceFeatures | undefined)[] = new Array(n);
    const flowRows: FlowFeatureRow[] = [];
    const flowIndex: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (e.type !== 'flow') continue;
      const f = this.windows.observe(
        e.orig_h,
        { tsMs: e.tsMs, resp_h: e.resp_h, resp_p: e.resp_p, service: e.service, orig_pkts: e.orig_pkts ?? 0, orig_bytes: e.orig_bytes ?? 0 },
        commit,
      );
      windowFeatures[i] = f;
      if (this.flowScorer !== undefined) {
        flowRows.push(flowFeatureRow(e, f));
        flowIndex.push(i);
      }
    }
    const ml = new Float64Array(n).fill(Number.NaN);
    if (this.flowScorer !== undefined && flowRows.length > 0) {
      const p = this.flowScorer.score(flowRows);
      for (let k = 0; k < flowIndex.length; k++) ml[flowIndex[k]!] = p[k]!;
    }

    const scored: ScoredEvent[] = new Array(n);
    const listChanges: ListEntry[] = [];
    const cfg = this.config;
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      const entity = entityOf(e);
      const r =
        e.type === 'flow' ? this.flowRules(e, windowFeatures[i]!) : e.type === 'robot' ? this.robotRules(e, commit) : this.sensorRules(entity, e, commit);
      const mlRisk = Number.isNaN(ml[i]!) ? null : ml[i]!;
      const recurrence = this.memory.recurrenceAt(entity, e.tsMs);
      // A flow aimed at a host whose latest scan found vulnerable services weighs more (risk.ts, scan/exposure.ts).
      const exposure = e.type === 'flow' ? (this.memory.get(`ip:${e.resp_h}`)?.exposure ?? 0) : 0;
      let risk = Math.max(combineRisk({ ml: mlRisk, rule: r.rule, recurrence, exposure }, cfg.risk), r.floor ?? 0);
      const reasons = r.reasons;
      if (mlRisk !== null && mlRisk >= cfg.mlAlertAt) reasons.push('ML Intrusion Score');
      // The strongest single signal: what counts towards recurrence and `Recurring Offender`.
      const ruleEvidence = Math.max(r.rule, r.floor ?? 0);
      const evidence = Math.max(ruleEvidence, mlRisk ?? 0, risk);
      const suspiciousEvent = Math.max(ruleEvidence, mlRisk ?? 0) >= cfg.suspiciousAt;
      // Sources and robots offend; a sensor's repeated anomalies are its device risk class instead.
      if (e.type !== 'sensor' && suspiciousEvent && recurrence >= cfg.recurrenceAlertAt) reasons.push('Recurring Offender');
      const block = this.lists.get('block', entity);
      if (block !== undefined) {
        // Every event of a blocked entity is High. An operator's block also alerts on each sighting (de-duplicated);
        // an automatic one already alerted when it was made (`Sensor High Risk`), so it adds no alert of its own.
        if (block.source === 'manual') reasons.push('Blocked Entity');
        risk = Math.max(risk, cfg.blockedRisk);
      }
      // Only an operator's allow entry silences alerts; an automatic one records a long clean history and is
      // withdrawn by the next High, but never hides the anomaly that causes it.
      const allowed = this.lists.get('allow', entity)?.source === 'manual';
      const alert =
        reasons.length > 0 && !allowed ? this.alerts.build({ event: e, entity, reasons, risk, newId: this.newId }, commit) : null;

      let riskClass = riskClassOf(risk);
      if (e.type === 'sensor') {
        const dev = r.device!;
        if (commit) {
          const changes = this.lists.autoUpdate(entity, dev.riskClass, this.sensorRisk.lowSinceMs(entity, e.tsMs), e.tsMs);
          for (const c of changes) listChanges.push(c);
        }
        this.memory.update(entity, 'sensor', { risk, evidence, tsMs: e.tsMs, alerted: alert !== null, riskClass: dev.riskClass }, commit);
        riskClass = riskClassOf(risk);
      } else {
        this.memory.update(entity, e.type === 'flow' ? 'ip' : 'robot', { risk, evidence, tsMs: e.tsMs, alerted: alert !== null }, commit);
      }
      // Every observed switch is learned after it was assessed, flagged ones included: a legitimate but rare
      // switch stops being flagged once seen often enough, and an attacker has to repeat one many times.
      if (commit && e.type === 'robot' && e.previous_task !== undefined && e.previous_task !== null) {
        this.transitions.learn(e.robot_type ?? 'default', e.previous_task, e.task);
      }
      const stored: StoredEvent = {
        id: e.id,
        type: e.type,
        entity,
        ts_ms: e.tsMs,
        site: e.site ?? null,
        risk,
        risk_class: riskClass,
        confidence: mlRisk,
        body: e as unknown as Record<string, unknown>,
      };
      scored[i] = { event: e, entity, risk, riskClass, parts: { ml: mlRisk, rule: r.rule, recurrence }, alert, stored };
    }
    const entities = commit ? this.memory.drainDirty() : [];
    return { scored, listChanges, entities };
  }

  private flowRules(e: FlowEvent, f: SourceFeatures): RuleOutcome {
    const out = evaluateNetworkRules(f, e, this.config.network, this.suspicious);
    const reasons: AlertReason[] = [...out.reasons];
    let floor = 0;
    // A sensor's detections (flow `signals`): each reason joins the flow's, and the most severe one is the
    // floor of the event's risk (not part of the rule score, which would push it past the sensor's severity), so
    // a sensor's `high` is a High alert whatever the model says of the flow.
    for (const s of e.signals ?? []) {
      if (!reasons.includes(s.reason)) reasons.push(s.reason);
      const r = SIGNAL_SEVERITY_RISK[s.severity];
      if (r > floor) floor = r;
    }
    return { rule: out.score, reasons, floor };
  }

  private robotRules(e: RobotEvent, _commit: boolean): RuleOutcome {
    const reasons: AlertReason[] = [];
    let rule = 0;
    if (suspiciousPortHits(e.ports_accessed, this.suspicious).length > 0) {
      reasons.push('Suspicious Port Access');
      rule = Math.max(rule, this.config.robotPortRisk);
    }
    if (e.previous_task !== undefined && e.previous_task !== null) {
      const a = this.transitions.assess(e.robot_type ?? 'default', e.previous_task, e.task);
      if (a.unusual) {
        reasons.push('Unusual Task Switch');
        rule = Math.max(rule, this.config.taskSwitchRisk);
      }
    }
    return { rule, reasons };
  }

  private sensorRules(entity: string, e: SensorEvent, commit: boolean): RuleOutcome {
    const a = this.sensors.observe(entity, { kind: e.kind, value: e.value, unit: e.unit, tsMs: e.tsMs }, commit);
    const before = this.memory.get(entity)?.risk_class ?? 'Low';
    const device = this.sensorRisk.update(entity, a.score, e.tsMs, commit, a.reasons.includes('Sensor Out Of Range'));
    const reasons: AlertReason[] = [...a.reasons];
    // The device's class turning High is an alert of its own (and puts it on the block list, see lists.ts).
    if (device.riskClass === 'High' && before !== 'High') reasons.push('Sensor High Risk');
    return { rule: a.score, reasons, device };
  }
}
