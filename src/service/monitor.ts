/**
 * The monitoring service: validated events in, scored and stored events, alerts and threat memory out.
 * Composes the pure {@link DetectionEngine} with the store (durability), subscribers (the SSE stream), webhook
 * delivery and the NDJSON alert log. HTTP and MQTT both call {@link Monitor.ingest}.
 *
 * Ordering and durability: ingest calls run one at a time in call order (a promise chain), so detector state
 * advances in the order batches arrived; a call resolves only after its batch is committed to the store, which
 * is what lets a 2xx answer promise durability. If the store write fails the call rejects (IPQ-S001) and the
 * detector state keeps what it learnt from the batch (documented limitation; the batch can be retried, event ids
 * make the retry idempotent in the store).
 */
import { entityOf, type IngestEvent } from '../core/events.js';
import type { Alert, EventResult, ListEntry, ListName } from '../core/records.js';
import { IpqsecError } from '../core/errors.js';
import type { DetectionEngine } from '../detect/engine.js';
import { oppositeList } from '../detect/lists.js';
import { TaskTransitionModel } from '../detect/task-transitions.js';
import type { Store } from '../store/store.js';
import { alertLogEntry, listLogEntry, type AuditPort } from './audit-port.js';
import type { IngestSource, ScanFindings, MonitorPort, StreamMessage } from './monitor-port.js';

/** Storage key of the learned task-transition model. */
export const TRANSITIONS_STATE_KEY = 'task_transitions.v1';

/** Observability hooks (metrics); all optional. */
export interface MonitorHooks {
  onBatch?(info: { source: IngestSource; persist: boolean; events: readonly IngestEvent[]; alerts: readonly Alert[]; seconds: number }): void;
  onAlert?(alert: Alert): void;
  onError?(err: unknown): void;
}

/** Where alerts go besides the store and the stream (webhooks, the ECS alert log). */
export interface AlertSink {
  push(alert: Alert): void;
  /** Waits for pending deliveries (shutdown). */
  close(): Promise<void>;
}

export interface MonitorOptions {
  readonly store: Store;
  readonly engine: DetectionEngine;
  readonly sinks?: readonly AlertSink[];
  readonly hooks?: MonitorHooks;
  /** Threat-memory warm start: how many recently seen entities to load at open. */
  readonly warmEntities?: number;
  /** Persist the learned task transitions every this many committed batches (and at close). */
  readonly saveTransitionsEvery?: number;
  /**
   * Admission control: most events queued for ingest (waiting behind the batch being scored and committed).
   * A call that would exceed it is refused at once with IPQ-S005 (HTTP 503 with Retry-After), so that under
   * overload the latency of accepted batches and the rest of the API stay bounded. Default 20,000.
   */
  readonly maxBacklogEvents?: number;
  /** The tamper-evident log: every alert and list change is appended in the same transaction as its batch. */
  readonly audit?: AuditPort;
  /** Clock of operator list changes (epoch ms, default Date.now). */
  readonly nowMs?: () => number;
}

/** The service; create with {@link Monitor.open}. */
export class Monitor implements MonitorPort {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly subscribers = new Set<(m: StreamMessage) => void>();
  private batchesSinceSave = 0;
  private queuedEvents = 0;
  private lastCommit: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(private readonly opts: MonitorOptions) {}

  /** Loads lists, recent threat memory and the learned task transitions from the store. */
  static async open(opts: MonitorOptions): Promise<Monitor> {
    const m = new Monitor(opts);
    const { store, engine } = opts;
    engine.lists.load([...(await store.listEntries('allow')), ...(await store.listEntries('block'))]);
    engine.memory.load(await store.recentEntities(opts.warmEntities ?? 100_000));
    const t = await store.getState(TRANSITIONS_STATE_KEY);
    if (t !== undefined && t !== null) engine.transitions = TaskTransitionModel.fromJSON(t);
    return m;
  }

  get engine(): DetectionEngine {
    return this.opts.engine;
  }

  /** Events queued for ingest, the batch in progress included. */
  get backlog(): number {
    return this.queuedEvents;
  }

  ingest(events: readonly IngestEvent[], o: { readonly persist: boolean; readonly source: IngestSource }): Promise<EventResult[]> {
    const max = this.opts.maxBacklogEvents ?? 20_000;
    if (this.queuedEvents > 0 && this.queuedEvents + events.length > max) {
      return Promise.reject(new IpqsecError('IPQ-S005', `${this.queuedEvents} events are waiting (limit ${max})`, { details: { backlog: this.queuedEvents, limit: max } }));
    }
    this.queuedEvents += events.length;
    // Scoring is serial (the chain); the commit is not part of the chain, so the next batch is scored while this
    // one commits (on the store's writer thread). Commits complete in submission order.
    const scored = this.chain.then(() => this.scoreNow(events, o));
    this.chain = scored.catch(() => undefined);
    const run = scored.then((step) => step()).finally(() => {
      this.queuedEvents -= events.length;
    });
    this.lastCommit = run.catch(() => undefined);
    return run;
  }

