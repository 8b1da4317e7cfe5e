import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError, type IpqsecError } from '../core/errors.js';
import { flowEventSchema, type FlowEventInput } from '../core/events.js';
import {
  mitreTechniques,
  parseSuricataEveText,
  suricataConnState,
  suricataSeverity,
  suricataTransport,
  SuricataEveReader,
  type SuricataEveReadOptions,
} from './suricata-eve-reader.js';
import { expectIpqsec } from '../core/_test-errors.js';

// Suricata user guide, "Eve JSON Format" (doc/userguide/output/eve/eve-json-format.rst, docs.suricata.io): the
// example at the top of the page (pretty-printed there; compacted here with JSON.stringify, values unchanged).
const DOC_ALERT = JSON.stringify({
  timestamp: '2017-04-07T22:24:37.251547+0100', flow_id: 586497171462735, pcap_cnt: 53381, event_type: 'alert',
  src_ip: '192.168.2.14', src_port: 50096, dest_ip: '209.53.113.5', dest_port: 80, proto: 'TCP',
  metadata: { flowbits: ['http.dottedquadhost'] }, tx_id: 4,
  alert: { action: 'allowed', gid: 1, signature_id: 2018358, rev: 10, signature: 'ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1', category: 'Potentially Bad Traffic', severity: 2 },
  app_proto: 'http',
});
// Same page, "Event type: Flow" example: the `flow` object only (the page shows no envelope for it).
const DOC_FLOW_OBJECT = {
  pkts_toserver: 23, pkts_toclient: 21, bytes_toserver: 4884, bytes_toclient: 7392,
  bypassed: { pkts_toserver: 10, pkts_toclient: 8, bytes_toserver: 1305, bytes_toclient: 984 },
  start: '2019-05-28T23:32:29.025256+0200', end: '2019-05-28T23:35:28.071281+0200', age: 179, bypass: 'capture', state: 'bypassed', reason: 'timeout', alerted: false,
};
// Same page, "Event type: Anomaly" examples with a full envelope.
const DOC_ANOMALIES = [
  { timestamp: '1969-12-31T16:04:21.000000-0800', pcap_cnt: 9262, event_type: 'anomaly', src_ip: '208.21.2.184', src_port: 0, dest_ip: '10.1.1.99', dest_port: 0, proto: 'UDP', packet: '////////AQEBAQEBCABFAAA8xZ5AAP8R1+DQFQK4CgE=', packet_info: { linktype: 1 }, anomaly: { type: 'decode', event: 'decoder.udp.pkt_too_small' } },
  { timestamp: '2016-01-11T05:10:54.612110-0800', flow_id: 412547343494194, pcap_cnt: 1391293, event_type: 'anomaly', src_ip: '192.168.122.149', src_port: 49324, dest_ip: '69.195.71.174', dest_port: 443, proto: 'TCP', app_proto: 'tls', anomaly: { type: 'applayer', event: 'APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION', layer: 'proto_detect' } },
].map((o) => JSON.stringify(o));

