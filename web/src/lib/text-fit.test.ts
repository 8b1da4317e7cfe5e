/** ellipsize: hand-computed cuts with a fixed-advance font, and its contract for any text and width (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ELLIPSIS, ellipsize } from './text-fit';

/** A monospace font: 6 px per code point. */
const mono = (s: string) => Array.from(s).length * 6;
/** A proportional font: 'W' 10 px, 'i' 3 px, anything else 6 px. */
const prop = (s: string) => Array.from(s).reduce((a, c) => a + (c === 'W' ? 10 : c === 'i' ? 3 : 6), 0);

describe('ellipsize', () => {
  it('keeps a text that fits and cuts one that does not, hand-computed', () => {
    expect(ellipsize('site-a/tt-001', 78, mono)).toBe('site-a/tt-001'); // 13 × 6 = 78
    // 77 px: at most 12 code points, i.e. 11 of the text plus "…".
    expect(ellipsize('site-a/tt-001', 77, mono)).toBe(`site-a/tt-0${ELLIPSIS}`);
    // A space before the cut is dropped: "ab …" would waste the room.
    expect(ellipsize('ab cdefgh', 24, mono)).toBe(`ab${ELLIPSIS}`);
    expect(ellipsize('WWWiii', 25, prop)).toBe(`W${ELLIPSIS}`); // "WW…" is 10 + 10 + 6 = 26 > 25; "W…" is 16
    expect(ellipsize('iiiiWW', 20, prop)).toBe(`iiii${ELLIPSIS}`); // 4 × 3 + 6 = 18
    expect(ellipsize('anything', 5, mono)).toBe(''); // not even "…" fits
    expect(ellipsize('', 0, mono)).toBe('');
  });

  it('never splits a surrogate pair, and markup stays plain text', () => {
    expect(ellipsize('😀😀😀😀', 18, mono)).toBe(`😀😀${ELLIPSIS}`);
    expect(ellipsize('"><img src=x onerror=alert(1)>', 60, mono)).toBe(`"><img sr${ELLIPSIS}`); // 60 px: 9 + "…"
  });

  it('returns the text, or its longest prefix that fits with "…", for any text and width (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 0, max: 300 }), fc.constantFrom(mono, prop), (text, width, measure) => {
        const out = ellipsize(text, width, measure);
        if (measure(text) <= width) {
          expect(out).toBe(text);
          return;
        }
        if (out === '') {
          expect(measure(ELLIPSIS)).toBeGreaterThan(width);
          return;
        }
        expect(out.endsWith(ELLIPSIS)).toBe(true);
        expect(measure(out)).toBeLessThanOrEqual(width);
        const kept = out.slice(0, -ELLIPSIS.length);
        expect(text.startsWith(kept)).toBe(true);
        expect(kept).toBe(kept.trimEnd());
        // One more code point would not fit (unless it was a trailing space that got dropped).
        const cps = Array.from(text);
        const n = Array.from(kept).length;
        const longer = cps.slice(0, n + 1).join('');
        if (longer.trimEnd() === longer) expect(measure(longer + ELLIPSIS)).toBeGreaterThan(width);
      }),
      { numRuns: 500 },
    );
  });
});
