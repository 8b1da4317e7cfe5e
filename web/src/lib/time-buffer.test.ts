/** TimeOrderedBuffer against a plain-array model (fast-check): (time, id) order, uniqueness, the newest kept. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TimeOrderedBuffer, compareByTime } from './time-buffer';

interface R {
  readonly id: string;
  readonly t: number;
}

const idOf = (r: R) => r.id;
const tsOf = (r: R) => r.t;
/** The model's order, written independently: time ascending, then id by code unit. */
const modelOrder = (a: R, b: R) => (a.t !== b.t ? a.t - b.t : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
/** The model: the newest `cap` of the unique records (first of an id wins), sorted. */
const model = (all: readonly R[], cap: number): R[] => {
  const seen = new Set<string>();
  const unique = all.filter((r) => !seen.has(r.id) && seen.add(r.id) !== undefined);
  return unique.sort(modelOrder).slice(-cap);
};

const record = fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'B', 'aa', 'é'), t: fc.integer({ min: 0, max: 12 }) });

describe('TimeOrderedBuffer', () => {
  it('holds the newest `capacity` unique records in (time, id) order, whatever the arrival order (model-based)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.oneof(record, fc.array(record, { maxLength: 6 })), { maxLength: 40 }), (cap, steps) => {
        const buf = new TimeOrderedBuffer<R>(cap, idOf, tsOf);
        // A step is one record (add) or a page (addMany, any length).
        let held: R[] = [];
        for (const step of steps) {
          if (!Array.isArray(step)) {
            const dup = held.some((h) => h.id === step.id);
            const next = dup ? held : model([...held, step], cap);
            expect(buf.add(step)).toBe(!dup && next.includes(step));
            held = next;
          } else {
            const next = model([...held, ...step.filter((r) => !held.some((h) => h.id === r.id))], cap);
            expect(buf.addMany(step)).toBe(step.filter((r) => next.includes(r)).length);
            held = next;
          }
          expect(buf.toArray()).toEqual(held);
        }
        expect(buf.newestFirst()).toEqual([...held].reverse());
        expect(buf.size).toBe(held.length);
        expect(buf.newest()).toBe(held.at(-1));
        for (let i = 0; i < held.length; i++) expect(buf.at(i)).toBe(held[i]);
        for (const h of held) expect(buf.get(h.id)).toBe(h);
        for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'B', 'aa', 'é']) expect(buf.has(id)).toBe(held.some((h) => h.id === id));
      }),
      { numRuns: 400 },
    );
  });

  it('counts the records after a given one (held or not)', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 30 }), record, (rs, probe) => {
        const buf = new TimeOrderedBuffer<R>(100, idOf, tsOf);
        buf.addMany(rs);
        const held = buf.toArray();
        expect(buf.countAfter(probe)).toBe(held.filter((h) => modelOrder(h, probe) > 0).length);
      }),
      { numRuns: 300 },
    );
  });

  it('orders by time, then id, and drops the oldest by time (not the first to arrive) when full', () => {
    const buf = new TimeOrderedBuffer<R>(3, idOf, tsOf);
    buf.add({ id: 'late', t: 50 });
    buf.add({ id: 'x', t: 10 });
    buf.add({ id: 'b', t: 30 });
    buf.add({ id: 'a', t: 30 });
    expect(buf.newestFirst().map((r) => r.id)).toEqual(['late', 'b', 'a']);
    // Older than everything held in a full buffer: refused, nothing changes.
    expect(buf.add({ id: 'old', t: 1 })).toBe(false);
    expect(buf.add({ id: 'a2', t: 30 })).toBe(true);
    expect(buf.toArray().map((r) => r.id)).toEqual(['a2', 'b', 'late']);
    expect(buf.has('a')).toBe(false);
    expect(compareByTime({ id: 'a', t: 1 }, { id: 'b', t: 1 }, tsOf, idOf)).toBeLessThan(0);
    expect(compareByTime({ id: 'z', t: 0 }, { id: 'a', t: 1 }, tsOf, idOf)).toBeLessThan(0);
    buf.clear();
    expect(buf.size).toBe(0);
    expect(buf.newest()).toBeUndefined();
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new TimeOrderedBuffer<R>(0, idOf, tsOf)).toThrow(RangeError);
    expect(() => new TimeOrderedBuffer<R>(2.5, idOf, tsOf)).toThrow(RangeError);
  });
});
