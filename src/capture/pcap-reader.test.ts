import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IpqsecError } from '../core/errors.js';
import { readCaptureBuffer } from './capture-reader.js';
import type { CaptureReaderOptions, CaptureSummary } from './capture-reader.js';
import { MAX_RECORD_BYTES, STANDARD_MAX_CAPLEN } from './pcap-reader.js';
import {
  EDITCAP,
  TSHARK,
  concat,
  ethernet,
  ipv4,
  pcapFile,
  recordDigest,
  sharedCaptures,
  tempCapturePath,
  tsharkFields,
  udp,
  wiresharkTool,
  writeTempCapture,
} from './_test-pcap.js';
import type { PcapRecordSpec, RecordDigest } from './_test-pcap.js';

function read(bytes: Uint8Array, opts: CaptureReaderOptions = {}): { records: RecordDigest[]; summary: CaptureSummary; data: Uint8Array[] } {
  const records: RecordDigest[] = [];
  const data: Uint8Array[] = [];
  const summary = readCaptureBuffer(
    bytes,
    (r) => {
      records.push(recordDigest(r));
      data.push(r.data.slice(r.offset, r.offset + r.capLen));
    },
    opts,
  );
  return { records, summary, data };
}

function errorOf(s: CaptureSummary): IpqsecError {
  if (s.error === undefined) throw new Error('expected a capture error');
  return s.error;
}

const frameA = ethernet({ type: 0x0800, payload: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ srcPort: 1, dstPort: 2 }) }) });
const frameB = concat(frameA, Uint8Array.of(1, 2, 3, 4, 5, 6, 7));

/** Records with hand-picked timestamps: `frac` in the file's unit (µs or ns). */
function records(): PcapRecordSpec[] {
  return [
    { ts: { sec: 1_600_000_000, frac: 1 }, data: frameA },
    { ts: { sec: 1_600_000_001, frac: 999_999 }, data: frameB, origLen: 1514 },
    { ts: { sec: 0xfffffff0, frac: 500_000 }, data: frameA.subarray(0, 20), origLen: frameA.length },
  ];
}

describe('pcap: both byte orders × µs/ns (draft-ietf-opsawg-pcap §4–§5)', () => {
  for (const byteOrder of ['le', 'be'] as const) {
    for (const nanos of [false, true]) {
      it(`${byteOrder === 'le' ? 'little' : 'big'}-endian, ${nanos ? 'nanosecond' : 'microsecond'} timestamps`, () => {
        const { records: got, summary, data } = read(pcapFile({ byteOrder, nanos, linkType: 1, records: records() }));
        expect(summary.error).toBeUndefined();
        expect(summary.format).toBe('pcap');
        expect(summary.linkTypes).toEqual([1]);
        const unit = nanos ? 1e9 : 1e6;
        // ts = seconds + fraction / unit (§5 Timestamp fields); offsets: 24-byte file header, 16-byte record headers.
        expect(got.map((r) => r.ts)).toEqual([1_600_000_000 + 1 / unit, 1_600_000_001 + 999_999 / unit, 0xfffffff0 + 500_000 / unit]);
        expect(got.map((r) => r.fileOffset)).toEqual([24, 24 + 16 + frameA.length, 24 + 2 * 16 + frameA.length + frameB.length]);
        expect(got.map((r) => [r.capLen, r.origLen, r.linkType, r.interfaceId])).toEqual([
          [frameA.length, frameA.length, 1, 0],
          [frameB.length, 1514, 1, 0],
          [20, frameA.length, 1, 0],
        ]);
        expect(data[1]).toEqual(frameB);
        expect([summary.packets, summary.bytes, summary.firstTs, summary.lastTs]).toEqual([3, 24 + 3 * 16 + 2 * frameA.length + 7 + 20, got[0].ts, got[2].ts]);
      });
    }
  }

  it('nanosecond fractions keep sub-microsecond digits', () => {
    const { records: got } = read(pcapFile({ nanos: true, records: [{ ts: { sec: 1, frac: 123_456_789 }, data: frameA }] }));
    expect(got[0].ts).toBeCloseTo(1.123456789, 12);
  });

  it('modified pcap (0xA1B2CD34, 24-byte record headers)', () => {
    const { records: got, summary } = read(pcapFile({ modified: true, records: records() }));
    expect(summary.error).toBeUndefined();
    expect(got.map((r) => r.fileOffset)).toEqual([24, 24 + 24 + frameA.length, 24 + 2 * 24 + frameA.length + frameB.length]);
    expect(got[1].ts).toBe(1_600_000_001 + 999_999 / 1e6);
  });

  it('LinkType word: FCS bits above the low 16 are ignored', () => {
    const { records: got } = read(pcapFile({ linkType: 0x1000_0000 | 1, records: records() }));
    expect(got[0].linkType).toBe(1);
  });

  it('a header with no records is an empty capture', () => {
    const s = read(pcapFile({ records: [] })).summary;
    expect([s.error, s.packets, s.format, s.firstTs, s.lastTs]).toEqual([undefined, 0, 'pcap', undefined, undefined]);
  });

  it('an original length below the captured length is raised to it (CaptureRecord promises origLen ≥ capLen)', () => {
    const { records: got } = read(pcapFile({ records: [{ ts: { sec: 1, frac: 0 }, data: frameA, origLen: 3 }] }));
    expect([got[0].capLen, got[0].origLen]).toEqual([frameA.length, frameA.length]);
  });

  it('captured lengths above SnapLen are accepted up to the standard maximum (writers store SnapLen 0 or too small)', () => {
    const s = read(pcapFile({ snapLen: 0, records: records() })).summary;
    expect(s.error).toBeUndefined();
    expect(s.packets).toBe(3);
  });
});

