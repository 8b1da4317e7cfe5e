/**
 * FTP control-connection analyzer: login outcomes from the commands `USER`/`PASS` and the server's replies.
 *
 * Sources (RFC 959, File Transfer Protocol):
 * - §4.1.1, §5.3.1: commands are alphabetic codes of 3 or 4 characters (case-insensitive), SP, argument, CRLF.
 * - §4.2: a reply is a 3-digit code, SP, text, CRLF; a multi-line reply starts with "ddd-" and ends with a line
 *   starting "ddd " (same code). 1yz replies are preliminary (the command is not finished yet); replies answer
 *   commands in order.
 * - §5.4 sequencing: USER → 230 logged in (no password needed), 530 not logged in, 331 need password
 *   (332 need account); PASS → 230 (202 superfluous) logged in, 530 not logged in. The 220 greeting (after an
 *   optional 120) answers the connection, not a command.
 * - RFC 4217 §4: `AUTH TLS` answered 234 turns the control connection into TLS: parsing stops.
 *
 * Login outcome: 230 (or 202 after PASS) → success, 530 after USER or PASS → failure; the user name is the
 * argument of the last USER. Replies are matched to commands through a bounded queue (16 outstanding commands;
 * beyond that the queue is reset, losing sync until the client waits for replies again).
 */
