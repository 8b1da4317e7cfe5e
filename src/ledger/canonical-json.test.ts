import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { canonicalJson, canonicalJsonBytes, MAX_JSON_DEPTH, parseCanonicalJson } from './canonical-json.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** -0 becomes 0 in JSON; compare values after that normalisation. */
function normalise(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

function double(hex: string): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigUint64(0, BigInt(`0x${hex}`));
  return b.getFloat64(0);
}

describe('canonicalJson: RFC 8785 examples', () => {
  it('serialises the §3.2.2 example (cyberphone/json-canonicalization testdata values.json)', () => {
    const input = '{\n  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}';
    const expected = '{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}';
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });
  it('sorts names by UTF-16 code units (§3.2.3; testdata weird.json)', () => {
    const input = '{"\\u20ac":"Euro Sign","1":"One","\\u0080":"Control\\u007f","\\ud83d\\ude02":"Smiley","\\u00f6":"Latin Small Letter O With Diaeresis","\\ufb33":"Hebrew Letter Dalet With Dagesh","</script>":"Browser Challenge"}';
    const expected =
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😂":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalJson(JSON.parse(input))).toBe(expected);
  });
  it('writes numbers as in RFC 8785 Appendix B', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, text] of cases) expect(canonicalJson(double(hex)), hex).toBe(text);
  });
  it('escapes control characters with lowercase \\u00xx and the short forms', () => {
    expect(canonicalJson('\u0000\u0008\u0009\u000a\u000c\u000d\u001f"\\/\u007f\u2028')).toBe('"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u2028"');
  });
});

describe('canonicalJson: refused values', () => {
  class Thing {
    a = 1;
  }
  const bad: [string, unknown][] = [
    ['NaN', NaN],
    ['Infinity', { a: Infinity }],
    ['-Infinity', [-Infinity]],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', ['\udc00']],
    ['lone surrogate in a name', { '\ud83d': 1 }],
    ['undefined', { a: undefined }],
    ['function', { f: () => 1 }],
    ['bigint', 1n],
    ['symbol', Symbol('x')],
    ['Date', new Date(0)],
    ['Map', new Map()],
    ['class instance', new Thing()],
    ['sparse array', Object.assign(new Array(3), { 0: 1, 2: 3 })],
    ['symbol key', { [Symbol('k')]: 1 }],
  ];
  for (const [what, v] of bad) {
    it(`refuses ${what} with TypeError`, () => {
      expect(() => canonicalJson(v)).toThrow(TypeError);
    });
  }
  it('accepts null-prototype objects and refuses nesting deeper than MAX_JSON_DEPTH', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = [true];
    expect(canonicalJson(o)).toBe('{"a":[true],"b":1}');
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(() => canonicalJson(deep)).not.toThrow();
    expect(() => canonicalJson([deep])).toThrow(/deeper/);
  });
  it('names the path of the bad value', () => {
    expect(() => canonicalJson({ data: { list: [1, NaN] } })).toThrow(/\$\.data\.list\[1\]/);
  });
});

describe('canonicalJson: properties', () => {
  const json = fc.jsonValue({ maxDepth: 6, stringUnit: 'binary' });
  it('output parses back to an equal value, is idempotent and sorted', () => {
    fc.assert(
      fc.property(json, (v) => {
        const s = canonicalJson(v);
        const back = JSON.parse(s) as unknown;
        expect(back).toEqual(normalise(v));
        expect(canonicalJson(back)).toBe(s);
        // Sorted at every level: an independent check via the ordering of keys in the parsed result.
        const sorted = (x: unknown): boolean => {
          if (Array.isArray(x)) return x.every(sorted);
          if (x !== null && typeof x === 'object') {
            const k = Object.keys(x);
            return k.every((key, i) => i === 0 || k[i - 1] < key) && Object.values(x).every(sorted);
          }
          return true;
        };
        // Integer-like keys are reordered by JS objects themselves, so only check objects without them.
        if (!/"(0|[1-9][0-9]*)":/.test(s)) expect(sorted(back)).toBe(true);
        expect(parseCanonicalJson(canonicalJsonBytes(v))).toEqual(back);
      }),
      { numRuns: 300 },
    );
  });
  it('equals JSON.stringify of a copy rebuilt with sorted keys (independent oracle), whatever the input formatting', () => {
    const sortDeep = (x: unknown): unknown => {
      if (Array.isArray(x)) return x.map(sortDeep);
      if (x !== null && typeof x === 'object') {
        return Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, sortDeep((x as Record<string, unknown>)[k])]),
        );
      }
      return x;
    };
    fc.assert(
      fc.property(json, (v) => {
        const s = canonicalJson(v);
        expect(canonicalJson(JSON.parse(JSON.stringify(v, null, 2)))).toBe(s);
        // JS objects put integer-like keys first, so the oracle only applies without them.
        if (!/"(0|[1-9][0-9]*)":/.test(s)) expect(s).toBe(JSON.stringify(sortDeep(v)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCanonicalJson', () => {
  it('accepts canonical bytes and refuses every other form with IPQ-L004', () => {
    expect(parseCanonicalJson(enc('{"a":1,"b":[true,null]}'))).toEqual({ a: 1, b: [true, null] });
    const bad = ['{"b":1,"a":2}', '{"a": 1}', '{"a":1.0}', '{"a":"\\u0041"}', '{"a":1,"a":1}', ' 1', '1e2', '"\\ud800"', '{"a":1', '', 'nul'];
    for (const b of bad) {
      let err: unknown;
      try {
        parseCanonicalJson(enc(b), 'test input');
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-L004'), b).toBe(true);
      expect((err as Error).message).toContain('test input');
    }
    expect(() => parseCanonicalJson(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(/UTF-8/);
  });
  it('never throws anything but IPQ-L004 on random, truncated or mutated input', () => {
    const check = (b: Uint8Array) => {
      try {
        parseCanonicalJson(b);
      } catch (e) {
        if (!isIpqsecError(e, 'IPQ-L004')) throw e;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 500 });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.nat(255), (v, at, byte) => {
        const b = canonicalJsonBytes(v);
        check(b.subarray(0, at % (b.length + 1)));
        const m = b.slice();
        if (m.length > 0) m[at % m.length] = byte;
        check(m);
      }),
      { numRuns: 500 },
    );
    check(enc('['.repeat(100_000)));
    check(enc(`${'['.repeat(70)}${']'.repeat(70)}`));
  });
});
