import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import {
  DEFAULT_MAX_PLAINTEXT_BYTES,
  dataNonce,
  decodeEnvelope,
  encodeAccept,
  encodeData,
  encodeDataHeader,
  encodeHello,
  encodeHelloBody,
  envelopeTypeOf,
  type DataEnvelope,
  type HelloEnvelope,
} from './envelope.js';

const filled = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

/** A HELLO built field by field with Buffer writes, following the table in docs/envelope.md (the oracle). */
function handHello(deviceId: string, ts: number): Buffer {
  const id = Buffer.from(deviceId, 'ascii');
  const ts8 = Buffer.alloc(8);
  ts8.writeBigUInt64BE(BigInt(ts));
  const ctLen = Buffer.alloc(2);
  ctLen.writeUInt16BE(1120);
  const sigLen = Buffer.alloc(2);
  sigLen.writeUInt16BE(3309);
  return Buffer.concat([Buffer.from('IQ'), Buffer.from([1, 1, id.length]), id, ts8, filled(8, 0xaa), filled(32, 0xbb), ctLen, filled(1120, 0xcc), sigLen, filled(3309, 0xdd)]);
}

function handData(epoch: number, dir: number, counter: bigint, payload: Uint8Array): Buffer {
  const h = Buffer.alloc(36);
  h.write('IQ', 0, 'ascii');
  h[2] = 1;
  h[3] = 3;
  Buffer.from(filled(16, 0x11)).copy(h, 4);
  h.writeUInt32BE(epoch * 2 + dir, 20);
  h.writeBigUInt64BE(counter, 24);
  h.writeUInt32BE(payload.length, 32);
  return Buffer.concat([h, payload]);
}

function expectP005(f: () => unknown, reason: string, offset?: number): void {
  try {
    f();
  } catch (e) {
    expect(isIpqsecError(e, 'IPQ-P005')).toBe(true);
    const d = (e as { details: { reason: string; offset: number } }).details;
    expect(d.reason).toBe(reason);
    if (offset !== undefined) expect(d.offset).toBe(offset);
    return;
  }
  throw new Error('expected IPQ-P005');
}

const validHello = (): Uint8Array =>
  encodeHello(
    encodeHelloBody({ deviceId: 'robot-07', timestampMs: 1_700_000_000_123, kemKeyId: filled(8, 0xaa), clientRandom: filled(32, 0xbb), ciphertext: filled(1120, 0xcc) }),
    filled(3309, 0xdd),
  );

const validData = (): Uint8Array => {
  const header = encodeDataHeader({ sessionId: filled(16, 0x11), epoch: 3, direction: 1, counter: 2 ** 40 + 5 }, 10);
  return encodeData(header, filled(26, 0x5a));
};

describe('envelope encoding matches the documented byte layout', () => {
  it('HELLO', () => {
    const enc = validHello();
    expect(Buffer.from(enc).equals(handHello('robot-07', 1_700_000_000_123))).toBe(true);
    expect(enc.length).toBe(4486 + 8);
    const d = decodeEnvelope(enc, 'hello');
    expect(d.deviceId).toBe('robot-07');
    expect(d.timestampMs).toBe(1_700_000_000_123);
    expect(d.body.length).toBe(1175 + 8);
    expect(d.signature.every((x) => x === 0xdd)).toBe(true);
    expect(d.ciphertext.every((x) => x === 0xcc)).toBe(true);
    // in place: a view over the input
    expect(d.signature.buffer).toBe(enc.buffer);
  });

  it('ACCEPT', () => {
    const enc = encodeAccept(filled(16, 7), filled(16, 9));
    expect(Buffer.from(enc).toString('hex')).toBe('49510102' + '07'.repeat(16) + '09'.repeat(16));
    const d = decodeEnvelope(enc, 'accept');
    expect(d.sessionId).toEqual(filled(16, 7));
    expect(d.header.length).toBe(20);
  });

  it('DATA and its nonce', () => {
    const enc = validData();
    expect(Buffer.from(enc).equals(handData(3, 1, 2n ** 40n + 5n, filled(26, 0x5a)))).toBe(true);
    const d = decodeEnvelope(enc, 'data');
    expect([d.epoch, d.direction, d.counter, d.sealed.length]).toEqual([3, 1, 2 ** 40 + 5, 26]);
    expect(Buffer.from(d.nonce).toString('hex')).toBe('00000007' + '0000010000000005');
    expect(dataNonce(3, 1, 2 ** 40 + 5)).toEqual(new Uint8Array(d.nonce));
    expect(Buffer.from(dataNonce(0, 1, 0xffff_ffff_ffff_ffffn)).toString('hex')).toBe('00000001' + 'ff'.repeat(8));
    expect(Buffer.from(d.header).equals(enc.subarray(0, 36))).toBe(true);
  });

  it('refuses to encode out-of-range fields (RangeError)', () => {
    expect(() => encodeHelloBody({ deviceId: 'a b', timestampMs: 0, kemKeyId: filled(8, 0), clientRandom: filled(32, 0), ciphertext: filled(1120, 0) })).toThrow(RangeError);
    expect(() => encodeDataHeader({ sessionId: filled(16, 0), epoch: 2 ** 31, direction: 0, counter: 0 }, 0)).toThrow(RangeError);
    expect(() => encodeDataHeader({ sessionId: filled(15, 0), epoch: 0, direction: 0, counter: 0 }, 0)).toThrow(RangeError);
  });
});

