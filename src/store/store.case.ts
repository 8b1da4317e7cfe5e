/**
 * Contract suite of {@link Store} (the `*.case.ts` pattern of hono's `common.case.test.ts`): every
 * implementation's test file calls {@link storeContract} with a factory, and the suite checks the behaviour
 * `store.ts` promises. SQLite passes it today; a PostgreSQL store must pass it unchanged.
 *
 * Oracles are independent of the store: list queries are checked against a plain filter and sort of the written
 * records in JavaScript; ids are ASCII so that JavaScript's string order equals the database's binary collation
 * (PostgreSQL: order ids with `COLLATE "C"`).
 *
 * Atomicity is checked with two batches that fail after valid rows were already inserted in the same
 * transaction: an alert whose `risk` is 1.5 (violates `CHECK (risk >= 0 AND risk <= 1)`, enforced by every SQL
 * database) and an entity whose `max_risk` is NaN (SQLite binds NaN as NULL: NOT NULL fails; PostgreSQL orders
 * NaN above every number: the same CHECK fails). Either must reject with `IPQ-S001` and leave nothing of the
 * batch stored.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import type { EventType } from '../core/events.js';
import { createRng, type Rng } from '../core/rng.js';
import { ALERT_REASONS, riskClassOf, type Alert, type EntityState, type ListEntry, type Severity, type StoredEvent } from '../core/records.js';
import { parseCpe23 } from '../scan/cpe.js';
import type { CveRecord } from '../scan/nvd-record.js';
import type { HostReport, ScanReport } from '../scan/scan-report.js';
import type { CheckpointRecord, CosignatureRecord, DeviceRecord, LogRecord, Page, ScanHostDiff, ScanRecord, Store, TokenRecord } from './store.js';

/** Event times of the fixtures start here (2023-11-14T22:13:20Z). */
const T0 = 1_700_000_000_000;
const EVENT_TYPES: readonly EventType[] = ['flow', 'robot', 'sensor'];
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** A stored event of `type` about entity number `n`, with a realistic wire body. */
export function fixtureEvent(id: string, tsMs: number, type: EventType, n: number, risk: number): StoredEvent {
  // Flows carry an ML confidence (a value that is not the risk, to catch a swapped column); others none.
  const common = { risk, risk_class: riskClassOf(risk), confidence: type === 'flow' ? Math.round((1 - risk) * 1e6) / 1e6 : null, ts_ms: tsMs, id, type };
  switch (type) {
    case 'flow':
      return {
        ...common,
        entity: `ip:10.0.0.${n}`,
        site: n % 2 === 0 ? null : 'plant-2',
        body: {
          type, id, ts: tsMs / 1000, ...(n % 2 === 0 ? {} : { site: 'plant-2' }), orig_h: `10.0.0.${n}`, orig_p: 40_000 + n,
          resp_h: '10.0.9.1', resp_p: 502, proto: 'tcp', conn_state: 'SF', orig_bytes: 1200 + n, duration: 0.125,
        },
      };
    case 'robot':
      return {
        ...common,
        entity: `robot:r-${n}`,
        site: null,
        body: {
          type, id, timestamp: new Date(tsMs).toISOString(), ip: `10.0.2.${n}`, robot_id: `r-${n}`, task: 'pick',
          previous_task: null, ports_accessed: [22, 502], note: 'Grüße ✓',
        },
      };
    case 'sensor':
      return {
        ...common,
        entity: `sensor:plant-1/tt-${n}`,
        site: 'plant-1',
        body: { type, id, ts: tsMs / 1000, site: 'plant-1', sensor_id: `tt-${n}`, kind: 'temperature', value: -12.75, unit: 'C' },
      };
  }
}

/** An unacknowledged alert raised by `ev`. */
export function fixtureAlert(id: string, ev: StoredEvent, rng: Rng): Alert {
  const robot = ev.type === 'robot';
  return {
    id,
    event_id: ev.id,
    event_type: ev.type,
    entity: ev.entity,
    timestamp: new Date(ev.ts_ms).toISOString(),
    ts_ms: ev.ts_ms,
    ip: ev.type === 'sensor' ? null : `10.0.0.${rng.int(250)}`,
    task: robot ? 'weld' : null,
    previous_task: robot ? 'idle' : null,
    ports_accessed: robot ? [23, 2323] : [],
    intrusion_detected: true,
    reasons: rng.int(2) === 0 ? [ALERT_REASONS[rng.int(ALERT_REASONS.length)]] : ['Port Scan', 'Recurring Offender'],
    severity: SEVERITIES[rng.int(SEVERITIES.length)],
    risk: ev.risk,
    techniques: rng.int(2) === 0 ? [] : [{ id: 'T1046', name: 'Network Service Discovery' }, { id: 'T0846', name: 'Remote System Discovery' }],
    acked: false,
    acked_by: null,
    acked_at_ms: null,
  };
}

/** A threat-memory state; `exposure` defaults to 0 (never scanned). */
export function fixtureEntity(entity: string, lastSeenMs: number, maxRisk: number, events = 3, exposure = 0): EntityState {
  const kind = entity.slice(0, entity.indexOf(':')) as EntityState['kind'];
  return {
    entity,
    kind,
    first_seen_ms: lastSeenMs - 60_000,
    last_seen_ms: lastSeenMs,
    events,
    alerts: 1,
    recurrence: 0.731_058_578_630_004_9,
    max_risk: maxRisk,
    ewma_risk: maxRisk / 3,
    risk_class: riskClassOf(maxRisk / 3),
    exposure,
  };
}

/**
 * A parsed NVD record (the shape `parseNvdDocument` gives) with a configuration, metrics and a CVE-5 `affected`
 * block; `tag` goes into the description so tests can tell versions of the same id apart.
 */
