/** RecordRing against a plain-array model (fast-check), and its merge. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordRing } from './ring';

interface R {
  readonly id: string;
  readonly t: number;
}

describe('RecordRing', () => {
  it('keeps the newest `capacity` unique records in push order (model-based)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 60 }), (cap, ids) => {
        const ring = new RecordRing<R>(cap, (r) => r.id);
        let model: R[] = [];
        ids.forEach((n, i) => {
          const r = { id: `r${n}`, t: i };
          const dup = model.some((m) => m.id === r.id);
          expect(ring.push(r)).toBe(!dup);
          if (!dup) model = [...model, r].slice(-cap);
        });
        expect(ring.toArray()).toEqual(model);
        expect(ring.newestFirst()).toEqual([...model].reverse());
        expect(ring.size).toBe(model.length);
        for (const m of model) expect(ring.get(m.id)).toBe(m);
        for (let n = 0; n <= 20; n++) expect(ring.has(`r${n}`)).toBe(model.some((m) => m.id === `r${n}`));
      }),
      { numRuns: 300 },
    );
  });

  it('upsert replaces in place; merge sorts by key, drops duplicates and keeps the newest', () => {
    const ring = new RecordRing<R>(4, (r) => r.id);
    ring.push({ id: 'a', t: 10 });
    ring.push({ id: 'b', t: 20 });
    ring.upsert({ id: 'a', t: 11 });
    expect(ring.toArray()).toEqual([{ id: 'a', t: 11 }, { id: 'b', t: 20 }]);
    ring.merge([{ id: 'c', t: 5 }, { id: 'b', t: 99 }, { id: 'd', t: 15 }, { id: 'e', t: 30 }, { id: 'e', t: 31 }], (r) => r.t);
    // a(11) b(20) c(5) d(15) e(30) sorted: c a d b e; capacity 4 drops c; the held b wins over the page's b.
    expect(ring.toArray().map((r) => r.id)).toEqual(['a', 'd', 'b', 'e']);
    expect(ring.get('b')).toEqual({ id: 'b', t: 20 });
    expect(ring.has('c')).toBe(false);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RecordRing<R>(0, (r) => r.id)).toThrow(RangeError);
    expect(() => new RecordRing<R>(1.5, (r) => r.id)).toThrow(RangeError);
  });
});
