/**
 * SSH analyzer: the protocol version exchange (RFC 4253 §4.2), nothing after it.
 *
 * RFC 4253 §4.2: each side sends `SSH-protoversion-softwareversion [SP comments] CR LF`, at most 255 characters
 * with CR LF; the server MAY send other lines first (they must not start with "SSH-"). §5.1: protoversion "1.99"
 * announces a server that also speaks 1.x. Everything after the key exchange (§7.3, SSH_MSG_NEWKEYS) is encrypted,
 * including user authentication (RFC 4252 §5: SSH_MSG_USERAUTH_REQUEST / _FAILURE / _SUCCESS), so a login outcome
 * is not visible on the wire.
 *
 * Why no login events: the only per-flow signal would be the sizes and timing of encrypted packets (Zeek's
 * `ssh.log auth_success` heuristic), which depends on cipher, MAC and padding choices and on client behaviour
 * (several methods tried per connection); it is not reliable enough to call a failure. SSH password guessing is
 * visible at the flow level instead — many short connections from one source to port 22 — and that belongs to the
 * brute-force detector working on conn records, not to a per-flow parser. This analyzer therefore emits nothing;
 * it validates the banners (counting malformed ones) and exposes them, as Zeek's ssh.log `client`/`server` do.
 */
import { clampRange, latin1, startsWithAscii } from './_bytes.js';
import { LineReader } from './_line-reader.js';
import type { AnalyzerOptions, AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** Well-known SSH port (RFC 4253 §4.1). */
export const SSH_PORT = 22;

/** Longest identification string, characters including CR LF (RFC 4253 §4.2). */
const MAX_BANNER = 255;
/** Lines a server may send before its identification string before the analyzer gives up (RFC sets no bound). */
const MAX_PRE_LINES = 32;

const RANGE = new Int32Array(1);

/** True when `b[o, o + avail)` starts with `SSH-` followed by a digit (RFC 4253 §4.2), on any port. O(1). */
export function looksLikeSsh(b: Uint8Array, o: number, avail: number): boolean {
  return avail >= 5 && startsWithAscii(b, o, o + avail, 'SSH-') && b[o + 4]! >= 0x30 && b[o + 4]! <= 0x39;
}

/** Parse state of one direction. */
class BannerState {
  readonly lines = new LineReader(MAX_BANNER);
  done = false;
  preLines = 0;
  banner: string | undefined;
}

/**
 * SSH analyzer: reads each side's identification string, then ignores the connection. Emits no events (see the
 * file comment). A missing, overlong or ill-formed identification string counts in `malformed`.
 *
 * Cost: the first line(s) of each direction; afterwards O(1) per segment.
 */
export class SshAnalyzer implements ProtocolAnalyzer {
  readonly service = 'ssh';
  malformed = 0;
  /** True when orig is the client (sends requests, commands, CONNECT). */
  readonly clientIsOrig: boolean;
  private readonly client = new BannerState();
  private readonly server = new BannerState();

  constructor(opts: AnalyzerOptions = {}) {
    this.clientIsOrig = opts.clientIsOrig ?? true;
  }

  /** The client's identification string without CR LF, e.g. `SSH-2.0-OpenSSH_9.6`, once seen. */
  get clientVersion(): string | undefined {
    return this.client.banner;
  }

  /** The server's identification string without CR LF, once seen. */
  get serverVersion(): string | undefined {
    return this.server.banner;
  }

  feed(flow: FlowRef, data: Uint8Array, off: number, len: number, _emit: (e: AppEvent) => void): void {
    const fromClient = flow.fromOrig === this.clientIsOrig;
    const st = fromClient ? this.client : this.server;
    if (st.done) return;
    const end = clampRange(data, off, len, RANGE);
    let o = RANGE[0]!;
    while (o < end && !st.done) {
      o = st.lines.next(data, o, end);
      if (!st.lines.ready) break;
      const r = st.lines;
      if (startsWithAscii(r.bytes, r.start, r.end, 'SSH-')) {
        st.done = true;
        // SSH-protoversion-softwareversion: a second '-' must follow the protocol version.
        let dash = r.start + 4;
        while (dash < r.end && r.bytes[dash] !== 0x2d) dash++;
        if (r.truncated || r.end - r.start > MAX_BANNER - 2 || dash === r.start + 4 || dash >= r.end - 1) this.malformed++;
        st.banner = latin1(r.bytes, r.start, r.end);
      } else if (fromClient || ++st.preLines > MAX_PRE_LINES || r.truncated) {
        // Only the server may send lines before its identification string (§4.2).
        this.malformed++;
        st.done = true;
      }
    }
  }
}