// OISF/suricata-verify golden outputs (what Suricata's CI checks real runs against), verbatim lines:
// dns-tcp-www-google-com/expected/eve.json — the first DNS line and the flow line of that file.
const SV_DNS_QUERY = '{"timestamp":"2017-01-26T20:16:58.270700+0000","flow_id":358186737135978,"pcap_cnt":5,"event_type":"dns","src_ip":"10.16.1.11","src_port":38195,"dest_ip":"8.8.4.4","dest_port":53,"proto":"TCP","dns":{"type":"query","id":24440,"rrname":"www.google.com","rrtype":"A","tx_id":0}}';
const SV_DNS_FLOW = '{"timestamp":"2017-01-26T20:16:58.309492+0000","flow_id":358186737135978,"event_type":"flow","src_ip":"10.16.1.11","src_port":38195,"dest_ip":"8.8.4.4","dest_port":53,"proto":"TCP","app_proto":"dns","flow":{"pkts_toserver":6,"pkts_toclient":4,"bytes_toserver":461,"bytes_toclient":509,"start":"2017-01-26T20:16:58.192874+0000","end":"2017-01-26T20:16:58.309492+0000","age":0,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}';
// tests/engine-state/detect-engine-state-03/output/eve.json — its http and flow lines.
const SV_HTTP = '{"timestamp":"2023-12-27T08:54:54.668726+0000","flow_id":1746257912426707,"event_type":"http","src_ip":"127.0.0.1","src_port":60118,"dest_ip":"127.0.0.1","dest_port":8080,"proto":"TCP","pkt_src":"stream (flow timeout)","tx_id":0,"http":{"hostname":"www.server.lan","url":"/upload.cgi"}}';
const SV_HTTP_FLOW = '{"timestamp":"2023-12-27T08:54:54.668726+0000","flow_id":1746257912426707,"event_type":"flow","src_ip":"127.0.0.1","src_port":60118,"dest_ip":"127.0.0.1","dest_port":8080,"proto":"TCP","app_proto":"http","flow":{"pkts_toserver":5,"pkts_toclient":5,"bytes_toserver":626,"bytes_toclient":338,"start":"2023-12-27T08:54:54.668726+0000","end":"2023-12-27T08:54:54.669293+0000","age":0,"state":"closed","reason":"shutdown","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"13","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed","ts_max_regions":1,"tc_max_regions":1}}';
// alert-testmyids/expected/eve.json — an alert on the server's answer (offset -0600; no direction field).
const SV_ALERT = '{"timestamp":"2016-07-13T16:42:07.573103-0600","flow_id":1842518484266121,"pcap_cnt":9,"event_type":"alert","src_ip":"82.165.177.154","src_port":80,"dest_ip":"10.16.1.11","dest_port":54186,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2100498,"rev":7,"signature":"GPL ATTACK_RESPONSE id check returned root","category":"Potentially Bad Traffic","severity":2},"http":{"hostname":"www.testmyids.com","url":"\\/","http_user_agent":"curl\\/7.43.0","http_content_type":"text\\/html","http_method":"GET","protocol":"HTTP\\/1.1","status":200,"length":39},"stream":1,"packet":"2MuK7aFGABUXDQb3CABFAAAoVHRAADEG5gFSpbGaChABCwBQ06qX5tMqesioEFARAUs9SQAAAAAAAAAA","packet_info":{"linktype":1}}';

/** Epoch seconds of a UTC wall time plus a decimal fraction, computed with Date.UTC (independent of the reader). */
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, frac = '') => Number(`${Date.UTC(y, mo - 1, d, h, mi, s) / 1000}${frac === '' ? '' : `.${frac}`}`);

function parse(text: string, opts: SuricataEveReadOptions = {}) {
  const events: FlowEventInput[] = [];
  const summary = parseSuricataEveText(text, (e) => events.push(e), opts);
  for (const e of events) expect(flowEventSchema.safeParse(e).success).toBe(true);
  return { events, summary };
}

const n004 = (f: () => unknown): IpqsecError => expectIpqsec(f, 'IPQ-N004');

describe('Suricata documentation and suricata-verify examples', () => {
  it('maps the user guide alert example to a flow event with an IDS Signature signal', () => {
    const { events, summary } = parse(DOC_ALERT);
    expect(events).toEqual([
      {
        type: 'flow', uid: '586497171462735', ts: utc(2017, 4, 7, 21, 24, 37, '251547'), orig_h: '192.168.2.14', orig_p: 50096,
        resp_h: '209.53.113.5', resp_p: 80, proto: 'tcp', service: 'http',
        signals: [{ reason: 'IDS Signature', severity: 'medium', source: 'suricata', detail: 'ET HUNTING GENERIC SUSPICIOUS POST to Dotted Quad with Fake Browser 1', signature_id: 2018358 }],
      },
    ]);
    expect(summary).toMatchObject({ alerts: 1, flows: 0, records: 1 });
  });

  it('maps the real DNS-over-TCP flow record (suricata-verify) to Zeek fields', () => {
    const { events, summary } = parse([SV_DNS_QUERY, SV_DNS_FLOW, SV_DNS_QUERY].join('\n'));
    expect(events).toEqual([
      {
        type: 'flow', uid: '358186737135978', ts: utc(2017, 1, 26, 20, 16, 58, '192874'), orig_h: '10.16.1.11', orig_p: 38195,
        resp_h: '8.8.4.4', resp_p: 53, proto: 'tcp', service: 'dns', duration: 0.116618, orig_pkts: 6, resp_pkts: 4,
        orig_ip_bytes: 461, resp_ip_bytes: 509, conn_state: 'SF',
      },
    ]);
    expect(summary).toMatchObject({ flows: 1, otherEvents: 2, otherEventTypes: { dns: 2 }, records: 1 });
  });

  it('maps the real HTTP flow record (server flags 0x13 = FIN SYN ACK) and skips its http event', () => {
    const { events, summary } = parse(`${SV_HTTP}\n${SV_HTTP_FLOW}\n`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ orig_h: '127.0.0.1', orig_p: 60118, resp_p: 8080, service: 'http', duration: 0.000567, conn_state: 'SF', orig_ip_bytes: 626, resp_ip_bytes: 338 });
    expect(summary.otherEventTypes).toEqual({ http: 1 });
  });

  it('maps the user guide flow object (bypassed flow, +0200 offsets) inside a real flow envelope', () => {
    const envelope = JSON.parse(SV_DNS_FLOW) as Record<string, unknown>;
    const { events } = parse(JSON.stringify({ ...envelope, flow: DOC_FLOW_OBJECT }));
    expect(events[0]).toMatchObject({
      ts: utc(2019, 5, 28, 21, 32, 29, '025256'), duration: 179.046025, orig_pkts: 23, resp_pkts: 21, orig_ip_bytes: 4884, resp_ip_bytes: 7392,
    });
  });

  it('keeps the matching packet\'s direction for an alert without direction info (suricata-verify, -0600)', () => {
    const { events } = parse(SV_ALERT);
    expect(events[0]).toEqual({
      type: 'flow', uid: '1842518484266121', ts: utc(2016, 7, 13, 22, 42, 7, '573103'), orig_h: '82.165.177.154', orig_p: 80,
      resp_h: '10.16.1.11', resp_p: 54186, proto: 'tcp',
      signals: [{ reason: 'IDS Signature', severity: 'medium', source: 'suricata', detail: 'GPL ATTACK_RESPONSE id check returned root', signature_id: 2100498 }],
    });
  });

  it('skips and counts the anomaly examples', () => {
    const { events, summary } = parse(DOC_ANOMALIES.join('\n'));
    expect(events).toEqual([]);
    expect(summary).toMatchObject({ otherEvents: 2, otherEventTypes: { anomaly: 2 }, lines: 2, records: 0 });
  });
});

