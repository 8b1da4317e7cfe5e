import { describe, expect, it } from 'vitest';
import type { ProgressFn } from '../ml/classifier.js';
import { createProgress, formatLine } from './progress.js';

/** A fake stream recording what is written. */
function fakeStream(isTTY: boolean, columns = 80) {
  const chunks: string[] = [];
  return { isTTY, columns, chunks, write: (c: string) => chunks.push(c) };
}

/** A manual clock. */
function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress', () => {
  it('writes nothing to a non-TTY stream', () => {
    const s = fakeStream(false);
    const p = createProgress(s);
    for (let i = 0; i <= 100; i++) p.update('trees', i, 100);
    p.done();
    expect(s.chunks).toEqual([]);
  });

  it('writes nothing when disabled, even on a TTY', () => {
    const s = fakeStream(true);
    const p = createProgress(s, { enabled: false });
    p.update('trees', 1, 2);
    p.done();
    expect(s.chunks).toEqual([]);
  });

  it('shows stage and percentage on a TTY and ends with a newline after done()', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress(s, { now: c.now });
    p.update('fit trees', 0, 300);
    c.advance(150);
    p.update('fit trees', 111, 300);
    p.done();
    const out = s.chunks.join('');
    expect(out).toContain('fit trees');
    expect(out).toContain(' 37% 111/300'); // floor(111/300 * 100) = 37
    expect(out).toContain('\r');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2); // exactly one newline, at the end
  });

  it('throttles redraws to one per interval, but always draws a new stage and completion', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress(s, { now: c.now, intervalMs: 100 });
    p.update('a', 0, 1000); // first draw
    for (let i = 1; i < 1000; i++) {
      c.advance(1); // 999 updates over 999 ms -> about 10 redraws
      p.update('a', i, 1000);
    }
    const redraws = s.chunks.length;
    expect(redraws).toBeGreaterThanOrEqual(9);
    expect(redraws).toBeLessThanOrEqual(11);
    p.update('a', 1000, 1000); // completion draws at once
    expect(s.chunks.at(-1)).toContain('100% 1000/1000');
    p.update('b', 0, 5); // a new stage draws at once
    expect(s.chunks.at(-1)).toContain('b [');
    p.done();
    p.done();
    p.update('c', 1, 2);
    expect(s.chunks.filter((x) => x === '\n')).toHaveLength(1);
  });

  it('is a ProgressFn that works unbound', () => {
    const s = fakeStream(true);
    const { update, done } = createProgress(s, { now: () => 0 });
    const fn: ProgressFn = update;
    fn('x', 1, 4);
    done();
    expect(s.chunks.join('')).toContain(' 25% 1/4');
  });

  it('writes nothing at all when done() is called before any update', () => {
    const s = fakeStream(true);
    createProgress(s).done();
    expect(s.chunks).toEqual([]);
  });
});

describe('formatLine', () => {
  it('draws a 24-cell bar', () => {
    expect(formatLine('fit', 50, 100, 80)).toBe(`fit [${'#'.repeat(12)}${'-'.repeat(12)}]  50% 50/100`);
    expect(formatLine('fit', 0, 100, 80)).toBe(`fit [${'-'.repeat(24)}]   0% 0/100`);
  });

  it('clamps, handles an unknown total and fits the width', () => {
    expect(formatLine('s', 150, 100, 80)).toContain('100% 150/100');
    expect(formatLine('s', 7, 0, 80)).toBe('s 7');
    expect(formatLine('s', 7, NaN, 80)).toBe('s 7');
    const line = formatLine('a very long stage name indeed', 1, 2, 20);
    expect(Array.from(line)).toHaveLength(20);
    expect(line.endsWith('…')).toBe(true);
  });

  it('neutralises control characters in the stage name', () => {
    expect(formatLine('a\u001b[2Jb\u009b', 1, 2, 80)).toMatch(/^a \[2Jb {2}\[/);
  });
});
