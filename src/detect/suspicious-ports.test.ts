import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SUSPICIOUS_PORTS, parsePortList, suspiciousPortHits } from './suspicious-ports.js';

describe('DEFAULT_SUSPICIOUS_PORTS', () => {
  it('holds the seven ports of the design, frozen', () => {
    expect(DEFAULT_SUSPICIOUS_PORTS).toEqual([23, 2323, 3389, 4444, 5900, 6667, 31337]);
    expect(Object.isFrozen(DEFAULT_SUSPICIOUS_PORTS)).toBe(true);
  });
});

describe('parsePortList', () => {
  it('parses ports and inclusive ranges, deduplicated in order of first appearance', () => {
    expect(parsePortList('23, 2323,6660-6663 , 23, 6662')).toEqual([23, 2323, 6660, 6661, 6662, 6663]);
    expect(parsePortList('0,65535')).toEqual([0, 65535]);
    expect(parsePortList('5 - 7')).toEqual([5, 6, 7]);
    expect(parsePortList('  ')).toEqual([]);
    expect(parsePortList('0-65535')).toHaveLength(65_536);
  });

  it('throws RangeError naming the bad token', () => {
    const cases: [string, string][] = [
      ['23,,24', '""'],
      ['23,', '""'],
      ['23,abc', '"abc"'],
      ['65536', '"65536"'],
      ['-1', '"-1"'],
      ['1.5', '"1.5"'],
      ['9-3', '"9-3"'],
      ['1-2-3', '"1-2-3"'],
      ['0x17', '"0x17"'],
    ];
    for (const [text, token] of cases) {
      expect(() => parsePortList(text)).toThrow(RangeError);
      expect(() => parsePortList(text)).toThrow(token);
    }
  });

  it('round-trips any list of ports written comma-separated', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65_535 }), { maxLength: 30 }), (ports) => {
        expect(parsePortList(ports.join(','))).toEqual([...new Set(ports)]);
      }),
      { seed: 3 },
    );
  });
});

describe('suspiciousPortHits', () => {
  it('returns distinct hits in order of first appearance', () => {
    const set = new Set(DEFAULT_SUSPICIOUS_PORTS);
    expect(suspiciousPortHits([80, 4444, 23, 443, 4444, 23, 31337], set)).toEqual([4444, 23, 31337]);
    expect(suspiciousPortHits([80, 443], set)).toEqual([]);
    expect(suspiciousPortHits([], set)).toEqual([]);
  });
});