// Hand-built lines below test rules the examples above do not reach; each derives from the real DNS flow line.
const flowWith = (patch: Record<string, unknown>) => JSON.stringify({ ...(JSON.parse(SV_DNS_FLOW) as object), ...patch });
const alertWith = (patch: Record<string, unknown>, alertPatch: Record<string, unknown> = {}) => {
  const o = JSON.parse(DOC_ALERT) as Record<string, unknown>;
  return JSON.stringify({ ...o, ...patch, alert: { ...(o.alert as object), ...alertPatch } });
};

describe('mapping rules', () => {
  it('severity: 1 → high, 2 → medium, 3 and above → low', () => {
    expect([1, 2, 3, 4, 255].map(suricataSeverity)).toEqual(['high', 'medium', 'low', 'low', 'low']);
  });

  it('techniques: valid ATT&CK ids from alert.metadata.mitre_technique_id, deduplicated', () => {
    expect(mitreTechniques({ mitre_technique_id: ['T1071', 'bogus', 't1059.001', 'T1071', 'T10711', 7] })).toEqual(['T1071', 'T1059.001']);
    expect(mitreTechniques({ mitre_technique_id: 'T0846' })).toEqual(['T0846']);
    expect(mitreTechniques(undefined)).toEqual([]);
    const { events } = parse(alertWith({}, { severity: 1, metadata: { mitre_technique_id: ['T1190'], mitre_tactic_id: ['TA0001'] } }));
    expect(events[0].signals).toEqual([expect.objectContaining({ severity: 'high', techniques: ['T1190'] })]);
  });

  it('orig/resp follow the flow when Suricata gives it (direction to_client, or flow.src_ip in the alert)', () => {
    const swapped = parse(alertWith({ direction: 'to_client' })).events[0];
    expect([swapped.orig_h, swapped.orig_p, swapped.resp_h, swapped.resp_p]).toEqual(['209.53.113.5', 80, '192.168.2.14', 50096]);
    const v7 = parse(alertWith({ src_ip: '209.53.113.5', src_port: 80, dest_ip: '192.168.2.14', dest_port: 50096, flow: { pkts_toserver: 3, start: '2017-04-07T22:24:36.000000+0100', src_ip: '192.168.2.14', dest_ip: '209.53.113.5', src_port: 50096, dest_port: 80 } })).events[0];
    expect([v7.orig_h, v7.orig_p, v7.resp_h, v7.resp_p, v7.uid, v7.service]).toEqual(['192.168.2.14', 50096, '209.53.113.5', 80, '586497171462735', 'http']);
    expect(v7.orig_pkts).toBeUndefined();
  });

  it('transports, ICMP type/code as ports, IPv6 canonical, service names as Zeek', () => {
    expect(['TCP', 'udp', 'ICMP', 'IPv6-ICMP', 'SCTP', '47'].map(suricataTransport)).toEqual(['tcp', 'udp', 'icmp', 'icmp', 'unknown_transport', 'unknown_transport']);
    const icmp = parse(flowWith({ proto: 'IPv6-ICMP', src_port: undefined, dest_port: undefined, icmp_type: 128, icmp_code: 0, src_ip: '2001:0db8:0000:0000:0000:0000:0000:0001', dest_ip: '2001:0db8:0000:0000:0000:0000:0000:0002', tcp: undefined, app_proto: 'tls' })).events[0];
    expect(icmp).toMatchObject({ proto: 'icmp', orig_p: 128, resp_p: 0, orig_h: '2001:db8::1', resp_h: '2001:db8::2', conn_state: 'OTH', service: 'ssl' });
    expect(parse(flowWith({ app_proto: 'failed' })).events[0].service).toBeUndefined();
  });

  it('frameOverheadBytes subtracts a link header per packet (Suricata counts whole frames)', () => {
    expect(parse(SV_DNS_FLOW, { frameOverheadBytes: 14 }).events[0]).toMatchObject({ orig_ip_bytes: 461 - 6 * 14, resp_ip_bytes: 509 - 4 * 14 });
    expect(() => new SuricataEveReader({ frameOverheadBytes: -1 })).toThrow(RangeError);
  });
});

