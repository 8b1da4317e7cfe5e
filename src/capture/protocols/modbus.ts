/**
 * Modbus/TCP analyzer: one {@link ModbusEvent} per application data unit (ADU), requests and responses, with
 * function code, unit id, transaction id and exception code.
 *
 * Sources:
 * - MODBUS Messaging on TCP/IP Implementation Guide v1.0b (2006) §3.1.3, the MBAP header (7 bytes, big-endian):
 *   transaction identifier (2), protocol identifier (2, 0 = MODBUS), length (2, the number of following bytes:
 *   unit identifier + PDU), unit identifier (1).
 * - MODBUS Application Protocol Specification v1.1b3 (2012) §4.1: PDU = function code (1) + data, at most 253
 *   bytes, so the MBAP length is 2..254; §7: an exception response carries `function code | 0x80` and one
 *   exception code byte.
 *
 * Request or response is not written in the ADU: it follows from the direction (client → server is a request);
 * the client side comes from identification (the side that connected to port 502).
 */
import { FramedAnalyzer, GARBAGE, NEED_MORE } from './_framed-analyzer.js';
import type { AnalyzerOptions, AppEvent, FlowRef } from './app-event.js';

/** Registered TCP port of Modbus/TCP (Implementation Guide v1.0b §4.1.2). */
export const MODBUS_TCP_PORT = 502;

/** MBAP header length, bytes (Implementation Guide v1.0b §3.1.3). */
const MBAP_LEN = 7;
/** Smallest and largest MBAP length field: unit id + function code .. unit id + 253-byte PDU (v1.1b3 §4.1). */
const MIN_LENGTH_FIELD = 2;
const MAX_LENGTH_FIELD = 254;
/** Exception flag in the function code byte of a response (v1.1b3 §7). */
const EXCEPTION_BIT = 0x80;

/**
 * True when `b[o, o + avail)` starts like an MBAP header (protocol id 0, length 2..254, function code byte present
 * and not 0). Used by identification on port 502; a plausibility check, not proof. O(1).
 */
export function looksLikeModbus(b: Uint8Array, o: number, avail: number): boolean {
  if (avail < MBAP_LEN + 1) return false;
  if (b[o + 2] !== 0 || b[o + 3] !== 0) return false;
  const length = (b[o + 4]! << 8) | b[o + 5]!;
  return length >= MIN_LENGTH_FIELD && length <= MAX_LENGTH_FIELD && (b[o + 7]! & 0x7f) !== 0;
}

/**
 * Modbus/TCP stream analyzer. Emits `{ kind: 'modbus', isRequest, transactionId, unitId, functionCode,
 * exceptionCode? }` per ADU. An MBAP header with a protocol id other than 0 or a length outside 2..254 is garbage:
 * counted in `malformed`, and parsing resumes at the next segment (Modbus has no sync marker; clients write one
 * ADU per segment); after 16 consecutive bad headers the direction is abandoned. An exception response without its
 * exception code byte is malformed and not emitted.
 *
 * Cost: O(1) per ADU, no allocation but the event; split ADUs are copied once into a ≤ 64 KiB buffer.
 */
export class ModbusAnalyzer extends FramedAnalyzer {
  readonly service = 'modbus';
  /** True when orig is the client (sends requests, commands, CONNECT). */
  readonly clientIsOrig: boolean;

  constructor(opts: AnalyzerOptions = {}) {
    super({ maxFailures: 16 });
    this.clientIsOrig = opts.clientIsOrig ?? true;
  }

  protected frameLength(b: Uint8Array, o: number, avail: number): number {
    // Reject as early as the bytes allow, so garbage is not buffered waiting for a header (Guide v1.0b §3.1.3).
    if (avail >= 4 && (b[o + 2] !== 0 || b[o + 3] !== 0)) return GARBAGE;
    if (avail < 6) return NEED_MORE;
    const length = (b[o + 4]! << 8) | b[o + 5]!;
    if (length < MIN_LENGTH_FIELD || length > MAX_LENGTH_FIELD) return GARBAGE;
    return 6 + length;
  }

  protected onFrame(b: Uint8Array, o: number, n: number, _total: number, flow: FlowRef, emit: (e: AppEvent) => void): void {
    const fc = b[o + MBAP_LEN]!;
    const isRequest = flow.fromOrig === this.clientIsOrig;
    const transactionId = (b[o]! << 8) | b[o + 1]!;
    const unitId = b[o + 6]!;
    if ((fc & EXCEPTION_BIT) !== 0) {
      if (n < MBAP_LEN + 2) {
        this.malformed++; // v1.1b3 §7: an exception response is function code + exception code
        return;
      }
      emit({ kind: 'modbus', isRequest, transactionId, unitId, functionCode: fc & 0x7f, exceptionCode: b[o + MBAP_LEN + 1]! });
      return;
    }
    // Sub-functions the detectors grade: FC 8 Diagnostics, 2-byte sub-function (v1.1b3 §6.8); FC 43 Encapsulated
    // Interface Transport, 1-byte MEI type (§6.19).
    if (fc === 8 && n >= MBAP_LEN + 3) {
      emit({ kind: 'modbus', isRequest, transactionId, unitId, functionCode: fc, subFunction: (b[o + MBAP_LEN + 1]! << 8) | b[o + MBAP_LEN + 2]! });
      return;
    }
    if (fc === 43 && n >= MBAP_LEN + 2) {
      emit({ kind: 'modbus', isRequest, transactionId, unitId, functionCode: fc, subFunction: b[o + MBAP_LEN + 1]! });
      return;
    }
    emit({ kind: 'modbus', isRequest, transactionId, unitId, functionCode: fc });
  }
}
