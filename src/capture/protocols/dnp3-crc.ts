/**
 * The DNP3 link-layer CRC (IEEE 1815-2012 §9.2.4.2, "CRC field"): CRC-16 with generator polynomial
 * x^16 + x^13 + x^12 + x^11 + x^10 + x^8 + x^6 + x^5 + x^2 + 1 (0x3D65), computed LSB-first (reflected
 * polynomial 0xA6BC), initial value 0, final value complemented, and sent low octet first. In the Rocksoft
 * parameterisation of Greg Cook's CRC catalogue this is CRC-16/DNP: width 16, poly 0x3d65, init 0, refin/refout
 * true, xorout 0xffff, check("123456789") = 0xea82.
 *
 * The header block (octets 0..7) and every 16-octet user-data block (the last one shorter) of a frame are
 * followed by their CRC.
 */

/** Reflected polynomial 0x3D65 (bit-reversed = 0xA6BC), IEEE 1815-2012 §9.2.4.2. */
const POLY_REFLECTED = 0xa6bc;

/** Byte-wise lookup table (256 × uint16), built once at load: 8 shift/xor steps per entry. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY_REFLECTED : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/**
 * CRC-16/DNP of `b[off, off + len)`; the caller guarantees the range lies in `b`. Returns the 16-bit value
 * (compare with the two CRC octets read little-endian: `b[i] | b[i + 1] << 8`). O(len), no allocation.
 */
export function dnp3Crc(b: Uint8Array, off: number, len: number): number {
  let crc = 0;
  const end = off + len;
  for (let i = off; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ b[i]!) & 0xff]!;
  return ~crc & 0xffff;
}
