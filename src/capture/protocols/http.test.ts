import { describe, expect, it } from 'vitest';
import type { HttpRequestEvent } from './app-event.js';
import { HTTP_MAX_LINE, HttpAnalyzer } from './http.js';
import { describeAnalyzerContract } from './protocol-analyzer.case.js';
import type { Chunk } from './protocol-analyzer.case.js';
import { craftPcap, feedAll, HAS_TSHARK, pcapFile, replayTcp, tcpPackets, tsharkFields } from './_test-tshark.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const req = (s: string): Chunk => ({ fromOrig: true, bytes: ascii(s) });
const resp = (s: string): Chunk => ({ fromOrig: false, bytes: ascii(s) });

// Pipelined requests with bodies framed by Content-Length (RFC 9112 §6.3 rule 6) and by chunked coding (§7.1; the
// chunked body is the one of RFC 9112's predecessor example style: sizes in hex, an extension, a trailer field).
const PIPELINED = req(
  'GET /index.html HTTP/1.1\r\nHost: plc.example\r\nUser-Agent: curl/8.5.0\r\n\r\n' +
    'POST /login HTTP/1.1\r\nHost: plc.example\r\nContent-Length: 27\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser=admin&password=123456\n' +
    'POST /upload HTTP/1.1\r\nHost: plc.example\r\nTransfer-Encoding: chunked\r\n\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n10\r\n1234567890abcdef\r\n0\r\nExpires: never\r\n\r\n' +
    'HEAD /status HTTP/1.0\r\n\r\n',
);
const PIPELINED_EVENTS: HttpRequestEvent[] = [
  { kind: 'http_request', method: 'GET', uri: '/index.html', version: 'HTTP/1.1', host: 'plc.example', userAgent: 'curl/8.5.0' },
  { kind: 'http_request', method: 'POST', uri: '/login', version: 'HTTP/1.1', host: 'plc.example' },
  { kind: 'http_request', method: 'POST', uri: '/upload', version: 'HTTP/1.1', host: 'plc.example' },
  { kind: 'http_request', method: 'HEAD', uri: '/status', version: 'HTTP/1.0' },
];

// Attack request lines a detector must see byte for byte (not decoded): SQL injection, path traversal, an
// embedded space, a long URI, a lower-case extension method.
const ATTACKS: Chunk[] = [
  req("GET /item.php?id=1%27%20OR%20%271%27=%271'-- HTTP/1.1\r\nHost: shop\r\n\r\n"),
  resp('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n'),
  req('GET /../../../../etc/passwd HTTP/1.1\r\nHost: cam\r\n\r\n'),
  req('GET /cgi-bin/x?a=b c HTTP/1.1\r\n\r\n'),
  req('\r\nPROPFIND /webdav/%2e%2e/%2e%2e/ HTTP/1.1\nHost:  \t spaced.example \t\n\n'),
];
const ATTACK_EVENTS: HttpRequestEvent[] = [
  { kind: 'http_request', method: 'GET', uri: "/item.php?id=1%27%20OR%20%271%27=%271'--", version: 'HTTP/1.1', host: 'shop' },
  { kind: 'http_request', method: 'GET', uri: '/../../../../etc/passwd', version: 'HTTP/1.1', host: 'cam' },
  { kind: 'http_request', method: 'GET', uri: '/cgi-bin/x?a=b c', version: 'HTTP/1.1' },
  { kind: 'http_request', method: 'PROPFIND', uri: '/webdav/%2e%2e/%2e%2e/', version: 'HTTP/1.1', host: 'spaced.example' },
];

