import { describe, expect, it } from 'vitest';
import type { ModbusEvent } from './app-event.js';
import { ModbusAnalyzer } from './modbus.js';
import { concat, describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { craftPcap, feedAll, HAS_TSHARK, hex, pcapFile, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

// ADUs built by hand from MODBUS Application Protocol v1.1b3: the PDUs are the specification's own examples
// (§6.1 Read Coils: request 01 0013 0013, response 01 03 CD 6B 05; §6.5 Write Single Coil: 05 00AC FF00 echoed;
// §7 exception example: request 01 04A1 0001 answered 81 02, "illegal data address"), wrapped in MBAP headers
// per the TCP/IP Implementation Guide v1.0b §3.1.3 (transaction id, protocol id 0, length = 1 + PDU, unit id).
const READ_REQ = hex('0001 0000 0006 11 01 0013 0013');
const READ_RESP = hex('0001 0000 0006 11 01 03 CD6B05');
const WRITE_REQ = hex('0002 0000 0006 11 05 00AC FF00');
const WRITE_RESP = hex('0002 0000 0006 11 05 00AC FF00');
const EXC_REQ = hex('0003 0000 0006 11 01 04A1 0001');
const EXC_RESP = hex('0003 0000 0003 11 81 02');

const SESSION: Chunk[] = [
  { fromOrig: true, bytes: READ_REQ },
  { fromOrig: false, bytes: READ_RESP },
  { fromOrig: true, bytes: WRITE_REQ },
  { fromOrig: false, bytes: WRITE_RESP },
  { fromOrig: true, bytes: EXC_REQ },
  { fromOrig: false, bytes: EXC_RESP },
];

/** What the standard says these ADUs are (hand-derived, see above). */
const SESSION_EVENTS: ModbusEvent[] = [
  { kind: 'modbus', isRequest: true, transactionId: 1, unitId: 0x11, functionCode: 1 },
  { kind: 'modbus', isRequest: false, transactionId: 1, unitId: 0x11, functionCode: 1 },
  { kind: 'modbus', isRequest: true, transactionId: 2, unitId: 0x11, functionCode: 5 },
  { kind: 'modbus', isRequest: false, transactionId: 2, unitId: 0x11, functionCode: 5 },
  { kind: 'modbus', isRequest: true, transactionId: 3, unitId: 0x11, functionCode: 1 },
  { kind: 'modbus', isRequest: false, transactionId: 3, unitId: 0x11, functionCode: 1, exceptionCode: 2 },
];

describe('ModbusAnalyzer on the specification examples', () => {
  it('reports function codes, unit ids, transaction ids and the exception of §7', () => {
    expect(feedAll(new ModbusAnalyzer(), SESSION)).toEqual(SESSION_EVENTS);
  });

  it('reads several ADUs in one segment and ADUs split byte by byte', () => {
    const a = new ModbusAnalyzer();
    const all = concat(READ_REQ, WRITE_REQ, EXC_REQ);
    expect(feedAll(a, [{ fromOrig: true, bytes: all }]).map((e) => (e as ModbusEvent).transactionId)).toEqual([1, 2, 3]);
    const b = new ModbusAnalyzer();
    const bytes = Array.from(all, (x) => ({ fromOrig: true, bytes: Uint8Array.of(x) }));
    expect(feedAll(b, bytes)).toEqual(feedAll(new ModbusAnalyzer(), [{ fromOrig: true, bytes: all }]));
  });

  it('takes the client side from the options (a flow whose orig is the server)', () => {
    const a = new ModbusAnalyzer({ clientIsOrig: false });
    const ev = feedAll(a, [{ fromOrig: false, bytes: READ_REQ }, { fromOrig: true, bytes: READ_RESP }]) as ModbusEvent[];
    expect(ev.map((e) => e.isRequest)).toEqual([true, false]);
  });

  it('counts a bad MBAP header as malformed and resynchronises at the next segment', () => {
    const a = new ModbusAnalyzer();
    const badProto = hex('0009 0001 0006 11 01 0013 0013'); // protocol id 1 (Guide §3.1.3: 0 = MODBUS)
    const tooLong = hex('000a 0000 00ff 11 01'); // length 255 > 254 (v1.1b3 §4.1: PDU ≤ 253)
    const ev = feedAll(a, [
      { fromOrig: true, bytes: concat(badProto, READ_REQ) }, // the good ADU after garbage in the same segment is lost
      { fromOrig: true, bytes: tooLong },
      { fromOrig: true, bytes: WRITE_REQ },
    ]);
    expect(a.malformed).toBe(2);
    expect(ev.map((e) => (e as ModbusEvent).transactionId)).toEqual([2]);
  });

  it('does not emit an exception response without its exception code', () => {
    const a = new ModbusAnalyzer();
    expect(feedAll(a, [{ fromOrig: false, bytes: hex('0003 0000 0002 11 81') }])).toEqual([]);
    expect(a.malformed).toBe(1);
  });

  it('abandons a direction after 16 consecutive bad headers', () => {
    const a = new ModbusAnalyzer();
    const junk = hex('4745 5420 2f20 4854 5450'); // "GET / HTTP" on port 502
    for (let i = 0; i < 20; i++) feedAll(a, [{ fromOrig: true, bytes: junk }]);
    expect(a.malformed).toBe(16);
    expect(feedAll(a, [{ fromOrig: true, bytes: READ_REQ }])).toEqual([]);
    expect(feedAll(a, [{ fromOrig: false, bytes: READ_RESP }])).toHaveLength(1); // the other direction goes on
  });
});

describe.skipIf(!HAS_TSHARK)('ModbusAnalyzer against tshark on hand-built ADUs (text2pcap)', () => {
  it('agrees with tshark on function codes, exception codes, unit and transaction ids', () => {
    const file = craftPcap('modbus-spec', SESSION, 49226, 502);
    const rows = tsharkFields(file, 'mbtcp', ['tcp.dstport', 'mbtcp.trans_id', 'mbtcp.unit_id', 'modbus.func_code', 'modbus.exception_code']);
    const fromTshark = rows.map((r) => {
      const e: ModbusEvent = { kind: 'modbus', isRequest: r[0] === '502', transactionId: Number(r[1]), unitId: Number(r[2]), functionCode: Number(r[3]) };
      if (r[4]) e.exceptionCode = Number(r[4]);
      return e;
    });
    expect(fromTshark).toEqual(SESSION_EVENTS);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(fromTshark);
  });
});

const big = pcapFile('modbus_modbusBig.pcap');

describe.skipIf(!HAS_TSHARK || !big.exists)('ModbusAnalyzer on modbus_modbusBig.pcap against tshark', () => {
  interface Pdu {
    frame: number;
    isRequest: boolean;
    transactionId: number;
    unitId: number;
    functionCode: number;
    exceptionCode: number | null;
  }
  const fromRows = (rows: string[][]): Pdu[] =>
    rows.flatMap((r) => {
      const tids = r[2]!.split('|');
      return tids.map((t, i) => ({
        frame: Number(r[0]),
        isRequest: r[1] === '502',
        transactionId: Number(t),
        unitId: Number(r[3]!.split('|')[i]),
        functionCode: Number(r[4]!.split('|')[i]),
        exceptionCode: r[5] ? Number(r[5].split('|')[i]) : null,
      }));
    });
  const fields = ['frame.number', 'tcp.dstport', 'mbtcp.trans_id', 'mbtcp.unit_id', 'modbus.func_code', 'modbus.exception_code'];
  let cache: { ours: Pdu[]; malformed: number; replay: ReturnType<typeof replayTcp> } | undefined;
  const ours = (): { ours: Pdu[]; malformed: number; replay: ReturnType<typeof replayTcp> } => {
    if (cache) return cache;
    const replay = replayTcp(tcpPackets(big.path));
    const list = replay.events
      .filter((x): x is typeof x & { event: ModbusEvent } => x.event.kind === 'modbus')
      .map(({ frame, event: e }) => ({ frame, isRequest: e.isRequest, transactionId: e.transactionId, unitId: e.unitId, functionCode: e.functionCode, exceptionCode: e.exceptionCode ?? null }));
    const malformed = [...replay.analyzers.values()].filter((a) => a.service === 'modbus').reduce((n, a) => n + a.malformed, 0);
    cache = { ours: list, malformed, replay };
    return cache;
  };
  const counts = (l: readonly Pdu[]): Record<string, number> => {
    const c: Record<string, number> = {};
    for (const p of l) {
      const k = `${p.isRequest ? 'req' : 'resp'} fc=${p.functionCode} exc=${p.exceptionCode ?? '-'}`;
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  };

  it('equals tshark ADU by ADU when tshark dissects every segment (sequence analysis off)', () => {
    // Without sequence analysis tshark dissects every segment as it comes, as the analyzer sees them.
    const oracle = fromRows(tsharkFields(big.path, 'mbtcp', fields, ['tcp.analyze_sequence_numbers:FALSE']));
    const { ours: mine, malformed } = ours();
    expect(oracle).toHaveLength(5549);
    expect(mine).toEqual(oracle);
    expect(counts(mine)).toEqual(counts(oracle));
    expect(malformed).toBe(0);
  });

  it('differs from default tshark (5,548 PDUs) only by the segment tshark flags as a spurious retransmission', () => {
    // Default tshark does not dissect frame 3150 (502 → 49226, 10 bytes, the only copy of the answer to
    // transaction 50382 in the capture: the client had acknowledged it already, so its first copy was not
    // captured). The analyzer gets no TCP sequence numbers and reports it; the sensor may drop retransmissions
    // before feeding analyzers.
    const oracle = fromRows(tsharkFields(big.path, 'mbtcp', fields));
    expect(oracle).toHaveLength(5548);
    const retrans = new Set(tsharkFields(big.path, 'tcp.analysis.retransmission || tcp.analysis.spurious_retransmission', ['frame.number']).map((r) => Number(r[0])));
    const mine = ours().ours;
    const extra = mine.filter((p) => !oracle.some((q) => q.frame === p.frame));
    expect(extra.every((p) => retrans.has(p.frame))).toBe(true);
    expect(extra.map((p) => [p.frame, p.transactionId, p.isRequest, p.functionCode])).toEqual([[3150, 50382, false, 1]]);
    expect(mine.filter((p) => !retrans.has(p.frame))).toEqual(oracle);
    const c = counts(oracle);
    expect(c).toEqual({ 'req fc=1 exc=-': 1387, 'req fc=5 exc=-': 1387, 'resp fc=1 exc=-': 1387, 'resp fc=5 exc=-': 1387 });
  });

  it('identifies only the port-502 connection as modbus (not the ISO-TSAP ones on port 102)', () => {
    const { replay } = ours();
    const services = [...replay.analyzers.entries()].map(([s, a]) => [s, a.service]);
    const modbusStreams = new Set(tsharkFields(big.path, 'mbtcp', ['tcp.stream']).map((r) => Number(r[0])));
    expect(services.filter(([, s]) => s === 'modbus').map(([s]) => s)).toEqual([...modbusStreams]);
  });
});

describeAnalyzerContract({
  name: 'ModbusAnalyzer',
  make: () => new ModbusAnalyzer(),
  streams: [SESSION, [{ fromOrig: true, bytes: concat(READ_REQ, WRITE_REQ) }, { fromOrig: false, bytes: concat(READ_RESP, WRITE_RESP, EXC_RESP) }]],
});
