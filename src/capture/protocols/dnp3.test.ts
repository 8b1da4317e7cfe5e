import { describe, expect, it } from 'vitest';
import type { Dnp3Event } from './app-event.js';
import { dnp3Crc } from './dnp3-crc.js';
import { Dnp3Analyzer } from './dnp3.js';
import { concat, describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { identifyService } from './service-id.js';
import { craftPcap, feedAll, HAS_TSHARK, hex, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

// Published frames, from the opendnp3 test suite (github.com/dnp3/opendnp3, Apache-2.0):
// - cpp/tests/unit/TestCRC.cpp: "05 64 05 C0 01 00 00 04 E9 21" (reset link states, master 1024 → outstation 1),
//   CRC of the first 8 octets = 0x21E9;
// - cpp/tests/unit/TestLinkReceiver.cpp "BodyCRCError" uses the READ request below with its last CRC octet changed
//   from 0x12 to 0x11 and expects a body CRC error; the intact frame (CRC 9A 12) is the one in the same suite's
//   comments and in its aegis parser test "Parses user data";
// - cpp/tests/unit/TestLinkFrame.cpp "RequestLinkStates": "05 64 05 49 01 00 00 04 D2 36".
const RESET_LINK = hex('05 64 05 C0 01 00 00 04 E9 21');
const READ_CLASS_1230 = hex('05 64 14 F3 01 00 00 04 0A 3B C0 C3 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06 9A 12');
const READ_BAD_BODY_CRC = hex('05 64 14 F3 01 00 00 04 0A 3B C0 C3 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06 9A 11');
const REQUEST_LINK_STATUS = hex('05 64 05 49 01 00 00 04 D2 36');

describe('dnp3Crc (IEEE 1815-2012 §9.2.4.2)', () => {
  it('matches the published frames', () => {
    expect(dnp3Crc(RESET_LINK, 0, 8)).toBe(0x21e9);
    expect(dnp3Crc(REQUEST_LINK_STATUS, 0, 8)).toBe(0x36d2);
    expect(dnp3Crc(READ_CLASS_1230, 0, 8)).toBe(0x3b0a);
    expect(dnp3Crc(READ_CLASS_1230, 10, 15)).toBe(0x129a);
  });

  it('gives the CRC-16/DNP check value of the CRC catalogue (Greg Cook, reveng): "123456789" → 0xEA82', () => {
    expect(dnp3Crc(new TextEncoder().encode('123456789'), 0, 9)).toBe(0xea82);
  });
});

/** A link frame per IEEE 1815-2012 §9.2.4 (CRC after the header and after every 16 octets of user data). */
function linkFrame(control: number, destination: number, source: number, userData: Uint8Array): Uint8Array {
  const header = Uint8Array.of(0x05, 0x64, 5 + userData.length, control, destination & 0xff, destination >> 8, source & 0xff, source >> 8);
  const parts: Uint8Array[] = [header, crcOf(header)];
  for (let i = 0; i < userData.length; i += 16) {
    const block = userData.subarray(i, i + 16);
    parts.push(block, crcOf(block));
  }
  return concat(...parts);
}
function crcOf(b: Uint8Array): Uint8Array {
  const c = dnp3Crc(b, 0, b.length);
  return Uint8Array.of(c & 0xff, c >> 8);
}

// Master 1 ↔ outstation 10. Control 0xC4 = DIR | PRM | UNCONFIRMED_USER_DATA (master), 0x44 from the outstation.
const MASTER = 0xc4;
const OUTSTATION = 0x44;
const READ_CLASS0 = linkFrame(MASTER, 10, 1, hex('C0 C0 01 3C 01 06')); // READ g60v1 (class 0)
const RESPONSE = linkFrame(OUTSTATION, 1, 10, hex('C0 C0 81 00 00 01 02 00 00 07 81 81 01 01 01 01 01 01')); // g1v2 ×8, two blocks
const DIRECT_OPERATE = linkFrame(MASTER, 10, 1, hex('C1 C1 05 0C 01 28 01 00 00 00 03 01 E8 03 00 00 00 00 00 00 00')); // CROB LATCH_ON
const COLD_RESTART = linkFrame(MASTER, 10, 1, hex('C2 C2 0D'));
const UNSOLICITED = linkFrame(OUTSTATION, 1, 10, hex('C3 F0 82 00 00'));
// One READ fragment in two transport segments: FIR without FIN, then FIN without FIR (§8.2).
const FRAG_FIRST = linkFrame(MASTER, 10, 1, hex('44 C5 01 3C 02 06 3C 03 06 3C 04 06'));
const FRAG_LAST = linkFrame(MASTER, 10, 1, hex('85 3C 01 06'));
const LINK_ACK = linkFrame(0x00, 1, 10, new Uint8Array(0)); // secondary ACK, no user data

const SESSION: Chunk[] = [
  { fromOrig: true, bytes: READ_CLASS0 },
  { fromOrig: false, bytes: RESPONSE },
  { fromOrig: true, bytes: concat(DIRECT_OPERATE, COLD_RESTART) },
  { fromOrig: false, bytes: concat(LINK_ACK, UNSOLICITED) },
  { fromOrig: true, bytes: FRAG_FIRST },
  { fromOrig: true, bytes: FRAG_LAST },
];

/** Hand-derived from the frames above (function codes IEEE 1815-2012 §4.2.2.5). */
const SESSION_EVENTS: Dnp3Event[] = [
  { kind: 'dnp3', isRequest: true, functionCode: 0x01, source: 1, destination: 10 },
  { kind: 'dnp3', isRequest: false, functionCode: 0x81, source: 10, destination: 1 },
  { kind: 'dnp3', isRequest: true, functionCode: 0x05, source: 1, destination: 10 },
  { kind: 'dnp3', isRequest: true, functionCode: 0x0d, source: 1, destination: 10 },
  { kind: 'dnp3', isRequest: false, functionCode: 0x82, source: 10, destination: 1 },
  { kind: 'dnp3', isRequest: true, functionCode: 0x01, source: 1, destination: 10 },
];

describe('Dnp3Analyzer', () => {
  it('reads the published READ frame and ignores link-only frames', () => {
    const a = new Dnp3Analyzer();
    const ev = feedAll(a, [{ fromOrig: true, bytes: concat(RESET_LINK, READ_CLASS_1230, REQUEST_LINK_STATUS) }]);
    expect(ev).toEqual([{ kind: 'dnp3', isRequest: true, functionCode: 1, source: 1024, destination: 1 }]);
    expect(a.malformed).toBe(0);
  });

  it('drops a frame with a bad user-data CRC (opendnp3 "BodyCRCError") and goes on with the next one', () => {
    const a = new Dnp3Analyzer();
    const ev = feedAll(a, [{ fromOrig: true, bytes: concat(READ_BAD_BODY_CRC, READ_CLASS_1230) }]);
    expect(a.malformed).toBe(1);
    expect(ev).toHaveLength(1);
  });

  it('resynchronises on the next 05 64 after a bad header (opendnp3 "Resync0564")', () => {
    const a = new Dnp3Analyzer();
    const ev = feedAll(a, [{ fromOrig: true, bytes: concat(hex('05 64 05 64 05 C0 01 00 00 04 E9 21'), hex('00 11 05'), READ_CLASS_1230) }]);
    expect(ev).toHaveLength(1);
    expect(a.malformed).toBe(2); // the header CRC error, then the stray octets before the next frame
  });

  it('reports function codes, direction and addresses of a session, one event per fragment', () => {
    expect(feedAll(new Dnp3Analyzer(), SESSION)).toEqual(SESSION_EVENTS);
  });

  it('parses DNP3 over UDP datagram by datagram; a cut frame is malformed', () => {
    const a = identifyService('udp', 40000, 20000, READ_CLASS0, 0, READ_CLASS0.length, true)!;
    expect(a.service).toBe('dnp3');
    const ev = feedAll(a, [
      { fromOrig: true, bytes: READ_CLASS0.subarray(0, 12) },
      { fromOrig: true, bytes: READ_CLASS0.subarray(12) },
      { fromOrig: true, bytes: READ_CLASS0 },
    ]);
    expect(ev).toHaveLength(1);
    expect(a.malformed).toBe(2); // the cut datagram, and the tail that does not start with 05 64
  });
});

describe.skipIf(!HAS_TSHARK)('Dnp3Analyzer against tshark on hand-built frames (text2pcap, port 20000)', () => {
  it('tshark finds every CRC correct and the same function codes and addresses', () => {
    const file = craftPcap('dnp3', SESSION, 40001, 20000);
    expect(tsharkFields(file, 'dnp3.hdr.CRC.incorrect || dnp3.data_chunk.CRC.incorrect', ['frame.number'])).toEqual([]);
    // tshark reports the function code where it completes the reassembled fragment (the FIN segment), the
    // analyzer at the FIR segment; the sequences agree.
    const rows = tsharkFields(file, 'dnp3.al.func', ['dnp3.al.func', 'dnp3.src', 'dnp3.dst']);
    const oracle = rows.flatMap((r) => {
      const funcs = r[0]!.split('|').map(Number);
      const src = r[1]!.split('|').map(Number);
      const dst = r[2]!.split('|').map(Number);
      // src/dst are per link frame; in these frames every fragment is in one frame except the last, whose
      // addresses equal its first segment's.
      return funcs.map((f, i) => ({ kind: 'dnp3', isRequest: f < 0x80, functionCode: f, source: src[Math.min(i, src.length - 1)]!, destination: dst[Math.min(i, dst.length - 1)]! }));
    });
    expect(oracle).toEqual(SESSION_EVENTS);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(oracle);
  });

  it('tshark and the analyzer both reject the body-CRC-error frame', () => {
    const file = craftPcap('dnp3-bad', [{ fromOrig: true, bytes: READ_BAD_BODY_CRC }], 40002, 20000);
    expect(tsharkFields(file, 'dnp3.data_chunk.CRC.incorrect', ['frame.number'])).toHaveLength(1);
    const a = new Dnp3Analyzer();
    expect(feedAll(a, [{ fromOrig: true, bytes: READ_BAD_BODY_CRC }])).toEqual([]);
    expect(a.malformed).toBe(1);
  });
});

describeAnalyzerContract({
  name: 'Dnp3Analyzer',
  make: () => new Dnp3Analyzer(),
  streams: [SESSION, [{ fromOrig: true, bytes: concat(RESET_LINK, READ_CLASS_1230, hex('17'), READ_CLASS0) }]],
});
