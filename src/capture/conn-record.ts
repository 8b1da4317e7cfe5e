/**
 * One finished connection, written once when final (Zeek's rule): the conn.log fields under their Zeek names
 * (https://docs.zeek.org/en/master/scripts/base/protocols/conn/main.zeek.html) plus the UNSW-NB15 features that
 * can be derived from packets (Moustafa & Slay, MilCIS 2015, Table 6; see docs/flow-features.md).
 *
 * "orig" is the side that sent the first packet seen (the SYN's sender for TCP when the SYN was seen; Zeek's
 * "flipping" applies when the first packet seen is a SYN-ACK). Unset values: `null` (written `-` in TSV).
 */
import type { ConnState } from '../core/events.js';

/** Transport name as conn.log writes it. */
export type ConnProto = 'tcp' | 'udp' | 'icmp' | 'unknown_transport';

/** Why a record was written: the connection ended (FIN/RST + close delay, or end of input), idled out,
 * reached the active timeout (the flow goes on under a new uid), or was evicted because the table was full. */
export type ConnEndReason = 'closed' | 'idle' | 'active' | 'evicted' | 'end_of_input';

/** conn.log fields (Zeek names; `id.orig_h` is `orig_h` here and `id.orig_h` in the writers). */
export interface ConnRecord {
  /** First packet time, epoch seconds. */
  ts: number;
  /** Zeek-style connection uid: `C` + 17 base62 characters, unique per record. */
  uid: string;
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  proto: ConnProto;
  /** Detected application protocol(s), comma-separated (e.g. `http`, `modbus`), or null. */
  service: string | null;
  /** Last packet time − first packet time, seconds. */
  duration: number;
  /** Payload bytes from orig (TCP: from sequence numbers when the handshake was seen, as Zeek; else sum of payload lengths). */
  orig_bytes: number;
  resp_bytes: number;
  conn_state: ConnState;
  /** Zeek history string (ShADadFfRrCcTtWwIiQq^), see main.zeek. */
  history: string;
  orig_pkts: number;
  /** IP-level bytes from orig (sum of IP total lengths). */
  orig_ip_bytes: number;
  resp_pkts: number;
  resp_ip_bytes: number;
  /** Why it was written (not a Zeek field). */
  end_reason: ConnEndReason;
  /** Last packet time, epoch seconds (not a Zeek field; = ts + duration). */
  last_ts: number;
  /** 802.1Q VLAN id or null (Zeek `vlan`). */
  vlan: number | null;

  // Per-flow UNSW-NB15 features (docs/flow-features.md gives each one's definition and unit).
  /** First TTL / hop limit seen from orig, resp (0 when that side sent nothing). */
  sttl: number;
  dttl: number;
  /** Bits per second each way, as Argus and UNSW-NB15: 8 × ip bytes × (pkts − 1) / pkts / duration; 0 when duration is 0. */
  sload: number;
  dload: number;
  /** Mean inter-packet time of each side, milliseconds. */
  sinpkt: number;
  dinpkt: number;
  /** Jitter of each side: standard deviation of its inter-packet times, milliseconds. */
  sjit: number;
  djit: number;
  /** First TCP window advertised by each side (0 for non-TCP). */
  swin: number;
  dwin: number;
  /** SYN→SYN-ACK and SYN-ACK→ACK times and their sum, seconds (0 when the handshake was not seen). */
  synack: number;
  ackdat: number;
  tcprtt: number;
  /** Mean IP packet size of each side, bytes. */
  smean: number;
  dmean: number;
  /** Retransmitted (or dropped) TCP packets per side, from sequence numbers. */
  sloss: number;
  dloss: number;
}