  /** Scores a batch and starts its commit; returns the step that waits for the commit and answers. */
  private async scoreNow(events: readonly IngestEvent[], o: { readonly persist: boolean; readonly source: IngestSource }): Promise<() => Promise<EventResult[]>> {
    if (this.closed) throw new IpqsecError('IPQ-S001', 'the service is shutting down');
    const t0 = process.hrtime.bigint();
    const { store, engine } = this.opts;
    // Threat memory of entities evicted from memory (or seen before a restart and not warm-loaded).
    const missing = new Set<string>();
    for (const e of events) {
      const key = entityOf(e);
      if (!engine.memory.has(key)) missing.add(key);
    }
    if (missing.size > 0) {
      const found = await store.getEntities([...missing]);
      if (found.length > 0) engine.memory.load(found);
    }
    const out = engine.scoreBatch(events, o.persist);
    const alerts: Alert[] = [];
    for (const s of out.scored) if (s.alert !== null) alerts.push(s.alert);
    // Log records are staged and handed to writeBatch in this one synchronous step (AuditPort's ordering contract).
    const audit = o.persist ? this.opts.audit : undefined;
    const log = audit?.stage([...alerts.map(alertLogEntry), ...out.listChanges.map((c) => listLogEntry('put', c.list, c.entity, c.created_ms, 'detector', c))]);
    const commit = o.persist ? store.writeBatch({ events: out.scored.map((s) => s.stored), alerts, entities: out.entities, ...(log === undefined ? {} : { log }) }) : undefined;
    if (commit !== undefined && audit !== undefined && log !== undefined && log.length > 0) {
      commit.then(
        () => audit.committed(log),
        (e: unknown) => audit.failed(log, e),
      );
    }
    // A rejected commit is handled by the step below; never let it count as unhandled meanwhile.
    commit?.catch(() => undefined);
    const results: EventResult[] = out.scored.map((s) => ({
      id: s.event.id,
      risk: round6(s.risk),
      risk_class: s.riskClass,
      alerts: s.alert === null ? [] : [{ id: s.alert.id, severity: s.alert.severity, reasons: s.alert.reasons, techniques: s.alert.techniques }],
    }));
    return async () => {
      if (commit !== undefined) {
        await commit;
        for (const c of out.listChanges) await applyListChange(store, c);
        if (++this.batchesSinceSave >= (this.opts.saveTransitionsEvery ?? 50)) await this.saveTransitions();
        this.publish(out.scored, alerts);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      this.opts.hooks?.onBatch?.({ source: o.source, persist: o.persist, events, alerts, seconds });
      return results;
    };
  }

  private publish(scored: ReturnType<DetectionEngine['scoreBatch']>['scored'], alerts: readonly Alert[]): void {
    for (const a of alerts) {
      this.opts.hooks?.onAlert?.(a);
      for (const s of this.opts.sinks ?? []) s.push(a);
    }
    if (this.subscribers.size === 0) return;
    for (const s of scored) this.emit({ type: 'event', event: s.stored });
    for (const a of alerts) this.emit({ type: 'alert', alert: a });
  }

  private emit(m: StreamMessage): void {
    for (const fn of this.subscribers) {
      try {
        fn(m);
      } catch (e) {
        this.opts.hooks?.onError?.(e);
      }
    }
  }

  async putListEntry(entry: ListEntry, by = 'operator'): Promise<void> {
    await this.serial(async () => {
      if (!this.opts.engine.lists.put(entry)) return;
      await applyListChange(this.opts.store, entry);
      await this.opts.audit?.append([listLogEntry('put', entry.list, entry.entity, entry.created_ms, by, entry)]);
    });
  }

  async deleteListEntry(list: ListName, entity: string, by = 'operator'): Promise<boolean> {
    return this.serial(async () => {
      this.opts.engine.lists.remove(list, entity);
      const removed = await this.opts.store.deleteListEntry(list, entity);
      if (removed) await this.opts.audit?.append([listLogEntry('delete', list, entity, (this.opts.nowMs ?? Date.now)(), by)]);
      return removed;
    });
  }

  async applyScanFindings(f: ScanFindings): Promise<void> {
    await this.serial(async () => {
      if (this.closed) throw new IpqsecError('IPQ-S001', 'the service is shutting down');
      const { store, engine } = this.opts;
      const missing = f.exposures.map((x) => x.entity).filter((k) => !engine.memory.has(k));
      if (missing.length > 0) {
        const found = await store.getEntities(missing);
        if (found.length > 0) engine.memory.load(found);
      }
      const alertsOf = new Map<string, number>();
      for (const a of f.alerts) alertsOf.set(a.entity, (alertsOf.get(a.entity) ?? 0) + 1);
      for (const x of f.exposures) engine.memory.setExposure(x.entity, x.exposure, f.tsMs, alertsOf.get(x.entity) ?? 0);
      const entities = engine.memory.drainDirty();
      const audit = this.opts.audit;
      const log = audit?.stage(f.alerts.map(alertLogEntry));
      const commit = store.writeBatch({ events: [], alerts: f.alerts, entities, ...(log === undefined ? {} : { log }) });
      if (audit !== undefined && log !== undefined && log.length > 0) {
        commit.then(
          () => audit.committed(log),
          (e: unknown) => audit.failed(log, e),
        );
      }
      await commit;
      this.publish([], f.alerts);
    });
  }

  /** Live subscriptions (the SSE route holds one while any client is connected). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(listener: (msg: StreamMessage) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async saveTransitions(): Promise<void> {
    this.batchesSinceSave = 0;
    await this.opts.store.setState(TRANSITIONS_STATE_KEY, this.opts.engine.transitions.toJSON());
  }

  /** Waits for queued ingests, saves learned state, drains sinks. Does not close the store (its owner does). */
  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
      await this.lastCommit;
      await this.saveTransitions();
    });
    for (const s of this.opts.sinks ?? []) await s.close();
    this.subscribers.clear();
  }
}

/** Mirrors an accepted list entry in the store: an entity sits on one list only (ListsState did so in memory). */
async function applyListChange(store: Store, c: ListEntry): Promise<void> {
  await store.deleteListEntry(oppositeList(c.list), c.entity);
  await store.putListEntry(c);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