describe('pcap errors: code, byte offset, records before it delivered', () => {
  const good = pcapFile({ records: records() });
  const secondAt = 24 + 16 + frameA.length;

  it('IPQ-N002 for an unknown magic, at byte 0, with the file name', () => {
    const e = errorOf(read(concat(Uint8Array.of(0xde, 0xad, 0xbe, 0xef), good.subarray(4)), { file: 'x.pcap' }).summary);
    expect([e.code, e.location?.offset, e.location?.file]).toEqual(['IPQ-N002', 0, 'x.pcap']);
    expect(e.message).toMatch(/^IPQ-N002 x\.pcap byte 0: /);
  });

  it('IPQ-N002 for a version other than 2.x', () => {
    const e = errorOf(read(pcapFile({ major: 3, records: records() })).summary);
    expect([e.code, e.location?.offset, e.details?.field]).toEqual(['IPQ-N002', 0, 'major version']);
  });

  it('IPQ-N002 for an absurd captured length, at the record, without allocating it', () => {
    const bytes = pcapFile({ records: [records()[0], { ts: { sec: 2, frac: 0 }, data: frameA, capLen: 0x7fff_ffff }] });
    const { records: got, summary } = read(bytes);
    const e = errorOf(summary);
    expect([e.code, e.location?.offset, e.details?.capLen]).toEqual(['IPQ-N002', secondAt, 0x7fff_ffff]);
    expect(got).toHaveLength(1);
    // The limit: max(SnapLen, 262,144), never above MAX_RECORD_BYTES.
    const big = pcapFile({ snapLen: 0xffff_ffff, records: [{ ts: { sec: 2, frac: 0 }, data: frameA, capLen: MAX_RECORD_BYTES + 1 }] });
    expect(errorOf(read(big).summary).code).toBe('IPQ-N002');
    const atLimit = pcapFile({ snapLen: 0, records: [{ ts: { sec: 2, frac: 0 }, data: frameA, capLen: STANDARD_MAX_CAPLEN + 1 }] });
    expect(errorOf(read(atLimit).summary).code).toBe('IPQ-N002');
  });

  it('IPQ-N001 when the input ends inside the file header', () => {
    for (const n of [0, 3, 4, 23]) {
      const e = errorOf(read(good.subarray(0, n)).summary);
      expect([e.code, e.location?.offset]).toEqual(['IPQ-N001', 0]);
    }
  });

  it('IPQ-N001 when the input ends inside a record header or record; earlier records delivered', () => {
    for (const cut of [secondAt + 1, secondAt + 15, secondAt + 16, secondAt + 16 + frameB.length - 1]) {
      const { records: got, summary } = read(good.subarray(0, cut));
      const e = errorOf(summary);
      expect([e.code, e.location?.offset, got.length, summary.packets]).toEqual(['IPQ-N001', secondAt, 1, 1]);
    }
    // A cut at a record boundary is a shorter, valid capture.
    expect(read(good.subarray(0, secondAt)).summary.error).toBeUndefined();
  });

  it('IPQ-N003 for a link type the decoder does not handle, unless skipped', () => {
    const bytes = pcapFile({ linkType: 127, records: records() });
    const e = errorOf(read(bytes).summary);
    expect([e.code, e.location?.offset, e.details?.linkType]).toEqual(['IPQ-N003', 0, 127]);
    const s = read(bytes, { unsupportedLinkType: 'skip' }).summary;
    expect([s.error, s.packets, s.skipped, s.linkTypes]).toEqual([undefined, 0, 3, [127]]);
  });
});

