import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flowEventSchema, type FlowEventInput } from '../core/events.js';
import type { ConnRecord } from './conn-record.js';
import {
  CONN_LOG_FIELDS,
  ConnLogWriter,
  escapeZeekString,
  formatConnJsonLine,
  formatConnLog,
  formatConnTsvLine,
  formatZeekDouble,
  formatZeekJsonDouble,
  formatZeekLogTime,
  formatZeekTime,
  UNSW_CONN_COLUMNS,
  zeekJsonString,
  zeekTsvHeader,
  type ConnLogRow,
} from './conn-log-writer.js';
import { parseZeekConnText } from './zeek-conn-reader.js';

/** A ConnRecord with neutral values for what a test does not set. */
function conn(p: Partial<ConnRecord> & Pick<ConnRecord, 'ts' | 'uid' | 'orig_h' | 'orig_p' | 'resp_h' | 'resp_p' | 'proto'>): ConnRecord {
  return {
    service: null, duration: 0, orig_bytes: 0, resp_bytes: 0, conn_state: 'OTH', history: '', orig_pkts: 0, orig_ip_bytes: 0,
    resp_pkts: 0, resp_ip_bytes: 0, end_reason: 'closed', last_ts: p.ts + (p.duration ?? 0), vlan: null,
    sttl: 0, dttl: 0, sload: 0, dload: 0, sinpkt: 0, dinpkt: 0, sjit: 0, djit: 0, swin: 0, dwin: 0, synack: 0, ackdat: 0,
    tcprtt: 0, smean: 0, dmean: 0, sloss: 0, dloss: 0,
    ...p,
  };
}

const T = '\t';

// Fixture 1: docs.zeek.org "Zeek Log Formats and Inspection" (zeek-docs log-formats.rst, trace tm1t.pcap, Zeek 3.x),
// `cat conn.log` in the "Zeek TSV Format Logs" section. The page renders TABs as runs of spaces; the lines below
// are the same tokens joined with TABs, which is what Zeek writes (Ascii::WriteHeader / Ascii::Describe).
const DOC_TSV = [
  '#separator \\x09',
  `#set_separator${T},`,
  `#empty_field${T}(empty)`,
  `#unset_field${T}-`,
  `#path${T}conn`,
  `#open${T}2020-06-05-14-48-32`,
  ['#fields', ...CONN_LOG_FIELDS].join(T),
  ['#types', 'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]'].join(T),
  ['1591367999.305988', 'CazOhH2qDUiJTWMCY', '192.168.4.76', '36844', '192.168.4.1', '53', 'udp', 'dns', '0.066852', '62', '141', 'SF', '-', '-', '0', 'Dd', '2', '118', '2', '197', '-'].join(T),
  ['1591367999.430166', 'CLqEx41jYPOdfHF586', '192.168.4.76', '46378', '31.3.245.133', '80', 'tcp', 'http', '0.254115', '77', '295', 'SF', '-', '-', '0', 'ShADadFf', '6', '397', '4', '511', '-'].join(T),
  `#close${T}2020-06-05-14-48-32`,
].join('\n') + '\n';

// Same page, "Zeek JSON Format Logs" (`zeek -C -r ../tm1t.pcap LogAscii::use_json=T`, `cat conn.log`): the same two
// connections from a second run (new uids). Durations here are the full doubles whose TSV rendering is above.
const DOC_JSON = [
  '{"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","service":"dns","duration":0.06685185432434082,"orig_bytes":62,"resp_bytes":141,"conn_state":"SF","missed_bytes":0,"history":"Dd","orig_pkts":2,"orig_ip_bytes":118,"resp_pkts":2,"resp_ip_bytes":197}',
  '{"ts":1591367999.430166,"uid":"C5bLoe2Mvxqhawzqqd","id.orig_h":"192.168.4.76","id.orig_p":46378,"id.resp_h":"31.3.245.133","id.resp_p":80,"proto":"tcp","service":"http","duration":0.25411510467529297,"orig_bytes":77,"resp_bytes":295,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":397,"resp_pkts":4,"resp_ip_bytes":511}',
];

