/**
 * DNP3 (IEEE 1815-2012) analyzer over TCP or UDP (port 20000, IEEE 1815-2012 Annex E): link frames are
 * checked (start octets, length, CRCs) and the application function code of each fragment's first transport
 * segment is reported with the link addresses.
 *
 * Frame layout (IEEE 1815-2012 §9.2.4, "FT3" frame format):
 * - header block, 10 octets: start `05 64`, LENGTH (octets after it up to the end of user data, CRCs excluded:
 *   CONTROL + DESTINATION + SOURCE + user data, so 5..255), CONTROL (DIR 0x80, PRM 0x40, FCB 0x20, FCV/DFC 0x10,
 *   function code 0x0f), DESTINATION (2, little-endian), SOURCE (2, little-endian), CRC (2) over octets 0..7;
 * - user data (LENGTH − 5 octets, at most 250) in blocks of 16 octets, each followed by its CRC, the last block
 *   shorter; user data only in primary frames with link function 3 CONFIRMED_USER_DATA or 4
 *   UNCONFIRMED_USER_DATA (§9.2.4.1.3).
 * The first user-data octet is the transport header (§8.2: FIN 0x80, FIR 0x40, sequence 0x3f). When FIR is set the
 * segment starts an application fragment: application control (§4.2.2.4), then the function code (§4.2.2.5:
 * 0x00..0x21 requests, 0x81 RESPONSE, 0x82 UNSOLICITED_RESPONSE, 0x83 AUTHENTICATION_RESPONSE).
 *
 * Resynchronisation: a bad start, length or header CRC drops octets up to the next `05 64`; a bad user-data CRC
 * drops the frame (its length is trusted: the header CRC held), as a DNP3 link layer does.
 */
import { FramedAnalyzer, GARBAGE, NEED_MORE } from './_framed-analyzer.js';
import type { AppEvent, FlowRef } from './app-event.js';
import { dnp3Crc } from './dnp3-crc.js';

/** IANA-registered DNP3 port, TCP and UDP (IEEE 1815-2012 Annex E). */
export const DNP3_PORT = 20000;

/** Start octets (IEEE 1815-2012 §9.2.4.1.1). */
const START_0 = 0x05;
const START_1 = 0x64;
/** Header block with its CRC, octets. */
const HEADER_LEN = 10;
/** User-data block size between CRCs, octets (§9.2.4.2). */
const BLOCK = 16;
/** LENGTH counts CONTROL + DESTINATION + SOURCE (5 octets) before any user data (§9.2.4.1.2). */
const LENGTH_OVERHEAD = 5;
/** CONTROL bits and the primary link function codes that carry user data (§9.2.4.1.3). */
const CTRL_PRM = 0x40;
const LINK_CONFIRMED_USER_DATA = 3;
const LINK_UNCONFIRMED_USER_DATA = 4;
/** Transport header FIR bit (§8.2.1). */
const TRANSPORT_FIR = 0x40;

/**
 * True when `b[o, o + avail)` starts with a complete DNP3 header block whose CRC holds (strong evidence: 16 bits
 * of CRC plus the start octets). O(1).
 */
export function looksLikeDnp3(b: Uint8Array, o: number, avail: number): boolean {
  return avail >= HEADER_LEN && b[o] === START_0 && b[o + 1] === START_1 && b[o + 2]! >= LENGTH_OVERHEAD && dnp3Crc(b, o, 8) === (b[o + 8]! | (b[o + 9]! << 8));
}

/**
 * DNP3 analyzer. Emits `{ kind: 'dnp3', isRequest, functionCode, source, destination }` for every link frame
 * whose transport segment has FIR set (one per application fragment); link-only frames (reset link, link status,
 * ACK) emit nothing. Frames with a bad CRC or user data where the link function allows none count in `malformed`.
 * `datagram: true` for DNP3 over UDP (each datagram holds whole frames).
 *
 * Cost: CRC over every octet once (table-driven, a few ns/octet); no allocation but the event.
 */
export class Dnp3Analyzer extends FramedAnalyzer {
  readonly service = 'dnp3';

  constructor(opts: { datagram?: boolean } = {}) {
    super({ maxFailures: Number.POSITIVE_INFINITY, resyncAtSegment: false, datagram: opts.datagram ?? false });
  }

  protected frameLength(b: Uint8Array, o: number, avail: number): number {
    if (b[o] !== START_0) return GARBAGE;
    if (avail < 2) return NEED_MORE;
    if (b[o + 1] !== START_1) return GARBAGE;
    if (avail < HEADER_LEN) return NEED_MORE;
    const length = b[o + 2]!;
    if (length < LENGTH_OVERHEAD) return GARBAGE;
    if (dnp3Crc(b, o, 8) !== (b[o + 8]! | (b[o + 9]! << 8))) return GARBAGE;
    const userData = length - LENGTH_OVERHEAD;
    return HEADER_LEN + userData + 2 * Math.ceil(userData / BLOCK);
  }

  /** Drops octets up to the next `05 64` (or a trailing `05` that may start one). */
  protected override resync(b: Uint8Array, o: number, avail: number): number {
    const end = o + avail;
    for (let i = o + 1; i < end - 1; i++) if (b[i] === START_0 && b[i + 1] === START_1) return i - o;
    return b[end - 1] === START_0 ? avail - 1 : avail;
  }

  protected onFrame(b: Uint8Array, o: number, _n: number, _total: number, _flow: FlowRef, emit: (e: AppEvent) => void): void {
    const userData = b[o + 2]! - LENGTH_OVERHEAD;
    // Every user-data block must carry a correct CRC (§9.2.4.2).
    let p = o + HEADER_LEN;
    for (let left = userData; left > 0; left -= BLOCK) {
      const k = left < BLOCK ? left : BLOCK;
      if (dnp3Crc(b, p, k) !== (b[p + k]! | (b[p + k + 1]! << 8))) {
        this.malformed++;
        return;
      }
      p += k + 2;
    }
    if (userData === 0) return;
    const ctrl = b[o + 3]!;
    const linkFunction = ctrl & 0x0f;
    if ((ctrl & CTRL_PRM) === 0 || (linkFunction !== LINK_CONFIRMED_USER_DATA && linkFunction !== LINK_UNCONFIRMED_USER_DATA)) {
      this.malformed++; // user data in a frame whose function carries none
      return;
    }
    if ((b[o + HEADER_LEN]! & TRANSPORT_FIR) === 0) return; // a later segment of a fragment: no application header
    if (userData < 3) {
      this.malformed++; // FIR segment too short for application control + function code
      return;
    }
    // Transport header, application control, function code: octets 0..2 of the first block.
    const functionCode = b[o + HEADER_LEN + 2]!;
    emit({
      kind: 'dnp3',
      isRequest: functionCode < 0x80,
      functionCode,
      source: b[o + 6]! | (b[o + 7]! << 8),
      destination: b[o + 4]! | (b[o + 5]! << 8),
    });
  }
}
