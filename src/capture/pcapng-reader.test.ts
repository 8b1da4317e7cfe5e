import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IpqsecError } from '../core/errors.js';
import { readCaptureBuffer } from './capture-reader.js';
import type { CaptureReaderOptions, CaptureSummary } from './capture-reader.js';
import { MAX_INTERFACES, pcapngTimestamp, tsresolUnits } from './pcapng-reader.js';
import { MAX_RECORD_BYTES } from './pcap-reader.js';
import {
  MERGECAP,
  TSHARK,
  concat,
  ethernet,
  ipv4,
  pcapngFile,
  recordDigest,
  sharedCaptures,
  sll,
  tempCapturePath,
  tsharkFields,
  udp,
  wiresharkTool,
  writeTempCapture,
} from './_test-pcap.js';
import type { PcapngBlockSpec, PcapngSectionSpec, RecordDigest } from './_test-pcap.js';

function read(bytes: Uint8Array, opts: CaptureReaderOptions = {}): { records: RecordDigest[]; summary: CaptureSummary } {
  const records: RecordDigest[] = [];
  const summary = readCaptureBuffer(bytes, (r) => records.push(recordDigest(r)), opts);
  return { records, summary };
}

function errorOf(s: CaptureSummary): IpqsecError {
  if (s.error === undefined) throw new Error('expected a capture error');
  return s.error;
}

const ip = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17, payload: udp({ srcPort: 1, dstPort: 2 }) });
const eth = ethernet({ type: 0x0800, payload: ip });
const cooked = sll({ protocol: 0x0800, payload: ip });
const SHB_BYTES = 28;

/** Two interfaces of different link types and resolutions, packets interleaved, plus blocks to skip. */
function twoInterfaces(byteOrder: 'le' | 'be'): PcapngSectionSpec {
  return {
    byteOrder,
    blocks: [
      { type: 'idb', linkType: 1, snapLen: 65535 }, // if_tsresol absent: 10^-6 (§4.2)
      { type: 'raw', blockType: 4, body: new Uint8Array(8) }, // Name Resolution Block: skipped
      { type: 'idb', linkType: 113, snapLen: 262144, tsresol: 9, tsoffset: 10n },
      { type: 'epb', interfaceId: 0, ts: 1_700_000_000_123_456n, data: eth },
      { type: 'epb', interfaceId: 1, ts: 1_600_000_000_987_654_321n, data: cooked, origLen: 1000 },
      { type: 'raw', blockType: 5, body: new Uint8Array(20) }, // Interface Statistics Block: skipped
      { type: 'raw', blockType: 0x40000bad, body: new Uint8Array(13) }, // custom block: skipped
      { type: 'epb', interfaceId: 0, ts: 1_700_000_001_000_000n, data: eth.subarray(0, 30), origLen: eth.length },
    ],
  };
}

