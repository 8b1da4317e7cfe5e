/**
 * Numeric host ids for per-host statistics: every host key the sensor's stream tables see is one float64
 * integer below 2^53, so tables hash numbers, never strings (STYLE.md names Kitsune's string-concatenated stream
 * keys as a wart to avoid). The id space:
 *
 * | range                 | what                                                        |
 * | --------------------- | ----------------------------------------------------------- |
 * | [0, 2^32)             | an IPv4 address: its uint32 value (RFC 791 §3.1, network order) |
 * | [2^32, 2^48)          | an IPv6 address interned by {@link HostIds}                 |
 * | [2^48, 2^49)          | a MAC address used as a host (non-IP frames): 2^48 + MAC    |
 *
 * IPv6 addresses (RFC 8200 §3, 16 bytes) do not fit in a float64, so {@link HostIds} interns them: a bounded
 * open-addressing table (linear probing, backward-shift deletion, Knuth TAOCP vol. 3 §6.4 Algorithm R) from
 * the 16 bytes to a slot, and the id 2^32 + generation·capacity + slot. A slot's generation grows each time the
 * slot is reused, so an id is never given to two addresses (until a slot has been reused 2^48 / capacity times,
 * after which its generation wraps; at 10^6 evictions a second that takes years).
 *
 * Bounded: at most `capacity` addresses; when full, interning a new address evicts one chosen by the clock
 * algorithm (second chance; Corbató 1968): each hit sets the slot's reference bit, and the hand clears set bits
 * until it finds a clear one. Statistics keyed by an evicted id simply stop receiving updates (their own
 * tables evict them in time).
 *
 * Cost: `intern` of a known address is one hash of four 32-bit words and a short probe, and allocates nothing;
 * a new address adds an insertion (and an eviction when full). Memory ≈ 40–50 bytes per address of capacity.
 */

/** First id of interned IPv6 addresses (2^32): ids below are IPv4 addresses. */
export const IPV6_ID_BASE = 2 ** 32;
/** First id of MAC addresses used as hosts (2^48); see {@link macAsHost}. */
export const MAC_HOST_BASE = 2 ** 48;
const IPV6_ID_SPAN = MAC_HOST_BASE - IPV6_ID_BASE;

/** A 48-bit MAC address (IEEE 802, 6 bytes, transmission order) read from `data[off..off+5]` as a number < 2^48. */
export function macFromBytes(data: Uint8Array, off: number): number {
  return (data[off] * 256 + data[off + 1]) * 4294967296 + u32be(data, off + 2);
}

/** The host id of a MAC address used as a host (non-IP frames such as ARP): 2^48 + mac, in [2^48, 2^49). */
export function macAsHost(mac: number): number {
  return MAC_HOST_BASE + mac;
}

/** Reads the big-endian uint32 at `data[off..off+3]`. */
function u32be(data: Uint8Array, off: number): number {
  return ((data[off] << 24) | (data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3]) >>> 0;
}

/** murmur3's 32-bit finaliser (Appleby, MurmurHash3 `fmix32`). */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hash4(a: number, b: number, c: number, d: number): number {
  let h = fmix32(a ^ 0x9e3779b9);
  h = fmix32(h ^ b);
  h = fmix32(h ^ c);
  return fmix32(h ^ d);
}

/** Interns IPv6 addresses to numeric host ids ≥ 2^32; see the file comment. */
export class HostIds {
  /** Largest number of addresses held. */
  readonly capacity: number;
  private readonly mask: number;
  /** Open-addressing index: slot + 1, 0 = empty. */
  private readonly index: Int32Array;
  /** Four big-endian words of each slot's address. */
  private readonly words: Uint32Array;
  /** Hash of each slot's address (its home bucket is hash & mask). */
  private readonly hashes: Uint32Array;
  /** Generation of each slot (number of reuses). */
  private readonly gens: Float64Array;
  /** Clock reference bits. */
  private readonly ref: Uint8Array;
  private used = 0;
  private hand = 0;
  private evicted = 0;

