import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isIpqsecError, type IpqsecError } from '../core/errors.js';
import { flowEventSchema, type FlowEventInput } from '../core/events.js';
import {
  canonicalIp,
  checkFlowEvent,
  parseIsoTime,
  parseZeekConnText,
  readZeekConnFile,
  unescapeZeek,
  ZeekConnReader,
  type ZeekConnReadOptions,
} from './zeek-conn-reader.js';
import { formatIPv6 } from './ip-format.js';
import { expectIpqsec } from '../core/_test-errors.js';

const T = '\t';
const FIELDS = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents'];
const TYPES = ['time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]'];
const header = (fields = FIELDS, types: string[] | null = TYPES, extra: string[] = []) =>
  ['#separator \\x09', `#set_separator${T},`, `#empty_field${T}(empty)`, `#unset_field${T}-`, `#path${T}conn`, `#open${T}2020-06-05-14-48-32`, ...extra, ['#fields', ...fields].join(T), ...(types === null ? [] : [['#types', ...types].join(T)])];

// docs.zeek.org "Zeek Log Formats and Inspection" (zeek-docs log-formats.rst, tm1t.pcap): the TSV conn.log (the
// page renders TABs as spaces; these are the same tokens with TABs, as Zeek writes them) and the JSON conn.log.
const DOC_TSV = [
  ...header(),
  ['1591367999.305988', 'CazOhH2qDUiJTWMCY', '192.168.4.76', '36844', '192.168.4.1', '53', 'udp', 'dns', '0.066852', '62', '141', 'SF', '-', '-', '0', 'Dd', '2', '118', '2', '197', '-'].join(T),
  ['1591367999.430166', 'CLqEx41jYPOdfHF586', '192.168.4.76', '46378', '31.3.245.133', '80', 'tcp', 'http', '0.254115', '77', '295', 'SF', '-', '-', '0', 'ShADadFf', '6', '397', '4', '511', '-'].join(T),
  `#close${T}2020-06-05-14-48-32`,
].join('\n');
const DOC_JSON = [
  '{"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","service":"dns","duration":0.06685185432434082,"orig_bytes":62,"resp_bytes":141,"conn_state":"SF","missed_bytes":0,"history":"Dd","orig_pkts":2,"orig_ip_bytes":118,"resp_pkts":2,"resp_ip_bytes":197}',
  '{"ts":1591367999.430166,"uid":"C5bLoe2Mvxqhawzqqd","id.orig_h":"192.168.4.76","id.orig_p":46378,"id.resp_h":"31.3.245.133","id.resp_p":80,"proto":"tcp","service":"http","duration":0.25411510467529297,"orig_bytes":77,"resp_bytes":295,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":397,"resp_pkts":4,"resp_ip_bytes":511}',
].join('\n');

// github.com/brimdata/zed docs (zeek/Reading-Zeek-Log-Formats.md): the first conn record of its Zeek TSV sample
// (a Zeek 3.0 conn.log, header as written) and, from its NDJSON sample (JSON Streaming Logs package: ISO `ts`,
// extra `_path`/`_write_ts` keys), the same record.
const ZED_TSV = [
  '#separator \\x09', `#set_separator${T},`, `#empty_field${T}(empty)`, `#unset_field${T}-`, `#path${T}conn`, `#open${T}2019-11-08-11-44-16`,
  ['#fields', ...FIELDS].join(T),
  ['#types', ...TYPES].join(T),
  ['1521911721.255387', 'C8Tful1TvM3Zf5x8fl', '10.164.94.120', '39681', '10.47.3.155', '3389', 'tcp', '-', '0.004266', '97', '19', 'RSTR', '-', '-', '0', 'ShADTdtr', '10', '730', '6', '342', '-'].join(T),
].join('\n');
const ZED_JSON = '{"_path":"conn","_write_ts":"2018-03-24T17:15:21.400275Z","ts":"2018-03-24T17:15:21.255387Z","uid":"C8Tful1TvM3Zf5x8fl","id.orig_h":"10.164.94.120","id.orig_p":39681,"id.resp_h":"10.47.3.155","id.resp_p":3389,"proto":"tcp","duration":0.004266023635864258,"orig_bytes":97,"resp_bytes":19,"conn_state":"RSTR","missed_bytes":0,"history":"ShADTdtr","orig_pkts":10,"orig_ip_bytes":730,"resp_pkts":6,"resp_ip_bytes":342}';

