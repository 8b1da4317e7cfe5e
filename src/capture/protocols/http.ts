/**
 * HTTP/1.x request analyzer: one {@link HttpRequestEvent} per request head sent by the client (method, request
 * target, version, Host, User-Agent), across keep-alive and pipelined requests on one connection. Only the client's
 * direction is parsed; message bodies are skipped by their framing.
 *
 * Sources (RFC 9112, HTTP/1.1):
 * - §2.2: a recipient SHOULD ignore at least one empty line before the request-line; a bare LF may end a line.
 * - §3: request-line = method SP request-target SP HTTP-version; a recipient MAY parse on whitespace-delimited
 *   word boundaries, which this analyzer does (method = first word, version = last word, target = the rest), so a
 *   target with embedded spaces — an attack, not a browser — is still reported.
 * - §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT. §5: field-line = field-name ":" OWS field-value OWS; §5.2
 *   obs-fold continuation lines are ignored.
 * - §6.3 message body length of a request: Transfer-Encoding with `chunked` last → chunked (§7.1: chunk-size in
 *   hex, chunk extensions after `;`, last-chunk 0, trailer fields, CRLF); Transfer-Encoding without a final chunked
 *   → length undeterminable (the server must answer 400 and close: parsing stops); else Content-Length; else 0.
 * - RFC 9110 §9.3.6 CONNECT and §7.8 Upgrade: after such a request the connection may carry another protocol;
 *   parsing goes on, and a following line that is not a request-line ends it quietly (not counted as malformed).
 */
import { clampRange, isTchar, latin1, lowerAscii, startsWithAsciiCi } from './_bytes.js';
import { LineReader } from './_line-reader.js';
import type { AnalyzerOptions, AppEvent, FlowRef, HttpRequestEvent, ProtocolAnalyzer } from './app-event.js';

/** Longest request or header line kept, bytes (RFC 9112 §3 asks for at least 8,000 octets of request-line). */
export const HTTP_MAX_LINE = 16_384;

/** Parser states. */
const HEAD = 0; // request-line or header lines
const BODY = 1; // Content-Length bytes to skip
const CHUNK_SIZE = 2; // chunk-size line
const CHUNK_DATA = 3; // chunk bytes to skip
const CHUNK_END = 4; // the CRLF after chunk data
const TRAILER = 5; // trailer lines up to the empty line
const DEAD = 6; // not HTTP (any more): ignore the direction

/** Methods identification accepts as the start of a request (RFC 9110 §9 and the WebDAV methods of RFC 4918). */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT'];

const RANGE = new Int32Array(1);

/**
 * True when `b[o, o + avail)` starts with a known method, a space and a request-target start (`/`, `*`, an
 * absolute-form `http`, or any authority after CONNECT): the payload signature identification uses. O(1).
 */
export function looksLikeHttpRequest(b: Uint8Array, o: number, avail: number): boolean {
  const end = o + avail;
  for (const m of KNOWN_METHODS) {
    if (avail <= m.length + 1) continue;
    let same = true;
    for (let i = 0; i < m.length; i++) if (b[o + i] !== m.charCodeAt(i)) same = false;
    if (!same || b[o + m.length] !== 0x20) continue;
    const t = o + m.length + 1;
    const c = b[t]!;
    if (c === 0x2f || c === 0x2a || m === 'CONNECT') return true;
    return startsWithAsciiCi(b, t, end, 'http');
  }
  return false;
}

/** True when `b[o, o + avail)` starts with an HTTP/1.x status-line (`HTTP/1.` then a digit), RFC 9112 §4. */
export function looksLikeHttpResponse(b: Uint8Array, o: number, avail: number): boolean {
  return avail >= 9 && b[o] === 0x48 && b[o + 1] === 0x54 && b[o + 2] === 0x54 && b[o + 3] === 0x50 && b[o + 4] === 0x2f && b[o + 5] === 0x31 && b[o + 6] === 0x2e && b[o + 7]! >= 0x30 && b[o + 7]! <= 0x39;
}

/**
 * HTTP/1.x request analyzer (client direction only). Emits `{ kind: 'http_request', method, uri, version, host?,
 * userAgent? }` when a request head is complete (at its empty line). A request-line that is not HTTP/1.x, an
 * invalid Content-Length or chunk size ends parsing of the connection (counted in `malformed`); a line over
 * {@link HTTP_MAX_LINE} bytes is cut (counted) and still used.
 *
 * Cost: one pass over the head bytes; bodies are skipped by count (chunked bodies: a scan for each chunk-size
 * line); allocation: the event's strings.
 */
