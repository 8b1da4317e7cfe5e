/**
 * Mutation fuzzing of the capture readers and the decoder (fast-check): bytes flipped, overwritten, cut and
 * inserted in real and synthetic captures. Properties:
 * - the read ends in success or in IpqsecError IPQ-N001/N002/N003 only (readCaptureBuffer reports it in the
 *   summary; anything thrown is a failure), and never hangs (the vitest timeout would catch it);
 * - decodePacket never throws on any delivered record;
 * - records whose bytes lie before the first mutation are delivered identically (same offsets, timestamps,
 *   lengths, bytes) — the clean run is the oracle for that prefix;
 * - a cut at byte m delivers the clean records that end by m (none that starts after it), then IPQ-N001 unless
 *   m ends a unit.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from './capture-reader.js';
import type { CaptureSummary } from './capture-reader.js';
import { decodePacket, newDecodeStats } from './decode.js';
import { newPacketInfo } from './packet.js';
import { concat, pcapFile, pcapngFile, recordDigest, samplePcapng, sampleFrames, sharedCaptures } from './_test-pcap.js';
import type { RecordDigest } from './_test-pcap.js';

const CAPTURE_CODES = new Set(['IPQ-N001', 'IPQ-N002', 'IPQ-N003']);
/** Real captures are fuzzed on a prefix of whole records of about this many bytes (keeps each run fast). */
const PREFIX_BYTES = 48 * 1024;

/** Reads and decodes; returns digests of delivered records and the summary. Throws only if something is wrong. */
function run(bytes: Uint8Array): { records: RecordDigest[]; summary: CaptureSummary } {
  const p = newPacketInfo();
  const stats = newDecodeStats();
  const records: RecordDigest[] = [];
  const summary = readCaptureBuffer(
    bytes,
    (r) => {
      records.push(recordDigest(r));
      decodePacket(p, stats);
    },
    { record: p.record, unsupportedLinkType: 'error' },
  );
  return { records, summary };
}

/** The capture cut at the start of the last record that starts within `max` bytes (a unit boundary). */
function prefixOf(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = 0;
  readCaptureBuffer(bytes, (r) => {
    if (r.fileOffset <= max) end = r.fileOffset;
  });
  return bytes.subarray(0, end);
}

/** Where each clean record's bytes end at the latest: the next record's start (or the input end). */
function ends(records: RecordDigest[], length: number): number[] {
  return records.map((_, i) => (i + 1 < records.length ? records[i + 1].fileOffset : length));
}

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete'; at: number; bytes: Uint8Array };

const mutationArb = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete') as fc.Arbitrary<Mutation['kind']>,
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

/** Applies mutations (positions taken modulo the current length); returns the bytes and the first position touched. */
function mutate(src: Uint8Array, ms: Mutation[]): { bytes: Uint8Array; first: number } {
  let b: Uint8Array = src.slice();
  let first = b.length;
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    first = Math.min(first, at);
    if (m.kind === 'flip') b[at] ^= m.bytes[0] | 1;
    else if (m.kind === 'set') b.set(m.bytes.subarray(0, Math.min(m.bytes.length, b.length - at)), at);
    else if (m.kind === 'insert') b = concat(b.subarray(0, at), m.bytes, b.subarray(at));
    else b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + m.bytes.length)));
  }
  return { bytes: b, first };
}

function checkOutcome(s: CaptureSummary): void {
  if (s.error !== undefined) {
    expect(CAPTURE_CODES.has(s.error.code), s.error.message).toBe(true);
    expect(typeof s.error.location?.offset).toBe('number');
  }
}

function corpus(): { name: string; bytes: Uint8Array }[] {
  const frames = sampleFrames();
  const list = [
    { name: 'sample pcapng', bytes: samplePcapng().bytes },
    {
      name: 'pcap be ns',
      bytes: pcapFile({ byteOrder: 'be', nanos: true, records: frames.filter((f) => f.linkType === 1).map((f, i) => ({ ts: { sec: i, frac: i }, data: f.data })) }),
    },
    {
      name: 'pcapng be, spb + opb + 2 sections',
      bytes: pcapngFile([
        { byteOrder: 'be', blocks: [{ type: 'idb', linkType: 113, snapLen: 64 }, ...frames.filter((f) => f.linkType === 113).map((f) => ({ type: 'spb' as const, data: f.data }))] },
        { blocks: [{ type: 'idb', linkType: 101, tsresol: 0x80 | 20 }, ...frames.filter((f) => f.linkType === 101).map((f, i) => ({ type: 'opb' as const, interfaceId: 0, ts: BigInt(i) << 20n, data: f.data }))] },
      ]),
    },
  ];
  for (const c of sharedCaptures()) list.push({ name: c.name, bytes: prefixOf(new Uint8Array(readFileSync(c.path)), PREFIX_BYTES) });
  return list;
}

describe('capture fuzzing: mutations end in success or IPQ-N001/N002/N003, the clean prefix stands', () => {
  for (const c of corpus()) {
    const clean = run(c.bytes);
    const cleanEnds = ends(clean.records, c.bytes.length);

    it(`${c.name}: flips, overwrites, inserts, deletions`, () => {
      expect(clean.summary.error).toBeUndefined();
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (ms) => {
          const { bytes, first } = mutate(c.bytes, ms);
          const got = run(bytes);
          checkOutcome(got.summary);
          const k = cleanEnds.filter((e) => e <= first).length;
          expect(got.records.length).toBeGreaterThanOrEqual(k);
          expect(got.records.slice(0, k)).toEqual(clean.records.slice(0, k));
        }),
        { numRuns: 600 },
      );
    });

    it(`${c.name}: cut at any byte`, () => {
      fc.assert(
        fc.property(fc.nat(c.bytes.length), (m) => {
          const got = run(c.bytes.subarray(0, m));
          // At least the records that end by m (bounded by the next record's start), at most those that start before m.
          const k = cleanEnds.filter((e) => e <= m).length;
          const started = clean.records.filter((r) => r.fileOffset < m).length;
          expect(got.records.length).toBeGreaterThanOrEqual(k);
          expect(got.records.length).toBeLessThanOrEqual(started);
          expect(got.records).toEqual(clean.records.slice(0, got.records.length));
          if (got.summary.error !== undefined) {
            expect(got.summary.error.code).toBe('IPQ-N001');
            expect(got.summary.error.location?.offset).toBeLessThanOrEqual(m);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('random bytes after a valid magic never escape as another exception', () => {
    const heads = [pcapFile({ records: [] }).subarray(0, 24), pcapngFile([{ blocks: [] }]).subarray(0, 28), Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a)];
    fc.assert(
      fc.property(fc.constantFrom(...heads), fc.uint8Array({ maxLength: 600 }), (head, tail) => {
        checkOutcome(run(concat(head, tail)).summary);
      }),
      { numRuns: 2000 },
    );
  });
});