describe('conn_state from Suricata flags (Zeek conn_state() rules)', () => {
  const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
  const cases: [number, number, number, string][] = [
    // flags to server, flags to client, packets to client, expected — hand-derived from main.zeek conn_state()
    [SYN, 0, 0, 'S0'],
    [SYN, RST | ACK, 1, 'REJ'],
    [SYN | ACK | PSH, SYN | ACK | PSH, 3, 'S1'],
    [SYN | ACK | FIN, SYN | ACK | FIN, 3, 'SF'],
    [SYN | ACK | FIN, SYN | ACK, 2, 'S2'],
    [SYN | ACK, SYN | ACK | FIN, 2, 'S3'],
    [SYN | ACK | RST, SYN | ACK, 2, 'RSTO'],
    [SYN | ACK, SYN | ACK | RST, 2, 'RSTR'],
    [SYN | RST, 0, 0, 'RSTOS0'],
    [ACK, SYN | ACK | RST, 1, 'RSTRH'],
    [SYN | FIN, 0, 0, 'SH'],
    [ACK, SYN | ACK | FIN, 1, 'SHR'],
    [ACK | PSH, ACK | PSH, 4, 'OTH'],
  ];
  it.each(cases)('ts %i tc %i (%i pkts to client) → %s', (ts, tc, pktsTc, want) => {
    expect(suricataConnState('tcp', 3, pktsTc, ts, tc, 'closed')).toBe(want);
  });
  it('UDP and others as Zeek; TCP without per-direction flags only from flow.state', () => {
    expect(suricataConnState('udp', 1, 1, undefined, undefined, 'established')).toBe('SF');
    expect(suricataConnState('udp', 1, 0, undefined, undefined, 'new')).toBe('S0');
    expect(suricataConnState('udp', 0, 2, undefined, undefined, 'new')).toBe('SHR');
    expect(suricataConnState('icmp', 1, 1, undefined, undefined, 'established')).toBe('OTH');
    expect(suricataConnState('tcp', 1, 1, undefined, undefined, 'established')).toBe('S1');
    expect(suricataConnState('tcp', 1, 0, undefined, undefined, 'new')).toBeUndefined();
  });
});

