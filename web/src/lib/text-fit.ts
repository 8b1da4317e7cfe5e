/**
 * Fitting a label into a width on a canvas: the whole text when it fits, else its longest prefix that fits
 * followed by "…" (U+2026). Pure: the width of a string comes from `measure` (on a canvas,
 * `(s) => ctx.measureText(s).width` with the font already set; HTML Living Standard §4.12.5.1.3, CanvasText).
 * The text is cut between code points, never inside a surrogate pair. Cost: O(log L) measurements for L code points.
 */

/** The ellipsis appended to a cut label. */
export const ELLIPSIS = '\u2026';

/**
 * `text` when `measure(text) <= maxWidth`, else the longest code-point prefix `p` (trailing spaces dropped) with
 * `measure(p + '…') <= maxWidth`, followed by '…'; '' when not even '…' fits. `measure` must grow with the text
 * (a longer prefix is never narrower), as a font's advance widths do.
 */
export function ellipsize(text: string, maxWidth: number, measure: (s: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  if (measure(ELLIPSIS) > maxWidth) return '';
  const cps = Array.from(text);
  // Largest k in [0, cps.length - 1] with prefix(k) + '…' fitting (k = 0 always fits, checked above).
  let lo = 0;
  let hi = cps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (measure(cps.slice(0, mid).join('') + ELLIPSIS) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return cps.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}
