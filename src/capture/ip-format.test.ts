/**
 * Address text: IPv4 dotted quads; IPv6 against the RFC 5952 examples (§4.2.1–§4.3, §5) and, for random
 * addresses, against the WHATWG URL host serializer in node (which compresses the same way but never writes the
 * ::ffff:a.b.c.d form) and node:net's isIPv6.
 */
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIPv4, formatIPv6 } from './ip-format.js';
import { ip6 } from './_test-pcap.js';

function bytesOf(s: string): Uint8Array {
  // Parse through the WHATWG URL parser (an independent implementation) into 16 bytes.
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  return ip6(host);
}

describe('formatIPv4', () => {
  it('writes dotted quads', () => {
    expect(formatIPv4(0xc0000201)).toBe('192.0.2.1');
    expect(formatIPv4(0)).toBe('0.0.0.0');
    expect(formatIPv4(0xffffffff)).toBe('255.255.255.255');
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (v) => {
        const s = formatIPv4(v);
        expect(isIPv4(s)).toBe(true);
        expect(s.split('.').reduce((n, x) => n * 256 + Number(x), 0)).toBe(v);
      }),
      { seed: 1 },
    );
  });
});

describe('formatIPv6 (RFC 5952)', () => {
  it('follows the RFC examples', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'], // §4.2.1 longest, §4.1 leading zeros
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 a single 0 field is not compressed
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
      ['2001:DB8::AAAA', '2001:db8::aaaa'], // §4.3 lower case
      ['::', '::'],
      ['::1', '::1'],
      ['1::', '1::'],
      ['fe80::217:f2ff:fed7:cf65', 'fe80::217:f2ff:fed7:cf65'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // §5 IPv4-mapped in dotted form
    ];
    for (const [input, want] of cases) expect(formatIPv6(bytesOf(input))).toBe(want);
    const buf = new Uint8Array(20);
    buf.set(bytesOf('2001:db8::1'), 4);
    expect(formatIPv6(buf, 4)).toBe('2001:db8::1');
    expect(() => formatIPv6(buf, 5)).toThrow(RangeError);
  });

  it('equals the WHATWG URL serializer for any address outside ::ffff:0:0/96 (property)', () => {
    const groupArb = fc.oneof(fc.constant(0), fc.constant(0), fc.nat({ max: 0xffff }));
    fc.assert(
      fc.property(fc.array(groupArb, { minLength: 8, maxLength: 8 }), (g) => {
        const bytes = new Uint8Array(16);
        g.forEach((v, i) => {
          bytes[2 * i] = v >>> 8;
          bytes[2 * i + 1] = v & 0xff;
        });
        const mine = formatIPv6(bytes);
        expect(isIPv6(mine)).toBe(true);
        const mapped = g.slice(0, 5).every((v) => v === 0) && g[5] === 0xffff;
        if (!mapped) expect(mine).toBe(new URL(`http://[${mine}]/`).hostname.slice(1, -1));
        expect(bytesOf(mine)).toEqual(bytes);
      }),
      { numRuns: 2000, seed: 9 },
    );
  });
});
