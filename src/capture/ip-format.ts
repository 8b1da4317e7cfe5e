/**
 * Text forms of IP addresses for conn.log fields (`orig_h`, `resp_h`): IPv4 as a dotted quad (RFC 791 §3.2 /
 * RFC 1123 §2.1 "dotted-decimal"), IPv6 in the recommended canonical form of RFC 5952. Called when a record is
 * written or an accessor asks for a host, never per packet (each call allocates its string).
 */

/**
 * Dotted-quad text of an IPv4 address held as an unsigned 32-bit number read big-endian from the header
 * (`PacketInfo.src4`), e.g. `0xc0000201` → `192.0.2.1`.
 *
 * @param addr integer in [0, 2^32); other numbers are reduced modulo 2^32 (`>>> 0`).
 * Cost: O(1), one string.
 */
export function formatIPv4(addr: number): string {
  const a = addr >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

const HEX = '0123456789abcdef';

/** Lowercase hex of a 16-bit group without leading zeros (RFC 5952 §4.1, §4.3). */
function group(g: number): string {
  if (g < 0x10) return HEX[g]!;
  if (g < 0x100) return HEX[g >> 4]! + HEX[g & 15]!;
  if (g < 0x1000) return HEX[g >> 8]! + HEX[(g >> 4) & 15]! + HEX[g & 15]!;
  return HEX[g >> 12]! + HEX[(g >> 8) & 15]! + HEX[(g >> 4) & 15]! + HEX[g & 15]!;
}

/**
 * RFC 5952 text of the 16-byte IPv6 address at `bytes[off, off + 16)`:
 * - §4.1 leading zeros of each 16-bit field suppressed; §4.3 hex digits lowercase;
 * - §4.2.1–§4.2.3 `::` replaces the longest run of two or more all-zero fields (the first such run on a tie), never
 *   a single zero field;
 * - §5 IPv4-mapped addresses (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) end in dotted-quad form: `::ffff:192.0.2.1`.
 *
 * @param bytes buffer holding the address (e.g. the packet buffer and `PacketInfo.src6Off`).
 * @param off byte offset of the address; `off + 16` must not exceed `bytes.length`.
 * @throws RangeError when the 16 bytes are not inside `bytes`.
 * Cost: O(1), a few short strings.
 */
export function formatIPv6(bytes: Uint8Array, off = 0): string {
  if (!(off >= 0) || off + 16 > bytes.length) throw new RangeError(`formatIPv6: 16 bytes at offset ${off} exceed the buffer (${bytes.length})`);
  // Eight 16-bit fields, big-endian (RFC 4291 §2.2).
  let z0 = 0;
  let zeroRun = 0;
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const g = (bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!;
    if (g === 0) {
      if (runStart < 0) runStart = i;
      zeroRun = i - runStart + 1;
      if (zeroRun > bestLen) {
        bestLen = zeroRun;
        bestStart = runStart;
      }
    } else runStart = -1;
    if (i < 5) z0 |= g;
  }
  // RFC 5952 §5: IPv4-mapped, ::ffff:a.b.c.d (first 80 bits zero, next 16 bits one).
  if (z0 === 0 && bytes[off + 10] === 0xff && bytes[off + 11] === 0xff) {
    return `::ffff:${bytes[off + 12]}.${bytes[off + 13]}.${bytes[off + 14]}.${bytes[off + 15]}`;
  }
  // §4.2.2: a single zero field is not compressed.
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += group((bytes[off + 2 * i]! << 8) | bytes[off + 2 * i + 1]!);
    if (i < 7) out += ':';
  }
  return out;
}
