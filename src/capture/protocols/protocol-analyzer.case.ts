/**
 * Contract suite for {@link ProtocolAnalyzer} implementations (run by each analyzer's test file):
 * - `feed` never throws on random bytes, in both directions and any segment sizes, and terminates;
 * - `feed` never throws on mutations of valid streams (bytes flipped, cut, inserted, deleted);
 * - random re-segmentation of a valid stream gives the same events as the stream in its original segments;
 * - out-of-range `off`/`len` are clamped, empty input is a no-op.
 * Property-based with fast-check (fixed seeds, so a failure is reproducible).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppEvent, ProtocolAnalyzer } from './app-event.js';
import { flowRef } from './_test-tshark.js';

/** One payload of a stream, sent by orig when `fromOrig`. */
export interface Chunk {
  fromOrig: boolean;
  bytes: Uint8Array;
}

/** What the suite needs to know about one implementation. */
export interface AnalyzerCase {
  name: string;
  make: () => ProtocolAnalyzer;
  /** Valid streams (each a list of chunks) whose events the analyzer reports. */
  streams: Chunk[][];
  /** Offsets where a chunk may be split without changing the meaning (default: anywhere). Telnet prompts are
   * recognised at segment ends, so its server chunks may only be split after a line end. */
  splitPoints?: (c: Chunk) => number[] | 'any';
  /** Server port given in the FlowRef (default 0). */
  respP?: number;
  /** The analyzer never emits events (SSH): the sample streams are checked for `malformed === 0` instead. */
  emitsNothing?: boolean;
}

const SEED = 0x1815;

function run(make: () => ProtocolAnalyzer, chunks: readonly Chunk[], respP: number): { events: AppEvent[]; malformed: number } {
  const a = make();
  const events: AppEvent[] = [];
  for (const c of chunks) a.feed(flowRef(c.fromOrig, respP), c.bytes, 0, c.bytes.length, (e) => events.push(e));
  return { events, malformed: a.malformed };
}

const chunkArb = fc.record({ fromOrig: fc.boolean(), bytes: fc.uint8Array({ maxLength: 400 }) });

/** Registers the contract tests for one analyzer. */
export function describeAnalyzerContract(c: AnalyzerCase): void {
  const respP = c.respP ?? 0;
  describe(`${c.name}: ProtocolAnalyzer contract`, () => {
    it('has valid sample streams that produce events', () => {
      for (const s of c.streams) {
        const r = run(c.make, s, respP);
        if (c.emitsNothing) expect([r.events.length, r.malformed]).toEqual([0, 0]);
        else expect(r.events.length).toBeGreaterThan(0);
      }
    });

    it('never throws on random bytes in any direction and segment sizes', () => {
      fc.assert(
        fc.property(fc.array(chunkArb, { maxLength: 24 }), (chunks) => {
          const r = run(c.make, chunks, respP);
          expect(Number.isInteger(r.malformed) && r.malformed >= 0).toBe(true);
        }),
        { seed: SEED, numRuns: 400 },
      );
    });

    it('never throws on mutated valid streams (flip, cut, insert, delete)', () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
      );
      fc.assert(
        fc.property(fc.nat(), fc.array(fc.record({ chunk: fc.nat(), op }), { minLength: 1, maxLength: 8 }), (si, ops) => {
          const stream: Chunk[] = c.streams[si % c.streams.length]!.map((x) => ({ fromOrig: x.fromOrig, bytes: Uint8Array.from(x.bytes) }));
          for (const { chunk, op: m } of ops) {
            const ch = stream[chunk % stream.length]!;
            const b = ch.bytes;
            const at = b.length === 0 ? 0 : m.at % (b.length + 1);
            if (m.kind === 'flip' && b.length > 0) b[at % b.length] = m.value;
            else if (m.kind === 'cut') ch.bytes = b.subarray(0, at);
            else if (m.kind === 'insert') ch.bytes = concat(b.subarray(0, at), m.bytes, b.subarray(at));
            else if (m.kind === 'delete') ch.bytes = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + m.n)));
          }
          const r = run(c.make, stream, respP);
          expect(r.malformed).toBeGreaterThanOrEqual(0);
        }),
        { seed: SEED, numRuns: 600 },
      );
    });

    it('gives the same events whatever the segmentation of a valid stream', () => {
      fc.assert(
        fc.property(fc.nat(), fc.array(fc.integer({ min: 1, max: 48 }), { minLength: 1, maxLength: 64 }), (si, sizes) => {
          const stream = c.streams[si % c.streams.length]!;
          const whole = run(c.make, stream, respP);
          const split: Chunk[] = [];
          let k = 0;
          for (const ch of stream) {
            const allowed = c.splitPoints?.(ch) ?? 'any';
            let start = 0;
            while (start < ch.bytes.length) {
              let cut = Math.min(ch.bytes.length, start + sizes[k++ % sizes.length]!);
              if (allowed !== 'any') cut = allowed.find((p) => p >= cut && p > start) ?? ch.bytes.length;
              split.push({ fromOrig: ch.fromOrig, bytes: ch.bytes.subarray(start, cut) });
              start = cut;
            }
          }
          const parts = run(c.make, split, respP);
          expect(parts.events).toEqual(whole.events);
          expect(parts.malformed).toBe(whole.malformed);
        }),
        { seed: SEED, numRuns: 200 },
      );
    });

    it('clamps out-of-range offsets and lengths, and ignores empty input', () => {
      const stream = c.streams[0]!;
      const expected = run(c.make, stream, respP).events;
      const a = c.make();
      const events: AppEvent[] = [];
      const emit = (e: AppEvent): void => {
        events.push(e);
      };
      for (const ch of stream) {
        const padded = concat(new Uint8Array(3), ch.bytes);
        a.feed(flowRef(ch.fromOrig, respP), padded, 3, ch.bytes.length + 1000, emit); // len past the end: clamped
        a.feed(flowRef(ch.fromOrig, respP), padded, padded.length + 5, 10, emit); // off past the end: nothing
        a.feed(flowRef(ch.fromOrig, respP), padded, Number.NaN, -4, emit); // nonsense: nothing
      }
      expect(events).toEqual(expected);
    });
  });
}

/** Concatenation of byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
