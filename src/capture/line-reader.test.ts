import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { newLogReadSummary, parseLogLines, parseLogText, readLines, type LogLine } from './line-reader.js';

async function collect(source: Parameters<typeof readLines>[0], maxLineBytes?: number): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of readLines(source, maxLineBytes === undefined ? {} : { maxLineBytes })) out.push(l);
  return out;
}

/** The lines of a text by the documented rule, computed with String#split (the oracle). */
function expected(text: string, max: number): { text: string; tooLong: boolean }[] {
  const parts = text.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((p) => (Buffer.byteLength(p) > max ? { text: '', tooLong: true } : { text: p.endsWith('\r') ? p.slice(0, -1) : p, tooLong: false }));
}

describe('readLines', () => {
  it('splits at LF, drops the CR of CRLF, keeps a last line without LF, numbers from 1', async () => {
    const lines = await collect(['a\r\nbb\n', '\nc']);
    expect(lines).toEqual([
      { text: 'a', line: 1, tooLong: false },
      { text: 'bb', line: 2, tooLong: false },
      { text: '', line: 3, tooLong: false },
      { text: 'c', line: 4, tooLong: false },
    ]);
    expect(await collect([])).toEqual([]);
    expect(await collect(['x\n'])).toEqual([{ text: 'x', line: 1, tooLong: false }]);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const b = Buffer.from('é€\n');
    expect((await collect([b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]))[0].text).toBe('é€');
  });

  it('reports a line over the limit as tooLong and goes on with the next', async () => {
    const lines = await collect(['12345', '6789\nok\n', 'x'.repeat(20)], 8);
    expect(lines.map((l) => [l.line, l.tooLong, l.text])).toEqual([[1, true, ''], [2, false, 'ok'], [3, true, '']]);
    expect(await collect(['12345678\n'], 8)).toEqual([{ text: '12345678', line: 1, tooLong: false }]);
    await expect(collect(['a'], 0)).rejects.toThrow(RangeError);
  });

  it('gives the same lines as String#split for any text and any chunking (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', 'é', '\n', '\r', ' ', '€', '\t'), maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 40 }),
        async (text, cuts, max) => {
          const bytes = Buffer.from(text);
          const points = [...new Set([0, ...cuts.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
          const chunks = points.slice(1).map((p, i) => bytes.subarray(points[i], p));
          const got = await collect(chunks, max);
          expect(got.map(({ text: t, tooLong }) => ({ text: t, tooLong }))).toEqual(expected(text, max));
          expect(got.map((l) => l.line)).toEqual(got.map((_, i) => i + 1));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('parseLogText and parseLogLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-lines-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const parseLine = (t: string): number | null => {
    if (t === '') return null;
    if (!/^\d+$/.test(t)) throw Object.assign(new Error('not mine'), {});
    return Number(t);
  };

  it('agree with each other on any text, limit and skip mode (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.nat(999).map(String), fc.constant(''), fc.constant('12345678901')), { maxLength: 30 }), fc.boolean(), async (lines, crlf) => {
        const text = lines.join(crlf ? '\r\n' : '\n');
        const fromText: number[] = [];
        const s1 = newLogReadSummary();
        parseLogText(text, parseLine, (r) => fromText.push(r), { maxLineBytes: 10, skipBad: true }, s1);
        const s2 = newLogReadSummary();
        const fromLines: number[] = [];
        for await (const r of parseLogLines([text], parseLine, { maxLineBytes: 10, skipBad: true }, s2)) fromLines.push(r);
        expect(fromLines).toEqual(fromText);
        expect(s2).toEqual(s1);
        expect(s1.skipped).toBe(lines.filter((l) => l.length > 10).length);
      }),
      { numRuns: 200 },
    );
  });

  it('rethrows errors that are not IPQ-N004 even with skipBad, after the records before them', () => {
    const got: number[] = [];
    expect(() => parseLogText('1\nx\n2', parseLine, (r) => got.push(r), { skipBad: true }, newLogReadSummary())).toThrow('not mine');
    expect(got).toEqual([1]);
  });

  it('reads a file by path, and an unreadable path is IPQ-D001 with the path', async () => {
    const path = join(dir, 'n.txt');
    writeFileSync(path, '1\n2\n3');
    const got: number[] = [];
    const summary = newLogReadSummary();
    for await (const r of parseLogLines(path, parseLine, {}, summary)) got.push(r);
    expect(got).toEqual([1, 2, 3]);
    expect(summary).toMatchObject({ lines: 3, records: 3 });
    await expect(collect(join(dir, 'nope.txt'))).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-D001') && e.location?.file === join(dir, 'nope.txt'));
  });
});
