import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancedTags } from '../../test/balanced-tags.js';
import { escapeXml, heatmapGrid, horizontalBars, lineChart, truncate } from './svg-charts.js';


const INJECTIONS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onload='x", '&amp;<&>'];

describe('escapeXml', () => {
  it('escapes the five markup characters', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
  });

  it('replaces characters XML forbids and keeps valid astral characters', () => {
    expect(escapeXml('a\u0000b\u001bc\td\ne')).toBe('a\ufffdb\ufffdc\td\ne');
    expect(escapeXml('x\ud800y\udc00z')).toBe('x\ufffdy\ufffdz');
    expect(escapeXml('😀 ok')).toBe('😀 ok');
  });

  it('output never holds raw markup characters and unescapes to the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
        const e = escapeXml(s);
        expect(e).not.toMatch(/[<>"']/);
        const back = e.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
        expect(back).toBe(s);
      }),
    );
  });
});

describe('truncate', () => {
  it('cuts on code points and adds an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(truncate('😀😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('lineChart', () => {
  const opts = { title: 'ROC', xLabel: 'FPR', yLabel: 'TPR', diagonal: true };

  it('maps data to pixels inside the margins (460 × 400: plot x 58–446, y 14–350)', () => {
    const svg = lineChart([{ label: 'test', x: [0, 0.5, 1], y: [0, 0.75, 1] }], opts);
    // x = 58 + v * 388, y = 350 - v * 336
    expect(svg).toContain('d="M58 350 L252 98 L446 14"');
    expect(svg).toContain('stroke-dasharray="5 4"'); // the chance diagonal
    expect(svg).toContain('>chance</text>');
    expect(svg.match(/<svg/g)).toHaveLength(1);
    balancedTags(svg);
  });

  it('draws one path per series, escapes labels and skips non-finite points', () => {
    const svg = lineChart(
      INJECTIONS.map((label, i) => ({ label, x: [0, NaN, 1], y: [0, 0.5, i / 4] })),
      opts,
    );
    expect(svg.match(/<path /g)).toHaveLength(INJECTIONS.length);
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('M58 350 L446 350'); // the NaN point was skipped
    balancedTags(svg);
  });

  it('drops sub-pixel steps so a 100 000-point curve stays small, keeping the end point', () => {
    const n = 100_000;
    const x = Array.from({ length: n }, (_, i) => i / (n - 1));
    const y = x.map((v) => Math.sqrt(v));
    const svg = lineChart([{ label: 'dense', x, y }], opts);
    const d = /<path d="([^"]*)"/.exec(svg)![1];
    const points = d.split(/[ML]/).filter((p) => p.trim() !== '');
    expect(points.length).toBeLessThan(1500);
    expect(d.startsWith('M58 350')).toBe(true);
    expect(d.endsWith('446 14')).toBe(true);
  });

  it('rejects series of unequal length and empty domains', () => {
    expect(() => lineChart([{ label: 'x', x: [0, 1], y: [0] }], opts)).toThrow(RangeError);
    expect(() => lineChart([], { ...opts, xDomain: [1, 1] })).toThrow(RangeError);
  });
});

describe('heatmapGrid', () => {
  it('draws a cell per value with counts, row shares and a white-to-blue scale', () => {
    const svg = heatmapGrid({
      title: 'CM',
      rowLabels: ['normal', 'attack'],
      colLabels: ['normal', 'attack'],
      values: [[90, 10], [0, 25]],
      rowTitle: 'True class',
      colTitle: 'Predicted class',
    });
    expect(svg.match(/<rect /g)).toHaveLength(4);
    for (const t of ['>90<', '>10<', '>0<', '>25<', '>90.0%<', '>10.0%<', '>100.0%<', '>0.0%<']) expect(svg).toContain(t);
    // Share 1 is the darkest stop, share 0 the lightest.
    expect(svg).toMatch(/fill="#1e3a8a"[^>]*\/><text[^>]*>25</);
    expect(svg).toMatch(/fill="#f8fafc"[^>]*\/><text[^>]*>0</);
    expect(svg).toContain('>Predicted class<');
    balancedTags(svg);
  });

  it('escapes class names, rotates long column labels and abbreviates big counts', () => {
    // 12 classes: 50 px cells, too narrow for "1,234,567" at 11 px.
    const labels = [...INJECTIONS, ...Array.from({ length: 8 }, (_, i) => `class ${i}`)];
    const values = labels.map((_, i) => labels.map((_, j) => (i === j ? 1_234_567 : j)));
    const svg = heatmapGrid({ title: 'CM', rowLabels: labels, colLabels: labels, values });
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('rotate(-45)');
    expect(svg).toMatch(/>1\.2M</);
    expect(svg).toContain('1,234,567'); // the full count stays in the tooltip
    balancedTags(svg);
  });

  it('rejects a ragged matrix', () => {
    expect(() => heatmapGrid({ title: 'x', rowLabels: ['a', 'b'], colLabels: ['a', 'b'], values: [[1, 2], [3]] })).toThrow(RangeError);
  });
});

describe('horizontalBars', () => {
  it('scales bar lengths to the largest value', () => {
    const svg = horizontalBars(
      [{ label: 'a', value: 4 }, { label: 'b', value: 2 }, { label: 'c', value: -1 }, { label: 'd', value: NaN }],
      { title: 'bars', width: 400 },
    );
    // Each row: a track rect then a bar rect with the same x.
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(rects).toHaveLength(8);
    const track = rects[0][1];
    expect(rects[1][1]).toBeCloseTo(track, 1); // 4 of max 4
    expect(rects[3][1]).toBeCloseTo(track / 2, 1); // 2 of 4
    expect(rects[5][1]).toBe(0); // negative: no bar
    expect(rects[7][1]).toBe(0); // NaN: no bar
    expect(svg).toContain('>n/a<');
    expect(svg).toContain('>4<');
    balancedTags(svg);
  });

  it('honours maxValue and escapes labels and texts', () => {
    const svg = horizontalBars(
      INJECTIONS.map((label) => ({ label, value: 0.5, text: label })),
      { title: '<t>', maxValue: 1 },
    );
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<img');
    expect(svg).toContain('<title>&lt;t&gt;</title>');
    const rects = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(rects[1]).toBeCloseTo(rects[0] / 2, 1);
    balancedTags(svg);
  });
});
