/**
 * Telnet analyzer: login outcomes inferred from the server's prompts and messages.
 *
 * Telnet carries no login semantics (RFC 854: a byte stream in the Network Virtual Terminal with IAC command
 * sequences); the login dialogue is whatever the server's `login` program prints. The analyzer therefore:
 * 1. removes Telnet commands from both directions (RFC 854 "TELNET COMMAND STRUCTURE": IAC 255, option
 *    negotiation IAC WILL/WONT/DO/DONT option (251..254), subnegotiation IAC SB … IAC SE (250 … 240), IAC IAC =
 *    data 255, other IAC x two-byte commands), treating CR and LF as line ends and NUL as filler (CR NUL, RFC 854);
 * 2. follows the dialogue with a heuristic state machine on the server's text (ASCII case-insensitive):
 *    - a line ending in `login:`, `username:`, `user name:` or `user:` is a login prompt; the next line the client
 *      types (echo off or on) is the user name;
 *    - a line ending in `password:` or `passcode:` is a password prompt; the client's next CR/LF submits it;
 *    - after a submission, a failure message — `incorrect` (util-linux and BusyBox `login`: "Login incorrect"),
 *      `login invalid` / `authentication failed` / `bad password` (Cisco IOS: "% Login invalid",
 *      "% Authentication failed", "% Bad passwords"), `login failed`, `access denied`, `invalid password`,
 *      `invalid login`, `permission denied` — or a new login/password prompt without a message is a failure;
 *    - after a submission, `last login` (util-linux `login` prints "Last login: …"), `welcome`, or a pause on a
 *      line ending in a shell prompt character (`$`, `#`, `>`, `%`) is a success, after which the session is a
 *      shell and the analyzer stops (so `sudo` password prompts are not taken for logins).
 * The rules follow the messages of the common `login` implementations; a server with other wording produces no
 * events (missed logins, never invented ones from ordinary traffic, since every outcome needs a submitted
 * password prompt first).
 */