describe('pcapng (draft-ietf-opsawg-pcapng §3–§4)', () => {
  for (const order of ['le', 'be'] as const) {
    it(`${order === 'le' ? 'little' : 'big'}-endian section: two interfaces (Ethernet µs, SLL ns + if_tsoffset), unknown blocks skipped`, () => {
      const { records: got, summary } = read(pcapngFile([twoInterfaces(order)]));
      expect(summary.error).toBeUndefined();
      expect([summary.format, summary.packets, summary.linkTypes]).toEqual(['pcapng', 3, [1, 113]]);
      expect(got.map((r) => [r.interfaceId, r.linkType, r.capLen, r.origLen])).toEqual([
        [0, 1, eth.length, eth.length],
        [1, 113, cooked.length, 1000],
        [0, 1, 30, eth.length],
      ]);
      // µs: 1_700_000_000_123_456 units → 1700000000.123456 s; ns with offset 10 s: 1600000010.987654321 s.
      expect(got[0].ts).toBe(1_700_000_000 + 0.123456);
      expect(got[1].ts).toBe(1_600_000_010 + 0.987654321);
      expect(got[2].ts).toBe(1_700_000_001);
    });
  }

  it('if_tsresol: powers of 10 and of 2 (MSB set), offsets negative too', () => {
    expect([tsresolUnits(6), tsresolUnits(9), tsresolUnits(3), tsresolUnits(0x80 | 10), tsresolUnits(0)]).toEqual([1e6, 1e9, 1e3, 1024, 1]);
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', linkType: 1, tsresol: 0x80 | 10 },
          { type: 'idb', linkType: 1, tsresol: 3, tsoffset: -100n },
          { type: 'epb', interfaceId: 0, ts: 1024n * 5n + 512n, data: eth },
          { type: 'epb', interfaceId: 1, ts: 1_000_250n, data: eth },
        ],
      },
    ]);
    expect(read(bytes).records.map((r) => r.ts)).toEqual([5.5, 1000.25 - 100]);
  });

  it('several sections in different byte orders: each SHB resets the interfaces', () => {
    const bytes = pcapngFile([twoInterfaces('le'), { byteOrder: 'be', blocks: [{ type: 'idb', linkType: 101 }, { type: 'epb', interfaceId: 0, ts: 2_000_000n, data: ip }] }, twoInterfaces('be')]);
    const { records: got, summary } = read(bytes);
    expect(summary.error).toBeUndefined();
    expect(got.map((r) => `${r.interfaceId}/${r.linkType}`)).toEqual(['0/1', '1/113', '0/1', '0/101', '0/1', '1/113', '0/1']);
    expect(got[3].ts).toBe(2);
    expect(summary.linkTypes).toEqual([1, 101, 113]);
    // Interface 1 of the first section does not exist in the second one.
    const bad = pcapngFile([twoInterfaces('le'), { byteOrder: 'be', blocks: [{ type: 'idb', linkType: 101 }, { type: 'epb', interfaceId: 1, ts: 0n, data: ip }] }]);
    const r = read(bad);
    expect([errorOf(r.summary).code, errorOf(r.summary).details?.interfaceId, r.records.length]).toEqual(['IPQ-N002', 1, 3]);
  });

  it('Simple Packet Block: interface 0, captured length min(original, block room, SnapLen), previous timestamp (§4.4)', () => {
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', linkType: 1, snapLen: 40 },
          { type: 'epb', interfaceId: 0, ts: 7_000_000n, data: eth.subarray(0, 40), origLen: eth.length },
          { type: 'spb', data: eth.subarray(0, 40), origLen: eth.length },
          { type: 'spb', data: eth.subarray(0, 24), origLen: 22 },
        ],
      },
    ]);
    const { records: got, summary } = read(bytes);
    expect(summary.error).toBeUndefined();
    expect(got.map((r) => [r.capLen, r.origLen, r.ts, r.interfaceId])).toEqual([
      [40, eth.length, 7, 0],
      [40, eth.length, 7, 0],
      [22, 22, 7, 0],
    ]);
    expect(got[2].fileOffset).toBe(SHB_BYTES + 20 + 28 + 40 + 4 + 16 + 40);
  });

  it('obsolete Packet Block (Appendix A)', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb', linkType: 1 }, { type: 'opb', interfaceId: 0, ts: 3_500_000n, data: eth }] }]);
    const { records: got } = read(bytes);
    expect(got.map((r) => [r.ts, r.capLen])).toEqual([[3.5, eth.length]]);
  });

  it('timestamps above 2^53 units (ns since 1970) are exact to the double: property against BigInt arithmetic', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom(1, 1e3, 1e6, 1e9, 1024, 2 ** 20, 1e10), (t, units) => {
        const high = Number(t >> 32n);
        const low = Number(t & 0xffffffffn);
        const u = BigInt(units);
        // Reference: exact quotient and remainder, then one rounding each, as the reader does.
        const expected = Number(t / u) + Number(t % u) / units;
        const got = pcapngTimestamp(high, low, units);
        if (t / u < 1n << 53n) expect(got).toBe(expected);
        else expect(Math.abs(got - expected) / expected).toBeLessThan(1e-15);
      }),
      { numRuns: 2000 },
    );
    expect(pcapngTimestamp(Number(1_700_000_000_123_456_789n >> 32n), Number(1_700_000_000_123_456_789n & 0xffffffffn), 1e9)).toBe(1_700_000_000 + 0.123456789);
  });
});

