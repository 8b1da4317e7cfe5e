import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window.js';

/** Reference model: the RFC 4303 §3.4.3 rule stated directly over a set of every counter ever accepted. */
class ModelWindow {
  private readonly seen = new Set<number>();
  private top = -1;
  constructor(private readonly w: number) {}
  check(c: number): 'ok' | 'replay' | 'stale' {
    if (c > this.top) return 'ok';
    if (this.top - c >= this.w) return 'stale';
    return this.seen.has(c) ? 'replay' : 'ok';
  }
  accept(c: number): boolean {
    if (this.check(c) !== 'ok') return false;
    this.seen.add(c);
    if (c > this.top) this.top = c;
    return true;
  }
}

describe('ReplayWindow', () => {
  it('accepts each counter once, in order', () => {
    const w = new ReplayWindow();
    for (let c = 0; c < 5000; c++) {
      expect(w.accept(c)).toBe(true);
      expect(w.check(c)).toBe('replay');
    }
    expect(w.top).toBe(4999);
  });

  it('accepts reordering inside the window once each and rejects below it as stale', () => {
    const w = new ReplayWindow(1024);
    expect(w.accept(2000)).toBe(true);
    expect(w.check(2000 - 1023)).toBe('ok');
    expect(w.check(2000 - 1024)).toBe('stale');
    for (let c = 1999; c > 2000 - 1024; c -= 7) {
      expect(w.accept(c)).toBe(true);
      expect(w.accept(c)).toBe(false);
      expect(w.check(c)).toBe('replay');
    }
  });

  it('forgets nothing inside the window when the top moves into a new word (RFC 6479 spare block)', () => {
    const w = new ReplayWindow(64);
    for (let c = 0; c < 64; c++) w.accept(c);
    w.accept(95); // top in word 2; the window is 32..95
    for (let c = 32; c < 64; c++) expect(w.check(c)).toBe('replay');
    for (let c = 64; c < 95; c++) expect(w.check(c)).toBe('ok');
    expect(w.check(31)).toBe('stale');
    w.accept(96); // window 33..96; word 3 reuses word 0's slot, which held 0..31 only
    expect(w.check(32)).toBe('stale');
    for (let c = 33; c < 64; c++) expect(w.check(c)).toBe('replay');
  });

  it('handles jumps larger than the window and counters near 2^53', () => {
    const w = new ReplayWindow(32);
    w.accept(5);
    w.accept(1e6);
    expect(w.check(5)).toBe('stale');
    expect(w.check(1e6 - 1)).toBe('ok');
    const big = Number.MAX_SAFE_INTEGER;
    expect(w.accept(big - 40)).toBe(true);
    expect(w.accept(big)).toBe(true);
    expect(w.check(big - 40)).toBe('stale');
    expect(w.check(big - 1)).toBe('ok');
    expect(w.accept(big - 1)).toBe(true);
    expect(w.check(big - 1)).toBe('replay');
  });

  it('rejects bad sizes and counters', () => {
    expect(() => new ReplayWindow(1000)).toThrow(RangeError);
    expect(() => new ReplayWindow(0)).toThrow(RangeError);
    expect(() => new ReplayWindow().check(-1)).toThrow(RangeError);
    expect(() => new ReplayWindow().check(1.5)).toThrow(RangeError);
  });

  it('agrees with the set-based model on random counter sequences (fast-check)', () => {
    const counter = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 2 ** 40 }));
    fc.assert(
      fc.property(fc.constantFrom(32, 64, 96, 1024), fc.array(fc.tuple(counter, fc.boolean()), { maxLength: 400 }), (size, ops) => {
        const w = new ReplayWindow(size);
        const m = new ModelWindow(size);
        for (const [c, doAccept] of ops) {
          expect(w.check(c)).toBe(m.check(c));
          if (doAccept) expect(w.accept(c)).toBe(m.accept(c));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the model when counters arrive as a shuffled near-sequence (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -40, max: 40 }), { minLength: 1, maxLength: 3000 }), (jitter) => {
        const w = new ReplayWindow(32);
        const m = new ModelWindow(32);
        jitter.forEach((j, i) => {
          const c = Math.max(0, i + j);
          expect(w.accept(c)).toBe(m.accept(c));
        });
      }),
      { numRuns: 100 },
    );
  });
});