function parse(text: string, opts: ZeekConnReadOptions = {}): { events: FlowEventInput[]; summary: ReturnType<typeof parseZeekConnText> } {
  const events: FlowEventInput[] = [];
  const summary = parseZeekConnText(text, (e) => events.push(e), opts);
  for (const e of events) expect(flowEventSchema.safeParse(e).success).toBe(true);
  return { events, summary };
}

const n004 = (f: () => unknown): IpqsecError => expectIpqsec(f, 'IPQ-N004');

describe('Zeek conn.log examples from the Zeek documentation', () => {
  it('reads the docs.zeek.org TSV conn.log', () => {
    const { events, summary } = parse(DOC_TSV);
    expect(events).toEqual([
      { type: 'flow', ts: 1591367999.305988, uid: 'CazOhH2qDUiJTWMCY', orig_h: '192.168.4.76', orig_p: 36844, resp_h: '192.168.4.1', resp_p: 53, proto: 'udp', service: 'dns', duration: 0.066852, orig_bytes: 62, resp_bytes: 141, conn_state: 'SF', history: 'Dd', orig_pkts: 2, orig_ip_bytes: 118, resp_pkts: 2, resp_ip_bytes: 197 },
      { type: 'flow', ts: 1591367999.430166, uid: 'CLqEx41jYPOdfHF586', orig_h: '192.168.4.76', orig_p: 46378, resp_h: '31.3.245.133', resp_p: 80, proto: 'tcp', service: 'http', duration: 0.254115, orig_bytes: 77, resp_bytes: 295, conn_state: 'SF', history: 'ShADadFf', orig_pkts: 6, orig_ip_bytes: 397, resp_pkts: 4, resp_ip_bytes: 511 },
    ]);
    expect(summary).toMatchObject({ lines: 11, records: 2, skipped: 0, headerBlocks: 1, format: 'tsv' });
  });

  it('reads the docs.zeek.org JSON conn.log (missed_bytes ignored, full-precision durations)', () => {
    const { events, summary } = parse(DOC_JSON);
    expect(events.map((e) => [e.uid, e.duration, e.orig_h, e.resp_p, e.history])).toEqual([
      ['CMdzit1AMNsmfAIiQc', 0.06685185432434082, '192.168.4.76', 53, 'Dd'],
      ['C5bLoe2Mvxqhawzqqd', 0.25411510467529297, '192.168.4.76', 80, 'ShADadFf'],
    ]);
    expect(summary.format).toBe('json');
  });

  it('reads the zed sample record from TSV and from ISO-time NDJSON as the same connection', () => {
    const tsv = parse(ZED_TSV).events;
    const json = parse(ZED_JSON).events;
    expect(tsv).toHaveLength(1);
    expect(tsv[0]).toEqual({ type: 'flow', ts: 1521911721.255387, uid: 'C8Tful1TvM3Zf5x8fl', orig_h: '10.164.94.120', orig_p: 39681, resp_h: '10.47.3.155', resp_p: 3389, proto: 'tcp', duration: 0.004266, orig_bytes: 97, resp_bytes: 19, conn_state: 'RSTR', history: 'ShADTdtr', orig_pkts: 10, orig_ip_bytes: 730, resp_pkts: 6, resp_ip_bytes: 342 });
    expect(json[0]).toEqual({ ...tsv[0], duration: 0.004266023635864258 });
  });
});