import { clampRange, latin1, lowerAscii } from './_bytes.js';
import { LineReader } from './_line-reader.js';
import type { AnalyzerOptions, AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** Well-known FTP control port (RFC 959 §3.2, IANA). */
export const FTP_PORT = 21;

/** Longest control line kept, bytes (RFC 959 sets no limit; 8 KiB is far above any real command or reply). */
const MAX_LINE = 8192;
/** Longest user name reported, characters. */
const MAX_USER = 256;
/** Outstanding commands remembered (pipelining depth). */
const QUEUE = 16;

/** Command kinds kept in the queue. */
const CMD_OTHER = 0;
const CMD_USER = 1;
const CMD_PASS = 2;
const CMD_AUTH = 3;

const RANGE = new Int32Array(1);

/**
 * True when `b[o, o + avail)` starts with an FTP greeting that names FTP: `220` then SP or `-`, and "ftp"
 * (any case) on the first line. Identification uses it on ports other than 21 (plain `220` is also SMTP's). O(line).
 */
export function looksLikeFtpGreeting(b: Uint8Array, o: number, avail: number): boolean {
  if (avail < 4 || b[o] !== 0x32 || b[o + 1] !== 0x32 || b[o + 2] !== 0x30 || (b[o + 3] !== 0x20 && b[o + 3] !== 0x2d)) return false;
  const end = o + avail;
  for (let i = o + 4; i + 3 <= end && b[i] !== 0x0a; i++) {
    if (lowerAscii(b[i]!) === 0x66 && lowerAscii(b[i + 1]!) === 0x74 && lowerAscii(b[i + 2]!) === 0x70) return true;
  }
  return false;
}

/** True when `b[o, o + avail)` starts like an FTP control line: a reply code (3 digits + SP/-/CR) or a 3–4 letter
 * command followed by SP or CR. The check identification uses on port 21. O(1). */
export function looksLikeFtpLine(b: Uint8Array, o: number, avail: number): boolean {
  if (avail >= 4 && isDigit(b[o]!) && isDigit(b[o + 1]!) && isDigit(b[o + 2]!)) return b[o + 3] === 0x20 || b[o + 3] === 0x2d || b[o + 3] === 0x0d;
  let i = 0;
  while (i < 4 && i < avail && isAlpha(b[o + i]!)) i++;
  return i >= 3 && i < avail && (b[o + i] === 0x20 || b[o + i] === 0x0d || b[o + i] === 0x0a);
}

/**
 * FTP analyzer. Emits `{ kind: 'login', service: 'ftp', outcome, user? }` once per answered login attempt.
 * A server line that is not a reply counts in `malformed`; so does a line over 8 KiB (cut).
 *
 * Cost: one pass over the control bytes; allocation: the user name per USER and the event.
 */
export class FtpAnalyzer implements ProtocolAnalyzer {
  readonly service = 'ftp';
  malformed = 0;
  /** True when orig is the client (sends requests, commands, CONNECT). */
  readonly clientIsOrig: boolean;
  private readonly clientLines = new LineReader(MAX_LINE);
  private readonly serverLines = new LineReader(MAX_LINE);
  private readonly queue = new Uint8Array(QUEUE);
  private qHead = 0;
  private qLen = 0;
  private user: string | undefined;
  /** Code of the multi-line reply in progress, 0 when none. */
  private multi = 0;
  private greeted = false;
  private stopped = false;

  constructor(opts: AnalyzerOptions = {}) {
    this.clientIsOrig = opts.clientIsOrig ?? true;
  }

  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, emit: (e: AppEvent) => void): void {
    if (this.stopped) return;
    const end = clampRange(data, off, len, RANGE);
    let o = RANGE[0]!;
    const fromClient = flow.fromOrig === this.clientIsOrig;
    const r = fromClient ? this.clientLines : this.serverLines;
    while (o < end && !this.stopped) {
      o = r.next(data, o, end);
      if (!r.ready) break;
      if (r.truncated) this.malformed++;
      if (fromClient) this.onCommand(r.bytes, r.start, r.end);
      else this.onReplyLine(r.bytes, r.start, r.end, emit);
    }
  }

  private onCommand(b: Uint8Array, s: number, e: number): void {
    let i = s;
    while (i < e && i < s + 5 && isAlpha(b[i]!)) i++;
    const n = i < e && b[i] !== 0x20 ? -1 : i - s; // the code ends at SP or at the end of the line
    let kind = CMD_OTHER;
    if (n === 4 && isWord(b, s, 'user')) {
      kind = CMD_USER;
      let a = i;
      while (a < e && b[a] === 0x20) a++;
      this.user = latin1(b, a, Math.min(e, a + MAX_USER));
    } else if (n === 4 && isWord(b, s, 'pass')) kind = CMD_PASS;
    else if (n === 4 && isWord(b, s, 'auth')) kind = CMD_AUTH;
    else if (n === 0 && s === e) return; // empty line: not a command
    if (this.qLen === QUEUE) {
      this.qHead = 0; // lost sync: forget the outstanding commands
      this.qLen = 0;
    }
    this.queue[(this.qHead + this.qLen) % QUEUE] = kind;
    this.qLen++;
  }

  private onReplyLine(b: Uint8Array, s: number, e: number, emit: (e: AppEvent) => void): void {
    const hasCode = e - s >= 3 && isDigit(b[s]!) && isDigit(b[s + 1]!) && isDigit(b[s + 2]!);
    const code = hasCode ? (b[s]! - 0x30) * 100 + (b[s + 1]! - 0x30) * 10 + (b[s + 2]! - 0x30) : 0;
    const sep = e - s > 3 ? b[s + 3]! : 0x20;
    if (this.multi !== 0) {
      if (code === this.multi && sep === 0x20) {
        this.multi = 0;
        this.onReply(code, emit);
      }
      return; // text lines inside a multi-line reply (§4.2)
    }
    if (!hasCode || (sep !== 0x20 && sep !== 0x2d)) {
      this.malformed++;
      return;
    }
    if (sep === 0x2d) this.multi = code;
    else this.onReply(code, emit);
  }

  private onReply(code: number, emit: (e: AppEvent) => void): void {
    if (code < 200) return; // 1yz: preliminary, the command goes on (§4.2)
    if (!this.greeted) {
      this.greeted = true;
      if (code === 220 || code === 421) return; // the greeting answers the connection (§5.4)
    }
    if (this.qLen === 0) return; // unsolicited (e.g. 421 timeout)
    const kind = this.queue[this.qHead]!;
    this.qHead = (this.qHead + 1) % QUEUE;
    this.qLen--;
    if (kind === CMD_USER || kind === CMD_PASS) {
      if (code === 230 || (kind === CMD_PASS && code === 202)) this.emitLogin('success', emit);
      else if (code === 530) this.emitLogin('failure', emit);
    } else if (kind === CMD_AUTH && code === 234) {
      this.stopped = true; // RFC 4217 §4: TLS from here on
    }
  }

  private emitLogin(outcome: 'success' | 'failure', emit: (e: AppEvent) => void): void {
    if (this.user === undefined) emit({ kind: 'login', service: 'ftp', outcome });
    else emit({ kind: 'login', service: 'ftp', outcome, user: this.user });
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isAlpha(c: number): boolean {
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

/** `b[s, s + w.length)` equals lower-case `w` ignoring case. */
function isWord(b: Uint8Array, s: number, w: string): boolean {
  for (let i = 0; i < w.length; i++) if (lowerAscii(b[s + i]!) !== w.charCodeAt(i)) return false;
  return true;
}