describe('malformed lines', () => {
  it('IPQ-N004 with line, field and value; events before it delivered; skipBad counts', () => {
    const bad: [string, string | undefined][] = [
      ['{"event_type":"flow"', undefined],
      ['"just a string"', undefined],
      [JSON.stringify({ timestamp: 'x' }), 'event_type'],
      [flowWith({ src_ip: 'not-an-ip' }), 'src_ip'],
      [flowWith({ src_port: undefined }), 'src_port'],
      [flowWith({ proto: undefined }), 'proto'],
      [flowWith({ flow: undefined }), 'flow'],
      [flowWith({ flow: { pkts_toserver: 1 } }), 'flow.start'],
      [flowWith({ flow: { start: '2017-01-26 20:16:58', end: '2017-01-25T00:00:00Z' } }), 'flow.end'],
      [flowWith({ flow: { start: '2017-01-26T20:16:58+0000', pkts_toserver: -1 } }), 'flow.pkts_toserver'],
      [flowWith({ tcp: { tcp_flags_ts: 'zz', tcp_flags_tc: '1b' } }), 'tcp.tcp_flags_ts'],
      [alertWith({}, { severity: 0 }), 'alert.severity'],
      [alertWith({}, { signature: undefined }), 'alert.signature'],
      [alertWith({ timestamp: '2017-04-07T22:24:37.251547+2500' }), 'timestamp'],
    ];
    for (const [line, field] of bad) {
      const events: FlowEventInput[] = [];
      const e = n004(() => parseSuricataEveText(`${SV_DNS_FLOW}\n${line}\n${SV_DNS_FLOW}`, (ev) => events.push(ev), { file: 'eve.json' }));
      expect(e.location).toMatchObject({ file: 'eve.json', line: 2 });
      if (field !== undefined) expect(e.details?.field).toBe(field);
      expect(events).toHaveLength(1);
      const { events: kept, summary } = parse(`${SV_DNS_FLOW}\n${line}\n${SV_DNS_FLOW}`, { skipBad: true });
      expect(kept).toHaveLength(2);
      expect(summary.skipped).toBe(1);
    }
  });

  it('validate: true gives the same events', () => {
    const text = [DOC_ALERT, SV_DNS_FLOW, SV_HTTP_FLOW, SV_ALERT].join('\n');
    expect(parse(text, { validate: true }).events).toEqual(parse(text).events);
  });

  it('streams from chunks like the text parser', async () => {
    const text = [DOC_ALERT, SV_DNS_QUERY, SV_DNS_FLOW, SV_HTTP, SV_HTTP_FLOW, SV_ALERT, ...DOC_ANOMALIES].join('\r\n');
    const whole = parse(text).events;
    const reader = new SuricataEveReader();
    const got: FlowEventInput[] = [];
    const bytes = Buffer.from(text);
    for await (const e of reader.read([bytes.subarray(0, 100), bytes.subarray(100, 1001), bytes.subarray(1001)])) got.push(e);
    expect(got).toEqual(whole);
    expect(got).toHaveLength(4);
    expect(reader.summary).toMatchObject({ flows: 2, alerts: 2, otherEvents: 4 });
  });

  it('bounds the event-type counter', () => {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ event_type: `t${i}` }));
    const { summary } = parse(lines.join('\n'));
    expect(Object.keys(summary.otherEventTypes)).toHaveLength(65);
    expect(summary.otherEventTypes['(other)']).toBe(36);
  });
});

describe('mutation fuzzing: only IPQ-N004 or valid events, accepted lines kept', () => {
  const good = [DOC_ALERT, SV_DNS_FLOW, SV_HTTP_FLOW, SV_ALERT];
  const mutated = fc.tuple(fc.constantFrom(...good), fc.array(fc.tuple(fc.constantFrom('flip', 'cut', 'insert'), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })).map(([line, ops]) => {
    const b = [...Buffer.from(line)];
    for (const [op, at, byte] of ops) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (op === 'flip') b[i] = (b[i] ?? 0) ^ (1 << (byte % 8));
      else if (op === 'cut') b.splice(i, 1 + (byte % 8));
      else b.splice(i, 0, byte === 10 ? 32 : byte);
    }
    return Buffer.from(b).toString('latin1').replace(/\n/g, ' '); // one line: a flipped bit may make an LF
  });

  it('never throws anything but IPQ-N004 and never loses the lines around the bad one', () => {
    fc.assert(
      fc.property(mutated, (bad) => {
        const text = [SV_DNS_FLOW, bad, SV_ALERT].join('\n');
        const events: FlowEventInput[] = [];
        try {
          parseSuricataEveText(text, (e) => events.push(e));
        } catch (e) {
          expect(isIpqsecError(e, 'IPQ-N004')).toBe(true);
          expect((e as IpqsecError).location?.line).toBe(2);
          expect(events).toHaveLength(1);
        }
        for (const e of events) expect(flowEventSchema.safeParse(e).success).toBe(true);
        const kept: FlowEventInput[] = [];
        parseSuricataEveText(text, (e) => kept.push(e), { skipBad: true });
        expect(kept.length).toBeGreaterThanOrEqual(2);
        expect(kept[0]).toEqual(parse(SV_DNS_FLOW).events[0]);
        expect(kept.at(-1)).toEqual(parse(SV_ALERT).events[0]);
      }),
      { numRuns: 2000 },
    );
  });
});
