/** Zeek-style uids: shape, exact base-62 value of the 96 drawn bits (checked with BigInt), determinism. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { createUidGenerator, cryptoRandom32, isConnUid, rngRandom32, UID_DIGITS } from './conn-uid.js';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Independent encoder: BigInt base 62, left-padded with '0'. */
function bigBase62(words: [number, number, number]): string {
  let v = (BigInt(words[0]) << 64n) | (BigInt(words[1]) << 32n) | BigInt(words[2]);
  let s = '';
  while (v > 0n) {
    s = B62[Number(v % 62n)] + s;
    v /= 62n;
  }
  return 'C' + s.padStart(UID_DIGITS, '0');
}

describe('createUidGenerator', () => {
  it('encodes the 96 bits of three 32-bit draws in 17 base-62 digits (vs a BigInt encoder)', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), (w) => {
        let i = 0;
        const gen = createUidGenerator(() => w[i++ % 3]!);
        expect(gen()).toBe(bigBase62(w));
      }),
      { numRuns: 500, seed: 5 },
    );
    expect(createUidGenerator(() => 0)()).toBe('C' + '0'.repeat(17));
    expect(createUidGenerator(() => 0xffffffff)()).toBe(bigBase62([0xffffffff, 0xffffffff, 0xffffffff]));
  });

  it('is deterministic for a seeded rng and unique in practice; crypto default has the shape', () => {
    const a = createUidGenerator(rngRandom32(createRng(1)));
    const b = createUidGenerator(rngRandom32(createRng(1)));
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(new Set(xs).size).toBe(1000);
    expect(xs.every(isConnUid)).toBe(true);
    const c = createUidGenerator(cryptoRandom32());
    const ys = Array.from({ length: 3000 }, () => c());
    expect(ys.every(isConnUid)).toBe(true);
    expect(new Set(ys).size).toBe(3000);
    expect(isConnUid('C-hAvVGS1DHFjwGM9x')).toBe(false);
    expect(isConnUid('C' + '0'.repeat(16))).toBe(false);
  });
});
