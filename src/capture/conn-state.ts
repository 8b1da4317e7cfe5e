/**
 * Zeek's per-connection state, kept for every slot of the flow table in one interleaved typed-array slab: the TCP
 * endpoint state machine of each side, the conn.log `history` letters, and the derivation of `conn_state`.
 *
 * Source (behaviour followed line by line, names kept): Zeek `src/packet_analysis/protocol/tcp/TCP.cc`
 * (init_endpoint, update_history, update_window, init_peer, update_ack_seq, update_last_seq, get_segment_len),
 * `TCPSessionAdapter.cc` (UpdateInactiveState, UpdateSYN_SentState, UpdateEstablishedState, UpdateClosedState,
 * ConnectionClosed, IsReuse, AttemptTimer), `src/analyzer/protocol/tcp/TCP_Endpoint.cc` (SetState, Size,
 * DidRxmit, ZeroWindow, CheckHistory), `src/Conn.h` (CheckHistory, ScaledHistoryEntry),
 * `src/packet_analysis/protocol/udp/UDP.cc` (UDP history) and `scripts/base/protocols/conn/main.zeek`
 * (`conn_state`, history letters: https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html).
 *
 * Not modelled (Zeek needs content it has and we do not keep): `C`/`c` bad checksums (checksums are not
 * verified), `G`/`g` content gaps (need reassembly), `X`/`x`, the SYN/SYN-ACK reversal flip inside a connection,
 * and `is_partial`. History is capped at {@link HISTORY_CAP} letters per connection (Zeek's is unbounded; only
 * `S`/`H`/`F`/`R` with changing sequence numbers can repeat without limit).
 *
 * Memory: {@link CONN_STATE_STRIDE} + {@link HISTORY_CAP} bytes per slot. No allocation per packet.
 */
import type { ConnState } from '../core/events.js';

/** TCP endpoint states (Zeek `EndpointState`, same order). */
export const TCP_INACTIVE = 0;
export const TCP_SYN_SENT = 1;
export const TCP_SYN_ACK_SENT = 2;
export const TCP_PARTIAL = 3;
export const TCP_ESTABLISHED = 4;
export const TCP_CLOSED = 5;
export const TCP_RESET = 6;

/** Zeek history masks (TCP_Endpoint.h `HistoryMasks`); the responder's are shifted left by 16. */
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;
/** UDP history masks (UDP.cc). */
const HIST_ORIG_DATA_PKT = 0x1;
const HIST_RESP_DATA_PKT = 0x2;

/** Zeek `TOO_LARGE_SEQ_DELTA` (TCP.cc): sequence jumps beyond ±1 MiB on SYN/RST are not trusted. */
const TOO_LARGE_SEQ_DELTA = 1048576;

/** Result bits of {@link ConnStateTable.tcpPacket}. */
/** Not both sides had closed before this packet: it moves the connection's last time (Zeek `SetLastTime`). */
export const TCP_R_LAST_TIME = 1;
/** Close complete (Zeek ConnectionClosed): remove the connection `tcp_close_delay` after its last time. */
export const TCP_R_CLOSE = 2;
/** First SYN from the originator: start Zeek's `tcp_attempt_delay` timer. */
export const TCP_R_ATTEMPT = 4;
/** The handshake finished (an endpoint left the handshake states): the inactivity timeout becomes TCP's. */
export const TCP_R_ESTABLISHED = 8;
/** RST after the endpoint's FIN (Zeek UpdateClosedState ResetTimer): remove `tcp_reset_delay` after this packet. */
export const TCP_R_RESET_TIMER = 16;

/** Largest number of history letters kept per connection. */
export const HISTORY_CAP = 32;

// Slab layout, byte offsets inside a slot (all 4-aligned where read as u32): everything a segment touches in two
// 64-byte cache lines; the history letters, written a few times per connection, live in a slab of their own.
/** Bytes per slot of the state slab (plus {@link HISTORY_CAP} bytes of history). */
export const CONN_STATE_STRIDE = 128;
const O_HIST_SEEN = 0; // u32 Zeek hist_seen
const O_EP = 4; // orig endpoint u32 block (12 words); responder at O_EP + EP_WORDS * 4
const EP_WORDS = 12;
const E_START = 0;
const E_LAST = 1;
const E_ACK = 2;
const E_LAST_WRAPS = 3;
const E_ACK_WRAPS = 4;
const E_HL_SYN = 5;
const E_HL_FIN = 6;
const E_HL_RST = 7;
const E_RXMT = 8;
const E_RXMT_TH = 9;
const E_WIN0 = 10;
const E_WIN0_TH = 11;
const O_EPB = 100; // orig endpoint byte block (8 bytes); responder at O_EPB + 8
const B_STATE = 0;
const B_PREV = 1;
const B_DID_CLOSE = 2;
const B_FIN_CNT = 3;
const B_SYN_SEEN = 4;
const O_HIST_LEN = 116;