describe('pcapng errors: code, byte offset, records before it delivered', () => {
  const base: PcapngBlockSpec[] = [
    { type: 'idb', linkType: 1 },
    { type: 'epb', interfaceId: 0, ts: 1n, data: eth },
  ];
  const clean = pcapngFile([{ blocks: base }]);
  const end = clean.length;

  /** Appends raw bytes (a hand-built block) after the clean capture; the error must point at `end`. */
  function after(...parts: Uint8Array[]): { records: RecordDigest[]; e: IpqsecError } {
    const r = read(concat(clean, ...parts));
    expect(r.records).toHaveLength(1);
    return { records: r.records, e: errorOf(r.summary) };
  }
  const le32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);

  it('IPQ-N002 for a block total length not a multiple of 4, below 12, or above the limit (no allocation)', () => {
    for (const len of [13, 8, 0, MAX_RECORD_BYTES + 4, 0xffff_fffc]) {
      const { e } = after(le32(6), le32(len), new Uint8Array(8));
      expect([e.code, e.location?.offset, e.details?.blockLength]).toEqual(['IPQ-N002', end, len]);
    }
  });

  it('IPQ-N002 when the trailing block total length differs', () => {
    const { e } = after(le32(0x99), le32(16), le32(0), le32(20));
    expect([e.code, e.location?.offset, e.details?.field]).toEqual(['IPQ-N002', end, 'trailing block total length']);
  });

  it('IPQ-N002 for a bad byte-order magic or a major version other than 1', () => {
    const shb = pcapngFile([{ blocks: [] }]);
    const badBom = shb.slice();
    badBom[8] = 0x11;
    expect([after(badBom).e.code, after(badBom).e.details?.field]).toEqual(['IPQ-N002', 'byte-order magic']);
    expect(after(pcapngFile([{ major: 2, blocks: [] }])).e.details?.field).toBe('major version');
  });

  it('IPQ-N002 for a captured length beyond its block, an undeclared interface, an SPB without interface', () => {
    const over = pcapngFile([{ blocks: [...base, { type: 'epb', interfaceId: 0, ts: 2n, data: eth, capLen: eth.length + 8 }] }]);
    const a = read(over);
    expect([errorOf(a.summary).code, errorOf(a.summary).location?.offset, a.records.length]).toEqual(['IPQ-N002', end, 1]);
    const noIf = read(pcapngFile([{ blocks: [...base, { type: 'epb', interfaceId: 2, ts: 2n, data: eth }] }]));
    expect([errorOf(noIf.summary).details?.field, noIf.records.length]).toEqual(['interface id', 1]);
    const spb = read(pcapngFile([{ blocks: [{ type: 'spb', data: eth }] }]));
    expect([errorOf(spb.summary).code, errorOf(spb.summary).location?.offset]).toEqual(['IPQ-N002', SHB_BYTES]);
  });

  it('IPQ-N002 for an interface option overrunning its block', () => {
    // IDB: link type 1, snaplen 0, option 9 claiming 200 bytes.
    const body = concat(Uint8Array.of(1, 0, 0, 0), le32(0), Uint8Array.of(9, 0, 200, 0), new Uint8Array(4));
    const { e } = after(le32(1), le32(12 + body.length), body, le32(12 + body.length));
    expect([e.code, e.location?.offset, e.details?.field]).toEqual(['IPQ-N002', end, 'option length']);
  });

  it('IPQ-N001 when the input ends inside a block; the offset is the block start', () => {
    for (const cut of [1, 7, 8, 11, 30]) {
      const r = read(concat(clean, clean.subarray(SHB_BYTES + 20)).subarray(0, end + cut));
      expect([errorOf(r.summary).code, errorOf(r.summary).location?.offset, r.records.length]).toEqual(['IPQ-N001', end, 1]);
    }
    expect(errorOf(read(clean.subarray(0, 10)).summary).location?.offset).toBe(0);
  });

  it('IPQ-N003 at the first packet of an interface with an unsupported link type; other interfaces read; skip mode', () => {
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', linkType: 1 },
          { type: 'idb', linkType: 189 }, // LINKTYPE_USB_LINUX: declared, fine until it has a packet
          { type: 'epb', interfaceId: 0, ts: 1n, data: eth },
          { type: 'epb', interfaceId: 1, ts: 2n, data: new Uint8Array(48) },
          { type: 'epb', interfaceId: 0, ts: 3n, data: eth },
        ],
      },
    ]);
    const r = read(bytes);
    const e = errorOf(r.summary);
    expect([e.code, e.details?.linkType, e.details?.interfaceId, r.records.length]).toEqual(['IPQ-N003', 189, 1, 1]);
    expect(e.location?.offset).toBe(SHB_BYTES + 20 + 20 + 28 + eth.length + (4 - (eth.length % 4)) % 4 + 4);
    const s = read(bytes, { unsupportedLinkType: 'skip' });
    expect([s.summary.error, s.records.length, s.summary.skipped]).toEqual([undefined, 2, 1]);
  });

  it(`more than ${MAX_INTERFACES} interfaces in a section is corruption`, () => {
    const idb = pcapngFile([{ blocks: [{ type: 'idb', linkType: 1 }] }]).subarray(SHB_BYTES);
    const many = new Uint8Array(SHB_BYTES + idb.length * (MAX_INTERFACES + 1));
    many.set(clean.subarray(0, SHB_BYTES));
    for (let i = 0; i <= MAX_INTERFACES; i++) many.set(idb, SHB_BYTES + i * idb.length);
    const e = errorOf(read(many).summary);
    expect([e.code, e.location?.offset]).toEqual(['IPQ-N002', SHB_BYTES + MAX_INTERFACES * idb.length]);
  });
});