describe('decodeEnvelope rejections name reason and offset', () => {
  it('prefix', () => {
    expectP005(() => decodeEnvelope(new Uint8Array(0)), 'malformed', 0);
    expectP005(() => decodeEnvelope(Uint8Array.from([0x49, 0x52, 1, 1])), 'malformed', 0);
    expectP005(() => decodeEnvelope(Uint8Array.from([0x49, 0x51, 2, 1])), 'version', 2);
    expectP005(() => decodeEnvelope(Uint8Array.from([0x49, 0x51, 1, 9])), 'type', 3);
    expectP005(() => decodeEnvelope(validData(), 'hello'), 'type', 3);
    expect(envelopeTypeOf(validData())).toBe('data');
  });

  it('HELLO fields', () => {
    const h = handHello('dev1', 1);
    const zeroLen = Buffer.from(h);
    zeroLen[4] = 0;
    expectP005(() => decodeEnvelope(zeroLen), 'malformed', 4);
    const badChar = Buffer.from(h);
    badChar[6] = 0x20;
    expectP005(() => decodeEnvelope(badChar), 'malformed', 5);
    const bigTs = Buffer.from(h);
    bigTs.writeUInt32BE(0x0020_0000, 9);
    expectP005(() => decodeEnvelope(bigTs), 'malformed', 9);
    const ctLen = Buffer.from(h);
    ctLen.writeUInt16BE(1119, 9 + 48);
    expectP005(() => decodeEnvelope(ctLen), 'malformed', 57);
    const sigLen = Buffer.from(h);
    sigLen.writeUInt16BE(3308, 1175 + 4);
    expectP005(() => decodeEnvelope(sigLen), 'malformed', 1179);
    expectP005(() => decodeEnvelope(Buffer.concat([h, Buffer.from([0])])), 'malformed', h.length);
    expectP005(() => decodeEnvelope(h.subarray(0, h.length - 1)), 'malformed', 1181);
  });

  it('DATA fields', () => {
    expectP005(() => decodeEnvelope(handData(0, 0, 0n, filled(15, 0))), 'malformed', 32);
    expectP005(() => decodeEnvelope(handData(0, 0, 2n ** 53n, filled(16, 0))), 'malformed', 24);
    const short = handData(0, 0, 0n, filled(20, 0));
    expectP005(() => decodeEnvelope(short.subarray(0, 50)), 'malformed', 36);
    expectP005(() => decodeEnvelope(Buffer.concat([short, Buffer.from([1])])), 'malformed', 56);
    expectP005(() => decodeEnvelope(handData(0, 0, 0n, filled(116, 0)), 'data', { maxPlaintextBytes: 99 }), 'malformed', 32);
    const huge = handData(0, 0, 0n, filled(16, 0));
    huge.writeUInt32BE(DEFAULT_MAX_PLAINTEXT_BYTES + 17, 32);
    expectP005(() => decodeEnvelope(huge), 'malformed', 32);
  });
});

function onlyP005(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isIpqsecError(e, 'IPQ-P005')) throw e;
  }
}

describe('decodeEnvelope on hostile input (fast-check)', () => {
  it('random bytes, with or without a valid prefix, never throw anything but IPQ-P005', () => {
    const prefixed = fc.tuple(fc.constantFrom(1, 2, 3, 4), fc.uint8Array({ maxLength: 5000 })).map(([t, rest]) => Uint8Array.from([0x49, 0x51, 1, t, ...rest]));
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), prefixed), (b) => onlyP005(() => decodeEnvelope(b))), { numRuns: 2000 });
  });

  it('every truncation of a valid envelope is rejected as malformed', () => {
    for (const env of [validHello(), encodeAccept(filled(16, 1), filled(16, 2)), validData()]) {
      for (let n = 0; n < env.length; n++) expectP005(() => decodeEnvelope(env.subarray(0, n)), 'malformed');
    }
  });

  it('a decoded DATA or HELLO re-encodes to the same bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 1), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 16, maxLength: 300 }), (epoch, dir, counter, sealed) => {
        const bytes = handData(epoch, dir, BigInt(counter), sealed);
        const d = decodeEnvelope(bytes) as DataEnvelope;
        expect(Buffer.from(encodeData(encodeDataHeader(d, d.sealed.length - 16), d.sealed)).equals(bytes)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (id, ts) => {
        const bytes = handHello(id, ts);
        const d = decodeEnvelope(bytes) as HelloEnvelope;
        expect(Buffer.from(encodeHello(encodeHelloBody(d), d.signature)).equals(bytes)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