export class HttpAnalyzer implements ProtocolAnalyzer {
  readonly service = 'http';
  malformed = 0;
  /** True when orig is the client (sends requests, commands, CONNECT). */
  readonly clientIsOrig: boolean;
  private readonly lines = new LineReader(HTTP_MAX_LINE);
  private state = HEAD;
  /** Bytes left to skip in BODY / CHUNK_DATA. */
  private skip = 0;
  // The request being read (valid when `method` is not '').
  private method = '';
  private uri = '';
  private version = '';
  private host: string | undefined;
  private userAgent: string | undefined;
  private contentLength = -1;
  private chunked = false;
  private otherCoding = false;
  private tunnel = false;
  /** The previous request could switch protocols (CONNECT, Upgrade). */
  private mayHaveSwitched = false;

  constructor(opts: AnalyzerOptions = {}) {
    this.clientIsOrig = opts.clientIsOrig ?? true;
  }

  /** True once parsing stopped (not HTTP, or an unrecoverable framing error). */
  get stopped(): boolean {
    return this.state === DEAD;
  }

  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, emit: (e: AppEvent) => void): void {
    if (flow.fromOrig !== this.clientIsOrig || this.state === DEAD) return;
    const end = clampRange(data, off, len, RANGE);
    let o = RANGE[0]!;
    while (o < end && this.state !== DEAD) {
      if (this.state === BODY || this.state === CHUNK_DATA) {
        const n = Math.min(this.skip, end - o);
        this.skip -= n;
        o += n;
        if (this.skip === 0) this.state = this.state === BODY ? HEAD : CHUNK_END;
        continue;
      }
      o = this.lines.next(data, o, end);
      if (!this.lines.ready) break;
      const r = this.lines;
      // A cut line counts as malformed, except the first line after a possible protocol switch (tunnel bytes).
      if (r.truncated && !(this.mayHaveSwitched && this.method === '')) this.malformed++;
      this.onLine(r.bytes, r.start, r.end, r.truncated, emit);
    }
  }

  private onLine(b: Uint8Array, s: number, e: number, cut: boolean, emit: (e: AppEvent) => void): void {
    switch (this.state) {
      case HEAD:
        if (this.method === '') this.onRequestLine(b, s, e, cut);
        else if (s === e) this.onHeadEnd(emit);
        else this.onFieldLine(b, s, e);
        return;
      case CHUNK_SIZE:
        this.onChunkSize(b, s, e);
        return;
      case CHUNK_END:
        this.state = CHUNK_SIZE; // the CRLF after chunk-data (§7.1); its content is not checked
        return;
      case TRAILER:
        if (s === e) this.state = HEAD;
        return;
      default:
        return;
    }
  }

  /** `cut`: the line was longer than {@link HTTP_MAX_LINE} and lost its tail (the version with it). */
  private onRequestLine(b: Uint8Array, s: number, e: number, cut: boolean): void {
    if (s === e) return; // §2.2: empty lines before a request-line are ignored
    // method = first word (tchar+), version = last word, target = what lies between (§3, word boundaries).
    let i = s;
    while (i < e && isTchar(b[i]!)) i++;
    const methodEnd = i;
    if (cut && methodEnd > s && methodEnd < e && (b[methodEnd] === 0x20 || b[methodEnd] === 0x09)) {
      // An over-long request-line (an overflow attempt more often than not): report the target's head.
      let t = methodEnd;
      while (t < e && (b[t] === 0x20 || b[t] === 0x09)) t++;
      this.startRequest(latin1(b, s, methodEnd), latin1(b, t, e), '');
      return;
    }
    let v = e;
    while (v > methodEnd && b[v - 1] !== 0x20 && b[v - 1] !== 0x09) v--;
    let t = methodEnd;
    while (t < v && (b[t] === 0x20 || b[t] === 0x09)) t++;
    let te = v;
    while (te > t && (b[te - 1] === 0x20 || b[te - 1] === 0x09)) te--;
    const validVersion = e - v === 8 && b[v] === 0x48 && b[v + 1] === 0x54 && b[v + 2] === 0x54 && b[v + 3] === 0x50 && b[v + 4] === 0x2f && isDigit(b[v + 5]!) && b[v + 6] === 0x2e && isDigit(b[v + 7]!);
    if (methodEnd === s || methodEnd === e || (b[methodEnd] !== 0x20 && b[methodEnd] !== 0x09) || te <= t || !validVersion) {
      if (!this.mayHaveSwitched) this.malformed++;
      this.state = DEAD;
      return;
    }
    this.startRequest(latin1(b, s, methodEnd), latin1(b, t, te), latin1(b, v, e));
  }

  private startRequest(method: string, uri: string, version: string): void {
    this.method = method;
    this.uri = uri;
    this.version = version;
    this.host = undefined;
    this.userAgent = undefined;
    this.contentLength = -1;
    this.chunked = false;
    this.otherCoding = false;
    this.tunnel = this.method === 'CONNECT';
  }

  private onFieldLine(b: Uint8Array, s: number, e: number): void {
    if (b[s] === 0x20 || b[s] === 0x09) return; // §5.2 obs-fold: continuation of the previous field, ignored
    let colon = s;
    while (colon < e && b[colon] !== 0x3a) colon++;
    if (colon === e) return; // not a field line; a server would reject it, the request-line is what matters
    let vs = colon + 1;
    while (vs < e && (b[vs] === 0x20 || b[vs] === 0x09)) vs++;
    let ve = e;
    while (ve > vs && (b[ve - 1] === 0x20 || b[ve - 1] === 0x09)) ve--;
    const nameLen = colon - s;
    if (nameLen === 4 && startsWithAsciiCi(b, s, colon, 'host')) {
      if (this.host === undefined) this.host = latin1(b, vs, ve);
    } else if (nameLen === 10 && startsWithAsciiCi(b, s, colon, 'user-agent')) {
      if (this.userAgent === undefined) this.userAgent = latin1(b, vs, ve);
    } else if (nameLen === 14 && startsWithAsciiCi(b, s, colon, 'content-length')) {
      // §6.3: a list of identical values is the same length; anything else is invalid.
      const n = parseContentLength(b, vs, ve);
      if (n < 0 || (this.contentLength >= 0 && n !== this.contentLength)) this.contentLength = -2;
      else this.contentLength = n;
    } else if (nameLen === 17 && startsWithAsciiCi(b, s, colon, 'transfer-encoding')) {
      // §6.3 rule 4: chunked must be the final coding; "gzip, chunked" is chunked, "chunked, gzip" is not.
      const last = lastToken(b, vs, ve);
      const isChunked = ve - last === 7 && startsWithAsciiCi(b, last, ve, 'chunked');
      if (isChunked) this.chunked = true;
      else {
        this.chunked = false;
        this.otherCoding = true;
      }
    } else if (nameLen === 7 && startsWithAsciiCi(b, s, colon, 'upgrade')) {
      this.tunnel = true;
    }
  }

  private onHeadEnd(emit: (e: AppEvent) => void): void {
    const ev: HttpRequestEvent = { kind: 'http_request', method: this.method, uri: this.uri, version: this.version };
    if (this.host !== undefined) ev.host = this.host;
    if (this.userAgent !== undefined) ev.userAgent = this.userAgent;
    this.method = '';
    this.mayHaveSwitched = this.tunnel;
    emit(ev);
    if (this.otherCoding && !this.chunked) {
      this.state = DEAD; // §6.3 rule 4: body length cannot be determined
      return;
    }
    if (this.chunked) {
      this.state = CHUNK_SIZE;
      return;
    }
    if (this.contentLength === -2) {
      this.malformed++; // §6.3 rule 5: invalid Content-Length is unrecoverable
      this.state = DEAD;
      return;
    }
    if (this.contentLength > 0) {
      this.skip = this.contentLength;
      this.state = BODY;
      return;
    }
    this.state = HEAD;
  }

  private onChunkSize(b: Uint8Array, s: number, e: number): void {
    // §7.1: chunk-size = 1*HEXDIG, then optional BWS ";" extensions.
    let size = 0;
    let i = s;
    while (i < e) {
      const c = lowerAscii(b[i]!);
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : -1;
      if (d < 0) break;
      size = size * 16 + d;
      i++;
    }
    if (i === s || size > Number.MAX_SAFE_INTEGER || (i < e && b[i] !== 0x3b && b[i] !== 0x20 && b[i] !== 0x09)) {
      this.malformed++;
      this.state = DEAD;
      return;
    }
    if (size === 0) {
      this.state = TRAILER;
      return;
    }
    this.skip = size;
    this.state = CHUNK_DATA;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Content-Length value (RFC 9110 §8.6: 1*DIGIT; a comma-separated list of equal values is accepted, §6.3
 * rule 5); -1 when invalid. */
function parseContentLength(b: Uint8Array, s: number, e: number): number {
  let value = -1;
  let cur = -1;
  let ended = false; // whitespace after the digits of the current value
  for (let i = s; i <= e; i++) {
    const c = i < e ? b[i]! : 0x2c;
    if (isDigit(c)) {
      if (ended) return -1;
      cur = (cur < 0 ? 0 : cur * 10) + (c - 0x30);
      if (cur > Number.MAX_SAFE_INTEGER) return -1;
    } else if (c === 0x2c) {
      if (cur < 0 || (value >= 0 && cur !== value)) return -1;
      value = cur;
      cur = -1;
      ended = false;
    } else if (c === 0x20 || c === 0x09) {
      if (cur >= 0) ended = true;
    } else {
      return -1;
    }
  }
  return value;
}

/** Start offset of the last comma-separated token of `b[s, e)` (whitespace around it skipped). */
function lastToken(b: Uint8Array, s: number, e: number): number {
  let i = e;
  while (i > s && b[i - 1] !== 0x2c) i--;
  while (i < e && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i;
}
