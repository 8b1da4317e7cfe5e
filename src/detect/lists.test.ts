import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListEntry, ListName, RiskClass } from '../core/records.js';
import { ListsState, oppositeList } from './lists.js';

const T0 = Date.UTC(2025, 0, 1);
const H = 3_600_000;

const entry = (list: ListName, entity: string, source: 'manual' | 'auto', created_ms = T0, reason = 'test'): ListEntry => ({
  list,
  entity,
  source,
  reason,
  created_ms,
});

describe('ListsState: put and remove', () => {
  it('puts and answers isBlocked / isAllowed / get / entries', () => {
    const s = new ListsState();
    expect(s.put(entry('block', 'ip:10.0.0.1', 'manual'))).toBe(true);
    expect(s.put(entry('allow', 'sensor:a/1', 'auto'))).toBe(true);
    expect(s.isBlocked('ip:10.0.0.1')).toBe(true);
    expect(s.isAllowed('ip:10.0.0.1')).toBe(false);
    expect(s.isAllowed('sensor:a/1')).toBe(true);
    expect(s.get('block', 'ip:10.0.0.1')?.source).toBe('manual');
    expect(s.get('allow', 'ip:10.0.0.1')).toBeUndefined();
    expect(s.entries('block').map((e) => e.entity)).toEqual(['ip:10.0.0.1']);
    expect(s.entries('allow').map((e) => e.entity)).toEqual(['sensor:a/1']);
    expect(s.size).toBe(2);
  });

  it('never lets an auto put replace or contradict a manual entry, on either list', () => {
    const s = new ListsState();
    s.put(entry('allow', 'x', 'manual'));
    expect(s.put(entry('block', 'x', 'auto'))).toBe(false);
    expect(s.put(entry('allow', 'x', 'auto'))).toBe(false);
    expect(s.get('allow', 'x')?.source).toBe('manual');
    s.put(entry('block', 'y', 'manual'));
    expect(s.put(entry('allow', 'y', 'auto'))).toBe(false);
    expect(s.put(entry('block', 'y', 'auto'))).toBe(false);
    expect(s.get('block', 'y')?.source).toBe('manual');
  });

  it('lets a manual put replace an auto entry on the same list or move the entity off the opposite one', () => {
    const s = new ListsState();
    s.put(entry('block', 'x', 'auto'));
    expect(s.put(entry('block', 'x', 'manual'))).toBe(true);
    expect(s.get('block', 'x')?.source).toBe('manual');
    s.put(entry('allow', 'y', 'auto'));
    expect(s.put(entry('block', 'y', 'manual'))).toBe(true);
    expect(s.isAllowed('y')).toBe(false);
    expect(s.isBlocked('y')).toBe(true);
    // The operator's latest decision replaces an earlier manual one.
    expect(s.put(entry('allow', 'y', 'manual'))).toBe(true);
    expect([s.isAllowed('y'), s.isBlocked('y')]).toEqual([true, false]);
  });

  it('never auto-unblocks, but an auto block replaces an auto allow', () => {
    const s = new ListsState();
    s.put(entry('block', 'x', 'auto'));
    expect(s.put(entry('allow', 'x', 'auto'))).toBe(false);
    expect(s.isBlocked('x')).toBe(true);
    s.put(entry('allow', 'y', 'auto'));
    expect(s.put(entry('block', 'y', 'auto'))).toBe(true);
    expect([s.isAllowed('y'), s.isBlocked('y')]).toEqual([false, true]);
  });

  it('removes from the named list only, whatever the source', () => {
    const s = new ListsState();
    s.put(entry('block', 'x', 'manual'));
    expect(s.remove('allow', 'x')).toBe(false);
    expect(s.isBlocked('x')).toBe(true);
    expect(s.remove('block', 'x')).toBe(true);
    expect(s.remove('block', 'x')).toBe(false);
    s.put(entry('allow', 'y', 'auto'));
    expect(s.remove('allow', 'y')).toBe(true);
    expect(s.size).toBe(0);
  });

  it('refuses new auto entries at maxEntries, manual ones at twice it', () => {
    const s = new ListsState({ maxEntries: 2 });
    expect(s.put(entry('block', 'a', 'auto'))).toBe(true);
    expect(s.put(entry('allow', 'b', 'auto'))).toBe(true);
    expect(s.put(entry('block', 'c', 'auto'))).toBe(false);
    // Replacing an existing entity's entry is not a new entry.
    expect(s.put(entry('block', 'b', 'auto'))).toBe(true);
    expect(s.put(entry('block', 'c', 'manual'))).toBe(true);
    expect(s.put(entry('block', 'd', 'manual'))).toBe(true);
    expect(s.put(entry('block', 'e', 'manual'))).toBe(false);
    expect(s.put(entry('allow', 'd', 'manual'))).toBe(true);
    expect(s.size).toBe(4);
  });

  it('rejects malformed entries with TypeError', () => {
    const s = new ListsState();
    expect(() => s.put({ ...entry('block', 'x', 'auto'), list: 'grey' as ListName })).toThrow(TypeError);
    expect(() => s.put({ ...entry('block', 'x', 'auto'), source: 'robot' as 'auto' })).toThrow(TypeError);
    expect(() => s.put(entry('block', '', 'auto'))).toThrow(TypeError);
    expect(() => new ListsState({ maxEntries: 0 })).toThrow(RangeError);
  });

  it('names the opposite list', () => {
    expect(oppositeList('allow')).toBe('block');
    expect(oppositeList('block')).toBe('allow');
  });
});

