import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { isNumericToken, parseCsvText, readCsv } from './csv-reader.js';
import type { CsvReadOptions } from './csv-reader.js';
import type { CategoricalColumn, NumericColumn } from './table.js';

function errorOf(f: () => unknown): IpqsecError {
  try {
    f();
  } catch (e) {
    if (e instanceof IpqsecError) return e;
    throw e;
  }
  throw new Error('expected an IpqsecError');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<IpqsecError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof IpqsecError) return e;
    throw e;
  }
  throw new Error('expected an IpqsecError');
}

const d3Message = (): string => errorOf(() => parseCsvText('a,b\n1\n')).message;
const num = (t: { columns: readonly unknown[] }, j: number) => t.columns[j] as NumericColumn;
const cat = (t: { columns: readonly unknown[] }, j: number) => t.columns[j] as CategoricalColumn;

describe('parseCsvText', () => {
  it('reads numeric, categorical, label and dropped columns', () => {
    const d = parseCsvText('\uFEFFa,b,c,d\r\n1, x ,L1,9\r\n-2.5,y,L2,9\r\n,x,L3,9\r\n', { categorical: ['b'], labels: ['c'], drop: ['d'] });
    expect(d.header).toEqual(['a', 'b', 'c', 'd']);
    expect(d.table.nRows).toBe(3);
    expect(d.table.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(Array.from(num(d.table, 0).values)).toEqual([1, -2.5, Number.NaN]);
    expect(Array.from(cat(d.table, 1).codes)).toEqual([0, 1, 0]);
    expect(cat(d.table, 1).categories).toEqual(['x', 'y']);
    expect(d.labels.c).toEqual(['L1', 'L2', 'L3']);
  });

  it('reads missing tokens as NaN / -1 and infinities as ±Infinity', () => {
    const d = parseCsvText('n,c\n-,-\nNaN,NaN\nnan,\ninf,a\n-Infinity,b\n+INF,a\n1e999,b\n', { categorical: ['c'] });
    const v = Array.from(num(d.table, 0).values);
    expect(v.slice(0, 3).every(Number.isNaN)).toBe(true);
    expect(v.slice(3)).toEqual([Infinity, -Infinity, Infinity, Infinity]);
    expect(Array.from(cat(d.table, 1).codes)).toEqual([-1, -1, -1, 0, 1, 0, 1]);
  });

  it('keeps "-" as a category when categoricalMissing excludes it', () => {
    const d = parseCsvText('s\n-\nhttp\n\n-\n', { categorical: ['s'], categoricalMissing: [''] });
    expect(cat(d.table, 0).categories).toEqual(['-', 'http']);
    expect(Array.from(cat(d.table, 0).codes)).toEqual([0, 1, 0]);
  });

  it('auto-detects categorical columns and re-encodes numbers read before the switch', () => {
    const d = parseCsvText('a,b,c\n1,1.50,x\n2,-,y\n3,hello,\n4,1.5,x\n', { autoCategorical: true });
    expect(d.table.columns.map((c) => c.kind)).toEqual(['numeric', 'categorical', 'categorical']);
    expect(cat(d.table, 1).categories).toEqual(['1.5', 'hello']);
    expect(Array.from(cat(d.table, 1).codes)).toEqual([0, -1, 1, 0]);
  });

  it('reads booleans as 0/1 only when asked', () => {
    expect(Array.from(num(parseCsvText('a\ntrue\nFALSE\n1\n', { booleans: true }).table, 0).values)).toEqual([1, 0, 1]);
    expect(parseCsvText('a\ntrue\n1\n', { autoCategorical: true }).table.columns[0].kind).toBe('categorical');
  });

  it('rejects hexadecimal and other non-decimal numbers', () => {
    expect(isNumericToken('0x10')).toBe(false);
    expect(isNumericToken('0b1')).toBe(false);
    expect(isNumericToken('1e3')).toBe(true);
    expect(isNumericToken('.5')).toBe(true);
    expect(errorOf(() => parseCsvText('a\n0x1F\n')).code).toBe('IPQ-D004');
  });

  it('uses given names for a headerless file', () => {
    const d = parseCsvText('1,tcp\n2,udp\n', { header: ['n', 'p'], categorical: ['p'] });
    expect(d.table.nRows).toBe(2);
    expect(cat(d.table, 1).categories).toEqual(['tcp', 'udp']);
  });

  it('reports a wrong field count with the 1-based line, counting blank lines and quoted newlines', () => {
    const e = errorOf(() => parseCsvText('a,b\n1,2\n\n"x\ny",3\n4,5,6\n', { categorical: ['a'] }));
    expect(e.code).toBe('IPQ-D003');
    expect(e.location?.line).toBe(6);
    expect(e.message).toContain('<text>:6');
  });

  it('counts a line break inside a quoted numeric field', () => {
    const d = parseCsvText('a,b\n"\n5",x\n6,y\n', { categorical: ['b'] });
    expect(Array.from(num(d.table, 0).values)).toEqual([5, 6]);
    expect(errorOf(() => parseCsvText('a,b\n"\n5",x\n1,2,3\n', { categorical: ['b'] })).location?.line).toBe(4);
  });

  it('reports a bad number with line and column name', () => {
    const e = errorOf(() => parseCsvText('a,b\n1,2\n3,abc\n', { fileLabel: 'f.csv' }));
    expect(e.code).toBe('IPQ-D004');
    expect(e.location).toEqual({ file: 'f.csv', line: 3, column: 'b' });
    expect(e.message).toBe('IPQ-D004 f.csv:3 column b: malformed value: not a number: "abc"');
    expect(d3Message()).toBe('IPQ-D003 <text>:2: malformed row: wrong column count: 1 fields, expected 2');
  });

  it('skips and counts bad rows with skipBadRows, leaving no partial values', () => {
    const d = parseCsvText('a,b,c\n1,x,2\n2,y\n3,z,oops\n4,w,5\n', { categorical: ['b'], skipBadRows: true });
    expect(d.table.nRows).toBe(2);
    expect(Array.from(num(d.table, 0).values)).toEqual([1, 4]);
    expect(cat(d.table, 1).categories).toEqual(['x', 'w']);
    expect(d.skipped.count).toBe(2);
    expect(d.skipped.examples[0]).toMatch(/^line 3: /);
    expect(d.skipped.examples[1]).toMatch(/^line 4 column c: /);
  });

  it('maps syntax errors, empty input, header-only and bad headers to their codes', () => {
    expect(errorOf(() => parseCsvText('a,b\n1,"2\n3,4\n')).code).toBe('IPQ-D008');
    expect(errorOf(() => parseCsvText('a,b\n1,2"x",3\n')).code).toBe('IPQ-D008');
    expect(errorOf(() => parseCsvText('')).code).toBe('IPQ-D002');
    expect(errorOf(() => parseCsvText('\uFEFF\n\n')).code).toBe('IPQ-D002');
    expect(errorOf(() => parseCsvText('a,b\n')).code).toBe('IPQ-D005');
    expect(errorOf(() => parseCsvText('a,b\n1\n', { skipBadRows: true })).code).toBe('IPQ-D005');
    expect(errorOf(() => parseCsvText('a,a\n1,2\n')).code).toBe('IPQ-D009');
    expect(errorOf(() => parseCsvText('a,b\n1,2\n', { labels: ['z'] })).code).toBe('IPQ-D007');
  });
});

describe('readCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-csv-'));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('streams a file with the same result as parseCsvText and reports progress', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i % 7 === 0 ? 'x' : 'y'},${(i * 0.25).toFixed(2)}`);
    const text = `\uFEFFid,k,v\n${rows.join('\n')}\n`;
    const p = file('big.csv', text);
    const seen: number[] = [];
    const d = await readCsv(p, { categorical: ['k'], onProgress: (b, t) => seen.push(b / t) });
    const ref = parseCsvText(text, { categorical: ['k'] });
    expect(d.table.nRows).toBe(5000);
    expect(d.table).toEqual(ref.table);
    expect(seen.at(-1)).toBe(1);
  });

  it('maps a missing file, an empty file and a bad row to IPQ codes with the path', async () => {
    expect((await asyncErrorOf(readCsv(join(dir, 'nope.csv')))).code).toBe('IPQ-D001');
    expect((await asyncErrorOf(readCsv(file('empty.csv', '')))).code).toBe('IPQ-D002');
    expect((await asyncErrorOf(readCsv(file('blank.csv', '\n\r\n')))).code).toBe('IPQ-D002');
    expect((await asyncErrorOf(readCsv(file('hdr.csv', 'a,b\r\n')))).code).toBe('IPQ-D005');
    const bad = file('bad.csv', 'a,b\n1,2\n3,4\n5\n');
    const e = await asyncErrorOf(readCsv(bad));
    expect(e.code).toBe('IPQ-D003');
    expect(e.location).toMatchObject({ file: bad, line: 4 });
    expect((await asyncErrorOf(readCsv(file('q.csv', 'a,b\n1,"2\n')))).code).toBe('IPQ-D008');
  });
});

// ---- Properties --------------------------------------------------------------------------------------------

const MISSING = new Set(['-', '', 'NaN', 'nan']);

function quote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A random table: columns of numbers or strings, serialised with RFC 4180 quoting. */
const tableArb = fc
  .record({ nCols: fc.integer({ min: 1, max: 5 }), nRows: fc.integer({ min: 1, max: 30 }), crlf: fc.boolean(), bom: fc.boolean() })
  .chain(({ nCols, nRows, crlf, bom }) =>
    fc.record({
      kinds: fc.array(fc.boolean(), { minLength: nCols, maxLength: nCols }),
      cells: fc.array(
        fc.array(
          fc.record({
            num: fc.oneof(fc.double(), fc.integer().map((i) => i / 8)),
            // Strings with any characters, including quotes, commas and line breaks; non-empty so a one-column
            // row is never read as a blank line.
            str: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
          }),
          { minLength: nCols, maxLength: nCols },
        ),
        { minLength: nRows, maxLength: nRows },
      ),
      crlf: fc.constant(crlf),
      bom: fc.constant(bom),
    }),
  );

describe('parseCsvText properties', () => {
  it('round-trips random tables', () => {
    fc.assert(
      fc.property(tableArb, ({ kinds, cells, crlf, bom }) => {
        const names = kinds.map((_, j) => `c${j}`);
        const eol = crlf ? '\r\n' : '\n';
        const lines = [names.join(','), ...cells.map((row) => row.map((c, j) => (kinds[j] ? quote(c.str) : String(c.num))).join(','))];
        const text = (bom ? '\uFEFF' : '') + lines.join(eol) + eol;
        const d = parseCsvText(text, { categorical: names.filter((_, j) => kinds[j]), trim: false });
        expect(d.table.nRows).toBe(cells.length);
        kinds.forEach((isCat, j) => {
          const col = d.table.columns[j];
          for (let i = 0; i < cells.length; i++) {
            if (isCat) {
              if (col.kind !== 'categorical') throw new Error('kind');
              const s = cells[i][j].str;
              if (MISSING.has(s)) expect(col.codes[i]).toBe(-1);
              else expect(col.categories[col.codes[i]]).toBe(s);
            } else {
              if (col.kind !== 'numeric') throw new Error('kind');
              const v = cells[i][j].num;
              if (Number.isNaN(v)) expect(col.values[i]).toBeNaN();
              else expect(col.values[i] === v).toBe(true);
            }
          }
        });
      }),
      { numRuns: 200 },
    );
  });

  it('reports the line of a row with a wrong field count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 5 }), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.boolean(),
        (nCols, rows, pick, extra) => {
          const recs = rows.map((r) => r.slice(0, nCols).map(quote).join(','));
          const bad = pick % recs.length;
          // Dropping a field must not leave a lone `""`, which reads as a blank line.
          const short = rows[bad].slice(0, nCols - 1);
          const drop = !extra && nCols > 1 && !(short.length === 1 && short[0] === '');
          recs[bad] = drop ? short.map(quote).join(',') : `${recs[bad]},"1"`;
          const records = [Array.from({ length: nCols }, (_, j) => `h${j}`).join(','), ...recs];
          const text = records.join('\n');
          // The bad record ends on line 1 + (line breaks up to the end of it).
          const upTo = records.slice(0, bad + 2).join('\n');
          const expectedLine = 1 + (upTo.match(/\n/g)?.length ?? 0);
          const cats = Array.from({ length: nCols }, (_, j) => `h${j}`);
          const e = errorOf(() => parseCsvText(text, { categorical: cats, trim: false }));
          expect(e.code).toBe('IPQ-D003');
          expect(e.location?.line).toBe(expectedLine);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws anything but IpqsecError on garbage', () => {
    const opts: fc.Arbitrary<CsvReadOptions> = fc.record({
      autoCategorical: fc.boolean(),
      skipBadRows: fc.boolean(),
      header: fc.constantFrom<true | readonly string[]>(true, ['a', 'b'], ['x']),
    });
    const garbage = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.array(fc.constantFrom('a', ',', '"', '\n', '\r', '1', '-', ' ', '\uFEFF', 'inf', 'x'), { maxLength: 60 }).map((a) => a.join('')),
      fc.uint8Array({ maxLength: 200 }),
    );
    fc.assert(
      fc.property(garbage, opts, (g, o) => {
        try {
          parseCsvText(g, o);
        } catch (e) {
          if (!isIpqsecError(e)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