// The two connections of the doc, with the field values Zeek logged (duration: the JSON double).
const dnsConn = (uid: string): ConnLogRow => ({
  ...conn({ ts: 1591367999.305988, uid, orig_h: '192.168.4.76', orig_p: 36844, resp_h: '192.168.4.1', resp_p: 53, proto: 'udp',
    service: 'dns', duration: 0.06685185432434082, orig_bytes: 62, resp_bytes: 141, conn_state: 'SF', history: 'Dd',
    orig_pkts: 2, orig_ip_bytes: 118, resp_pkts: 2, resp_ip_bytes: 197 }),
  missed_bytes: 0,
});
const httpConn = (uid: string): ConnLogRow => ({
  ...conn({ ts: 1591367999.430166, uid, orig_h: '192.168.4.76', orig_p: 46378, resp_h: '31.3.245.133', resp_p: 80, proto: 'tcp',
    service: 'http', duration: 0.25411510467529297, orig_bytes: 77, resp_bytes: 295, conn_state: 'SF', history: 'ShADadFf',
    orig_pkts: 6, orig_ip_bytes: 397, resp_pkts: 4, resp_ip_bytes: 511 }),
  missed_bytes: 0,
});

// Fixture 2: github.com/brimdata/zed zeek/Reading-Zeek-Log-Formats.md (first conn record of the zed-sample-data
// Zeek TSV logs, Zeek 3.0), and the same record from the NDJSON sample (JSON Streaming Logs package), whose
// duration is 0.004266023635864258.
const ZED_TSV_LINE = ['1521911721.255387', 'C8Tful1TvM3Zf5x8fl', '10.164.94.120', '39681', '10.47.3.155', '3389', 'tcp', '-', '0.004266', '97', '19', 'RSTR', '-', '-', '0', 'ShADTdtr', '10', '730', '6', '342', '-'].join(T);

describe('Zeek TSV output reproduces Zeek-written lines', () => {
  it('writes the docs.zeek.org conn.log byte for byte from the same field values', () => {
    // #open and #close: the doc's run started at 2020-06-05 14:48:32 (its packet_filter.log ts 1591368512.420771;
    // the doc machine's clock was UTC, as tcpdump's 14:39:59 for ts 1591367999 shows).
    const text = formatConnLog([dnsConn('CazOhH2qDUiJTWMCY'), httpConn('CLqEx41jYPOdfHF586')], { format: 'tsv', now: () => 1591368512.420771 });
    expect(text).toBe(DOC_TSV);
  });

  it('writes the docs.zeek.org JSON conn.log line for line', () => {
    const text = formatConnLog([dnsConn('CMdzit1AMNsmfAIiQc'), httpConn('C5bLoe2Mvxqhawzqqd')], { format: 'ndjson', unsw: false });
    expect(text).toBe(DOC_JSON.map((l) => `${l}\n`).join(''));
  });

  it('writes the zed sample record (RSTR, unset service) as Zeek did', () => {
    const r: ConnLogRow = {
      ...conn({ ts: 1521911721.255387, uid: 'C8Tful1TvM3Zf5x8fl', orig_h: '10.164.94.120', orig_p: 39681, resp_h: '10.47.3.155', resp_p: 3389,
        proto: 'tcp', duration: 0.004266023635864258, orig_bytes: 97, resp_bytes: 19, conn_state: 'RSTR', history: 'ShADTdtr', orig_pkts: 10,
        orig_ip_bytes: 730, resp_pkts: 6, resp_ip_bytes: 342 }),
      missed_bytes: 0,
    };
    expect(formatConnTsvLine(r)).toBe(ZED_TSV_LINE);
  });

  it('formats time/interval as modp_dtoa(…, 6) and JSON doubles as rapidjson, per the doc pairs', () => {
    // Pairs rendered by Zeek in the same doc (TSV vs JSON of one value): conn durations, dns.log TTL 3600,
    // files.log duration 0 and ts 1591367999.604.
    expect(formatZeekTime(0.06685185432434082)).toBe('0.066852');
    expect(formatZeekTime(0.25411510467529297)).toBe('0.254115');
    expect(formatZeekTime(3600)).toBe('3600.000000');
    expect(formatZeekJsonDouble(3600)).toBe('3600.0');
    expect(formatZeekTime(0)).toBe('0.000000');
    expect(formatZeekJsonDouble(0)).toBe('0.0');
    expect(formatZeekTime(1591367999.604)).toBe('1591367999.604000');
    expect(formatZeekJsonDouble(1591367999.604)).toBe('1591367999.604');
    // modp rounding, hand-derived: remainder over one half rounds up, with carry into the integer part.
    expect(formatZeekTime(1.9999996)).toBe('2.000000');
    expect(formatZeekTime(0.0000004)).toBe('0.000000');
    // rapidjson writes exponents without '+'.
    expect(formatZeekJsonDouble(1e21)).toBe('1e21');
    expect(formatZeekJsonDouble(1e-7)).toBe('1e-7');
    expect(() => formatZeekTime(-1)).toThrow(RangeError);
    expect(() => formatZeekTime(Number.NaN)).toThrow(RangeError);
  });

  it('formats double columns as ODesc::Add(d, no_exp): trailing zeros dropped, .0 on integers', () => {
    // capture_loss.log writes percent_lost 0.0; hand-derived others from src/Desc.cc.
    expect(formatZeekDouble(0)).toBe('0.0');
    expect(formatZeekDouble(1.5)).toBe('1.5');
    expect(formatZeekDouble(2)).toBe('2.0');
    expect(formatZeekDouble(0.1234567)).toBe('0.123457');
    expect(formatZeekDouble(-0.25)).toBe('-0.25');
  });

  it('writes #open/#close as %Y-%m-%d-%H-%M-%S (UTC)', () => {
    expect(formatZeekLogTime(1591368512.420771)).toBe('2020-06-05-14-48-32');
    expect(formatZeekLogTime(0)).toBe('1970-01-01-00-00-00');
  });
});

