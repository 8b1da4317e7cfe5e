import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { formatLogBundle, parseLogBundle, type LogBundle } from './bundle.js';
import { expectIpqsec } from '../core/_test-errors.js';

const bundle: LogBundle = {
  origin: 'log.ipqsec.test/main',
  vkey: 'log.ipqsec.test/main+00000000+AAAA',
  entries: [new Uint8Array([1, 2, 3]), new Uint8Array(0), new TextEncoder().encode('{"v":1}')],
  checkpoints: ['a\n1\nb\n\n— x y\n'],
};

const l004 = (text: string): Error => expectIpqsec(() => parseLogBundle(text, 'b.json'), 'IPQ-L004');

describe('log bundle', () => {
  it('writes the documented JSON and reads it back', () => {
    const text = formatLogBundle(bundle);
    expect(JSON.parse(text)).toEqual({
      format: 'ipqsec-log-bundle',
      version: 1,
      origin: bundle.origin,
      vkey: bundle.vkey,
      entries: ['AQID', '', 'eyJ2IjoxfQ=='],
      checkpoints: bundle.checkpoints,
    });
    const back = parseLogBundle(text);
    expect(back.entries.map((e) => [...e])).toEqual(bundle.entries.map((e) => [...e]));
    expect(back.checkpoints).toEqual(bundle.checkpoints);
    expect(back.origin).toBe(bundle.origin);
  });
  it('refuses malformed bundles with IPQ-L004 naming the field', () => {
    const base = JSON.parse(formatLogBundle(bundle)) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ ...base, format: 'other' }, /format/],
      [{ ...base, version: 2 }, /version/],
      [{ ...base, origin: '' }, /origin/],
      [{ ...base, vkey: 5 }, /vkey/],
      [{ ...base, entries: 'x' }, /entries/],
      [{ ...base, entries: ['AQID', 'not base64!'] }, /entries\[1\]/],
      [{ ...base, entries: ['AQI'] }, /entries\[0\]/],
      [{ ...base, checkpoints: [1] }, /checkpoints\[0\]/],
      [[1], /object/],
    ];
    for (const [v, re] of cases) expect(l004(JSON.stringify(v)).message).toMatch(re);
    expect(l004('{').message).toMatch(/b\.json: not JSON/);
  });
  it('never throws anything but IPQ-L004 on random or truncated input', () => {
    const text = formatLogBundle(bundle);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.nat(text.length).map((n) => text.slice(0, n)), fc.jsonValue().map((v) => JSON.stringify(v))), (t) => {
        try {
          parseLogBundle(t);
        } catch (e) {
          if (!isIpqsecError(e, 'IPQ-L004')) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
