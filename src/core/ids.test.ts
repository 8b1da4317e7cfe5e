import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { idGenerator } from './ids.js';

describe('idGenerator (ULID layout)', () => {
  it('encodes the time in the first 10 characters as in the ULID spec example', () => {
    // ULID spec: 1469918176385 ms encodes as 01ARYZ6S41.
    const id = idGenerator(() => new Uint8Array(10), () => 1469918176385)();
    expect(id.slice(0, 10)).toBe('01ARYZ6S41');
    expect(id.slice(10)).toBe('0000000000000000');
  });
  it('encodes all-ones random bits as sixteen Z', () => {
    const id = idGenerator(() => new Uint8Array(10).fill(255), () => 0)();
    expect(id).toBe('0000000000ZZZZZZZZZZZZZZZZ');
  });
  it('sorts by time as strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: 0, max: 2 ** 47 }), fc.uint8Array({ minLength: 10, maxLength: 10 }), (a, b, r) => {
        fc.pre(a !== b);
        const ia = idGenerator(() => r, () => a)();
        const ib = idGenerator(() => r, () => b)();
        expect(ia.length).toBe(26);
        expect(ia < ib).toBe(a < b);
        expect(ia).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      }),
    );
  });
});