describe('escaping (src/Desc.cc FirstEscapeLoc + src/threading/formatters/Ascii.cc, UTF-8 enabled)', () => {
  it('escapes the separator, controls, DEL and backslash as \\xNN; reserved tokens by their first byte', () => {
    expect(escapeZeekString('a\tb')).toBe('a\\x09b');
    expect(escapeZeekString('line\nbreak')).toBe('line\\x0abreak');
    expect(escapeZeekString('back\\slash')).toBe('back\\x5cslash');
    expect(escapeZeekString('del\x7f')).toBe('del\\x7f');
    expect(escapeZeekString('')).toBe('(empty)');
    expect(escapeZeekString('-')).toBe('\\x2d');
    expect(escapeZeekString('(empty)')).toBe('\\x28empty)');
    expect(escapeZeekString('ünïcode')).toBe('ünïcode');
    expect(escapeZeekString('a,b', ',')).toBe('a\\x2cb');
    expect(escapeZeekString('a,b')).toBe('a,b');
  });

  it('escapes JSON strings as rapidjson (short forms, \\u00XX upper-case)', () => {
    expect(zeekJsonString('plain')).toBe('"plain"');
    expect(zeekJsonString('q"b\\\n\t\x01')).toBe('"q\\"b\\\\\\n\\t\\u0001"');
    expect(zeekJsonString('\x1f')).toBe('"\\u001F"');
  });

  it('writes an escaped service and a tunnel set, and the reader restores them', () => {
    const r: ConnLogRow = { ...conn({ ts: 1, uid: 'Cx', orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'udp', service: 'a\tb', duration: 1 }), tunnel_parents: ['Ca', 'C,b'] };
    const line = formatConnTsvLine(r);
    expect(line.split('\t')).toHaveLength(CONN_LOG_FIELDS.length);
    expect(line.split('\t')[7]).toBe('a\\x09b');
    expect(line.split('\t')[20]).toBe('Ca,C\\x2cb');
    const got: FlowEventInput[] = [];
    parseZeekConnText(zeekTsvHeader(0) + line + '\n', (e) => got.push(e));
    expect(got[0].service).toBe('a\tb');
  });
});

describe('Zeek set_conn() rules', () => {
  const base = conn({ ts: 10, uid: 'Cs0', orig_h: '10.0.0.1', orig_p: 40000, resp_h: '10.0.0.2', resp_p: 22, proto: 'tcp', duration: 0, orig_bytes: 0, resp_bytes: 0, conn_state: 'S0', history: 'S', orig_pkts: 1, orig_ip_bytes: 60 });

  it('leaves duration, orig_bytes and resp_bytes unset when duration is 0 (default), writes them on request', () => {
    const cols = formatConnTsvLine(base).split('\t');
    expect(cols.slice(8, 11)).toEqual(['-', '-', '-']);
    expect(formatConnTsvLine(base, { zeekUnsetRule: false }).split('\t').slice(8, 11)).toEqual(['0.000000', '0', '0']);
    expect(formatConnJsonLine(base, { unsw: false })).not.toContain('duration');
  });

  it('leaves an empty history unset and writes missing extras as unset', () => {
    const cols = formatConnTsvLine({ ...base, history: '' }).split('\t');
    expect(cols[15]).toBe('-');
    expect(cols[12]).toBe('-');
    expect(cols[13]).toBe('-');
    expect(cols[14]).toBe('-');
    expect(cols[20]).toBe('-');
    expect(formatConnTsvLine({ ...base, local_orig: true, local_resp: false, tunnel_parents: [] }).split('\t').slice(12, 14)).toEqual(['T', 'F']);
    expect(formatConnTsvLine({ ...base, tunnel_parents: [] }).split('\t')[20]).toBe('(empty)');
  });

  it('rejects out-of-range fields as programmer errors', () => {
    expect(() => formatConnTsvLine({ ...base, orig_p: 70000 })).toThrow(RangeError);
    expect(() => formatConnTsvLine({ ...base, orig_pkts: -1 })).toThrow(RangeError);
    expect(() => formatConnJsonLine({ ...base, resp_ip_bytes: 1.5 })).toThrow(RangeError);
  });
});