describe('TSV header handling', () => {
  const row = (vals: Record<string, string>, fields = FIELDS) => fields.map((f) => vals[f] ?? '-').join(T);
  const base = { ts: '100.5', 'id.orig_h': '10.0.0.1', 'id.orig_p': '1234', 'id.resp_h': '10.0.0.2', 'id.resp_p': '80', proto: 'tcp' };

  it('matches columns by name in any order and ignores unknown columns', () => {
    const fields = ['proto', 'id.resp_p', 'vlan', 'id.resp_h', 'ts', 'id.orig_p', 'id.orig_h', 'orig_pkts', 'custom_thing'];
    const types = ['enum', 'port', 'int', 'addr', 'time', 'port', 'addr', 'count', 'vector[string]'];
    const text = [...header(fields, types), row({ ...base, vlan: '7', orig_pkts: '3', custom_thing: 'x,y' }, fields)].join('\n');
    expect(parse(text).events).toEqual([{ type: 'flow', ts: 100.5, orig_h: '10.0.0.1', orig_p: 1234, resp_h: '10.0.0.2', resp_p: 80, proto: 'tcp', orig_pkts: 3 }]);
  });

  it('honours #separator, #unset_field and #empty_field of each block; several blocks in one file', () => {
    const blockA = [...header(), row({ ...base, service: '(empty)', history: 'ShAD' })];
    const pipe = ['#separator \\x7c', '#set_separator|;', '#empty_field|EMPTY', '#unset_field|NONE', '#fields|ts|id.orig_h|id.orig_p|id.resp_h|id.resp_p|proto|service|history', '#types|time|addr|port|addr|port|enum|string|string', '200|fe80::0001|5|FE80:0:0:0:0:0:0:2|6|udp|EMPTY|NONE', '#close|x'];
    const blockC = [...header(['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'conn_state'], null), ['300', '1.2.3.4', '7', '5.6.7.8', '8', 'icmp', 'OTH'].join(T)];
    const { events, summary } = parse([...blockA, ...pipe, ...blockC].join('\n'));
    expect(events.map((e) => [e.ts, e.orig_h, e.resp_h, e.proto, e.service, e.history])).toEqual([
      [100.5, '10.0.0.1', '10.0.0.2', 'tcp', undefined, 'ShAD'],
      [200, 'fe80::1', 'fe80::2', 'udp', undefined, undefined],
      [300, '1.2.3.4', '5.6.7.8', 'icmp', undefined, undefined],
    ]);
    expect(summary.headerBlocks).toBe(3);
  });

  it('unescapes \\xNN in strings (then UTF-8) as get_unescaped_string', () => {
    expect(unescapeZeek('a\\x09b\\x2c')).toBe('a\tb,');
    expect(unescapeZeek('\\xc3\\xbc')).toBe('ü');
    expect(unescapeZeek('plain')).toBe('plain');
    const text = [...header(), row({ ...base, service: 'ssl\\x2chttp', uid: '\\x2d' })].join('\n');
    expect(parse(text).events[0]).toMatchObject({ service: 'ssl,http', uid: '-' });
  });

  it('reports header problems at the header line and data lines without a header', () => {
    const noOrig = header(FIELDS.filter((f) => f !== 'id.orig_h'), TYPES.filter((_, i) => FIELDS[i] !== 'id.orig_h'));
    let e = n004(() => parse(noOrig.join('\n')));
    expect(e.location).toMatchObject({ line: 7 });
    expect(e.message).toContain('id.orig_h');
    e = n004(() => parse([...header(FIELDS, TYPES.slice(1))].join('\n')));
    expect(e.location?.line).toBe(8);
    const badType = TYPES.map((t, i) => (FIELDS[i] === 'duration' ? 'string' : t));
    e = n004(() => parse(header(FIELDS, badType).join('\n')));
    expect(e.details).toMatchObject({ field: '#types', value: 'string' });
    e = n004(() => parse(row(base)));
    expect(e.location?.line).toBe(1);
    e = n004(() => parse(['#separator', row(base)].join('\n')));
    expect(e.location?.line).toBe(1);
  });
});

describe('validate: true', () => {
  it('gives the same events, and checkFlowEvent names the failing field', () => {
    expect(parse(DOC_TSV, { validate: true }).events).toEqual(parse(DOC_TSV).events);
    const e = n004(() => checkFlowEvent({ type: 'flow', ts: 1, orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp', site: '' }, { file: 'f', line: 9 }));
    expect(e.location).toMatchObject({ file: 'f', line: 9 });
    expect(e.details?.field).toBe('site');
  });
});

describe('other Zeek logs are not flows', () => {
  it('rejects a dns.log (docs.zeek.org JSON and TSV examples) as not a conn.log', () => {
    // docs.zeek.org "Zeek Log Formats and Inspection", dns.log in JSON; and its TSV #fields line.
    const dnsJson = '{"ts":1591367999.306059,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","trans_id":8555,"query":"testmyids.com","qclass":1,"qclass_name":"C_INTERNET","qtype":28,"qtype_name":"AAAA","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":false,"Z":0,"rejected":false}';
    expect(n004(() => parse(dnsJson)).message).toContain('not a conn.log');
    expect(n004(() => parse(JSON.stringify({ ...JSON.parse(DOC_JSON.split('\n')[0]), _path: 'dns' }))).details?.field).toBe('_path');
    const dnsFields = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs', 'rejected'];
    expect(n004(() => parse(header(dnsFields, null).join('\n'))).location?.line).toBe(7);
    const pathDns = header().map((l) => (l.startsWith('#path') ? `#path${T}dns` : l));
    expect(n004(() => parse(pathDns.join('\n'))).details?.field).toBe('#path');
  });
});

describe('JSON variants', () => {
  const obj = { ts: 1700000000.25, 'id.orig_h': '10.0.0.1', 'id.orig_p': 1, 'id.resp_h': '10.0.0.2', 'id.resp_p': 2, proto: 'tcp', conn_state: 'SF' };
  it('accepts id_orig_h keys, a nested id object, ISO and millisecond ts, and null as unset', () => {
    const lines = [
      JSON.stringify({ ...obj, service: null, history: null }),
      JSON.stringify({ ts: 1700000000.25, id_orig_h: '10.0.0.1', id_orig_p: 1, id_resp_h: '10.0.0.2', id_resp_p: 2, proto: 'tcp', conn_state: 'SF' }),
      JSON.stringify({ ts: '2023-11-14T22:13:20.250000Z', id: { orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2 }, proto: 'tcp', conn_state: 'SF' }),
      JSON.stringify({ ...obj, ts: 1700000000250 }),
    ];
    const { events } = parse(lines.join('\n'));
    expect(events).toHaveLength(4);
    for (const e of events) expect(e).toEqual({ type: 'flow', ts: 1700000000.25, orig_h: '10.0.0.1', orig_p: 1, resp_h: '10.0.0.2', resp_p: 2, proto: 'tcp', conn_state: 'SF' });
  });

  it('keeps UNSW feature keys, and sets site when asked', () => {
    const { events } = parse(JSON.stringify({ ...obj, sttl: 64, sload: 12.5, foo: 1 }), { site: 'plant-1' });
    expect(events[0]).toMatchObject({ sttl: 64, sload: 12.5, site: 'plant-1' });
    expect(events[0]).not.toHaveProperty('foo');
  });

  it('rejects values of the wrong kind with the field and value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...obj, 'id.orig_p': 70000 }, 'id.orig_p'],
      [{ ...obj, 'id.orig_h': '10.0.0.256' }, 'id.orig_h'],
      [{ ...obj, proto: 'sctp' }, 'proto'],
      [{ ...obj, conn_state: 'XX' }, 'conn_state'],
      [{ ...obj, history: 'ShZ' }, 'history'],
      [{ ...obj, orig_bytes: -1 }, 'orig_bytes'],
      [{ ...obj, duration: -0.5 }, 'duration'],
      [{ ...obj, ts: 'yesterday' }, 'ts'],
      [{ ...obj, ts: null }, 'ts'],
      [{ ...obj, uid: 'x'.repeat(65) }, 'uid'],
    ];
    for (const [o, field] of cases) {
      const e = n004(() => parse(`\n${JSON.stringify(o)}`, { file: 'conn.log' }));
      expect(e.location).toMatchObject({ file: 'conn.log', line: 2 });
      expect(e.details?.field).toBe(field);
    }
    expect(n004(() => parse('{"ts":')).message).toContain('not valid JSON');
    // A line not starting with `{` or `#` is a TSV data line: here there is no header for it.
    expect(n004(() => parse('[1,2]')).message).toContain('#fields');
  });
});

describe('errors keep what was accepted; skipBad counts', () => {
  const text = `${DOC_JSON}\n{"bad":1}\n${DOC_JSON}\n`;
  it('delivers the events before the bad line, then throws with its location', () => {
    const events: FlowEventInput[] = [];
    const e = n004(() => parseZeekConnText(text, (ev) => events.push(ev), { file: 'x.log' }));
    expect(events).toHaveLength(2);
    expect(e.location).toMatchObject({ file: 'x.log', line: 3 });
    expect(e.message).toMatch(/^IPQ-N004 x\.log:3/);
  });

  it('skipBad skips and counts, with examples', () => {
    const { events, summary } = parse(text, { skipBad: true });
    expect(events).toHaveLength(4);
    expect(summary).toMatchObject({ records: 4, skipped: 1, lines: 5 });
    expect(summary.skipExamples[0].line).toBe(3);
  });

  it('reports too-long lines as IPQ-N004 and reads on with skipBad', () => {
    const { events, summary } = parse(`${'{'.padEnd(5000, ' ')}\n${DOC_JSON}`, { skipBad: true, maxLineBytes: 4096 });
    expect(events).toHaveLength(2);
    expect(summary.skipped).toBe(1);
  });
});

describe('streaming', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ipqsec-zeek-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('yields the same events from a file and from chunks split anywhere (fast-check)', async () => {
    const text = `${DOC_TSV}\n${DOC_JSON}\n${ZED_TSV}\n`;
    const whole = parse(text).events;
    expect(whole).toHaveLength(5);
    const path = join(dir, 'conn.log');
    writeFileSync(path, text);
    const fromFile: FlowEventInput[] = [];
    const summary = await readZeekConnFile(path, (e) => fromFile.push(e));
    expect(fromFile).toEqual(whole);
    expect(summary.format).toBe('mixed');
    const bytes = Buffer.from(text);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const chunks = points.slice(1).map((p, i) => bytes.subarray(points[i], p));
        const got: FlowEventInput[] = [];
        for await (const e of new ZeekConnReader().read(chunks)) got.push(e);
        expect(got).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the yielded events when a later line is bad; a missing file is IPQ-D001', async () => {
    const reader = new ZeekConnReader();
    const got: FlowEventInput[] = [];
    await expect(async () => {
      for await (const e of reader.read([`${DOC_JSON}\nnot a line\n${DOC_JSON}\n`])) got.push(e);
    }).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-N004') && e.location?.line === 3);
    expect(got).toHaveLength(2);
    expect(reader.summary.records).toBe(2);
    await expect(readZeekConnFile(join(dir, 'missing.log'), () => {})).rejects.toSatisfy((e: unknown) => isIpqsecError(e, 'IPQ-D001'));
  });
});

describe('mutation fuzzing: only IPQ-N004 or valid events, accepted lines kept', () => {
  const good = [...DOC_TSV.split('\n'), ...DOC_JSON.split('\n')];
  const mutate = fc.tuple(fc.constantFrom(...good), fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'insert'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([line, ops]) => {
    const b = [...Buffer.from(line)];
    for (const [op, at, byte] of ops) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === 'flip') b[i] = (b[i] ?? 0) ^ (1 << (byte % 8));
      else if (op === 'cut') b.splice(i, 1 + (byte % 8));
      else b.splice(i, 0, byte === 10 ? 9 : byte);
    }
    return Buffer.from(b).toString('latin1').replace(/\n/g, ' '); // one line: a flipped bit may make an LF
  });

  const lines = DOC_TSV.split('\n');
  const [tsv1, tsv2] = [lines[8], lines[9]];
  const json1 = DOC_JSON.split('\n')[0];

  it('a mutated data line: IPQ-N004 at that line after the earlier events, or skipped, never another error', () => {
    fc.assert(
      fc.property(mutate, (bad) => {
        const text = [...lines.slice(0, 8), tsv1, bad, tsv2, json1].join('\n');
        const events: FlowEventInput[] = [];
        try {
          parseZeekConnText(text, (e) => events.push(e));
          expect(events.length).toBeGreaterThanOrEqual(bad.startsWith('#') ? 1 : 3);
        } catch (e) {
          expect(isIpqsecError(e, 'IPQ-N004')).toBe(true);
          expect(events.length).toBeGreaterThanOrEqual(1); // the line before the bad one stands
          expect((e as IpqsecError).location?.line).toBeGreaterThanOrEqual(10);
        }
        for (const e of events) expect(flowEventSchema.safeParse(e).success).toBe(true);
        const skipped: FlowEventInput[] = [];
        const summary = parseZeekConnText(text, (e) => skipped.push(e), { skipBad: true });
        if (!bad.startsWith('#')) {
          expect(skipped.length).toBeGreaterThanOrEqual(3);
          expect(summary.records + summary.skipped).toBe(bad.trim().length === 0 ? 3 : 4); // a blank line is neither
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('a mutated header or data line anywhere in a file: only IPQ-N004 or valid events', () => {
    const file = [...lines, ...DOC_JSON.split('\n')];
    fc.assert(
      fc.property(fc.nat(file.length - 1), fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'insert'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (at, ops) => {
        const b = [...Buffer.from(file[at])];
        for (const [op, i0, byte] of ops) {
          const i = b.length === 0 ? 0 : i0 % b.length;
          if (op === 'flip') b[i] = (b[i] ?? 0) ^ (1 << (byte % 8));
          else if (op === 'cut') b.splice(i, 1 + (byte % 8));
          else b.splice(i, 0, byte);
        }
        const text = [...file.slice(0, at), Buffer.from(b).toString('latin1'), ...file.slice(at + 1)].join('\n');
        const events: FlowEventInput[] = [];
        try {
          parseZeekConnText(text, (e) => events.push(e));
        } catch (e) {
          expect(isIpqsecError(e, 'IPQ-N004')).toBe(true);
        }
        for (const e of events) expect(flowEventSchema.safeParse(e).success).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('canonicalIp', () => {
  it('writes RFC 5952 §4 forms (its own examples)', () => {
    expect(canonicalIp('2001:db8:0:0:0:0:2:1')).toBe('2001:db8::2:1');
    expect(canonicalIp('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIp('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('2001:DB8::AAAA')).toBe('2001:db8::aaaa');
    expect(canonicalIp('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('::1');
    expect(canonicalIp('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(canonicalIp('0:0:0:0:0:ffff:c000:0201')).toBe('::ffff:192.0.2.1');
  });

  it('rejects what is not an address', () => {
    for (const s of ['', '1.2.3', '01.2.3.4', '256.1.1.1', '1::2::3', ':::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'fe80::1%eth0', 'g::1', '12345::', '::1.2.3']) {
      expect(canonicalIp(s)).toBeNull();
    }
  });

  it('agrees with ip-format.ts formatIPv6 (the pcap sensor\'s form) on random addresses, mapped ones included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (b, mapped) => {
        if (mapped) b.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 0);
        const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i] << 8) | b[2 * i + 1]).toString(16).padStart(4, '0')).join(':');
        expect(canonicalIp(full)).toBe(formatIPv6(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with the WHATWG URL serializer (RFC 5952 compression) on random addresses (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), (w) => {
        fc.pre(!(w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff));
        const full = w.map((x) => x.toString(16).padStart(4, '0')).join(':');
        expect(canonicalIp(full)).toBe(new URL(`http://[${full}]`).hostname.slice(1, -1));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseIsoTime', () => {
  it('reads Suricata and Zeek forms', () => {
    expect(parseIsoTime('2018-03-24T17:15:21.255387Z')).toBe(1521911721.255387);
    expect(parseIsoTime('2017-04-07T22:24:37.251547+0100')).toBe(Date.UTC(2017, 3, 7, 21, 24, 37) / 1000 + 0.251547);
    expect(parseIsoTime('1969-12-31T16:04:21.000000-0800')).toBe(261);
    expect(parseIsoTime('2024-01-15T10:20:30+05:30')).toBe(Date.UTC(2024, 0, 15, 4, 50, 30) / 1000);
    expect(parseIsoTime('2009-11-24T21:27:09.534255')).toBe(Date.UTC(2009, 10, 24, 21, 27, 9) / 1000 + 0.534255);
    for (const s of ['2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01', '2024-01-01T00:00:00+2400', 'x']) {
      expect(parseIsoTime(s)).toBeNull();
    }
  });

  it('agrees with Date.parse to the millisecond on random times and offsets (fast-check)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.nat(999), (d, offMin, micro) => {
        const local = new Date(d.getTime() + offMin * 60000).toISOString().slice(0, 23);
        const sign = offMin < 0 ? '-' : '+';
        const a = Math.abs(offMin);
        const hh = String(Math.floor(a / 60)).padStart(2, '0');
        const mm = String(a % 60).padStart(2, '0');
        const suricata = `${local}${String(micro).padStart(3, '0')}${sign}${hh}${mm}`;
        const rfc3339 = `${local}${sign}${hh}:${mm}`;
        const got = parseIsoTime(suricata);
        expect(got).not.toBeNull();
        const want = Date.parse(rfc3339) / 1000 + micro / 1e6;
        // Both sides are doubles near `want`: allow two ulps (≈ 4.4e-16 relative) on top of a µs-scale margin.
        expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(Math.max(1e-6, Math.abs(want) * 4.5e-16));
      }),
      { numRuns: 500 },
    );
  });
});