import { clampRange, latin1 } from './_bytes.js';
import type { AnalyzerOptions, AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** Well-known Telnet port (RFC 854, IANA). */
export const TELNET_PORT = 23;

/** Telnet command octets (RFC 854). */
const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const DONT = 254;

/** Server text kept per line, lower-cased ASCII; prompts and messages are short. */
const LINE_CAP = 256;
/** Longest user name kept, bytes. */
const MAX_USER = 256;

/** IAC parser states. */
const IAC_DATA = 0;
const IAC_SEEN = 1;
const IAC_OPTION = 2;
const IAC_SUB = 3;
const IAC_SUB_IAC = 4;

/** Login dialogue phases. */
const IDLE = 0;
const AWAIT_USER = 1; // login prompt seen: the client types the user name
const AWAIT_PASSWORD = 2; // password prompt seen: the client types the password
const SUBMITTED = 3; // password submitted: waiting for the outcome
const DONE = 4; // logged in: a shell session, not watched any more

const FAILURE_MARKERS = ['incorrect', 'login invalid', 'authentication fail', 'bad password', 'login failed', 'access denied', 'invalid password', 'invalid login', 'permission denied'];
const SUCCESS_MARKERS = ['last login', 'welcome'];
const LOGIN_PROMPTS = ['login:', 'username:', 'user name:', 'user:'];
const PASSWORD_PROMPTS = ['password:', 'passcode:'];

const RANGE = new Int32Array(1);

/** True when `b[o, o + avail)` starts with Telnet option negotiation (IAC WILL/WONT/DO/DONT), as most Telnet
 * servers and clients send first. O(1). */
export function looksLikeTelnet(b: Uint8Array, o: number, avail: number): boolean {
  return avail >= 3 && b[o] === IAC && b[o + 1]! >= WILL && b[o + 1]! <= DONT;
}

/**
 * Telnet analyzer. Emits `{ kind: 'login', service: 'telnet', outcome, user? }` per answered password
 * submission (see the file comment for the rules). Never counts `malformed`: any byte sequence is valid Telnet.
 *
 * Cost: one pass per byte (Telnet is interactive and small); allocation: the user name and the event.
 */
export class TelnetAnalyzer implements ProtocolAnalyzer {
  readonly service = 'telnet';
  readonly malformed = 0;
  /** True when orig is the client (sends requests, commands, CONNECT). */
  readonly clientIsOrig: boolean;
  private readonly iacState = new Uint8Array(2); // [client, server]
  private readonly line = new Uint8Array(LINE_CAP);
  private lineLen = 0;
  /** Length of the current server line when a prompt was last recognised on it (0: none); the same text is not
   * taken for a prompt twice (at the segment end, then when its line completes), new text after it may be. */
  private promptEnd = 0;
  private readonly typed = new Uint8Array(MAX_USER);
  private typedLen = 0;
  private phase = IDLE;
  private user: string | undefined;

  constructor(opts: AnalyzerOptions = {}) {
    this.clientIsOrig = opts.clientIsOrig ?? true;
  }

  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, emit: (e: AppEvent) => void): void {
    if (this.phase === DONE) return;
    const end = clampRange(data, off, len, RANGE);
    const fromClient = flow.fromOrig === this.clientIsOrig;
    const side = fromClient ? 0 : 1;
    let st = this.iacState[side]!;
    for (let i = RANGE[0]!; i < end && this.phase !== DONE; i++) {
      const c = data[i]!;
      switch (st) {
        case IAC_DATA:
          if (c === IAC) st = IAC_SEEN;
          else if (fromClient) this.clientByte(c);
          else this.serverByte(c, emit);
          break;
        case IAC_SEEN:
          if (c === IAC) {
            st = IAC_DATA; // IAC IAC: a data byte 255
            if (fromClient) this.clientByte(c);
            else this.serverByte(c, emit);
          } else if (c >= WILL && c <= DONT) st = IAC_OPTION;
          else if (c === SB) st = IAC_SUB;
          else st = IAC_DATA; // two-byte command (NOP, GA, AYT, …)
          break;
        case IAC_OPTION:
          st = IAC_DATA;
          break;
        case IAC_SUB:
          if (c === IAC) st = IAC_SUB_IAC;
          break;
        default: // IAC_SUB_IAC
          st = c === SE ? IAC_DATA : IAC_SUB;
          break;
      }
    }
    this.iacState[side] = st;
    // A prompt waits for input without a line end: look at the unfinished line once the segment is read.
    if (!fromClient && this.phase !== DONE) this.checkLine(false, emit);
  }

  private clientByte(c: number): void {
    if (this.phase === AWAIT_USER) {
      if (c === 0x0d || c === 0x0a) {
        if (this.typedLen > 0) this.user = latin1(this.typed, 0, this.typedLen);
        this.typedLen = 0;
      } else if (c === 0x08 || c === 0x7f) {
        if (this.typedLen > 0) this.typedLen--;
      } else if (c >= 0x20 && this.typedLen < MAX_USER) {
        this.typed[this.typedLen++] = c;
      }
    } else if (this.phase === AWAIT_PASSWORD && (c === 0x0d || c === 0x0a)) {
      this.phase = SUBMITTED;
    }
  }

  private serverByte(c: number, emit: (e: AppEvent) => void): void {
    if (c === 0x0d || c === 0x0a) {
      if (this.lineLen > 0) this.checkLine(true, emit);
      this.lineLen = 0;
      this.promptEnd = 0;
    } else if (c !== 0 && this.lineLen < LINE_CAP) {
      this.line[this.lineLen++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    }
  }

  /** Applies the dialogue rules to the current server line (`complete`: it ended with CR/LF). */
  private checkLine(complete: boolean, emit: (e: AppEvent) => void): void {
    let e = this.lineLen;
    while (e > 0 && (this.line[e - 1] === 0x20 || this.line[e - 1] === 0x09)) e--;
    if (e === 0) return;
    if (this.phase === SUBMITTED) {
      if (this.contains(FAILURE_MARKERS, e)) {
        this.outcome('failure', emit);
        return;
      }
      if (this.contains(SUCCESS_MARKERS, e)) {
        this.outcome('success', emit);
        return;
      }
    }
    if (e <= this.promptEnd) return;
    if (this.endsWith(PASSWORD_PROMPTS, e)) {
      this.promptEnd = e;
      if (this.phase === SUBMITTED) this.outcome('failure', emit); // asked again without a message
      this.phase = AWAIT_PASSWORD;
      return;
    }
    if (this.endsWith(LOGIN_PROMPTS, e)) {
      this.promptEnd = e;
      if (this.phase === SUBMITTED) this.outcome('failure', emit);
      this.phase = AWAIT_USER;
      this.typedLen = 0;
      return;
    }
    if (!complete && this.phase === SUBMITTED) {
      const last = this.line[e - 1];
      if (last === 0x24 || last === 0x23 || last === 0x3e || last === 0x25) this.outcome('success', emit); // $ # > %
    }
  }

  private outcome(outcome: 'success' | 'failure', emit: (e: AppEvent) => void): void {
    this.phase = outcome === 'success' ? DONE : IDLE;
    if (this.user === undefined) emit({ kind: 'login', service: 'telnet', outcome });
    else emit({ kind: 'login', service: 'telnet', outcome, user: this.user });
  }

  private contains(markers: readonly string[], e: number): boolean {
    for (const m of markers) {
      const last = e - m.length;
      for (let i = 0; i <= last; i++) {
        let j = 0;
        while (j < m.length && this.line[i + j] === m.charCodeAt(j)) j++;
        if (j === m.length) return true;
      }
    }
    return false;
  }

  private endsWith(markers: readonly string[], e: number): boolean {
    for (const m of markers) {
      const s = e - m.length;
      if (s < 0) continue;
      let j = 0;
      while (j < m.length && this.line[s + j] === m.charCodeAt(j)) j++;
      if (j === m.length) return true;
    }
    return false;
  }
}
