import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectIpqsec } from '../core/_test-errors.js';
import { CaptureReader, readCaptureBuffer, readCaptureFile } from './capture-reader.js';
import type { CaptureSummary } from './capture-reader.js';
import { decodePacket } from './decode.js';
import { newPacketInfo } from './packet.js';
import type { CaptureRecord } from './packet.js';
import { ethernet, ipv4, pcapFile, pcapngFile, recordDigest, samplePcapng, sharedCaptures, tempCapturePath, udp, writeTempCapture } from './_test-pcap.js';
import type { RecordDigest } from './_test-pcap.js';

const frame = (n: number) => ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ srcPort: n, dstPort: 53, payload: new Uint8Array(n % 300) }) }) });

/** Small synthetic captures covering both formats, byte orders, resolutions and several sections. */
function synthetic(): { name: string; bytes: Uint8Array }[] {
  const recs = Array.from({ length: 40 }, (_, i) => ({ ts: { sec: 1_000 + i, frac: i * 7919 }, data: frame(i * 37) }));
  return [
    { name: 'pcap le µs', bytes: pcapFile({ records: recs }) },
    { name: 'pcap be ns', bytes: pcapFile({ byteOrder: 'be', nanos: true, records: recs }) },
    { name: 'sample pcapng', bytes: samplePcapng().bytes },
    {
      name: 'pcapng 2 sections',
      bytes: pcapngFile([
        { blocks: [{ type: 'idb', linkType: 1 }, ...recs.slice(0, 20).map((r, i) => ({ type: 'epb' as const, interfaceId: 0, ts: BigInt(i) * 1000n, data: r.data }))] },
        { byteOrder: 'be', blocks: [{ type: 'idb', linkType: 1, tsresol: 9 }, ...recs.slice(20).map((r) => ({ type: 'spb' as const, data: r.data }))] },
      ]),
    },
  ];
}

/** Reads `bytes` fed in chunks of the given sizes (cycled); returns the digests and the summary. */
function readChunked(bytes: Uint8Array, sizes: number[]): { records: RecordDigest[]; summary: CaptureSummary } {
  const records: RecordDigest[] = [];
  const reader = new CaptureReader((r) => records.push(recordDigest(r)));
  let pos = 0;
  for (let k = 0; pos < bytes.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length]);
    // A fresh copy per chunk, then scribbled over after feed(): the reader must not keep references into it.
    const chunk = bytes.slice(pos, pos + n);
    reader.feed(chunk);
    chunk.fill(0xee);
    pos += n;
  }
  reader.end();
  return { records, summary: reader.summary() };
}

function readWhole(bytes: Uint8Array): { records: RecordDigest[]; summary: CaptureSummary } {
  const records: RecordDigest[] = [];
  const summary = readCaptureBuffer(bytes, (r) => records.push(recordDigest(r)));
  return { records, summary };
}

const real = sharedCaptures().map((c) => ({ name: c.name, bytes: new Uint8Array(readFileSync(c.path)) }));

describe('CaptureReader: chunks of any size give the records of one feed', () => {
  const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 200_000 })), { minLength: 1, maxLength: 40 });

  for (const c of [...synthetic(), ...real]) {
    it(`${c.name} (fast-check chunk sizes)`, () => {
      const whole = readWhole(c.bytes);
      expect(whole.summary.error).toBeUndefined();
      expect(whole.records.length).toBeGreaterThan(0);
      fc.assert(
        fc.property(chunkSizes, (sizes) => {
          const got = readChunked(c.bytes, sizes);
          expect(got.records).toEqual(whole.records);
          expect(got.summary).toEqual(whole.summary);
        }),
        { numRuns: c.bytes.length > 500_000 ? 8 : 40 },
      );
    });
  }

  it('one byte at a time', () => {
    for (const c of synthetic()) expect(readChunked(c.bytes, [1]).records).toEqual(readWhole(c.bytes).records);
  });
});

describe('CaptureReader: in place, tail carried', () => {
  it('records inside a chunk point into it; a record split across chunks points into the carry buffer', () => {
    const bytes = pcapFile({ records: [0, 1, 2].map((i) => ({ ts: { sec: i, frac: 0 }, data: frame(i) })) });
    const seen: { inChunk: boolean; fileOffset: number }[] = [];
    let current: Uint8Array = new Uint8Array(0);
    const reader = new CaptureReader((r) => seen.push({ inChunk: r.data === current, fileOffset: r.fileOffset }));
    const cut = 24 + 16 + frame(0).length + 10; // inside the second record's header
    current = bytes.subarray(0, cut);
    reader.feed(current);
    current = bytes.subarray(cut);
    reader.feed(current);
    reader.end();
    expect(seen.map((s) => s.inChunk)).toEqual([true, false, true]);
    expect(reader.bytesConsumed).toBe(bytes.length);
  });

  it('fills the record object it is given (e.g. a PacketInfo record) so decoding needs no copy', () => {
    const p = newPacketInfo();
    const ports: number[] = [];
    readCaptureBuffer(
      pcapFile({ records: [5, 6].map((i) => ({ ts: { sec: i, frac: 0 }, data: frame(i) })) }),
      (r: CaptureRecord) => {
        expect(r).toBe(p.record);
        decodePacket(p);
        ports.push(p.srcPort);
      },
      { record: p.record },
    );
    expect(ports).toEqual([5, 6]);
  });
});