describe('HttpAnalyzer (RFC 9112)', () => {
  it('reads pipelined requests, skipping Content-Length and chunked bodies', () => {
    const a = new HttpAnalyzer();
    expect(feedAll(a, [PIPELINED])).toEqual(PIPELINED_EVENTS);
    expect(a.malformed).toBe(0);
    expect(a.stopped).toBe(false);
  });

  it('takes chunked as the body framing when it is the last of several codings (§6.3 rule 4)', () => {
    // tshark 4.0 only de-chunks a Transfer-Encoding of exactly "chunked", so this one is checked by hand.
    const a = new HttpAnalyzer();
    const ev = feedAll(a, [req('POST /u HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nGET /\r\n0\r\n\r\nGET /after HTTP/1.1\r\n\r\n')]);
    expect(ev.map((e) => (e as HttpRequestEvent).uri)).toEqual(['/u', '/after']);
  });

  it('reports attack request targets exactly as sent and ignores the server side', () => {
    const a = new HttpAnalyzer();
    expect(feedAll(a, ATTACKS)).toEqual(ATTACK_EVENTS);
    expect(a.malformed).toBe(0);
  });

  it('cuts a request line over 16 KiB, reports it with the target cut and no version, and goes on', () => {
    const a = new HttpAnalyzer();
    const long = `GET /${'A'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const chunks: Chunk[] = [];
    for (let i = 0; i < long.length; i += 1460) chunks.push(req(long.slice(i, i + 1460)));
    chunks.push(req('GET /next HTTP/1.1\r\n\r\n'));
    const ev = feedAll(a, chunks) as HttpRequestEvent[];
    expect(ev.map((e) => [e.method, e.uri.length, e.version, e.host])).toEqual([
      ['GET', HTTP_MAX_LINE - 4, '', 'x'],
      ['GET', 5, 'HTTP/1.1', undefined],
    ]);
    expect(ev[0]!.uri).toBe(`/${'A'.repeat(HTTP_MAX_LINE - 5)}`);
    expect(a.malformed).toBe(1);
    // A line just under the bound is kept whole.
    const b = new HttpAnalyzer();
    const fits = `GET /${'B'.repeat(HTTP_MAX_LINE - 20)} HTTP/1.1`;
    expect((feedAll(b, [req(`${fits}\r\n\r\n`)]) as HttpRequestEvent[])[0]!.uri).toHaveLength(HTTP_MAX_LINE - 19);
  });

  it('stops on a stream that is not HTTP, on an invalid Content-Length, on an undeterminable body', () => {
    const a = new HttpAnalyzer();
    expect(feedAll(a, [req('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 random TLS bytes\r\n')])).toEqual([]);
    expect([a.malformed, a.stopped]).toEqual([1, true]);
    const b = new HttpAnalyzer();
    const ev = feedAll(b, [req('POST /a HTTP/1.1\r\nContent-Length: 12, 13\r\n\r\nGET /hidden HTTP/1.1\r\n\r\n')]);
    expect(ev).toHaveLength(1); // §6.3 rule 5: differing lengths → unrecoverable; nothing after it is trusted
    expect([b.malformed, b.stopped]).toEqual([1, true]);
    const c = new HttpAnalyzer();
    expect(feedAll(c, [req('POST /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxxxx')])).toHaveLength(1);
    expect(c.stopped).toBe(true); // §6.3 rule 4
  });

  it('ends quietly when a CONNECT tunnel carries another protocol', () => {
    const a = new HttpAnalyzer();
    const ev = feedAll(a, [req('CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n'), resp('HTTP/1.1 200 OK\r\n\r\n'), req('\x16\x03\x01 binary\n')]);
    expect(ev).toEqual([{ kind: 'http_request', method: 'CONNECT', uri: 'db.internal:5432', version: 'HTTP/1.1', host: 'db.internal:5432' }]);
    expect([a.malformed, a.stopped]).toEqual([0, true]);
  });

  it('takes the client side from the options', () => {
    const a = new HttpAnalyzer({ clientIsOrig: false });
    expect(feedAll(a, [{ fromOrig: false, bytes: ascii('GET / HTTP/1.1\r\n\r\n') }, { fromOrig: true, bytes: ascii('GET /no HTTP/1.1\r\n\r\n') }])).toHaveLength(1);
  });
});

/** HttpRequestEvents per tshark: `http.request.*`, `http.host`, `http.user_agent` of every request. */
function tsharkRequests(file: string): { frame: number; event: HttpRequestEvent }[] {
  const rows = tsharkFields(file, 'http.request', ['frame.number', 'http.request.method', 'http.request.uri', 'http.request.version', 'http.host', 'http.user_agent']);
  return rows.map((r) => {
    const e: HttpRequestEvent = { kind: 'http_request', method: r[1]!, uri: r[2]!, version: r[3]! };
    if (r[4]) e.host = r[4];
    if (r[5]) e.userAgent = r[5];
    return { frame: Number(r[0]), event: e };
  });
}

describe.skipIf(!HAS_TSHARK)('HttpAnalyzer against tshark on real and hand-built captures', () => {
  for (const name of ['http_google.pcapng', 'http_espn.pcapng', 'wikipedia.pcap']) {
    const f = pcapFile(name);
    it.skipIf(!f.exists)(`${name}: the same requests (method, uri, version, host, user agent) in the same frames`, () => {
      const oracle = tsharkRequests(f.path);
      const replay = replayTcp(tcpPackets(f.path));
      const mine = replay.events.filter((x) => x.event.kind === 'http_request').map(({ frame, event }) => ({ frame, event }));
      expect(oracle.length).toBeGreaterThan(0);
      expect(mine).toEqual(oracle);
      for (const a of replay.analyzers.values()) if (a.service === 'http') expect(a.malformed).toBe(0);
    });
  }

  it('pipelined requests with Content-Length and chunked bodies, segmented at 7 bytes (text2pcap, port 8080)', () => {
    const bytes = PIPELINED.bytes;
    const chunks: Chunk[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push({ fromOrig: true, bytes: bytes.subarray(i, i + 7) });
    const file = craftPcap('http-pipelined', chunks, 40005, 8080);
    const oracle = tsharkRequests(file).map((x) => x.event);
    expect(oracle).toEqual(PIPELINED_EVENTS);
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(oracle);
  });

  it('attack request lines (text2pcap, port 80)', () => {
    const file = craftPcap('http-attacks', ATTACKS.slice(0, 3), 40006, 80);
    const oracle = tsharkRequests(file).map((x) => x.event);
    expect(oracle).toEqual(ATTACK_EVENTS.slice(0, 2));
    expect(replayTcp(tcpPackets(file)).events.map((x) => x.event)).toEqual(oracle);
  });
});

describeAnalyzerContract({
  name: 'HttpAnalyzer',
  make: () => new HttpAnalyzer(),
  streams: [[PIPELINED], ATTACKS, [req('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), req(`POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\n12345`), req('GET /c HTTP/1.1\r\n\r\n')]],
});


