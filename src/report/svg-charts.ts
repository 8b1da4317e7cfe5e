/**
 * Small pure SVG chart builders for the self-contained HTML reports: a line chart (ROC curves), a
 * heat-mapped grid (confusion matrices) and horizontal bars (feature importance, per-class recall).
 *
 * Each function returns one `<svg>` element as a string, sized in CSS pixels through `viewBox`, with no
 * script, no external reference and every text escaped by {@link escapeXml}. Charts are deterministic: the
 * same input gives the same string. Styling that the page may override sits in attributes (`fill`,
 * `stroke`), so a chart also renders on its own.
 */

/** Colour-blind-safe categorical palette (after Okabe & Ito 2008, darkened for contrast on white). */
export const SERIES_COLOURS: readonly string[] = ['#2563eb', '#d55e00', '#009e73', '#cc79a7', '#7c3aed', '#0072b2', '#b8860b', '#4b5563'];

/** System font stack used by every chart (no web fonts: reports load nothing). */
export const CHART_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

const TEXT = '#1f2937';
const MUTED = '#6b7280';
const GRID = '#e5e7eb';
const AXIS = '#9ca3af';

/**
 * Escapes a string for XML/HTML text and attribute values: `& < > " '` become entities, and characters not
 * allowed in XML 1.0 (§2.2: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.
 */
export function escapeXml(value: string): string {
  return scrubXmlChars(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Replaces characters outside the XML 1.0 `Char` production (§2.2) by U+FFFD; returns `s` when none. */
function scrubXmlChars(s: string): string {
  let out: string[] | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let bad = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        if (out !== undefined) out.push(s[i], s[i + 1]);
        i++;
        continue;
      }
      bad = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      bad = true;
    }
    if (bad && out === undefined) out = [s.slice(0, i)];
    if (out !== undefined) out.push(bad ? '\ufffd' : s[i]);
  }
  return out === undefined ? s : out.join('');
}

/** Rounds an SVG coordinate to 0.01 px (keeps strings short and stable). */
const px = (v: number): string => String(Math.round(v * 100) / 100);

/** Rough width in px of `s` at `fontSize` in a proportional sans-serif (0.58 em per character). */
export function textWidth(s: string, fontSize: number): number {
  return Array.from(s).length * fontSize * 0.58;
}

/** Shortens `s` to at most `maxChars` code points, ending in `…` when cut. */
export function truncate(s: string, maxChars: number): string {
  const cps = Array.from(s);
  return cps.length <= maxChars ? s : `${cps.slice(0, Math.max(1, maxChars - 1)).join('')}…`;
}