describe('CaptureReader: errors and state', () => {
  const bytes = pcapFile({ records: [0, 1, 2].map((i) => ({ ts: { sec: i, frac: 0 }, data: frame(i) })) });
  const second = 24 + 16 + frame(0).length;

  it('a corrupt record in a later chunk: earlier records delivered, offset = bytesConsumed, error sticky', () => {
    const bad = bytes.slice();
    bad[second + 8] = 0xff; // captured length of record 2 → absurd
    bad[second + 11] = 0x7f;
    const got: number[] = [];
    const reader = new CaptureReader((r) => got.push(r.fileOffset), { file: 'c.pcap' });
    reader.feed(bad.subarray(0, 30));
    const e = expectIpqsec(() => reader.feed(bad.subarray(30)), 'IPQ-N002');
    expect([e.location?.offset, e.location?.file, reader.bytesConsumed, got]).toEqual([second, 'c.pcap', second, [24]]);
    expect(expectIpqsec(() => reader.feed(bad), 'IPQ-N002')).toBe(e);
    expect(expectIpqsec(() => reader.end(), 'IPQ-N002')).toBe(e);
    expect(reader.summary().error).toBe(e);
  });

  it('end() inside a record: IPQ-N001 at its offset; empty input: IPQ-N001 at 0', () => {
    const reader = new CaptureReader(() => undefined);
    reader.feed(bytes.subarray(0, second + 3));
    const e = expectIpqsec(() => reader.end(), 'IPQ-N001');
    expect([e.location?.offset, e.details?.available, reader.packets]).toEqual([second, 3, 1]);
    const empty = new CaptureReader(() => undefined);
    expect(expectIpqsec(() => empty.end(), 'IPQ-N001').location?.offset).toBe(0);
    expect(readCaptureBuffer(new Uint8Array(0), () => undefined).error?.code).toBe('IPQ-N001');
  });

  it('feed() after end() is a TypeError; end() twice is harmless; empty chunks are fine', () => {
    const reader = new CaptureReader(() => undefined);
    reader.feed(new Uint8Array(0));
    reader.feed(bytes);
    reader.feed(new Uint8Array(0));
    reader.end();
    reader.end();
    expect(() => reader.feed(bytes)).toThrow(TypeError);
    expect([reader.packets, reader.format, [...reader.linkTypes], reader.firstTs, reader.lastTs]).toEqual([3, 'pcap', [1], 0, 2]);
  });

  it('an error thrown by the callback propagates unchanged and is not taken for a capture error', () => {
    const boom = new Error('consumer bug');
    expect(() =>
      readCaptureBuffer(bytes, () => {
        throw boom;
      }),
    ).toThrow(boom);
  });
});

describe('readCaptureFile', () => {
  const bytes = synthetic()[3].bytes;
  const path = writeTempCapture('two-sections.pcapng', bytes);

  it('reads a file through a stream (small chunks too) with the summary of the in-memory read', async () => {
    const whole = readWhole(bytes);
    for (const highWaterMark of [undefined, 7, 1000]) {
      const records: RecordDigest[] = [];
      const s = await readCaptureFile(path, (r) => records.push(recordDigest(r)), { highWaterMark });
      expect(records).toEqual(whole.records);
      expect(s).toEqual(whole.summary);
    }
  });

  it("reads '-' from standard input (a stream given in tests)", async () => {
    const records: RecordDigest[] = [];
    const chunks = [bytes.subarray(0, 5), bytes.subarray(5, 301), bytes.subarray(301)];
    const s = await readCaptureFile('-', (r) => records.push(recordDigest(r)), { stdin: Readable.from(chunks) });
    expect(records).toEqual(readWhole(bytes).records);
    expect([s.error, s.packets, s.bytes]).toEqual([undefined, 40, bytes.length]);
  });

  it('a truncated file resolves with the summary up to the offset and the error (not a rejection)', async () => {
    const cutPath = tempCapturePath('cut.pcapng');
    writeFileSync(cutPath, bytes.subarray(0, bytes.length - 5));
    let n = 0;
    const s = await readCaptureFile(cutPath, () => n++);
    expect([s.error?.code, s.error?.location?.file, s.packets, n, s.bytes]).toEqual(['IPQ-N001', cutPath, 39, 39, bytes.length - 5]);
    expect(s.error?.location?.offset).toBeLessThan(bytes.length);
    const stdin = await readCaptureFile('-', () => undefined, { stdin: Readable.from([bytes.subarray(0, 100)]) });
    expect(stdin.error?.location?.file).toBe('<stdin>');
  });

  it('a path that cannot be read rejects with IPQ-D001', async () => {
    await expect(readCaptureFile(tempCapturePath('missing.pcap'), () => undefined)).rejects.toMatchObject({ code: 'IPQ-D001' });
  });
});