describe('ConnLogWriter', () => {
  it('streams: header once before the first record, #close at the end, clock injected', () => {
    const out: string[] = [];
    let t = 1700000000;
    const w = new ConnLogWriter({ write: (s: string) => out.push(s) }, { format: 'tsv', now: () => t++ });
    const r = conn({ ts: 1700000000.5, uid: 'C1', orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'udp', duration: 0.5 });
    expect(w.write(r)).toBe(true);
    w.write({ ...r, uid: 'C2' });
    w.close();
    w.close();
    const text = out.join('');
    expect(text.match(/^#separator/gm)).toHaveLength(1);
    expect(text).toContain('#open\t2023-11-14-22-13-20\n');
    expect(text.endsWith('#close\t2023-11-14-22-13-21\n')).toBe(true);
    expect(w.records).toBe(2);
    expect(() => w.write(r)).toThrow(TypeError);
  });

  it('writes nothing for no records (as Zeek, which creates no file), NDJSON has no header', () => {
    expect(formatConnLog([], { format: 'tsv', now: () => 0 })).toBe('');
    const one = formatConnLog([conn({ ts: 1, uid: 'C', orig_h: '::1', orig_p: 1, resp_h: '::1', resp_p: 2, proto: 'tcp' })], { format: 'ndjson' });
    expect(one.startsWith('{"ts":1.0,')).toBe(true);
    expect(one.split('\n')).toHaveLength(2);
  });

  it('passes the sink\'s back-pressure signal on', () => {
    const w = new ConnLogWriter({ write: () => false }, { format: 'ndjson' });
    expect(w.write(conn({ ts: 1, uid: 'C', orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp' }))).toBe(false);
  });

  it('UNSW extension: extra #fields/#types after tunnel_parents in TSV (off by default), on by default in NDJSON', () => {
    const header = zeekTsvHeader(0, true);
    const fields = header.split('\n').find((l) => l.startsWith('#fields'))!.split('\t').slice(1);
    const types = header.split('\n').find((l) => l.startsWith('#types'))!.split('\t').slice(1);
    expect(fields.slice(CONN_LOG_FIELDS.length)).toEqual(UNSW_CONN_COLUMNS.map(([n]) => n));
    expect(types).toHaveLength(fields.length);
    const r = conn({ ts: 1, uid: 'C', orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp', sttl: 64, sload: 1234.5, synack: 0.25 });
    expect(formatConnTsvLine(r).split('\t')).toHaveLength(CONN_LOG_FIELDS.length);
    const ext = formatConnTsvLine(r, { unsw: true }).split('\t');
    expect(ext[fields.indexOf('sttl')]).toBe('64');
    expect(ext[fields.indexOf('sload')]).toBe('1234.5');
    expect(ext[fields.indexOf('synack')]).toBe('0.250000');
    expect(JSON.parse(formatConnJsonLine(r))).toMatchObject({ sttl: 64, sload: 1234.5, synack: 0.25 });
  });
});

// Round trip: random ConnRecords → writer → reader → the same conn.log fields, for TSV and NDJSON.
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ipv6 = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
  .filter((w) => !(w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff))
  .map((w) => new URL(`http://[${w.map((x) => x.toString(16)).join(':')}]`).hostname.slice(1, -1));
const count = fc.nat(2 ** 40);
const record = fc.record({
  ts: fc.double({ min: 0, max: 4e9, noNaN: true }),
  uid: fc.stringMatching(/^C[0-9A-Za-z]{17}$/),
  orig_h: fc.oneof(ipv4, ipv6),
  orig_p: fc.nat(65535),
  resp_h: fc.oneof(ipv4, ipv6),
  resp_p: fc.nat(65535),
  proto: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const, 'unknown_transport' as const),
  service: fc.option(fc.constantFrom('http', 'dns', 'ssl,http', 'modbus', 'a\tb', '-', '(empty)', 'mqtt'), { nil: null }),
  duration: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true })),
  orig_bytes: count, resp_bytes: count, orig_pkts: count, resp_pkts: count, orig_ip_bytes: count, resp_ip_bytes: count,
  conn_state: fc.constantFrom('S0', 'S1', 'SF', 'REJ', 'S2', 'S3', 'RSTO', 'RSTR', 'RSTOS0', 'RSTRH', 'SH', 'SHR', 'OTH' as const),
  history: fc.stringMatching(/^[ShADadFfRrCcTtWwIiQq^]{0,20}$/),
  sttl: fc.nat(255), dttl: fc.nat(255), swin: fc.nat(65535), dwin: fc.nat(65535), sloss: count, dloss: count,
  sload: fc.double({ min: 0, max: 1e10, noNaN: true }), dload: fc.double({ min: 0, max: 1e10, noNaN: true }),
  sinpkt: fc.double({ min: 0, max: 1e6, noNaN: true }), dinpkt: fc.double({ min: 0, max: 1e6, noNaN: true }),
  sjit: fc.double({ min: 0, max: 1e6, noNaN: true }), djit: fc.double({ min: 0, max: 1e6, noNaN: true }),
  synack: fc.double({ min: 0, max: 100, noNaN: true }), ackdat: fc.double({ min: 0, max: 100, noNaN: true }),
  tcprtt: fc.double({ min: 0, max: 100, noNaN: true }), smean: fc.double({ min: 0, max: 65535, noNaN: true }),
  dmean: fc.double({ min: 0, max: 65535, noNaN: true }),
}).map((p) => conn(p as Parameters<typeof conn>[0]));

// |value − read back| ≤ half a unit of the 6th decimal (the text) + half an ulp (parsing the text) + slack.
const sixDecimals = (b: number) => 5e-7 + Math.abs(b) * 2.3e-16 + 1e-10;

function expectRoundTrip(r: ConnRecord, e: FlowEventInput, exact: boolean, zeekRule: boolean): void {
  expect(flowEventSchema.safeParse(e).success).toBe(true);
  const near = (a: number | undefined, b: number) => {
    expect(a).toBeDefined();
    if (exact) expect(a).toBe(b);
    else expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(sixDecimals(b));
  };
  expect(e.uid).toBe(r.uid);
  near(e.ts as number, r.ts);
  expect([e.orig_h, e.orig_p, e.resp_h, e.resp_p, e.proto]).toEqual([r.orig_h, r.orig_p, r.resp_h, r.resp_p, r.proto]);
  expect(e.service).toBe(r.service ?? undefined);
  if (zeekRule && r.duration === 0) {
    expect([e.duration, e.orig_bytes, e.resp_bytes]).toEqual([undefined, undefined, undefined]);
  } else {
    near(e.duration, r.duration);
    expect([e.orig_bytes, e.resp_bytes]).toEqual([r.orig_bytes, r.resp_bytes]);
  }
  expect(e.conn_state).toBe(r.conn_state);
  expect(e.history).toBe(r.history === '' ? undefined : r.history);
  expect([e.orig_pkts, e.orig_ip_bytes, e.resp_pkts, e.resp_ip_bytes]).toEqual([r.orig_pkts, r.orig_ip_bytes, r.resp_pkts, r.resp_ip_bytes]);
  for (const [name, type] of UNSW_CONN_COLUMNS) {
    if (type === 'count') expect(e[name]).toBe(r[name]);
    else near(e[name], r[name]);
  }
}

describe('round trip writer → reader (fast-check)', () => {
  it('TSV with the UNSW extension keeps every field (times to 6 decimals)', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), fc.boolean(), (rs, zeekRule) => {
        const text = formatConnLog(rs, { format: 'tsv', unsw: true, zeekUnsetRule: zeekRule, now: () => 0 });
        const got: FlowEventInput[] = [];
        parseZeekConnText(text, (e) => got.push(e));
        expect(got).toHaveLength(rs.length);
        rs.forEach((r, i) => expectRoundTrip(r, got[i], false, zeekRule));
      }),
      { numRuns: 300 },
    );
  });

  it('NDJSON keeps every field exactly', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 5 }), fc.boolean(), (rs, zeekRule) => {
        const text = formatConnLog(rs, { format: 'ndjson', zeekUnsetRule: zeekRule });
        const got: FlowEventInput[] = [];
        parseZeekConnText(text, (e) => got.push(e));
        expect(got).toHaveLength(rs.length);
        rs.forEach((r, i) => expectRoundTrip(r, got[i], true, zeekRule));
      }),
      { numRuns: 300 },
    );
  });
});