const captures = sharedCaptures().filter((c) => c.name.endsWith('.pcap'));

describe.skipIf(TSHARK === undefined || captures.length === 0)('pcap: real captures against tshark (needs tshark and IPQSEC_DATA/pcaps)', () => {
  for (const c of captures) {
    it(`${c.name}: count, timestamps, lengths`, () => {
      const rows = tsharkFields(c.path, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
      const { records: got, summary } = read(readFileSync(c.path));
      expect(summary.error).toBeUndefined();
      expect(got).toHaveLength(rows.length);
      got.forEach((r, i) => {
        expect(Math.abs(r.ts - Number(rows[i][0])), `frame ${i + 1}`).toBeLessThanOrEqual(1e-6);
        expect([r.origLen, r.capLen]).toEqual([Number(rows[i][1]), Number(rows[i][2])]);
      });
    });
  }
});

describe.skipIf(EDITCAP === undefined || captures.length === 0)('pcap: the same packets rewritten by editcap (needs editcap)', () => {
  const src = captures.find((c) => c.name === 'mqtt.pcap') ?? captures[0];
  it.skipIf(src === undefined)('nanosecond pcap and modified pcap give the original records; big-endian synthetic copy too', () => {
    const original = read(readFileSync(src.path));
    const ns = tempCapturePath('ns.pcap');
    const mod = tempCapturePath('mod.pcap');
    wiresharkTool('editcap', ['-F', 'nsecpcap', src.path, ns]);
    wiresharkTool('editcap', ['-F', 'modpcap', src.path, mod]);
    const strip = (rs: RecordDigest[]) => rs.map(({ fileOffset: _f, ...rest }) => rest);
    const a = read(readFileSync(ns));
    expect(a.summary.error).toBeUndefined();
    expect(strip(a.records).map((r) => ({ ...r, ts: Math.round(r.ts * 1e6) }))).toEqual(strip(original.records).map((r) => ({ ...r, ts: Math.round(r.ts * 1e6) })));
    const b = read(readFileSync(mod));
    expect(b.summary.error).toBeUndefined();
    expect(strip(b.records)).toEqual(strip(original.records));
    // A big-endian copy of the original built from the records, which tshark reads back identically.
    const be = pcapFile({
      byteOrder: 'be',
      records: original.data.map((d, i) => {
        const sec = Math.floor(original.records[i].ts);
        return { ts: { sec, frac: Math.round((original.records[i].ts - sec) * 1e6) }, data: d, origLen: original.records[i].origLen };
      }),
    });
    const c = read(be);
    expect(strip(c.records)).toEqual(strip(original.records));
    if (TSHARK !== undefined) {
      const rows = tsharkFields(writeTempCapture('be.pcap', be), ['frame.time_epoch', 'frame.len']);
      expect(rows.map((r) => Math.round(Number(r[0]) * 1e6))).toEqual(c.records.map((r) => Math.round(r.ts * 1e6)));
    }
  });
});
