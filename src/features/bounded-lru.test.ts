import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedLru } from './bounded-lru.js';

describe('BoundedLru', () => {
  it('evicts the least recently used key; get refreshes, peek and has do not', () => {
    const evicted: [string, number][] = [];
    const lru = new BoundedLru<string, number>(3, { onEvict: (k, v) => evicted.push([k, v]) });
    lru.set('a', 1).set('b', 2).set('c', 3);
    expect(lru.get('a')).toBe(1); // order now b, c, a
    expect(lru.peek('b')).toBe(2); // no refresh
    expect(lru.has('b')).toBe(true); // no refresh
    lru.set('d', 4); // evicts b
    expect(evicted).toEqual([['b', 2]]);
    expect([...lru.keys()]).toEqual(['c', 'a', 'd']);
    lru.set('c', 30); // replace refreshes, no eviction
    expect(evicted).toHaveLength(1);
    expect([...lru]).toEqual([['a', 1], ['d', 4], ['c', 30]]);
    lru.set('e', 5); // evicts a
    expect(evicted).toEqual([['b', 2], ['a', 1]]);
    expect(lru.evictions).toBe(2);
    expect(lru.size).toBe(3);
  });

  it('delete and clear are not evictions; an undefined value is still held and refreshed', () => {
    const evicted: string[] = [];
    const lru = new BoundedLru<string, number | undefined>(2, { onEvict: (k) => evicted.push(k) });
    lru.set('u', undefined).set('x', 1);
    expect(lru.get('u')).toBeUndefined(); // refreshes u: order x, u
    lru.set('y', 2); // evicts x
    expect(evicted).toEqual(['x']);
    expect(lru.delete('u')).toBe(true);
    expect(lru.delete('u')).toBe(false);
    lru.clear();
    expect(lru.size).toBe(0);
    expect(lru.evictions).toBe(1);
    expect(evicted).toEqual(['x']);
  });

  it('rejects a capacity that is not a positive integer', () => {
    for (const c of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new BoundedLru(c)).toThrow(RangeError);
  });

  it('matches a naive list model on random operation sequences', () => {
    type Op = { op: 'get' | 'peek' | 'set' | 'delete'; key: number; value: number };
    const opArb: fc.Arbitrary<Op> = fc.record({
      op: fc.constantFrom('get', 'peek', 'set', 'set', 'delete'),
      key: fc.integer({ min: 0, max: 7 }),
      value: fc.integer(),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(opArb, { maxLength: 80 }), (cap, ops) => {
        const evicted: [number, number][] = [];
        const lru = new BoundedLru<number, number>(cap, { onEvict: (k, v) => evicted.push([k, v]) });
        // Reference: an array of [key, value], least recently used first.
        const model: [number, number][] = [];
        const modelEvicted: [number, number][] = [];
        const find = (k: number): number => model.findIndex((e) => e[0] === k);
        for (const { op, key, value } of ops) {
          const i = find(key);
          if (op === 'get') {
            const expected = i < 0 ? undefined : model[i][1];
            if (i >= 0) model.push(model.splice(i, 1)[0]);
            expect(lru.get(key)).toBe(expected);
          } else if (op === 'peek') {
            expect(lru.peek(key)).toBe(i < 0 ? undefined : model[i][1]);
          } else if (op === 'delete') {
            if (i >= 0) model.splice(i, 1);
            expect(lru.delete(key)).toBe(i >= 0);
          } else {
            if (i >= 0) model.splice(i, 1);
            else if (model.length === cap) modelEvicted.push(model.shift() as [number, number]);
            model.push([key, value]);
            lru.set(key, value);
          }
          expect([...lru.entries()]).toEqual(model);
        }
        expect(evicted).toEqual(modelEvicted);
        expect(lru.evictions).toBe(modelEvicted.length);
        expect(lru.size).toBeLessThanOrEqual(cap);
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