function svgOpen(width: number, height: number, label: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${px(width)} ${px(height)}" width="${px(width)}" ` +
    `height="${px(height)}" role="img" aria-label="${escapeXml(label)}" font-family="${escapeXml(CHART_FONT)}" ` +
    `font-size="12" fill="${TEXT}"><title>${escapeXml(label)}</title>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// Line chart

/** One curve of a {@link lineChart}: points `(x[i], y[i])` in drawing order. */
export interface LineSeries {
  readonly label: string;
  readonly x: readonly number[] | Float64Array;
  readonly y: readonly number[] | Float64Array;
}

/** Options of {@link lineChart}. Sizes in CSS px. */
export interface LineChartOptions {
  /** Accessible name and `<title>` of the chart. */
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** Default 460 × 400. */
  readonly width?: number;
  readonly height?: number;
  /** Axis ranges; default `[0, 1]` each (ROC space). */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
  /** Number of grid intervals per axis; default 5. */
  readonly ticks?: number;
  /** Draw the dashed `y = x` chance line (ROC); default false. */
  readonly diagonal?: boolean;
  /** Legend label of the diagonal; default `chance`. */
  readonly diagonalLabel?: string;
}

/**
 * A line chart with grid, axes, tick labels, axis titles, an optional dashed diagonal and a legend in the
 * lower right corner (where ROC curves leave room). Non-finite points are skipped; points closer than half
 * a pixel to the previous kept point are dropped, so a ROC curve with 10⁵ thresholds stays small.
 * @throws RangeError when a series has `x.length !== y.length`, or a domain is empty.
 */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const width = options.width ?? 460;
  const height = options.height ?? 400;
  const [x0, x1] = options.xDomain ?? [0, 1];
  const [y0, y1] = options.yDomain ?? [0, 1];
  if (!(x1 > x0) || !(y1 > y0)) throw new RangeError('lineChart: domains must satisfy min < max');
  const ticks = options.ticks ?? 5;
  const m = { left: 58, right: 14, top: 14, bottom: 50 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (v: number): number => m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number): number => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const parts: string[] = [svgOpen(width, height, options.title)];
  parts.push(`<rect x="${px(m.left)}" y="${px(m.top)}" width="${px(pw)}" height="${px(ph)}" fill="#ffffff" stroke="none"/>`);
  // Grid and tick labels.
  for (let i = 0; i <= ticks; i++) {
    const xv = x0 + ((x1 - x0) * i) / ticks;
    const yv = y0 + ((y1 - y0) * i) / ticks;
    const gx = sx(xv);
    const gy = sy(yv);
    parts.push(`<line x1="${px(gx)}" y1="${px(m.top)}" x2="${px(gx)}" y2="${px(m.top + ph)}" stroke="${GRID}" stroke-width="1"/>`);
    parts.push(`<line x1="${px(m.left)}" y1="${px(gy)}" x2="${px(m.left + pw)}" y2="${px(gy)}" stroke="${GRID}" stroke-width="1"/>`);
    parts.push(`<text x="${px(gx)}" y="${px(m.top + ph + 18)}" text-anchor="middle" fill="${MUTED}">${tickLabel(xv)}</text>`);
    parts.push(`<text x="${px(m.left - 8)}" y="${px(gy + 4)}" text-anchor="end" fill="${MUTED}">${tickLabel(yv)}</text>`);
  }
  parts.push(`<rect x="${px(m.left)}" y="${px(m.top)}" width="${px(pw)}" height="${px(ph)}" fill="none" stroke="${AXIS}" stroke-width="1"/>`);
  parts.push(
    `<text x="${px(m.left + pw / 2)}" y="${px(height - 10)}" text-anchor="middle" font-weight="600">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${px(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-weight="600">${escapeXml(options.yLabel)}</text>`,
  );
  if (options.diagonal === true) {
    parts.push(
      `<line x1="${px(sx(Math.max(x0, y0)))}" y1="${px(sy(Math.max(x0, y0)))}" x2="${px(sx(Math.min(x1, y1)))}" ` +
        `y2="${px(sy(Math.min(x1, y1)))}" stroke="${AXIS}" stroke-width="1.5" stroke-dasharray="5 4"/>`,
    );
  }
  // Curves, clipped to the plot area.
  const clipId = `clip-${hashId(options.title)}`;
  parts.push(`<clipPath id="${clipId}"><rect x="${px(m.left)}" y="${px(m.top)}" width="${px(pw)}" height="${px(ph)}"/></clipPath>`);
  series.forEach((s, k) => {
    if (s.x.length !== s.y.length) {
      throw new RangeError(`lineChart: series ${k} has ${s.x.length} x values and ${s.y.length} y values`);
    }
    const d = decimatedPath(s, sx, sy);
    if (d !== '') {
      parts.push(
        `<path d="${d}" fill="none" stroke="${SERIES_COLOURS[k % SERIES_COLOURS.length]}" stroke-width="2.25" ` +
          `stroke-linejoin="round" stroke-linecap="round" clip-path="url(#${clipId})"/>`,
      );
    }
  });
  // Legend, lower right.
  const entries = series.map((s, k) => ({ label: truncate(s.label, 40), colour: SERIES_COLOURS[k % SERIES_COLOURS.length], dashed: false }));
  if (options.diagonal === true) entries.push({ label: options.diagonalLabel ?? 'chance', colour: AXIS, dashed: true });
  if (entries.length > 0) {
    const rowH = 18;
    const lw = Math.min(pw - 16, 34 + Math.max(...entries.map((e) => textWidth(e.label, 12))));
    const lh = entries.length * rowH + 10;
    const lx = m.left + pw - lw - 8;
    const ly = m.top + ph - lh - 8;
    parts.push(`<rect x="${px(lx)}" y="${px(ly)}" width="${px(lw)}" height="${px(lh)}" rx="4" fill="#ffffff" fill-opacity="0.92" stroke="${GRID}"/>`);
    entries.forEach((e, i) => {
      const cy = ly + 5 + rowH * i + rowH / 2;
      const dash = e.dashed ? ' stroke-dasharray="5 4"' : '';
      parts.push(
        `<line x1="${px(lx + 8)}" y1="${px(cy)}" x2="${px(lx + 26)}" y2="${px(cy)}" stroke="${e.colour}" stroke-width="${e.dashed ? 1.5 : 2.5}"${dash}/>`,
        `<text x="${px(lx + 32)}" y="${px(cy + 4)}">${escapeXml(e.label)}</text>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

function tickLabel(v: number): string {
  const r = Math.round(v * 1000) / 1000;
  return escapeXml(String(r));
}

/** Path data of a series with sub-pixel steps dropped (the last point is always kept). */
function decimatedPath(s: LineSeries, sx: (v: number) => number, sy: (v: number) => number): string {
  const out: string[] = [];
  let lastX = NaN;
  let lastY = NaN;
  let pendingX = NaN;
  let pendingY = NaN;
  for (let i = 0; i < s.x.length; i++) {
    const xv = s.x[i];
    const yv = s.y[i];
    if (!Number.isFinite(xv) || !Number.isFinite(yv)) continue;
    const X = sx(xv);
    const Y = sy(yv);
    if (out.length > 0 && Math.abs(X - lastX) < 0.5 && Math.abs(Y - lastY) < 0.5) {
      pendingX = X;
      pendingY = Y;
      continue;
    }
    out.push(`${out.length === 0 ? 'M' : 'L'}${px(X)} ${px(Y)}`);
    lastX = X;
    lastY = Y;
    pendingX = NaN;
  }
  if (!Number.isNaN(pendingX)) out.push(`L${px(pendingX)} ${px(pendingY)}`);
  return out.join(' ');
}

/** Short stable id from a string (FNV-1a 32-bit), so two charts on a page do not share a clip path. */
function hashId(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

// ---------------------------------------------------------------------------------------------------------
// Heat-mapped grid

/** Options of {@link heatmapGrid}. */
export interface HeatmapOptions {
  /** Accessible name and `<title>` of the chart. */
  readonly title: string;
  readonly rowLabels: readonly string[];
  readonly colLabels: readonly string[];
  /** `values[r][c]`, `rowLabels.length × colLabels.length`. */
  readonly values: readonly (readonly number[])[];
  /** Axis titles, e.g. `true class` and `predicted class`. */
  readonly rowTitle?: string;
  readonly colTitle?: string;
  /**
   * Colour by the share of the row (`row`, default: a confusion-matrix cell's share of its true class) or
   * of the largest cell (`max`).
   */
  readonly normalise?: 'row' | 'max';
  /** Cell edge in px; default from the grid size (88 px for 2 × 2 down to 36 px for 16+ classes). */
  readonly cellSize?: number;
}

/**
 * A grid of cells coloured from white to dark blue by value, each showing its count and its share of the
 * row, with row labels on the left and column labels on top (rotated when long).
 * @throws RangeError when `values` is not `rowLabels.length × colLabels.length`.
 */
export function heatmapGrid(options: HeatmapOptions): string {
  const { rowLabels, colLabels, values } = options;
  const nr = rowLabels.length;
  const nc = colLabels.length;
  if (values.length !== nr || values.some((row) => row.length !== nc)) {
    throw new RangeError(`heatmapGrid: values must be ${nr} × ${nc}`);
  }
  const k = Math.max(nr, nc);
  const cell = options.cellSize ?? (k <= 2 ? 96 : k <= 4 ? 80 : k <= 8 ? 62 : k <= 12 ? 50 : k <= 16 ? 42 : 36);
  const fontSize = cell >= 60 ? 13 : cell >= 45 ? 11 : 9.5;
  const maxLabelChars = 22;
  const rowText = rowLabels.map((l) => truncate(l, maxLabelChars));
  const colText = colLabels.map((l) => truncate(l, maxLabelChars));
  const rowLabelW = Math.max(30, ...rowText.map((l) => textWidth(l, 12))) + 10;
  const colLabelMaxW = Math.max(0, ...colText.map((l) => textWidth(l, 12)));
  const rotate = colLabelMaxW > cell - 6;
  const colLabelH = rotate ? colLabelMaxW * Math.SQRT1_2 + 16 : 22;
  const titleBand = 22;
  const left = (options.rowTitle !== undefined ? titleBand : 0) + rowLabelW;
  const top = (options.colTitle !== undefined ? titleBand : 0) + colLabelH;
  const rightPad = rotate ? Math.max(12, colLabelMaxW * Math.SQRT1_2 - cell / 2) : 12;
  const width = left + nc * cell + rightPad;
  const height = top + nr * cell + 8;
  const parts: string[] = [svgOpen(width, height, options.title)];
  if (options.colTitle !== undefined) {
    parts.push(`<text x="${px(left + (nc * cell) / 2)}" y="15" text-anchor="middle" font-weight="600">${escapeXml(options.colTitle)}</text>`);
  }
  if (options.rowTitle !== undefined) {
    parts.push(
      `<text transform="translate(14 ${px(top + (nr * cell) / 2)}) rotate(-90)" text-anchor="middle" font-weight="600">${escapeXml(options.rowTitle)}</text>`,
    );
  }
  colText.forEach((l, c) => {
    const cx = left + c * cell + cell / 2;
    const full = escapeXml(colLabels[c]);
    if (rotate) {
      parts.push(`<text transform="translate(${px(cx - 2)} ${px(top - 6)}) rotate(-45)" text-anchor="start"><title>${full}</title>${escapeXml(l)}</text>`);
    } else {
      parts.push(`<text x="${px(cx)}" y="${px(top - 7)}" text-anchor="middle"><title>${full}</title>${escapeXml(l)}</text>`);
    }
  });
  let max = 0;
  for (const row of values) for (const v of row) if (Number.isFinite(v) && v > max) max = v;
  for (let r = 0; r < nr; r++) {
    let rowSum = 0;
    for (const v of values[r]) if (Number.isFinite(v)) rowSum += v;
    const y = top + r * cell;
    parts.push(
      `<text x="${px(left - 8)}" y="${px(y + cell / 2 + 4)}" text-anchor="end"><title>${escapeXml(rowLabels[r])}</title>${escapeXml(rowText[r])}</text>`,
    );
    for (let c = 0; c < nc; c++) {
      const v = values[r][c];
      const share = rowSum > 0 && Number.isFinite(v) ? v / rowSum : 0;
      const t = options.normalise === 'max' ? (max > 0 && Number.isFinite(v) ? v / max : 0) : share;
      const x = left + c * cell;
      const fill = blues(t);
      const ink = t > 0.5 ? '#ffffff' : TEXT;
      const count = formatCount(v, cell - 8, fontSize);
      const tip = `${rowLabels[r]} → ${colLabels[c]}: ${Number.isFinite(v) ? v.toLocaleString('en-US') : 'n/a'} (${(share * 100).toFixed(1)}% of row)`;
      parts.push(
        `<g><title>${escapeXml(tip)}</title><rect x="${px(x)}" y="${px(y)}" width="${px(cell)}" height="${px(cell)}" fill="${fill}" stroke="#ffffff" stroke-width="1.5"/>`,
      );
      const twoLines = cell >= 44;
      parts.push(
        `<text x="${px(x + cell / 2)}" y="${px(y + cell / 2 + (twoLines ? -1 : fontSize * 0.35))}" text-anchor="middle" font-size="${fontSize}" ` +
          `font-weight="600" fill="${ink}">${escapeXml(count)}</text>`,
      );
      if (twoLines) {
        parts.push(
          `<text x="${px(x + cell / 2)}" y="${px(y + cell / 2 + fontSize + 1)}" text-anchor="middle" font-size="${px(fontSize - 2)}" ` +
            `fill="${ink}" fill-opacity="0.85">${(share * 100).toFixed(1)}%</text>`,
        );
      }
      parts.push('</g>');
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

/** White → dark blue (sRGB interpolation through #dbeafe and #1e3a8a), `t` in [0, 1]. */
function blues(t: number): string {
  const u = Math.min(1, Math.max(0, t));
  const stops: [number, number, number][] = [
    [0xf8, 0xfa, 0xfc],
    [0xbf, 0xdb, 0xfe],
    [0x3b, 0x82, 0xf6],
    [0x1e, 0x3a, 0x8a],
  ];
  const pos = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const ch = (j: number): string => Math.round(stops[i][j] + (stops[i + 1][j] - stops[i][j]) * f).toString(16).padStart(2, '0');
  return `#${ch(0)}${ch(1)}${ch(2)}`;
}

/** A count as `12,345`, or compact (`123.5k`, `4.2M`) when the full form would not fit in `maxPx`. */
function formatCount(v: number, maxPx: number, fontSize: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const full = Number.isInteger(v) ? v.toLocaleString('en-US') : v.toPrecision(3);
  if (textWidth(full, fontSize) <= maxPx) return full;
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`;
  return full;
}

// ---------------------------------------------------------------------------------------------------------
// Horizontal bars

/** One bar of {@link horizontalBars}. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Text drawn right of the bar; default the value with 3 significant digits. */
  readonly text?: string;
}

/** Options of {@link horizontalBars}. */
export interface HorizontalBarsOptions {
  /** Accessible name and `<title>` of the chart. */
  readonly title: string;
  /** Total width in px; default 640. */
  readonly width?: number;
  /** Value of a full-length bar; default the largest value. */
  readonly maxValue?: number;
  /** Bar colour; default the first series colour. */
  readonly colour?: string;
  /** Height of one row in px; default 22. */
  readonly rowHeight?: number;
}

/**
 * Labelled horizontal bars, one row each, in the given order, with a faint track showing the full scale and
 * the value written after the bar. Negative and non-finite values draw no bar.
 */
export function horizontalBars(bars: readonly Bar[], options: HorizontalBarsOptions): string {
  const width = options.width ?? 640;
  const rowH = options.rowHeight ?? 22;
  const colour = options.colour ?? SERIES_COLOURS[0];
  const labels = bars.map((b) => truncate(b.label, 34));
  const texts = bars.map((b) => b.text ?? (Number.isFinite(b.value) ? formatValue(b.value) : 'n/a'));
  const labelW = Math.min(width * 0.4, Math.max(40, ...labels.map((l) => textWidth(l, 12))) + 12);
  const textW = Math.max(36, ...texts.map((t) => textWidth(t, 11.5))) + 10;
  const barW = Math.max(40, width - labelW - textW - 4);
  let max = options.maxValue ?? 0;
  if (options.maxValue === undefined) for (const b of bars) if (Number.isFinite(b.value) && b.value > max) max = b.value;
  const height = Math.max(rowH, bars.length * rowH) + 4;
  const parts: string[] = [svgOpen(width, height, options.title)];
  bars.forEach((b, i) => {
    const y = 2 + i * rowH;
    const h = rowH - 7;
    const w = max > 0 && Number.isFinite(b.value) && b.value > 0 ? (Math.min(b.value, max) / max) * barW : 0;
    parts.push(
      `<g><title>${escapeXml(`${b.label}: ${texts[i]}`)}</title>`,
      `<text x="${px(labelW - 10)}" y="${px(y + rowH / 2 + 4)}" text-anchor="end">${escapeXml(labels[i])}</text>`,
      `<rect x="${px(labelW)}" y="${px(y + 3.5)}" width="${px(barW)}" height="${px(h)}" rx="2" fill="#f1f5f9"/>`,
      `<rect x="${px(labelW)}" y="${px(y + 3.5)}" width="${px(w)}" height="${px(h)}" rx="2" fill="${escapeXml(colour)}"/>`,
      `<text x="${px(labelW + barW + 6)}" y="${px(y + rowH / 2 + 4)}" font-size="11.5" fill="${MUTED}">${escapeXml(texts[i])}</text>`,
      '</g>',
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
}