describe('ListsState: load', () => {
  it('resolves conflicting store rows manual first, then newest, and returns the rows not kept', () => {
    const s = new ListsState();
    const rows = [
      entry('allow', 'x', 'auto', T0 + 5),
      entry('block', 'x', 'manual', T0 + 1), // manual beats a newer auto
      entry('block', 'y', 'manual', T0 + 1),
      entry('allow', 'y', 'manual', T0 + 2), // newer manual wins
      entry('block', 'z', 'auto', T0),
      entry('allow', 'z', 'auto', T0 + 9), // auto never unblocks
    ];
    s.put(entry('block', 'old', 'manual'));
    const dropped = s.load(rows);
    expect(s.get('block', 'old')).toBeUndefined();
    expect(s.get('block', 'x')).toBe(rows[1]);
    expect(s.get('allow', 'y')).toBe(rows[3]);
    expect(s.get('block', 'z')).toBe(rows[4]);
    expect(dropped).toEqual([rows[0], rows[2], rows[5]]);
  });
});

describe('ListsState: autoUpdate', () => {
  it('auto-blocks a High device once, replacing its auto allow', () => {
    const s = new ListsState();
    s.put(entry('allow', 'sensor:a/1', 'auto'));
    const out = s.autoUpdate('sensor:a/1', 'High', null, T0 + 10);
    expect(out).toEqual([{ list: 'block', entity: 'sensor:a/1', source: 'auto', reason: 'device risk class High', created_ms: T0 + 10 }]);
    expect([s.isAllowed('sensor:a/1'), s.isBlocked('sensor:a/1')]).toEqual([false, true]);
    expect(s.autoUpdate('sensor:a/1', 'High', null, T0 + 20)).toEqual([]);
    // Auto blocks do not expire on their own.
    expect(s.autoUpdate('sensor:a/1', 'Low', T0, T0 + 48 * H)).toEqual([]);
    expect(s.isBlocked('sensor:a/1')).toBe(true);
  });

  it('leaves a manually listed device alone', () => {
    const s = new ListsState();
    s.put(entry('allow', 'm', 'manual'));
    expect(s.autoUpdate('m', 'High', null, T0)).toEqual([]);
    expect(s.isAllowed('m')).toBe(true);
  });

  it('auto-allows a device Low for allowAfterMs (24 h by default) and not before, nor when Medium', () => {
    const s = new ListsState();
    expect(s.autoUpdate('d', 'Low', T0, T0 + 24 * H - 1)).toEqual([]);
    expect(s.autoUpdate('d', 'Low', null, T0 + 48 * H)).toEqual([]);
    expect(s.autoUpdate('d', 'Medium', T0, T0 + 48 * H)).toEqual([]);
    const out = s.autoUpdate('d', 'Low', T0, T0 + 24 * H);
    expect(out).toEqual([{ list: 'allow', entity: 'd', source: 'auto', reason: 'device risk class Low for 24 h', created_ms: T0 + 24 * H }]);
    expect(s.isAllowed('d')).toBe(true);
    expect(s.autoUpdate('d', 'Low', T0, T0 + 30 * H)).toEqual([]);
    // Medium leaves the allow in place; High replaces it.
    expect(s.autoUpdate('d', 'Medium', null, T0 + 31 * H)).toEqual([]);
    expect(s.isAllowed('d')).toBe(true);
    expect(s.autoUpdate('d', 'High', null, T0 + 32 * H)).toHaveLength(1);
    expect(s.isBlocked('d')).toBe(true);
    const short = new ListsState({ allowAfterMs: H });
    expect(short.autoUpdate('d', 'Low', T0, T0 + H)[0]?.reason).toBe('device risk class Low for 1 h');
  });

  it('does not auto-allow a blocked device', () => {
    const s = new ListsState();
    s.put(entry('block', 'b', 'manual'));
    expect(s.autoUpdate('b', 'Low', T0, T0 + 100 * H)).toEqual([]);
    expect(s.isBlocked('b')).toBe(true);
  });

  it('respects the bound', () => {
    const s = new ListsState({ maxEntries: 1 });
    expect(s.autoUpdate('a', 'High', null, T0)).toHaveLength(1);
    expect(s.autoUpdate('b', 'High', null, T0)).toEqual([]);
    expect(s.isBlocked('b')).toBe(false);
  });
});