function isHandshake(s: number): boolean {
  return s === TCP_INACTIVE || s === TCP_SYN_SENT || s === TCP_SYN_ACK_SENT;
}

/** Signed 32-bit difference of two sequence numbers (Zeek `seq_delta`). */
function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Zeek's `conn_state` for a TCP connection (main.zeek `conn_state`), from the endpoint states, the payload sizes
 * Zeek computes from sequence numbers, and the history (for `RSTOS0`).
 *
 * @param os originator endpoint state (TCP_*), `rs` responder's.
 * @param origSize `c$orig$size`, `respSize` `c$resp$size` (bytes; only their being 0 matters, for `REJ`).
 * Pure; O(history length).
 */
export function tcpConnState(os: number, rs: number, origSize: number, respSize: number, history: string): ConnState {
  const oInactive = os === TCP_INACTIVE || os === TCP_PARTIAL;
  const rInactive = rs === TCP_INACTIVE || rs === TCP_PARTIAL;
  if (rs === TCP_RESET) {
    if (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT || (os === TCP_RESET && origSize === 0 && respSize === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === TCP_RESET) {
    if (rInactive) return isRstos0History(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === TCP_CLOSED && os === TCP_CLOSED) return 'SF';
  if (os === TCP_CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === TCP_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === TCP_SYN_SENT && rs === TCP_INACTIVE) return 'S0';
  if (os === TCP_ESTABLISHED && rs === TCP_ESTABLISHED) return 'S1';
  return 'OTH';
}

/**
 * Whether `history` matches main.zeek's pattern `\^?S[^HAFGIQ]*R.*` (anchored to the whole string): an originator SYN followed, with no
 * originator handshake/ACK/FIN/gap/inconsistency letter in between, by an originator RST.
 */
export function isRstos0History(history: string): boolean {
  let i = 0;
  if (history.charCodeAt(0) === 0x5e /* ^ */) i = 1;
  if (history.charCodeAt(i) !== 0x53 /* S */) return false;
  for (i++; i < history.length; i++) {
    const c = history[i]!;
    if (c === 'R') return true;
    if (c === 'H' || c === 'A' || c === 'F' || c === 'G' || c === 'I' || c === 'Q') return false;
  }
  return false;
}

/** Zeek's `conn_state` of a UDP connection: which sides sent (main.zeek: SF, S0, SHR, OTH). */
export function udpConnState(origActive: boolean, respActive: boolean): ConnState {
  if (origActive) return respActive ? 'SF' : 'S0';
  return respActive ? 'SHR' : 'OTH';
}

/**
 * Per-slot Zeek connection state. Slots are the flow table's; {@link reset} prepares one for a new connection.
 * Every method is O(1) except {@link history} (O(history length)); none allocates except {@link history}.
 */
export class ConnStateTable {
  private u32: Uint32Array;
  private u8: Uint8Array;
  private hist: Uint8Array;
  private cap: number;
  private stride = CONN_STATE_STRIDE;
  private offset = 0;
  private external = false;

  /** @param capacity initial number of slots (grown with {@link grow}). */
  constructor(capacity: number) {
    this.cap = capacity;
    const buf = new ArrayBuffer(capacity * CONN_STATE_STRIDE);
    this.u32 = new Uint32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.hist = new Uint8Array(capacity * HISTORY_CAP);
  }

  /** Byte offset of slot `s`'s state. */
  private base(s: number): number {
    return s * this.stride + this.offset;
  }

  /**
   * Keeps the state inside a caller's slab instead of an own one: slot `s` at byte `s × stride + offset` of
   * `buf` ({@link CONN_STATE_STRIDE} bytes there, 4-aligned). The flow table does this so that one packet's
   * flow and TCP state share pages and adjacent cache lines (measured: fewer TLB and cache misses per packet).
   * Call again after the caller reallocates `buf` (the state is the caller's to copy); `capacity` slots.
   * @throws RangeError when the slab cannot hold `capacity` slots or the offset is misaligned.
   */
  attach(buf: ArrayBuffer, stride: number, offset: number, capacity: number): void {
    if (offset % 4 !== 0 || stride % 8 !== 0 || offset + CONN_STATE_STRIDE > stride || capacity * stride > buf.byteLength) {
      throw new RangeError('ConnStateTable.attach: slab too small or misaligned');
    }
    this.u32 = new Uint32Array(buf);
    this.u8 = new Uint8Array(buf);
    this.stride = stride;
    this.offset = offset;
    this.external = true;
    this.growHistory(capacity);
  }

  private growHistory(capacity: number): void {
    if (capacity > this.hist.length / HISTORY_CAP) {
      const h = new Uint8Array(capacity * HISTORY_CAP);
      h.set(this.hist);
      this.hist = h;
    }
    this.cap = capacity;
  }

  /** Slots available. */
  get capacity(): number {
    return this.cap;
  }

  /** Grows an own slab to `capacity` slots, keeping every slot's state (attached: see {@link attach}). O(capacity). */
  grow(capacity: number): void {
    if (capacity <= this.cap) return;
    if (this.external) throw new RangeError('ConnStateTable.grow: attached to a caller slab; call attach() after reallocating it');
    const nb = new ArrayBuffer(capacity * CONN_STATE_STRIDE);
    new Uint8Array(nb).set(this.u8);
    this.u32 = new Uint32Array(nb);
    this.u8 = new Uint8Array(nb);
    this.growHistory(capacity);
  }

  /** Clears slot `s` for a new connection: endpoints INACTIVE, empty history, scaled-history thresholds 1. */
  reset(s: number): void {
    const b = this.base(s);
    this.u8.fill(0, b, b + CONN_STATE_STRIDE);
    const w = b >> 2;
    for (let e = 0; e < 2; e++) {
      const ew = w + (O_EP >> 2) + e * EP_WORDS;
      this.u32[ew + E_RXMT_TH] = 1;
      this.u32[ew + E_WIN0_TH] = 1;
    }
  }

  /**
   * Starts a new record of a continuing connection (active timeout): empty history and seen-mask, retransmission
   * and zero-window counters back to 0; endpoint states and sequence numbers are kept.
   */
  clearHistory(s: number): void {
    const b = this.base(s);
    this.u32[(b + O_HIST_SEEN) >> 2] = 0;
    this.u8[b + O_HIST_LEN] = 0;
    for (let e = 0; e < 2; e++) {
      const ew = ((b + O_EP) >> 2) + e * EP_WORDS;
      this.u32[ew + E_RXMT] = 0;
      this.u32[ew + E_RXMT_TH] = 1;
      this.u32[ew + E_WIN0] = 0;
      this.u32[ew + E_WIN0_TH] = 1;
    }
  }

  /** Appends history letter `code` (a char code) unless the cap is reached (Zeek `Connection::AddHistory`). */
  addHistory(s: number, code: number): void {
    const b = this.base(s);
    const n = this.u8[b + O_HIST_LEN]!;
    if (n < HISTORY_CAP) {
      this.hist[s * HISTORY_CAP + n] = code;
      this.u8[b + O_HIST_LEN] = n + 1;
    }
  }

  /** Zeek `CheckHistory`: records `code` the first time `mask` is seen; returns whether it had been seen. */
  private checkHistory(s: number, mask: number, code: number): boolean {
    const w = (this.base(s) + O_HIST_SEEN) >> 2;
    const seen = this.u32[w]!;
    if ((seen & mask) === 0) {
      this.u32[w] = (seen | mask) >>> 0;
      this.addHistory(s, code);
      return false;
    }
    return true;
  }

  /** The history string of slot `s` (allocates; call when writing a record). */
  history(s: number): string {
    const b = this.base(s);
    const n = this.u8[b + O_HIST_LEN]!;
    let out = '';
    const h = s * HISTORY_CAP;
    for (let i = 0; i < n; i++) out += String.fromCharCode(this.hist[h + i]!);
    return out;
  }

  /** Marks a connection whose roles were flipped at creation (Zeek `Connection::FlipRoles` adds `^`). */
  flipped(s: number): void {
    this.addHistory(s, 0x5e);
  }

  /** UDP packet (UDP.cc): `D` the first time the originator sends, `d` the responder. */
  udpPacket(s: number, isOrig: boolean): void {
    if (isOrig) this.checkHistory(s, HIST_ORIG_DATA_PKT, 0x44);
    else this.checkHistory(s, HIST_RESP_DATA_PKT, 0x64);
  }

  /** TCP endpoint state of slot `s` (TCP_*). */
  tcpState(s: number, isOrig: boolean): number {
    return this.u8[this.base(s) + O_EPB + (isOrig ? 0 : 8) + B_STATE]!;
  }

  /** Whether the endpoint's start sequence number came from a SYN it sent (its byte count can use sequence numbers). */
  tcpSynSeen(s: number, isOrig: boolean): boolean {
    return this.u8[this.base(s) + O_EPB + (isOrig ? 0 : 8) + B_SYN_SEEN]! !== 0;
  }

  /** Retransmitted data packets the endpoint sent (Zeek DidRxmit count; the `T`/`t` letters scale with it). */
  tcpRetransmissions(s: number, isOrig: boolean): number {
    return this.u32[((this.base(s) + O_EP) >> 2) + (isOrig ? 0 : EP_WORDS) + E_RXMT]!;
  }

  /** Whether the connection is still a bare attempt: originator SYN_SENT or SYN_ACK_SENT, responder INACTIVE (Zeek AttemptTimer). */
  tcpIsAttempt(s: number): boolean {
    const b = this.base(s) + O_EPB;
    const os = this.u8[b + B_STATE]!;
    return (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT) && this.u8[b + 8 + B_STATE] === TCP_INACTIVE;
  }

  /**
   * Zeek `TCP_Endpoint::Size()`: payload bytes of the endpoint from its sequence-number range (the larger of the
   * highest sequence number sent and the highest acknowledged by the peer, minus the start, less the SYN and FIN
   * octets), 64-bit through wrap counters. Negative results (broken sequence numbers) read as 0.
   */
  tcpSize(s: number, isOrig: boolean): number {
    const w = (this.base(s) + O_EP) >> 2;
    const e = w + (isOrig ? 0 : EP_WORDS);
    const bb = this.base(s) + O_EPB;
    const eb = bb + (isOrig ? 0 : 8);
    const pb = bb + (isOrig ? 8 : 0);
    const u = this.u32;
    const start = u[e + E_START]!;
    const ack = u[e + E_ACK]!;
    const ackFull = u[e + E_ACK_WRAPS]! * 4294967296 + ack;
    // "A half-open connection was discovered and aborted" (Size): SYN_SENT → RESET with an inactive peer.
    const noDataAcked = ackFull === start || ackFull === start + 1;
    if (this.u8[eb + B_PREV] === TCP_SYN_SENT && this.u8[eb + B_STATE] === TCP_RESET && this.u8[pb + B_STATE] === TCP_INACTIVE && !noDataAcked) {
      return 0;
    }
    const lastFull = u[e + E_LAST_WRAPS]! * 4294967296 + u[e + E_LAST]!;
    let size = (lastFull > ackFull ? lastFull : ackFull) - start;
    if (size <= 0) return 0;
    size--; // the SYN octet (also assumed for partial connections, as Zeek does)
    if (this.u8[eb + B_FIN_CNT]! > 0 && size !== 0) size--; // the FIN octet
    return size;
  }

  /**
   * Zeek's `conn_state` of a TCP connection in slot `s` ({@link tcpConnState} on its state).
   * @param history the slot's {@link history}, when the caller already has it.
   */
  tcpConnState(s: number, history: string = this.history(s)): ConnState {
    const b = this.base(s) + O_EPB;
    return tcpConnState(this.u8[b + B_STATE]!, this.u8[b + 8 + B_STATE]!, this.tcpSize(s, true), this.tcpSize(s, false), history);
  }

  /**
   * Zeek `TCPSessionAdapter::IsReuse` for a packet of an existing connection: a SYN (or, while the originator is
   * still inactive, a SYN-ACK) that starts a new connection on the same 5-tuple — the old one had closed, or its
   * initial sequence number differs.
   */
  tcpIsReuse(s: number, flags: number, seq: number): boolean {
    if ((flags & 0x02) === 0) return false;
    const b = this.base(s);
    const ob = b + O_EPB;
    const w = (b + O_EP) >> 2;
    let co = 0; // 0 orig, 1 resp
    if ((flags & 0x10) !== 0) {
      if (this.u8[ob + B_STATE] !== TCP_INACTIVE) return false;
      co = 1;
    }
    const closed = this.u8[ob + B_DID_CLOSE] !== 0 || this.u8[ob + 8 + B_DID_CLOSE] !== 0;
    if (!closed) {
      if (seq >>> 0 === this.u32[w + co * EP_WORDS + E_START]) return false;
      if (
        (flags & 0x10) === 0 &&
        this.u8[ob + co * 8 + B_STATE] === TCP_SYN_ACK_SENT &&
        this.u8[ob + 8 + B_STATE] === TCP_INACTIVE &&
        seq >>> 0 === this.u32[w + EP_WORDS + E_START]
      ) {
        return false;
      }
    }
    return true;
  }

  /**
   * One TCP segment of slot `s` (Zeek TCPAnalyzer::DeliverPacket + TCPSessionAdapter::Process, without
   * reassembly): history letters, sequence tracking, endpoint state machine, close detection.
   *
   * @param isOrig the segment's sender is the originator.
   * @param flags TCP flags byte; `seq`, `ack` unsigned 32-bit; `len` payload bytes by the IP length; `window` the
   *   unscaled window field.
   * @returns TCP_R_* bits telling the caller which timers and times to update.
   */
  tcpPacket(s: number, isOrig: boolean, flags: number, seq: number, ack: number, len: number, window: number): number {
    const b = this.base(s);
    const u = this.u32;
    const u8 = this.u8;
    const wEp = (b + O_EP) >> 2;
    const e = wEp + (isOrig ? 0 : EP_WORDS);
    const p = wEp + (isOrig ? EP_WORDS : 0);
    const eb = b + O_EPB + (isOrig ? 0 : 8);
    const pb = b + O_EPB + (isOrig ? 8 : 0);
    const SYN = (flags & 0x02) !== 0;
    const FIN = (flags & 0x01) !== 0;
    const RST = (flags & 0x04) !== 0;
    const ACK = (flags & 0x10) !== 0;
    seq >>>= 0;
    ack >>>= 0;
    let res = 0;

    // get_segment_len: SYN and FIN take one octet each; a RST's payload is not stream data.
    let segLen = len;
    if (SYN) segLen++;
    if (FIN) segLen++;
    if (RST) segLen -= len;
    const seqEnd = (seq + segLen) >>> 0;

    // init_endpoint
    const st = u8[eb + B_STATE]!;
    if (st === TCP_INACTIVE) {
      if (SYN) {
        u[e + E_ACK] = seq;
        u[e + E_START] = seq;
        u8[eb + B_SYN_SEEN] = 1;
        u[e + E_LAST] = seqEnd;
      } else {
        // Partial connection: number as though a SYN had been seen.
        u[e + E_ACK] = (seq - 1) >>> 0;
        u[e + E_START] = (seq - 1) >>> 0;
        u[e + E_LAST] = seq;
      }
    } else if (st === TCP_SYN_SENT || st === TCP_SYN_ACK_SENT) {
      if (SYN && seq !== u[e + E_START]) {
        u[e + E_START] = seq;
        u[e + E_ACK] = seq;
        u[e + E_LAST] = seqEnd;
      }
    } else if (st === TCP_ESTABLISHED || st === TCP_PARTIAL) {
      if (SYN) {
        u[e + E_START] = seq;
        u[e + E_ACK] = seq;
        u[e + E_LAST] = seqEnd;
        u8[eb + B_SYN_SEEN] = 1;
      }
    } else if (st === TCP_RESET) {
      if (SYN && u8[eb + B_PREV] === TCP_INACTIVE) {
        u[e + E_START] = seq;
        u[e + E_ACK] = seq;
        u[e + E_LAST] = seqEnd;
        u8[eb + B_SYN_SEEN] = 1;
      }
    }

    // update_history (relative sequence numbers within 32 bits suffice for the equality tests).
    const relSeq = (seq - u[e + E_START]!) >>> 0;
    const bits = (SYN ? 1 : 0) + (FIN ? 1 : 0) + (RST ? 1 : 0);
    const sh = isOrig ? 0 : 16;
    const lc = isOrig ? 0 : 0x20; // lower case for the responder
    if (bits > 1) {
      if (FIN && RST) this.checkHistory(s, HIST_FIN_RST_PKT << sh, 0x49 | lc);
      else this.checkHistory(s, HIST_MULTI_FLAG_PKT << sh, 0x51 | lc);
    } else if (bits === 1) {
      if (SYN) {
        const code = (ACK ? 0x48 : 0x53) | lc;
        if (this.checkHistory(s, HIST_SYN_PKT << sh, code) && relSeq !== u[e + E_HL_SYN]) this.addHistory(s, code);
        u[e + E_HL_SYN] = relSeq;
      }
      if (FIN) {
        // A FIN's sequence number is at the end of its data.
        const finSeq = (relSeq + len) >>> 0;
        if (this.checkHistory(s, HIST_FIN_PKT << sh, 0x46 | lc) && finSeq !== u[e + E_HL_FIN]) this.addHistory(s, 0x46 | lc);
        u[e + E_HL_FIN] = finSeq;
      }
      if (RST) {
        if (this.checkHistory(s, HIST_RST_PKT << sh, 0x52 | lc) && relSeq !== u[e + E_HL_RST]) this.addHistory(s, 0x52 | lc);
        u[e + E_HL_RST] = relSeq;
      }
    } else if (len > 0) this.checkHistory(s, HIST_DATA_PKT << sh, 0x44 | lc);
    else if (ACK) this.checkHistory(s, HIST_ACK_PKT << sh, 0x41 | lc);

    // update_window: a zero window is a history event unless it comes with/after a RST or after the peer's FIN.
    if (window === 0 && !RST && u8[pb + B_STATE] !== TCP_CLOSED && u8[eb + B_STATE] !== TCP_RESET) {
      this.scaled(s, e + E_WIN0, e + E_WIN0_TH, 0x57 | lc);
    }

    if (u8[b + O_EPB + B_DID_CLOSE] === 0 || u8[b + O_EPB + 8 + B_DID_CLOSE] === 0) res |= TCP_R_LAST_TIME;

    if (FIN && u8[eb + B_FIN_CNT]! < 255) u8[eb + B_FIN_CNT]!++;

    if (ACK) {
      if (u8[pb + B_STATE] === TCP_INACTIVE) {
        // init_peer: number the peer as though it had sent a SYN just before what we acknowledge.
        const a1 = (ack - 1) >>> 0;
        u[p + E_START] = a1;
        u[p + E_ACK] = a1;
        u[p + E_LAST] = a1;
      } else if (!RST) {
        // get_relative_seq underflow (ack before the peer's start) → ignored, as Zeek does.
        const underflow = u[p + E_ACK_WRAPS] === 0 && seqDelta(ack, u[p + E_START]!) < 0;
        if (!underflow) {
          // update_ack_seq
          const deltaAck = seqDelta(ack, u[p + E_ACK]!);
          if (!(ack === 0 && deltaAck > TOO_LARGE_SEQ_DELTA) && deltaAck > 0) {
            if (ack < u[p + E_ACK]!) u[p + E_ACK_WRAPS]!++;
            u[p + E_ACK] = ack;
          }
        }
      }
    }

    // update_last_seq
    const deltaLast = seqDelta(seqEnd, u[e + E_LAST]!);
    if ((SYN || RST) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
      // untrusted jump
    } else if (FIN && u[e + E_LAST] === ((u[e + E_START]! + 1) >>> 0)) this.updateLastSeq(e, seqEnd);
    else if (u8[eb + B_STATE] === TCP_RESET) {
      // no sequence numbers trusted after a RST
    } else if (deltaLast > 0) this.updateLastSeq(e, seqEnd);
    else if (len > 0) this.scaled(s, e + E_RXMT, e + E_RXMT_TH, 0x54 | lc);

    // UpdateStateMachine
    let doClose = false;
    const es = u8[eb + B_STATE]!;
    if (es === TCP_INACTIVE) {
      if (SYN) {
        if (isOrig) {
          res |= this.setState(eb, pb, ACK ? TCP_SYN_ACK_SENT : TCP_SYN_SENT);
          res |= TCP_R_ATTEMPT;
        } else {
          if (u8[pb + B_STATE] === TCP_SYN_SENT) res |= this.setState(pb, eb, TCP_ESTABLISHED);
          res |= this.setState(eb, pb, TCP_ESTABLISHED);
        }
      }
      if (FIN) {
        res |= this.setState(eb, pb, TCP_CLOSED);
        doClose = true;
      }
      if (RST) {
        res |= this.setState(eb, pb, TCP_RESET);
        doClose = true;
      }
      if (u8[eb + B_STATE] === TCP_INACTIVE) {
        // Some TCPs ack a SYN before replying to it: that ACK does not make the responder partial.
        const origState = u8[b + O_EPB + B_STATE];
        if (!isOrig && len === 0 && origState === TCP_SYN_SENT) {
          // stays inactive
        } else if (ACK && u8[pb + B_STATE] === TCP_ESTABLISHED) res |= this.setState(eb, pb, TCP_ESTABLISHED);
        else res |= this.setState(eb, pb, TCP_PARTIAL);
      }
    } else if (es === TCP_SYN_SENT || es === TCP_SYN_ACK_SENT) {
      if (FIN) {
        res |= this.setState(eb, pb, TCP_CLOSED);
        doClose = true;
      }
      if (RST) {
        res |= this.setState(eb, pb, TCP_RESET);
        doClose = true;
      }
    } else if (es === TCP_ESTABLISHED || es === TCP_PARTIAL) {
      if (SYN && es === TCP_PARTIAL && u8[pb + B_STATE] === TCP_INACTIVE && !ACK) res |= this.setState(eb, pb, TCP_SYN_SENT);
      if (FIN && !RST) {
        res |= this.setState(eb, pb, TCP_CLOSED);
        // The peer sent FIN then RST: that was a normal termination after all.
        if (u8[pb + B_STATE] === TCP_RESET && u8[pb + B_PREV] === TCP_CLOSED) res |= this.setState(pb, eb, TCP_CLOSED);
        doClose = true;
      }
      if (RST) {
        res |= this.setState(eb, pb, TCP_RESET);
        doClose = true;
      }
    } else if (es === TCP_CLOSED) {
      if (RST && u8[pb + B_STATE] !== TCP_CLOSED) {
        res |= this.setState(eb, pb, TCP_RESET);
        if (u8[eb + B_DID_CLOSE] === 0) doClose = true;
        res |= TCP_R_RESET_TIMER;
      }
    }
    // TCP_RESET: nothing changes.

    if (doClose && u8[eb + B_DID_CLOSE] === 0) {
      // ConnectionClosed
      u8[eb + B_DID_CLOSE] = 1;
      if (u8[eb + B_STATE] === TCP_RESET || u8[pb + B_DID_CLOSE] !== 0 || u8[pb + B_STATE] === TCP_INACTIVE) res |= TCP_R_CLOSE;
    }
    return res;
  }

  /** TCP_Endpoint::UpdateLastSeq: counts wraps of the 32-bit space. */
  private updateLastSeq(e: number, seq: number): void {
    if (seq < this.u32[e + E_LAST]!) this.u32[e + E_LAST_WRAPS]!++;
    this.u32[e + E_LAST] = seq;
  }

  /** Connection::ScaledHistoryEntry (base 10): the letter at the 1st, 10th, 100th, … occurrence. */
  private scaled(s: number, cntIdx: number, thIdx: number, code: number): void {
    const u = this.u32;
    const c = u[cntIdx]! + 1;
    u[cntIdx] = c;
    const th = u[thIdx]!;
    if (c === th) {
      this.addHistory(s, code);
      const next = th * 10;
      if (next > 0xffffffff) u[cntIdx] = 0;
      else u[thIdx] = next;
    }
  }

  /** TCP_Endpoint::SetState: returns TCP_R_ESTABLISHED when this transition ends the handshake. */
  private setState(eb: number, pb: number, ns: number): number {
    const u8 = this.u8;
    const cur = u8[eb + B_STATE]!;
    if (ns === cur) return 0;
    let r = 0;
    if (!isHandshake(ns) && isHandshake(cur) && isHandshake(u8[pb + B_STATE]!)) r = TCP_R_ESTABLISHED;
    u8[eb + B_PREV] = cur;
    u8[eb + B_STATE] = ns;
    return r;
  }
}
