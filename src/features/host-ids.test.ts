import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostIds, IPV6_ID_BASE, MAC_HOST_BASE, macAsHost, macFromBytes } from './host-ids.js';

/** RFC 4291 §2.2 text form → 16 bytes (test helper; handles '::' and no embedded IPv4). */
function v6(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

describe('HostIds', () => {
  it('gives one id per address, ≥ 2^32 and < 2^48, stable while held, and maps it back', () => {
    const ids = new HostIds(16);
    const a = ids.intern(v6('2001:db8::1'), 0);
    const b = ids.intern(v6('2001:db8::2'), 0);
    expect(a).toBeGreaterThanOrEqual(IPV6_ID_BASE);
    expect(b).toBeLessThan(MAC_HOST_BASE);
    expect(a).not.toBe(b);
    // The same address inside a larger buffer at an offset.
    const frame = new Uint8Array(40);
    frame.set(v6('2001:db8::1'), 24);
    expect(ids.intern(frame, 24)).toBe(a);
    expect(ids.peek(v6('2001:db8::2'), 0)).toBe(b);
    expect(ids.peek(v6('fe80::1'), 0)).toBe(-1);
    const back = new Uint8Array(16);
    expect(ids.addressOf(a, back)).toBe(true);
    expect(back).toEqual(v6('2001:db8::1'));
    expect(ids.addressOf(0xc0a80001, back)).toBe(false); // an IPv4 id is not interned
    expect(ids.size).toBe(2);
    expect(() => ids.intern(frame, 30)).toThrow(RangeError);
  });

  it('is bounded: evicts with the clock (a recently used address gets a second chance) and never reuses an id', () => {
    const ids = new HostIds(4);
    const addr = (i: number): Uint8Array => v6(`2001:db8::${i.toString(16)}`);
    const first = [1, 2, 3, 4].map((i) => ids.intern(addr(i), 0));
    ids.intern(addr(1), 0); // hit: sets 1's reference bit
    const e = ids.intern(addr(5), 0); // the hand skips 1 (clearing its bit) and evicts 2
    expect(ids.size).toBe(4);
    expect(ids.evictions).toBe(1);
    expect(ids.peek(addr(1), 0)).toBe(first[0]);
    expect(ids.peek(addr(2), 0)).toBe(-1);
    expect(ids.addressOf(first[1], new Uint8Array(16))).toBe(false);
    expect(e).not.toBe(first[1]); // slot reused, id not
    const given = new Set<number>(first);
    given.add(e);
    for (let i = 6; i < 200; i++) given.add(ids.intern(addr(i), 0));
    expect(given.size).toBe(4 + 1 + 194);
    expect(ids.size).toBe(4);
    expect(ids.evictions).toBe(195);
  });

  it('keeps every held address findable through any sequence of interns and evictions (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 300 }), (cap, seq) => {
        const ids = new HostIds(cap);
        const live = new Map<number, number>(); // address number → id
        const buf = new Uint8Array(16);
        for (const n of seq) {
          buf.fill(0);
          buf[15] = n;
          buf[0] = 0x20;
          const id = ids.intern(buf, 0);
          if (live.has(n) && live.get(n) !== id) return false; // held addresses keep their id
          live.set(n, id);
          // Forget the model entries the table evicted.
          for (const [m, mid] of live) if (!ids.addressOf(mid, new Uint8Array(16))) live.delete(m);
          if (ids.size > cap || live.size !== ids.size) return false;
          for (const [m, mid] of live) {
            buf.fill(0);
            buf[15] = m;
            buf[0] = 0x20;
            if (ids.peek(buf, 0) !== mid) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an out-of-range capacity', () => {
    expect(() => new HostIds(0)).toThrow(RangeError);
    expect(() => new HostIds(1.5)).toThrow(RangeError);
  });
});

describe('MAC numbers', () => {
  it('reads 6 bytes in transmission order as a 48-bit number; macAsHost lands in [2^48, 2^49)', () => {
    expect(macFromBytes(Uint8Array.of(0x00, 0x11, 0x22, 0x33, 0x44, 0x55), 0)).toBe(0x001122334455);
    expect(macFromBytes(Uint8Array.of(9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 1)).toBe(2 ** 48 - 1);
    expect(macFromBytes(Uint8Array.of(0x80, 0, 0x80, 0, 0, 1), 0)).toBe(0x800080000001);
    expect(macAsHost(0)).toBe(2 ** 48);
    expect(macAsHost(2 ** 48 - 1)).toBe(2 ** 49 - 1);
  });
});