describe('ListsState: invariants over random operation sequences', () => {
  const entities = ['e0', 'e1', 'e2', 'e3', 'e4'];
  const list = fc.constantFrom<ListName>('allow', 'block');
  const op = fc.oneof(
    fc.record({ kind: fc.constant('put' as const), list, entity: fc.constantFrom(...entities), source: fc.constantFrom('manual' as const, 'auto' as const) }),
    fc.record({ kind: fc.constant('remove' as const), list, entity: fc.constantFrom(...entities) }),
    fc.record({
      kind: fc.constant('auto' as const),
      entity: fc.constantFrom(...entities),
      riskClass: fc.constantFrom<RiskClass>('Low', 'Medium', 'High'),
      lowForH: fc.option(fc.integer({ min: 0, max: 48 }), { nil: null }),
    }),
  );

  it('manual wins, never on both lists, auto never unblocks, bound respected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (maxEntries, ops) => {
        const s = new ListsState({ maxEntries });
        // The manual view: what applying only operator actions (manual puts, removes of manual entries) gives.
        const manual = new Map<string, ListEntry>();
        let now = T0;
        for (const o of ops) {
          now += H;
          const blockedBefore = new Set(entities.filter((e) => s.isBlocked(e)));
          if (o.kind === 'put') {
            const e = entry(o.list, o.entity, o.source, now);
            const had = s.size;
            const existed = entities.some((x) => x === o.entity && (s.isAllowed(x) || s.isBlocked(x)));
            const ok = s.put(e);
            if (o.source === 'manual') {
              expect(ok).toBe(existed || had < 2 * maxEntries);
              if (ok) manual.set(o.entity, e);
            } else {
              if (manual.has(o.entity)) expect(ok).toBe(false);
              if (!existed && had >= maxEntries) expect(ok).toBe(false);
            }
          } else if (o.kind === 'remove') {
            const cur = s.get(o.list, o.entity);
            expect(s.remove(o.list, o.entity)).toBe(cur !== undefined);
            if (cur?.source === 'manual') manual.delete(o.entity);
          } else {
            const out = s.autoUpdate(o.entity, o.riskClass, o.lowForH === null ? null : now - o.lowForH * H, now);
            for (const e of out) {
              expect(e.source).toBe('auto');
              expect(s.get(e.list, e.entity)).toBe(e);
            }
          }
          if (o.kind !== 'remove' && !(o.kind === 'put' && o.source === 'manual')) {
            for (const e of blockedBefore) expect(s.isBlocked(e)).toBe(true);
          }
          const allow = new Set(s.entries('allow').map((e) => e.entity));
          const block = new Set(s.entries('block').map((e) => e.entity));
          expect(allow.size + block.size).toBe(s.size);
          expect(s.size).toBeLessThanOrEqual(2 * maxEntries);
          for (const x of entities) {
            expect(allow.has(x) && block.has(x)).toBe(false);
            expect(s.isAllowed(x) && s.isBlocked(x)).toBe(false);
            const m = manual.get(x);
            const cur = s.get('allow', x) ?? s.get('block', x);
            if (m !== undefined) expect(cur).toBe(m);
            else if (cur !== undefined) expect(cur.source).toBe('auto');
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