export function fixtureCve(id: string, lastModified: string, tag = ''): CveRecord {
  return {
    id,
    published: '2023-01-02T03:04:05.678',
    lastModified,
    vulnStatus: 'Analyzed',
    description: `overflow in widget ✓ ${tag}`,
    cvss: { v31: { score: 9.8, severity: 'CRITICAL', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }, v2: { score: 7.5, severity: 'HIGH', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' } },
    kev: id.endsWith('7'),
    nodes: [
      {
        operator: 'AND',
        negate: false,
        cpeMatch: [],
        children: [
          {
            operator: 'OR',
            negate: false,
            cpeMatch: [{ criteria: 'cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*', cpe: parseCpe23('cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*'), vulnerable: true, versionStartIncluding: '1.0', versionEndExcluding: '2.0.1' }],
            children: [],
          },
          { operator: 'OR', negate: false, cpeMatch: [{ criteria: 'cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*', cpe: parseCpe23('cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*'), vulnerable: false }], children: [] },
        ],
      },
    ],
    affected: [{ vendor: 'acme', product: 'widget', cpes: [], versions: [{ version: '1.0', lessThan: '2.0.1', status: 'affected' }] }],
  };
}

/** A host of a scan report: `ports` as [port, cve ids…]. */
export function fixtureHost(address: string, finishedMs: number, ports: readonly (readonly [number, ...string[]])[]): HostReport {
  return {
    address,
    hostnames: address.includes(':') ? [] : ['localhost'],
    status: 'up',
    started_ms: finishedMs - 1500,
    finished_ms: finishedMs,
    ports: ports.map(([port, ...cves]) => ({
      port,
      proto: 'tcp' as const,
      state: 'open',
      service: port === 22 ? 'ssh' : null,
      product: port === 22 ? 'OpenSSH' : null,
      version: port === 22 ? '8.2p1' : null,
      cpe: port === 22 ? ['cpe:2.3:a:openbsd:openssh:8.2:p1:*:*:*:*:*:*'] : [],
      cves: cves.map((id, i) => ({ id, score: 7.8 - i, severity: 'HIGH', kev: i === 0, confidence: 'configuration' as const })),
    })),
  };
}

/** A scan; `hosts` given makes it a done scan with that report (and a diff per host). */
export function fixtureScan(id: string, createdMs: number, hosts?: readonly HostReport[]): ScanRecord {
  if (hosts === undefined) {
    return { id, status: 'queued', requested_by: 'admin', targets: ['127.0.0.1', '::1/128'], ports: 'top-1000', created_ms: createdMs, started_ms: null, finished_ms: null, error: null, report: null, diffs: null };
  }
  const report: ScanReport = { hosts, errors: [{ target: '127.0.0.9', code: 'IPQ-V007', message: 'IPQ-V007 nmap failed or timed out on a host: timeout' }] };
  const diffs: ScanHostDiff[] = hosts.map((h) => ({
    address: h.address,
    first_scan: true,
    opened: h.ports.map((p) => ({ port: p.port, proto: p.proto })),
    closed: [],
    cves_new: h.ports.flatMap((p) => p.cves.map((c) => ({ port: p.port, proto: p.proto, id: c.id }))),
    cves_gone: [],
  }));
  return {
    id, status: 'done', requested_by: 'schedule:0', targets: hosts.map((h) => h.address), ports: '22,80,8000-8100', created_ms: createdMs,
    started_ms: createdMs + 10, finished_ms: createdMs + 5000, error: null, report, diffs,
  };
}

/** Newest first: time descending, then id descending (byte order; the fixtures' ids are ASCII). */
function newestFirst(ta: number, ia: string, tb: number, ib: string): number {
  return tb - ta || (ia < ib ? 1 : ia > ib ? -1 : 0);
}
const byEvent = (a: { ts_ms: number; id: string }, b: { ts_ms: number; id: string }) => newestFirst(a.ts_ms, a.id, b.ts_ms, b.id);
const byEntity = (a: EntityState, b: EntityState) => newestFirst(a.last_seen_ms, a.entity, b.last_seen_ms, b.entity);

/** Follows cursors to the end; checks every page but the last holds exactly `limit` items. */
async function collect<T>(limit: number, fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const p = await fetch(cursor);
    out.push(...p.items);
    if (p.next_cursor === null) {
      expect(p.items.length).toBeLessThanOrEqual(limit);
      return out;
    }
    expect(p.items.length).toBe(limit);
    expect(typeof p.next_cursor).toBe('string');
    cursor = p.next_cursor;
  }
  throw new Error('pagination did not end');
}

async function rejectsWith(p: Promise<unknown>, code: 'IPQ-S001' | 'IPQ-E004', text?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(isIpqsecError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
  if (text !== undefined) expect((err as Error).message).toMatch(text);
}

/** A mixed data set: `n` events over few entities with repeated times, alerts on every third, entity states. */
function dataset(seed: number, n: number): { events: StoredEvent[]; alerts: Alert[]; entities: EntityState[] } {
  const rng = createRng(seed);
  const events: StoredEvent[] = [];
  for (let i = 0; i < n; i++) {
    const type = EVENT_TYPES[rng.int(3)];
    // Times from a small range so that many events share a millisecond (the id breaks the tie).
    const risk = rng.int(5) === 0 ? 1 : rng.int(7) === 0 ? 0 : rng.next();
    events.push(fixtureEvent(`ev-${(i * 7919) % 10_007}`, T0 + rng.int(40), type, rng.int(4), risk));
  }
  const alerts = events.filter((_, i) => i % 3 === 0).map((e, i) => fixtureAlert(`al-${(i * 104_729) % 1009}`, e, rng));
  const latest = new Map<string, StoredEvent>();
  for (const e of events) if ((latest.get(e.entity)?.ts_ms ?? -1) < e.ts_ms) latest.set(e.entity, e);
  const entities = [...latest.values()].map((e) => fixtureEntity(e.entity, e.ts_ms + rng.int(3), rng.next()));
  return { events, alerts, entities };
}

/**
 * Registers the store contract under `describe(name)`.
 * @param open returns a new, empty store each call (a fresh file, database or schema); the suite closes it.
 * @param reopen returns a new store on the database most recently returned by `open`, after the suite has closed
 *   that one (file-backed implementations); without it the persistence test is skipped.
 */
export function storeContract(name: string, open: () => Promise<Store>, reopen?: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const fresh = async (): Promise<Store> => {
      const s = await open();
      opened.push(s);
      await s.migrate();
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('migrate is idempotent and keeps data', async () => {
      const s = await fresh();
      const { events } = dataset(1, 5);
      await s.writeBatch({ events, alerts: [], entities: [] });
      await s.migrate();
      await s.migrate();
      expect(await s.countEvents()).toBe(5);
      expect(await s.getEvent(events[2].id)).toStrictEqual(events[2]);
    });

    it('writeBatch stores events, alerts and entities that read back deep-equal', async () => {
      const s = await fresh();
      const { events, alerts, entities } = dataset(2, 30);
      const acked: Alert = { ...alerts[0], id: 'al-acked', acked: true, acked_by: 'ops@plant', acked_at_ms: T0 + 99 };
      await s.writeBatch({ events, alerts: [...alerts, acked], entities });
      expect(await s.countEvents()).toBe(30);
      for (const e of events) expect(await s.getEvent(e.id)).toStrictEqual(e);
      for (const a of [...alerts, acked]) expect(await s.getAlert(a.id)).toStrictEqual(a);
      expect(await s.getEntities(entities.map((x) => x.entity))).toStrictEqual(entities);
      expect(await s.getEvent('no-such-event')).toBeUndefined();
      expect(await s.getAlert('no-such-alert')).toBeUndefined();
      // Extremes of the ranges round-trip exactly.
      const edge = fixtureEvent('ev-edge', Number.MAX_SAFE_INTEGER, 'flow', 1, 0.1 + 0.2);
      await s.writeBatch({ events: [edge], alerts: [], entities: [fixtureEntity('sensor:a/b', 0, 1)] });
      expect(await s.getEvent('ev-edge')).toStrictEqual(edge);
      expect(await s.getEntities(['sensor:a/b'])).toStrictEqual([fixtureEntity('sensor:a/b', 0, 1)]);
      await s.writeBatch({ events: [], alerts: [], entities: [] });
      expect(await s.countEvents()).toBe(31);
    });

    it('ignores events and alerts whose id exists (idempotent retry)', async () => {
      const s = await fresh();
      const { events, alerts } = dataset(3, 12);
      await s.writeBatch({ events, alerts, entities: [] });
      await s.writeBatch({ events, alerts, entities: [] });
      expect(await s.countEvents()).toBe(12);
      // Same ids, other content: the first write stays.
      const changedEvent = { ...events[0], risk: 0.5, risk_class: 'Medium' as const, body: { changed: true } };
      const changedAlert = { ...alerts[0], severity: 'critical' as const, reasons: ['Traffic Burst' as const] };
      const extra = fixtureEvent('ev-new', T0 + 5, 'sensor', 0, 0.2);
      await s.writeBatch({ events: [changedEvent, extra, extra], alerts: [changedAlert], entities: [] });
      expect(await s.countEvents()).toBe(13);
      expect(await s.getEvent(events[0].id)).toStrictEqual(events[0]);
      expect(await s.getAlert(alerts[0].id)).toStrictEqual(alerts[0]);
      expect(await s.getEvent('ev-new')).toStrictEqual(extra);
      const all = await collect(1000, (cursor) => s.listAlerts({ limit: 1000, cursor }));
      expect(all.length).toBe(alerts.length);
      // Large batches (bulk insert paths) with every new event twice, next to each other and far apart.
      const more = dataset(13, 130).events.map((e, i) => ({ ...e, id: `ev-more-${i}` }));
      const twice = more.flatMap((e) => [e, { ...e, risk: 0, risk_class: 'Low' as const }]);
      await s.writeBatch({ events: [...twice, ...more, ...events], alerts: [], entities: [] });
      expect(await s.countEvents()).toBe(13 + 130);
      for (const e of more) expect(await s.getEvent(e.id)).toStrictEqual(e);
    });

    it('writeBatch is atomic: a batch failing part-way stores nothing (alert risk 1.5; entity max_risk NaN)', async () => {
      const s = await fresh();
      const before = dataset(4, 6);
      await s.writeBatch(before);
      const target = before.entities[0];
      const next = dataset(5, 8);
      const renamed = next.events.map((e, i) => ({ ...e, id: `ev-batch-${i}` }));
      const newer = fixtureEntity(target.entity, target.last_seen_ms + 10_000, 0.9, 99);
      const good = fixtureAlert('al-good', renamed[0], createRng(5));
      const bad: Batch[] = [
        { events: renamed, alerts: [good, { ...fixtureAlert('al-bad', renamed[1], createRng(6)), risk: 1.5 }], entities: [newer] },
        { events: renamed, alerts: [good], entities: [newer, { ...fixtureEntity('ip:10.9.9.9', T0, 0.5), max_risk: Number.NaN }] },
      ];
      for (const batch of bad) {
        await rejectsWith(s.writeBatch(batch), 'IPQ-S001');
        expect(await s.countEvents()).toBe(6);
        expect(await s.getEvent('ev-batch-0')).toBeUndefined();
        expect(await s.getAlert('al-good')).toBeUndefined();
        expect(await s.getEntities([target.entity, 'ip:10.9.9.9'])).toStrictEqual([target]);
      }
      // The store is still usable and the same rows commit once valid.
      await s.writeBatch({ events: renamed, alerts: [good], entities: [newer] });
      expect(await s.countEvents()).toBe(14);
      expect(await s.getAlert('al-good')).toStrictEqual(good);
      expect(await s.getEntities([target.entity])).toStrictEqual([newer]);
    });

    it('listEvents filters and orders like an independent filter of the written events', async () => {
      const s = await fresh();
      const { events } = dataset(6, 150);
      await s.writeBatch({ events, alerts: [], entities: [] });
      const sinceEvent = events[17];
      const queries = [
        {},
        { type: 'flow' as const },
        { type: 'sensor' as const, min_risk: 0.5 },
        { entity: events[3].entity },
        { since_ms: sinceEvent.ts_ms },
        { min_risk: 1 },
        { min_risk: 0.25, since_ms: T0 + 20, type: 'robot' as const },
        { entity: 'ip:none' },
      ];
      for (const f of queries) {
        const expected = events
          .filter(
            (e) =>
              (f.type === undefined || e.type === f.type) &&
              (f.entity === undefined || e.entity === f.entity) &&
              (f.since_ms === undefined || e.ts_ms >= f.since_ms) &&
              (f.min_risk === undefined || e.risk >= f.min_risk),
          )
          .sort(byEvent);
        for (const limit of [6, 1000]) {
          expect(await collect(limit, (cursor) => s.listEvents({ ...f, limit, cursor }))).toStrictEqual(expected);
        }
      }
      // `since_ms` is inclusive: the event at exactly that time is on the list.
      const since = await collect(1000, (cursor) => s.listEvents({ since_ms: sinceEvent.ts_ms, limit: 1000, cursor }));
      expect(since.some((e) => e.id === sinceEvent.id)).toBe(true);
    });

    it('listAlerts filters (entity, since_ms, acked, min_risk on risk) like an independent filter', async () => {
      const s = await fresh();
      const { events, alerts } = dataset(7, 240);
      await s.writeBatch({ events, alerts, entities: [] });
      const ackedIds = new Set(alerts.filter((_, i) => i % 4 === 1).map((a) => a.id));
      for (const id of ackedIds) await s.ackAlert(id, 'ops', T0 + 1000);
      const written = alerts.map((a) => (ackedIds.has(a.id) ? { ...a, acked: true, acked_by: 'ops', acked_at_ms: T0 + 1000 } : a));
      const queries = [
        {},
        { acked: true },
        { acked: false, min_risk: 0.4 },
        { entity: alerts[0].entity },
        { since_ms: alerts[5].ts_ms, acked: false },
        { min_risk: 0.7, entity: alerts[1].entity },
      ];
      for (const f of queries) {
        const expected = written
          .filter(
            (a) =>
              (f.entity === undefined || a.entity === f.entity) &&
              (f.since_ms === undefined || a.ts_ms >= f.since_ms) &&
              (f.acked === undefined || a.acked === f.acked) &&
              (f.min_risk === undefined || a.risk >= f.min_risk),
          )
          .sort(byEvent);
        expect(expected.length).toBeGreaterThan(0);
        for (const limit of [3, 1000]) {
          expect(await collect(limit, (cursor) => s.listAlerts({ ...f, limit, cursor }))).toStrictEqual(expected);
        }
      }
    });

    it('listEntities filters (kind, min_risk on max_risk), most recently seen first', async () => {
      const s = await fresh();
      const rng = createRng(8);
      const entities: EntityState[] = [];
      for (let i = 0; i < 60; i++) {
        const kind = (['ip', 'robot', 'sensor'] as const)[rng.int(3)];
        const key = kind === 'ip' ? `ip:10.1.0.${i}` : kind === 'robot' ? `robot:R${i}` : `sensor:p/t${i}`;
        entities.push(fixtureEntity(key, T0 + rng.int(10), rng.int(6) === 0 ? 0.5 : rng.next()));
      }
      await s.writeBatch({ events: [], alerts: [], entities });
      for (const f of [{}, { kind: 'robot' as const }, { min_risk: 0.5 }, { kind: 'sensor' as const, min_risk: 0.3 }]) {
        const expected = entities
          .filter((e) => (f.kind === undefined || e.kind === f.kind) && (f.min_risk === undefined || e.max_risk >= f.min_risk))
          .sort(byEntity);
        expect(expected.length).toBeGreaterThan(0);
        for (const limit of [4, 1000]) {
          expect(await collect(limit, (cursor) => s.listEntities({ ...f, limit, cursor }))).toStrictEqual(expected);
        }
      }
    });

    it('property: following cursors returns every matching event exactly once, newest first', async () => {
      const spec = fc.uniqueArray(
        fc.record({
          id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,6}$/),
          dt: fc.integer({ min: 0, max: 12 }),
          type: fc.constantFrom(...EVENT_TYPES),
          n: fc.integer({ min: 0, max: 2 }),
          risk: fc.double({ min: 0, max: 1, noNaN: true }).map((r) => r + 0),
        }),
        { selector: (r) => r.id, maxLength: 50 },
      );
      const filter = fc.record(
        {
          type: fc.constantFrom(...EVENT_TYPES),
          n: fc.integer({ min: 0, max: 2 }),
          since: fc.integer({ min: 0, max: 12 }),
          min_risk: fc.double({ min: 0, max: 1, noNaN: true }).map((r) => r + 0),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(spec, fc.integer({ min: 1, max: 20 }), filter, async (specs, limit, f) => {
          const s = await open();
          try {
            await s.migrate();
            const events = specs.map((x) => fixtureEvent(x.id, T0 + x.dt, x.type, x.n, x.risk));
            await s.writeBatch({ events, alerts: [], entities: [] });
            const entity = f.n === undefined ? undefined : fixtureEvent('x', 0, f.type ?? 'flow', f.n, 0).entity;
            const q = { type: f.type, entity, since_ms: f.since === undefined ? undefined : T0 + f.since, min_risk: f.min_risk };
            const expected = events
              .filter(
                (e) =>
                  (q.type === undefined || e.type === q.type) &&
                  (q.entity === undefined || e.entity === q.entity) &&
                  (q.since_ms === undefined || e.ts_ms >= q.since_ms) &&
                  (q.min_risk === undefined || e.risk >= q.min_risk),
              )
              .sort(byEvent);
            const got = await collect(limit, (cursor) => s.listEvents({ ...q, limit, cursor }));
            expect(got.map((e) => e.id)).toStrictEqual(expected.map((e) => e.id));
          } finally {
            await s.close();
          }
        }),
        { numRuns: 25, seed: 20_240_611 },
      );
    });

    it('a page of exactly the remaining items ends with next_cursor null', async () => {
      const s = await fresh();
      const { events } = dataset(9, 10);
      await s.writeBatch({ events, alerts: [], entities: [] });
      const first = await s.listEvents({ limit: 10 });
      expect(first.items.length).toBe(10);
      expect(first.next_cursor).toBeNull();
      const half = await s.listEvents({ limit: 5 });
      expect(half.next_cursor).not.toBeNull();
      const rest = await s.listEvents({ limit: 5, cursor: half.next_cursor ?? undefined });
      expect(rest.items.length).toBe(5);
      expect(rest.next_cursor).toBeNull();
      expect(await s.listEvents({ limit: 1, type: 'flow', entity: 'ip:nobody' })).toStrictEqual({ items: [], next_cursor: null });
    });

    it('a malformed cursor rejects with IPQ-E004 naming the cursor; a bad limit with RangeError', async () => {
      const s = await fresh();
      const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
      for (const cursor of ['', 'not a cursor!', b64('hello'), b64('{"ts":1}'), b64('[1]'), b64('["1","a"]'), b64('[1,2]'), 'a'.repeat(5000)]) {
        await rejectsWith(s.listEvents({ limit: 10, cursor }), 'IPQ-E004', /cursor/);
        await rejectsWith(s.listAlerts({ limit: 10, cursor }), 'IPQ-E004', /cursor/);
        await rejectsWith(s.listEntities({ limit: 10, cursor }), 'IPQ-E004', /cursor/);
      }
      for (const limit of [0, 1001, 2.5]) await expect(s.listEvents({ limit })).rejects.toBeInstanceOf(RangeError);
    });

    it('ackAlert marks once and returns the alert; unknown id gives undefined', async () => {
      const s = await fresh();
      const { events, alerts } = dataset(10, 9);
      await s.writeBatch({ events, alerts, entities: [] });
      const a = alerts[1];
      const expected: Alert = { ...a, acked: true, acked_by: 'alice', acked_at_ms: T0 + 5000 };
      expect(await s.ackAlert(a.id, 'alice', T0 + 5000)).toStrictEqual(expected);
      expect(await s.ackAlert(a.id, 'bob', T0 + 9000)).toStrictEqual(expected);
      expect(await s.getAlert(a.id)).toStrictEqual(expected);
      expect(await s.getAlert(alerts[0].id)).toStrictEqual(alerts[0]);
      expect(await s.ackAlert('no-such-alert', 'alice', T0)).toBeUndefined();
      const unacked = await collect(100, (cursor) => s.listAlerts({ acked: false, limit: 100, cursor }));
      expect(unacked.map((x) => x.id).sort()).toStrictEqual(alerts.filter((x) => x.id !== a.id).map((x) => x.id).sort());
    });

    it('entity upsert keeps the latest state (by last_seen_ms; later in a batch wins a tie)', async () => {
      const s = await fresh();
      const key = 'robot:arm-7';
      const v1 = fixtureEntity(key, T0 + 1000, 0.2, 1);
      const v2 = fixtureEntity(key, T0 + 2000, 0.8, 2);
      const stale = fixtureEntity(key, T0 + 500, 0.1, 9);
      await s.writeBatch({ events: [], alerts: [], entities: [v1] });
      await s.writeBatch({ events: [], alerts: [], entities: [v2] });
      expect(await s.getEntities([key])).toStrictEqual([v2]);
      await s.writeBatch({ events: [], alerts: [], entities: [stale] });
      expect(await s.getEntities([key])).toStrictEqual([v2]);
      const v3a = fixtureEntity(key, T0 + 3000, 0.3, 3);
      const v3b = { ...fixtureEntity(key, T0 + 3000, 0.4, 4), alerts: 2 };
      await s.writeBatch({ events: [], alerts: [], entities: [v3a, v3b] });
      expect(await s.getEntities([key])).toStrictEqual([v3b]);
    });

    it('getEntities keeps the order of ids (unknown skipped, repeats once); recentEntities is newest first', async () => {
      const s = await fresh();
      const a = fixtureEntity('ip:10.0.0.1', T0 + 30, 0.1);
      const b = fixtureEntity('ip:10.0.0.2', T0 + 10, 0.2);
      const c = fixtureEntity('sensor:p/t1', T0 + 30, 0.3);
      const d = fixtureEntity('robot:r1', T0 + 20, 0.4);
      await s.writeBatch({ events: [], alerts: [], entities: [a, b, c, d] });
      expect(await s.getEntities(['robot:r1', 'ip:unknown', 'ip:10.0.0.2', 'robot:r1'])).toStrictEqual([d, b]);
      expect(await s.getEntities([])).toStrictEqual([]);
      // Ties on last_seen_ms: entity descending ('sensor:…' > 'ip:…').
      expect(await s.recentEntities(3)).toStrictEqual([c, a, d]);
      expect(await s.recentEntities(10)).toStrictEqual([c, a, d, b]);
      expect(await s.recentEntities(0)).toStrictEqual([]);
      const many = Array.from({ length: 1200 }, (_, i) => fixtureEntity(`ip:10.2.${i >> 8}.${i & 255}`, T0 + i, 0.5));
      await s.writeBatch({ events: [], alerts: [], entities: many });
      const ids = many.map((x) => x.entity).reverse();
      expect(await s.getEntities(ids)).toStrictEqual([...many].reverse());
    });

    it('allow/block lists: put, replace, delete per (list, entity)', async () => {
      const s = await fresh();
      const allow: ListEntry = { list: 'allow', entity: 'ip:10.0.0.5', source: 'manual', reason: 'HMI', created_ms: T0 };
      const block: ListEntry = { list: 'block', entity: 'ip:10.0.0.5', source: 'auto', reason: 'Port Scan', created_ms: T0 + 1 };
      const other: ListEntry = { list: 'block', entity: 'robot:r9', source: 'auto', reason: 'Recurring Offender', created_ms: T0 + 2 };
      await s.putListEntry(allow);
      await s.putListEntry(block);
      await s.putListEntry(other);
      expect(await s.listEntries('allow')).toStrictEqual([allow]);
      expect(await s.listEntries('block')).toStrictEqual([block, other]);
      const replaced: ListEntry = { ...block, source: 'manual', reason: 'confirmed by operator', created_ms: T0 + 50 };
      await s.putListEntry(replaced);
      expect(await s.listEntries('block')).toStrictEqual([replaced, other]);
      expect(await s.deleteListEntry('block', 'ip:10.0.0.5')).toBe(true);
      expect(await s.deleteListEntry('block', 'ip:10.0.0.5')).toBe(false);
      expect(await s.listEntries('block')).toStrictEqual([other]);
      expect(await s.listEntries('allow')).toStrictEqual([allow]);
    });

    it('tokens: create, find by hash, list oldest first, revoke', async () => {
      const s = await fresh();
      const admin: TokenRecord = { id: 'tok-1', name: 'admin', hash: 'a'.repeat(64), scopes: ['admin'], created_ms: T0, revoked: false };
      const agent: TokenRecord = { id: 'tok-0', name: 'agent plant-1', hash: 'b'.repeat(64), scopes: ['ingest', 'read'], created_ms: T0 + 1, revoked: false };
      await s.createToken(agent);
      await s.createToken(admin);
      expect(await s.findTokenByHash('a'.repeat(64))).toStrictEqual(admin);
      expect(await s.findTokenByHash('c'.repeat(64))).toBeUndefined();
      expect(await s.listTokens()).toStrictEqual([admin, agent]);
      expect(await s.revokeToken('tok-0')).toBe(true);
      expect(await s.revokeToken('tok-0')).toBe(true);
      expect(await s.revokeToken('tok-none')).toBe(false);
      expect(await s.findTokenByHash('b'.repeat(64))).toStrictEqual({ ...agent, revoked: true });
      await rejectsWith(s.createToken({ ...agent, id: 'tok-2' }), 'IPQ-S001');
      expect((await s.listTokens()).length).toBe(2);
    });

    it('state: JSON values by key; missing is undefined; undefined deletes', async () => {
      const s = await fresh();
      expect(await s.getState('transitions')).toBeUndefined();
      const v = { counts: { pick: { place: 12, idle: 0 } }, flags: [true, false, null], note: 'ü', n: -1.5e-7 };
      await s.setState('transitions', v);
      expect(await s.getState('transitions')).toStrictEqual(v);
      await s.setState('transitions', [1, 2, 3]);
      expect(await s.getState('transitions')).toStrictEqual([1, 2, 3]);
      await s.setState('flag', false);
      await s.setState('nothing', null);
      expect(await s.getState('flag')).toBe(false);
      expect(await s.getState('nothing')).toBeNull();
      await s.setState('transitions', undefined);
      expect(await s.getState('transitions')).toBeUndefined();
    });

    it('log: entries append with the batch, in order, and read back by range; a duplicate index or a gap fails the batch', async () => {
      const s = await fresh();
      expect(await s.logSize()).toBe(0);
      const rec = (i: number): LogRecord => ({ index: i, ts_ms: T0 + i, kind: i % 2 === 0 ? 'alert' : 'list', data: `{"i":${i},"s":"Grüße ✓"}` });
      const { events, alerts, entities } = dataset(13, 5);
      await s.writeBatch({ events, alerts, entities, log: [rec(0), rec(1), rec(2)] });
      await s.writeBatch({ events: [], alerts: [], entities: [], log: [rec(3)] });
      expect(await s.logSize()).toBe(4);
      expect(await s.readLog(0, 4)).toStrictEqual([0, 1, 2, 3].map(rec));
      expect(await s.readLog(1, 3)).toStrictEqual([rec(1), rec(2)]);
      expect(await s.readLog(4, 10)).toStrictEqual([]);
      // The whole batch fails: its events are not stored either.
      const fresh1 = fixtureEvent('ev-log-fail', T0, 'flow', 1, 0.5);
      await rejectsWith(s.writeBatch({ events: [fresh1], alerts: [], entities: [], log: [rec(4), rec(2)] }), 'IPQ-S001');
      expect(await s.logSize()).toBe(4);
      expect(await s.getEvent(fresh1.id)).toBeUndefined();
      // A gap fails too (index 6 when the size is 4), and so does the batch's other content.
      await rejectsWith(s.writeBatch({ events: [fresh1], alerts: [], entities: [], log: [rec(6)] }), 'IPQ-S001');
      expect(await s.logSize()).toBe(4);
      await expect(s.readLog(3, 2)).rejects.toThrow(RangeError);
    });

    it('log checkpoints and cosignatures: put, replace by size/witness, list ascending, latest', async () => {
      const s = await fresh();
      expect(await s.latestCheckpoint()).toBeUndefined();
      const cp = (size: number): CheckpointRecord => ({ size, ts_ms: T0 + size, note: `origin\n${size}\nroot\n\n— k sig${size}\n` });
      for (const n of [5, 1, 3]) await s.putCheckpoint(cp(n));
      await s.putCheckpoint({ ...cp(3), note: 'replaced' });
      expect(await s.listCheckpoints(0, 10)).toStrictEqual([cp(1), { ...cp(3), note: 'replaced' }, cp(5)]);
      expect(await s.listCheckpoints(2, 1)).toStrictEqual([{ ...cp(3), note: 'replaced' }]);
      expect(await s.latestCheckpoint()).toStrictEqual(cp(5));
      // A checkpoint may also travel with a batch (after its log entries).
      await s.writeBatch({ events: [], alerts: [], entities: [], log: [{ index: 0, ts_ms: T0, kind: 'model', data: '{}' }], checkpoint: cp(9) });
      expect(await s.latestCheckpoint()).toStrictEqual(cp(9));
      expect(await s.logSize()).toBe(1);
      const co = (size: number, witness: string, line: string): CosignatureRecord => ({ size, witness, line, ts_ms: T0 });
      await s.putCosignature(co(5, 'w2', 'a'));
      await s.putCosignature(co(5, 'w1', 'b'));
      await s.putCosignature(co(5, 'w2', 'c'));
      await s.putCosignature(co(3, 'w1', 'd'));
      expect(await s.listCosignatures(5)).toStrictEqual([co(5, 'w1', 'b'), co(5, 'w2', 'c')]);
      expect(await s.listCosignatures(4)).toStrictEqual([]);
    });

    it('devices: put, replace, get, list oldest first', async () => {
      const s = await fresh();
      const dev = (id: string, created: number, status: DeviceRecord['status']): DeviceRecord => ({
        device_id: id, public_key: 'cGs=', key_id: '0011223344556677', status, created_ms: created, updated_ms: created, decided_by: null,
      });
      await s.putDevice(dev('robot-2', T0 + 2, 'pending'));
      await s.putDevice(dev('robot-1', T0 + 1, 'pending'));
      expect(await s.getDevice('robot-9')).toBeUndefined();
      const approved = { ...dev('robot-2', T0 + 2, 'approved'), updated_ms: T0 + 9, decided_by: 'admin' };
      await s.putDevice(approved);
      expect(await s.getDevice('robot-2')).toStrictEqual(approved);
      expect(await s.listDevices()).toStrictEqual([dev('robot-1', T0 + 1, 'pending'), approved]);
      await rejectsWith(s.putDevice({ ...dev('x', T0, 'pending'), status: 'lost' as DeviceRecord['status'] }), 'IPQ-S001');
    });

    it('scan alerts (event_type scan) store and read back; entity exposure round-trips, upserts, and stays in [0, 1]', async () => {
      const s = await fresh();
      const scanAlert: Alert = {
        id: 'al-scan-1', event_id: 'scan-1', event_type: 'scan', entity: 'ip:127.0.0.1', timestamp: new Date(T0).toISOString(), ts_ms: T0,
        ip: '127.0.0.1', task: null, previous_task: null, ports_accessed: [21, 22], intrusion_detected: true,
        reasons: ['Known Exploited Vulnerability', 'New Open Port'], severity: 'critical', risk: 1,
        techniques: [{ id: 'T1190', name: 'Exploit Public-Facing Application' }, { id: 'T1046', name: 'Network Service Discovery' }],
        acked: false, acked_by: null, acked_at_ms: null,
      };
      const host = fixtureEntity('ip:127.0.0.1', T0, 0.2, 3, 0.98);
      await s.writeBatch({ events: [], alerts: [scanAlert], entities: [host] });
      expect(await s.getAlert('al-scan-1')).toStrictEqual(scanAlert);
      expect((await s.listAlerts({ entity: 'ip:127.0.0.1', limit: 10 })).items).toStrictEqual([scanAlert]);
      expect(await s.getEntities(['ip:127.0.0.1'])).toStrictEqual([host]);
      expect((await s.listEntities({ limit: 10 })).items).toStrictEqual([host]);
      // A later state replaces the exposure (down to 0 after a clean scan); the extremes round-trip.
      for (const [i, exposure] of [0.1 + 0.2, 0, 1].entries()) {
        const next = fixtureEntity('ip:127.0.0.1', T0 + 1000 * (i + 1), 0.2, 3, exposure);
        await s.writeBatch({ events: [], alerts: [], entities: [next] });
        expect(await s.getEntities(['ip:127.0.0.1'])).toStrictEqual([next]);
      }
      const stored = await s.getEntities(['ip:127.0.0.1']);
      // Out of range or NaN fails the whole batch (CHECK 0..1; NaN binds as NULL on SQLite).
      const ev = fixtureEvent('ev-exposure', T0, 'flow', 1, 0.5);
      for (const exposure of [1.5, -0.01, Number.NaN]) {
        await rejectsWith(s.writeBatch({ events: [ev], alerts: [], entities: [fixtureEntity('ip:127.0.0.1', T0 + 99_000, 0.2, 3, exposure)] }), 'IPQ-S001');
        expect(await s.getEvent('ev-exposure')).toBeUndefined();
        expect(await s.getEntities(['ip:127.0.0.1'])).toStrictEqual(stored);
      }
      // An event type outside the list is still refused.
      await rejectsWith(s.writeBatch({ events: [], alerts: [{ ...scanAlert, id: 'al-bad', event_type: 'nmap' as Alert['event_type'] }], entities: [] }), 'IPQ-S001');
      expect(await s.getAlert('al-bad')).toBeUndefined();
    });

    it('scans: put through the life cycle (queued, running, done, failed), get deep-equal, unknown undefined', async () => {
      const s = await fresh();
      const queued = fixtureScan('scan-1', T0);
      await s.putScan(queued);
      expect(await s.getScan('scan-1')).toStrictEqual(queued);
      const running: ScanRecord = { ...queued, status: 'running', started_ms: T0 + 10 };
      await s.putScan(running);
      expect(await s.getScan('scan-1')).toStrictEqual(running);
      const done = fixtureScan('scan-1', T0, [fixtureHost('127.0.0.1', T0 + 4000, [[22, 'CVE-2020-15778', 'CVE-2021-41617'], [6379]]), fixtureHost('::1', T0 + 4500, [])]);
      await s.putScan(done);
      expect(await s.getScan('scan-1')).toStrictEqual(done);
      const failed: ScanRecord = { ...fixtureScan('scan-2', T0 + 1), status: 'failed', started_ms: T0 + 2, finished_ms: T0 + 3, error: 'IPQ-V006 nmap not found: apt-get install nmap' };
      await s.putScan(failed);
      expect(await s.getScan('scan-2')).toStrictEqual(failed);
      expect(await s.getScan('scan-1')).toStrictEqual(done);
      expect(await s.getScan('scan-none')).toBeUndefined();
      await rejectsWith(s.putScan({ ...queued, id: 'scan-bad', status: 'lost' as ScanRecord['status'] }), 'IPQ-S001');
      expect(await s.getScan('scan-bad')).toBeUndefined();
    });

    it('listScans pages newest created first (ties by id) like an independent sort', async () => {
      const s = await fresh();
      const rng = createRng(21);
      const scans: ScanRecord[] = [];
      for (let i = 0; i < 37; i++) {
        const id = `scan-${(i * 7919) % 101}`;
        const created = T0 + rng.int(9);
        scans.push(i % 3 === 0 ? fixtureScan(id, created, [fixtureHost(`127.0.0.${i + 1}`, created + 100, [[22, 'CVE-2021-41617']])]) : fixtureScan(id, created));
      }
      for (const x of scans) await s.putScan(x);
      const expected = [...scans].sort((a, b) => newestFirst(a.created_ms, a.id, b.created_ms, b.id));
      for (const limit of [1, 4, 37, 1000]) expect(await collect(limit, (cursor) => s.listScans({ limit, cursor }))).toStrictEqual(expected);
      // A scan put again (status change) keeps its place: the order is by creation.
      const again: ScanRecord = { ...expected[5], status: 'failed', error: 'x' };
      await s.putScan(again);
      expect((await collect(1000, (cursor) => s.listScans({ limit: 1000, cursor })))[5]).toStrictEqual(again);
      await rejectsWith(s.listScans({ limit: 5, cursor: 'nope!' }), 'IPQ-E004', /cursor/);
      await expect(s.listScans({ limit: 0 })).rejects.toBeInstanceOf(RangeError);
    });

    it('previousHostReport: the latest done host report finished before the time; a re-put scan rewrites its hosts', async () => {
      const s = await fresh();
      const a1 = fixtureHost('127.0.0.1', T0 + 1000, [[22]]);
      const b1 = fixtureHost('::1', T0 + 1100, [[80]]);
      const a2 = fixtureHost('127.0.0.1', T0 + 2000, [[22, 'CVE-2020-15778'], [21]]);
      const a3 = fixtureHost('127.0.0.1', T0 + 3000, []);
      await s.putScan(fixtureScan('scan-a', T0, [a1, b1]));
      await s.putScan(fixtureScan('scan-b', T0 + 1500, [a2]));
      await s.putScan(fixtureScan('scan-c', T0 + 2500, [a3]));
      expect(await s.previousHostReport('127.0.0.1', T0 + 1000)).toBeUndefined(); // strictly before
      expect(await s.previousHostReport('127.0.0.1', T0 + 1001)).toStrictEqual(a1);
      expect(await s.previousHostReport('127.0.0.1', T0 + 2500)).toStrictEqual(a2);
      expect(await s.previousHostReport('127.0.0.1', Number.MAX_SAFE_INTEGER)).toStrictEqual(a3);
      expect(await s.previousHostReport('::1', T0 + 5000)).toStrictEqual(b1);
      expect(await s.previousHostReport('10.0.0.1', T0 + 5000)).toBeUndefined();
      // Only done scans count: a queued/running/failed scan has no host rows, even with a report.
      const running: ScanRecord = { ...fixtureScan('scan-d', T0 + 3500, [fixtureHost('10.0.0.1', T0 + 3600, [[22]])]), status: 'running' };
      await s.putScan(running);
      expect(await s.previousHostReport('10.0.0.1', T0 + 9000)).toBeUndefined();
      // scan-c turns failed: its host rows go, the host's previous scan is scan-b again.
      await s.putScan({ ...fixtureScan('scan-c', T0 + 2500, [a3]), status: 'failed', error: 'aborted' });
      expect(await s.previousHostReport('127.0.0.1', Number.MAX_SAFE_INTEGER)).toStrictEqual(a2);
      // scan-a re-put done without ::1: that host row goes, 127.0.0.1's is replaced.
      const a1b = fixtureHost('127.0.0.1', T0 + 1000, [[443]]);
      await s.putScan(fixtureScan('scan-a', T0, [a1b]));
      expect(await s.previousHostReport('::1', T0 + 5000)).toBeUndefined();
      expect(await s.previousHostReport('127.0.0.1', T0 + 1500)).toStrictEqual(a1b);
      // Two scans finishing a host at the same time: the larger scan id wins.
      const tieLow = fixtureHost('10.1.1.1', T0 + 7000, [[1]]);
      const tieHigh = fixtureHost('10.1.1.1', T0 + 7000, [[2]]);
      await s.putScan(fixtureScan('scan-z', T0 + 6000, [tieHigh]));
      await s.putScan(fixtureScan('scan-y', T0 + 6000, [tieLow]));
      expect(await s.previousHostReport('10.1.1.1', T0 + 8000)).toStrictEqual(tieHigh);
    });

    it('putCves upserts keeping the newer lastModified; counts add up; records read back deep-equal; atomic per call', async () => {
      const s = await fresh();
      expect(await s.countCves()).toBe(0);
      expect(await s.putCves([])).toStrictEqual({ inserted: 0, updated: 0, unchanged: 0 });
      const v1 = [fixtureCve('CVE-2024-0001', '2024-02-01T00:00:00.000', 'a'), fixtureCve('CVE-2024-0007', '2024-02-01T00:00:00.000', 'b')];
      expect(await s.putCves(v1)).toStrictEqual({ inserted: 2, updated: 0, unchanged: 0 });
      expect(await s.putCves(v1)).toStrictEqual({ inserted: 0, updated: 0, unchanged: 2 });
      expect(await s.countCves()).toBe(2);
      const all = async (): Promise<CveRecord[]> => {
        const out: CveRecord[] = [];
        for await (const b of s.iterateCves()) out.push(...b);
        return out;
      };
      expect(await all()).toStrictEqual(v1);
      // Newer (also by time with another precision), same time written differently, older.
      const newer = fixtureCve('CVE-2024-0001', '2024-02-01T00:00:00.001', 'newer');
      const sameTime = fixtureCve('CVE-2024-0007', '2024-02-01T00:00:00', 'same time');
      const older = fixtureCve('CVE-2024-0007', '2023-12-31T23:59:59.999', 'older');
      const fresh1 = fixtureCve('CVE-2024-10000', '2020-01-01T00:00:00.000', 'new id');
      expect(await s.putCves([newer, sameTime, older, fresh1])).toStrictEqual({ inserted: 1, updated: 1, unchanged: 2 });
      expect(await all()).toStrictEqual([newer, v1[1], fresh1]);
      // Repeats within one call count against what is stored at that point.
      const n1 = fixtureCve('CVE-2025-0002', '2025-01-01T00:00:00.000', '1');
      const n2 = fixtureCve('CVE-2025-0002', '2025-01-02T00:00:00.000', '2');
      expect(await s.putCves([n1, n1, n2, n1])).toStrictEqual({ inserted: 1, updated: 1, unchanged: 2 });
      expect(await all()).toStrictEqual([newer, v1[1], fresh1, n2]);
      // A call failing part-way (a NULL bound into a NOT NULL column) stores nothing of it.
      const bad = { ...fixtureCve('CVE-2025-0003', '2025-01-01T00:00:00.000'), published: null as unknown as string };
      await rejectsWith(s.putCves([fixtureCve('CVE-2025-0009', '2026-01-01T00:00:00.000'), bad]), 'IPQ-S001');
      expect(await s.countCves()).toBe(4);
      expect(await all()).toStrictEqual([newer, v1[1], fresh1, n2]);
    });

    it('iterateCves yields every record once, ascending id, in batches of at most batchSize', async () => {
      const s = await fresh();
      const records = Array.from({ length: 2345 }, (_, i) => fixtureCve(`CVE-${2000 + (i % 25)}-${String((i * 7919) % 100_003).padStart(5, '0')}`, '2024-01-01T00:00:00.000', String(i)));
      const byId = new Map(records.map((r) => [r.id, r]));
      expect(await s.putCves(records)).toStrictEqual({ inserted: byId.size, updated: 0, unchanged: records.length - byId.size });
      const expected = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const size of [undefined, 1000, 7, 2345, 10_000]) {
        const sizes: number[] = [];
        const got: CveRecord[] = [];
        for await (const b of s.iterateCves(size)) {
          sizes.push(b.length);
          got.push(...b);
        }
        const cap = size ?? 1000;
        expect(got).toStrictEqual(expected);
        expect(sizes.every((n) => n >= 1 && n <= cap)).toBe(true);
        expect(sizes.length).toBe(Math.ceil(expected.length / cap));
      }
      for (const size of [0, 10_001, 2.5]) {
        await expect((async () => {
          for await (const _ of s.iterateCves(size)) void _;
        })()).rejects.toBeInstanceOf(RangeError);
      }
      const empty = await fresh();
      const batches: CveRecord[][] = [];
      for await (const b of empty.iterateCves()) batches.push(b);
      expect(batches).toStrictEqual([]);
    });

    it('property: putCves sequences leave the newest version of every id, with counts matching a model', async () => {
      // lastModified values in mixed precision; the model compares them as UTC times (NVD writes no zone).
      const TIMES = ['2024-01-01T00:00:00', '2024-01-01T00:00:00.000', '2024-01-01T00:00:00.500', '2024-01-01T00:00:01.000', '2023-06-30T12:00:00.000', '2025-01-01T00:00:00.000'];
      const call = fc.array(fc.record({ n: fc.integer({ min: 0, max: 5 }), t: fc.integer({ min: 0, max: TIMES.length - 1 }) }), { maxLength: 12 });
      await fc.assert(
        fc.asyncProperty(fc.array(call, { maxLength: 5 }), async (calls) => {
          const s = await open();
          try {
            await s.migrate();
            const model = new Map<string, CveRecord>();
            let tag = 0;
            for (const c of calls) {
              const want = { inserted: 0, updated: 0, unchanged: 0 };
              const recs = c.map((x) => fixtureCve(`CVE-2024-000${x.n}`, TIMES[x.t], String(tag++)));
              for (const r of recs) {
                const stored = model.get(r.id);
                if (stored === undefined) want.inserted++;
                else if (Date.parse(`${r.lastModified}Z`) > Date.parse(`${stored.lastModified}Z`)) want.updated++;
                else {
                  want.unchanged++;
                  continue;
                }
                model.set(r.id, r);
              }
              expect(await s.putCves(recs)).toStrictEqual(want);
            }
            const got: CveRecord[] = [];
            for await (const b of s.iterateCves(2)) got.push(...b);
            expect(got).toStrictEqual([...model.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
            expect(await s.countCves()).toBe(model.size);
          } finally {
            await s.close();
          }
        }),
        { numRuns: 30, seed: 20_261_122 },
      );
    });

    it.skipIf(reopen === undefined)('persists everything across close and reopen', async () => {
      const s = await fresh();
      const data = dataset(11, 40);
      const token: TokenRecord = { id: 'tok-1', name: 'n', hash: 'd'.repeat(64), scopes: ['read'], created_ms: T0, revoked: true };
      const entry: ListEntry = { list: 'block', entity: 'ip:10.0.0.1', source: 'manual', reason: 'r', created_ms: T0 };
      await s.writeBatch(data);
      await s.ackAlert(data.alerts[2].id, 'carol', T0 + 7);
      await s.createToken(token);
      await s.putListEntry(entry);
      await s.setState('k', { a: [1, { b: 'c' }] });
      const log: LogRecord = { index: 0, ts_ms: T0, kind: 'model', data: '{"k":1}' };
      await s.writeBatch({ events: [], alerts: [], entities: [], log: [log] });
      await s.putCheckpoint({ size: 1, ts_ms: T0, note: 'n' });
      const scan = fixtureScan('scan-p', T0, [fixtureHost('127.0.0.1', T0 + 100, [[22, 'CVE-2021-41617']])]);
      await s.putScan(scan);
      const cve = fixtureCve('CVE-2021-41617', '2024-11-21T06:26:14.373');
      await s.putCves([cve]);
      await s.close();
      const r = await reopen!();
      opened.push(r);
      await r.migrate();
      expect(await r.countEvents()).toBe(40);
      expect(await collect(1000, (cursor) => r.listEvents({ limit: 1000, cursor }))).toStrictEqual([...data.events].sort(byEvent));
      const alerts = data.alerts.map((a, i) => (i === 2 ? { ...a, acked: true, acked_by: 'carol', acked_at_ms: T0 + 7 } : a));
      expect(await collect(1000, (cursor) => r.listAlerts({ limit: 1000, cursor }))).toStrictEqual([...alerts].sort(byEvent));
      expect(await r.getEntities(data.entities.map((e) => e.entity))).toStrictEqual(data.entities);
      expect(await r.listTokens()).toStrictEqual([token]);
      expect(await r.listEntries('block')).toStrictEqual([entry]);
      expect(await r.getState('k')).toStrictEqual({ a: [1, { b: 'c' }] });
      expect(await r.readLog(0, 5)).toStrictEqual([log]);
      expect(await r.latestCheckpoint()).toStrictEqual({ size: 1, ts_ms: T0, note: 'n' });
      expect(await r.getScan('scan-p')).toStrictEqual(scan);
      expect(await r.previousHostReport('127.0.0.1', T0 + 101)).toStrictEqual(scan.report!.hosts[0]);
      expect(await r.countCves()).toBe(1);
      for await (const b of r.iterateCves()) expect(b).toStrictEqual([cve]);
    });

    it('close is idempotent; every other call afterwards rejects with IPQ-S001', async () => {
      const s = await fresh();
      await s.close();
      await s.close();
      const { events } = dataset(12, 1);
      const calls: (() => Promise<unknown>)[] = [
        () => s.migrate(),
        () => s.writeBatch({ events, alerts: [], entities: [] }),
        () => s.listEvents({ limit: 1 }),
        () => s.countEvents(),
        () => s.getEvent('x'),
        () => s.listAlerts({ limit: 1 }),
        () => s.getAlert('x'),
        () => s.ackAlert('x', 'a', 0),
        () => s.listEntities({ limit: 1 }),
        () => s.getEntities(['x']),
        () => s.recentEntities(1),
        () => s.listEntries('allow'),
        () => s.putListEntry({ list: 'allow', entity: 'x', source: 'manual', reason: '', created_ms: 0 }),
        () => s.deleteListEntry('allow', 'x'),
        () => s.createToken({ id: 'x', name: 'x', hash: 'x', scopes: [], created_ms: 0, revoked: false }),
        () => s.findTokenByHash('x'),
        () => s.listTokens(),
        () => s.revokeToken('x'),
        () => s.getState('x'),
        () => s.setState('x', 1),
        () => s.readLog(0, 1),
        () => s.logSize(),
        () => s.putCheckpoint({ size: 0, ts_ms: 0, note: '' }),
        () => s.listCheckpoints(0, 1),
        () => s.latestCheckpoint(),
        () => s.putCosignature({ size: 0, witness: 'w', line: '', ts_ms: 0 }),
        () => s.listCosignatures(0),
        () => s.putDevice({ device_id: 'd', public_key: '', key_id: '', status: 'pending', created_ms: 0, updated_ms: 0, decided_by: null }),
        () => s.getDevice('d'),
        () => s.listDevices(),
        () => s.putScan(fixtureScan('scan-x', 0)),
        () => s.getScan('scan-x'),
        () => s.listScans({ limit: 1 }),
        () => s.previousHostReport('127.0.0.1', 1),
        () => s.putCves([fixtureCve('CVE-2024-0001', '2024-01-01T00:00:00')]),
        () => s.countCves(),
        async () => {
          for await (const _ of s.iterateCves()) void _;
        },
      ];
      for (const call of calls) await rejectsWith(call(), 'IPQ-S001');
    });
  });
}

type Batch = Parameters<Store['writeBatch']>[0];