const captures = sharedCaptures();

describe.skipIf(TSHARK === undefined || captures.length === 0)('pcapng: real captures against tshark (needs tshark and IPQSEC_DATA/pcaps)', () => {
  for (const c of captures.filter((x) => x.name.endsWith('.pcapng'))) {
    it(`${c.name}: count, interface, timestamps, lengths`, () => {
      const rows = tsharkFields(c.path, ['frame.interface_id', 'frame.time_epoch', 'frame.len', 'frame.cap_len']);
      const { records: got, summary } = read(readFileSync(c.path));
      expect(summary.error).toBeUndefined();
      expect(got).toHaveLength(rows.length);
      got.forEach((r, i) => {
        expect(r.interfaceId).toBe(Number(rows[i][0]));
        expect(Math.abs(r.ts - Number(rows[i][1])), `frame ${i + 1}`).toBeLessThanOrEqual(1e-6);
        expect([r.origLen, r.capLen]).toEqual([Number(rows[i][2]), Number(rows[i][3])]);
      });
    });
  }

  it.skipIf(MERGECAP === undefined)('mergecap pcapng of three interfaces (Ethernet µs, raw IP, Ethernet ns) against tshark', () => {
    const pcaps = captures.filter((x) => x.name.endsWith('.pcap')).slice(0, 2);
    if (pcaps.length < 2) return;
    const raw = tempCapturePath('raw.pcap');
    const ns = tempCapturePath('ns.pcapng');
    const merged = tempCapturePath('merged.pcapng');
    wiresharkTool('editcap', ['-F', 'pcap', '-C', '14', '-T', 'rawip', pcaps[0].path, raw]);
    wiresharkTool('editcap', ['-F', 'nsecpcap', pcaps[1].path, ns + '.tmp']);
    wiresharkTool('editcap', ['-F', 'pcapng', ns + '.tmp', ns]);
    wiresharkTool('mergecap', ['-F', 'pcapng', '-w', merged, pcaps[0].path, raw, ns]);
    const rows = tsharkFields(merged, ['frame.interface_id', 'frame.time_epoch', 'frame.len', 'frame.cap_len']);
    const { records: got, summary } = read(readFileSync(merged));
    expect(summary.error).toBeUndefined();
    expect(summary.linkTypes).toEqual([1, 101]);
    expect(got).toHaveLength(rows.length);
    expect(new Set(got.map((r) => r.interfaceId))).toEqual(new Set([0, 1, 2]));
    got.forEach((r, i) => {
      expect(r.interfaceId).toBe(Number(rows[i][0]));
      expect(r.linkType).toBe(r.interfaceId === 1 ? 101 : 1);
      expect(Math.abs(r.ts - Number(rows[i][1])), `frame ${i + 1}`).toBeLessThanOrEqual(1e-6);
      expect([r.origLen, r.capLen]).toEqual([Number(rows[i][2]), Number(rows[i][3])]);
    });
  });

  it('synthetic sections in both byte orders read back by tshark identically', () => {
    const bytes = pcapngFile([twoInterfaces('be'), twoInterfaces('le')]);
    // tshark lists the custom block (0x40000BAD) as a frame of its own with no interface: not a packet, dropped here.
    const rows = tsharkFields(writeTempCapture('two.pcapng', bytes), ['frame.interface_id', 'frame.time_epoch', 'frame.len', 'frame.cap_len']).filter((x) => x[0] !== '');
    const { records: got } = read(bytes);
    expect(got).toHaveLength(6);
    expect(got.map((r) => [r.interfaceId, r.ts.toFixed(6), r.origLen, r.capLen])).toEqual(rows.map((x) => [Number(x[0]), Number(x[1]).toFixed(6), Number(x[2]), Number(x[3])]));
  });
});