  /**
   * @param capacity largest number of addresses held (integer in [1, 2^24]); default 65,536.
   * @throws RangeError when `capacity` is out of range.
   */
  constructor(capacity = 65_536) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) throw new RangeError(`HostIds capacity must be an integer in [1, 2^24], got ${capacity}`);
    this.capacity = capacity;
    let size = 4;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.index = new Int32Array(size);
    this.words = new Uint32Array(capacity * 4);
    this.hashes = new Uint32Array(capacity);
    this.gens = new Float64Array(capacity);
    this.ref = new Uint8Array(capacity);
  }

  /** Number of addresses held. */
  get size(): number {
    return this.used;
  }
  /** Number of addresses evicted for capacity since construction. */
  get evictions(): number {
    return this.evicted;
  }

  /**
   * The id of the 16-byte IPv6 address at `data[offset..offset+15]`, interning it when new (which may evict the
   * clock's victim). Ids are integers in [2^32, 2^48). No allocation.
   * @throws RangeError when the address does not fit in `data`.
   */
  intern(data: Uint8Array, offset: number): number {
    if (!(offset >= 0) || offset + 16 > data.length) throw new RangeError(`HostIds.intern: 16 bytes at ${offset} exceed ${data.length}`);
    const a = u32be(data, offset);
    const b = u32be(data, offset + 4);
    const c = u32be(data, offset + 8);
    const d = u32be(data, offset + 12);
    const h = hash4(a, b, c, d);
    const found = this.find(h, a, b, c, d);
    if (found >= 0) {
      this.ref[found] = 1;
      return this.idOf(found);
    }
    let slot: number;
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.evictOne();
      this.gens[slot] = this.gens[slot] + 1 >= IPV6_ID_SPAN / this.capacity ? 0 : this.gens[slot] + 1;
    }
    const w = slot * 4;
    this.words[w] = a;
    this.words[w + 1] = b;
    this.words[w + 2] = c;
    this.words[w + 3] = d;
    this.hashes[slot] = h;
    this.ref[slot] = 0;
    let i = h & this.mask;
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = slot + 1;
    return this.idOf(slot);
  }

  /** The id of the address at `data[offset..]` if held, else −1; does not intern or touch the reference bit. */
  peek(data: Uint8Array, offset: number): number {
    if (!(offset >= 0) || offset + 16 > data.length) throw new RangeError(`HostIds.peek: 16 bytes at ${offset} exceed ${data.length}`);
    const a = u32be(data, offset);
    const b = u32be(data, offset + 4);
    const c = u32be(data, offset + 8);
    const d = u32be(data, offset + 12);
    const slot = this.find(hash4(a, b, c, d), a, b, c, d);
    return slot >= 0 ? this.idOf(slot) : -1;
  }

  /**
   * Writes the 16 bytes of the address with id `id` to `out[outOffset..]` and returns true, or returns false
   * when `id` is not a live interned id (never given, or evicted since).
   */
  addressOf(id: number, out: Uint8Array, outOffset = 0): boolean {
    if (!Number.isInteger(id) || id < IPV6_ID_BASE || id >= MAC_HOST_BASE) return false;
    const rel = id - IPV6_ID_BASE;
    const slot = rel % this.capacity;
    if (slot >= this.used || this.idOf(slot) !== id) return false;
    for (let k = 0; k < 4; k++) {
      const v = this.words[slot * 4 + k];
      const o = outOffset + k * 4;
      out[o] = v >>> 24;
      out[o + 1] = (v >>> 16) & 0xff;
      out[o + 2] = (v >>> 8) & 0xff;
      out[o + 3] = v & 0xff;
    }
    return true;
  }

  private idOf(slot: number): number {
    return IPV6_ID_BASE + this.gens[slot] * this.capacity + slot;
  }

  private find(h: number, a: number, b: number, c: number, d: number): number {
    const words = this.words;
    let i = h & this.mask;
    for (;;) {
      const e = this.index[i];
      if (e === 0) return -1;
      const s = e - 1;
      const w = s * 4;
      if (this.hashes[s] === h && words[w] === a && words[w + 1] === b && words[w + 2] === c && words[w + 3] === d) return s;
      i = (i + 1) & this.mask;
    }
  }

  /** Picks the clock victim, removes it from the index and returns its slot. */
  private evictOne(): number {
    while (this.ref[this.hand] === 1) {
      this.ref[this.hand] = 0;
      this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
    }
    const victim = this.hand;
    this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
    let i = this.hashes[victim] & this.mask;
    while (this.index[i] !== victim + 1) i = (i + 1) & this.mask;
    this.removeAt(i);
    this.evicted++;
    return victim;
  }

  /** Backward-shift deletion at index position `i` (Knuth, TAOCP vol. 3, §6.4, Algorithm R). */
  private removeAt(i: number): void {
    const index = this.index;
    const mask = this.mask;
    let j = i;
    for (;;) {
      index[i] = 0;
      for (;;) {
        j = (j + 1) & mask;
        const e = index[j];
        if (e === 0) return;
        const home = this.hashes[e - 1] & mask;
        // The entry at j may move to i unless its home lies cyclically in (i, j].
        const stays = i <= j ? i < home && home <= j : i < home || home <= j;
        if (!stays) {
          index[i] = e;
          i = j;
          break;
        }
      }
    }
  }
}
