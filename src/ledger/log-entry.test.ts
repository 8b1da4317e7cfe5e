import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpqsecError } from '../core/errors.js';
import { canonicalJson, type JsonValue } from './canonical-json.js';
import { decodeLogEntry, encodeLogEntry, encodeLogEntryText, LOG_ENTRY_KINDS, type LogEntry } from './log-entry.js';
import { catchIpqsec } from '../core/_test-errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const entryArb: fc.Arbitrary<LogEntry> = fc.record({
  v: fc.constant(1 as const),
  kind: fc.constantFrom(...LOG_ENTRY_KINDS),
  ts_ms: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  subject: fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
  data: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
});

const l004 = (f: () => unknown): IpqsecError | undefined => catchIpqsec(f, 'IPQ-L004');

describe('encodeLogEntry', () => {
  it('writes the RFC 8785 form with sorted keys', () => {
    const e: LogEntry = { v: 1, kind: 'alert', ts_ms: 1754035200000, subject: 'ip:10.0.0.7', data: { risk: 0.91, reasons: ['port scan'] } };
    expect(dec(encodeLogEntry(e))).toBe('{"data":{"reasons":["port scan"],"risk":0.91},"kind":"alert","subject":"ip:10.0.0.7","ts_ms":1754035200000,"v":1}');
  });
  it('refuses invalid entries with TypeError', () => {
    const ok: LogEntry = { v: 1, kind: 'key', ts_ms: 0, subject: 's', data: null };
    const bad: unknown[] = [
      { ...ok, v: 2 },
      { ...ok, kind: 'other' },
      { ...ok, ts_ms: -1 },
      { ...ok, ts_ms: 1.5 },
      { ...ok, subject: '' },
      { ...ok, extra: 1 },
      { ...ok, data: { x: NaN } },
      { v: 1, kind: 'key', ts_ms: 0, subject: 's' },
      null,
    ];
    for (const b of bad) expect(() => encodeLogEntry(b as LogEntry)).toThrow(TypeError);
  });
});

describe('decodeLogEntry', () => {
  it('round-trips every valid entry', () => {
    fc.assert(
      fc.property(entryArb, (e) => {
        const b = encodeLogEntry(e);
        const d = decodeLogEntry(b);
        expect(encodeLogEntry(d)).toEqual(b);
        expect(d.kind).toBe(e.kind);
        expect(d.subject).toBe(e.subject);
        expect(d.ts_ms).toBe(e.ts_ms);
      }),
      { numRuns: 300 },
    );
  });
  it('refuses non-canonical or invalid entries with IPQ-L004 naming the index', () => {
    const bad = [
      '{"kind":"alert","data":{},"subject":"a","ts_ms":1,"v":1}',
      '{"data":{}, "kind":"alert","subject":"a","ts_ms":1,"v":1}',
      '{"data":{},"kind":"alert","subject":"a","ts_ms":1,"v":2}',
      '{"data":{},"kind":"nope","subject":"a","ts_ms":1,"v":1}',
      '{"data":{},"kind":"alert","subject":"","ts_ms":1,"v":1}',
      '{"data":{},"kind":"alert","subject":"a","ts_ms":-1,"v":1}',
      '{"data":{},"kind":"alert","subject":"a","ts_ms":1.5,"v":1}',
      '{"data":{},"extra":1,"kind":"alert","subject":"a","ts_ms":1,"v":1}',
      '{"kind":"alert","subject":"a","ts_ms":1,"v":1}',
      '[1]',
      '"x"',
    ];
    for (const b of bad) {
      const err = l004(() => decodeLogEntry(enc(b), 42));
      expect(err, b).toBeDefined();
      expect(err?.message).toContain('log entry 42');
    }
  });
  it('never throws anything but IPQ-L004 on random or damaged bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        l004(() => decodeLogEntry(b));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(entryArb, fc.nat(), fc.nat(255), (e, at, byte) => {
        const b = encodeLogEntry(e);
        l004(() => decodeLogEntry(b.subarray(0, at % b.length)));
        const m = b.slice();
        m[at % m.length] = byte;
        l004(() => decodeLogEntry(m));
      }),
      { numRuns: 300 },
    );
  });
});

describe('encodeLogEntryText (the top level written directly)', () => {
  it('property: equals the canonical JSON of the whole entry object', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LOG_ENTRY_KINDS),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
        fc.jsonValue(),
        (kind, ts, subject, data) => {
          const e = { v: 1, kind, ts_ms: ts, subject, data } as LogEntry;
          expect(encodeLogEntryText(e)).toBe(canonicalJson({ data, kind, subject, ts_ms: ts, v: 1 }));
        },
      ),
      { numRuns: 300 },
    );
  });
});
