import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import type { ModelArray } from './classifier.js';
import {
  attachModelSignature,
  checkFeatureSchema,
  decodeModelBundle,
  describeModelBundle,
  encodeModelBundle,
  modelFileSignedPart,
  readModelFile,
  readModelFileBytes,
  readModelSignatureBlock,
  writeModelFile,
  writeModelFileBytes,
} from './model-file.js';
import type { ModelBundle } from './model-file.js';

/** Bit pattern of a typed array, for bit-exact comparison (NaN payloads and -0 included). */
const bitsOf = (a: ModelArray): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function smallBundle(arrays: Record<string, ModelArray> = {}): ModelBundle {
  return {
    format: 'ipqsec-model',
    version: 1,
    createdAt: '2025-01-02T03:04:05.678Z',
    model: { kind: 'logistic', params: { nFeatures: 3, nClasses: 2, C: 1, threshold: NaN, cap: -Infinity }, arrays },
    preprocessing: { scaler: { mean: [1.5, 2], std: new Float64Array([0.5, 0.25]) }, onehot: { proto: ['tcp', 'udp'] } },
    featureSchema: [
      { name: 'duration', kind: 'numeric' },
      { name: 'proto', kind: 'categorical' },
    ],
    featureNames: ['duration', 'proto=tcp', 'proto=udp'],
    labelNames: ['normal', 'attack'],
    target: 'binary',
    dataset: 'nsl-kdd',
    training: { seed: 42, rows: 125973, metrics: { accuracy: 0.97, rocAuc: Infinity }, note: 'ünïcødé ✓' },
  };
}

function everyDtype(): Record<string, ModelArray> {
  return {
    f64: Float64Array.of(0, -0, 1.5, NaN, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, -1e-310),
    f32: Float32Array.of(0, -0, 3.25, NaN, Infinity, -Infinity, 1e-40),
    i32: Int32Array.of(0, -1, 2147483647, -2147483648, 12345),
    u32: Uint32Array.of(0, 1, 4294967295, 2147483648),
    u16: Uint16Array.of(0, 1, 65535, 258),
    u8: Uint8Array.of(0, 1, 255, 7, 9),
    i8: Int8Array.of(0, -1, 127, -128),
    empty: new Float64Array(0),
  };
}

describe('model file: layout follows docs/model-file.md', () => {
  it('writes magic, version 1, flags 0, header length, JSON header, 8-aligned payload and a trailing SHA-256', () => {
    const bytes = encodeModelBundle(smallBundle(everyDtype()));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('latin1')).toBe('IPQSMDL\0');
    expect(view.getUint16(8, true)).toBe(1);
    expect(view.getUint16(10, true)).toBe(0);
    const h = view.getUint32(12, true);
    const header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + h)).toString('utf8'));
    const payloadStart = Math.ceil((16 + h) / 8) * 8;
    for (let i = 16 + h; i < payloadStart; i++) expect(bytes[i]).toBe(0);
    expect(bytes.length).toBe(payloadStart + header.payloadBytes + 32);
    const digest = createHash('sha256').update(bytes.subarray(0, bytes.length - 32)).digest();
    expect(Buffer.from(bytes.subarray(bytes.length - 32)).equals(digest)).toBe(true);
    // The array table: names are JSON Pointers, offsets 8-aligned, element bytes little-endian.
    const byName = new Map<string, { dtype: string; offset: number; length: number }>(
      header.arrays.map((e: { name: string; dtype: string; offset: number; length: number }) => [e.name, e]),
    );
    expect([...byName.keys()].sort()).toEqual(
      ['/model/arrays/empty', '/model/arrays/f32', '/model/arrays/f64', '/model/arrays/i32', '/model/arrays/i8',
        '/model/arrays/u16', '/model/arrays/u32', '/model/arrays/u8', '/preprocessing/scaler/std'].sort(),
    );
    for (const e of byName.values()) expect(e.offset % 8).toBe(0);
    const i32 = byName.get('/model/arrays/i32')!;
    expect(i32.dtype).toBe('int32');
    expect(i32.length).toBe(5);
    // -1 as int32 little-endian at the second element: ff ff ff ff; 12345 = 0x3039 -> 39 30 00 00.
    const at = payloadStart + i32.offset;
    expect([...bytes.subarray(at + 4, at + 8)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect([...bytes.subarray(at + 16, at + 20)]).toEqual([0x39, 0x30, 0x00, 0x00]);
    expect(header.model.arrays.i32).toEqual({ $array: expect.any(Number) });
    expect(header.model.params.threshold).toEqual({ $number: 'NaN' });
  });

  it('decodes a file assembled by hand from the documented layout', () => {
    const headerObj = {
      format: 'ipqsec-model', version: 1, createdAt: '2024-06-01T00:00:00Z',
      model: { kind: 'forest', params: { nTrees: 1 }, arrays: { w: { $array: 0 }, c: { $array: 1 } } },
      preprocessing: null, featureSchema: [{ name: 'x', kind: 'numeric' }], featureNames: ['x'],
      labelNames: ['normal', 'dos', 'probe'], target: 'multiclass', dataset: 'hand', training: { inf: { $number: '-Infinity' } },
      arrays: [{ name: '/model/arrays/w', dtype: 'float64', offset: 0, length: 2 }, { name: '/model/arrays/c', dtype: 'uint16', offset: 16, length: 3 }],
      payloadBytes: 24,
    };
    const header = Buffer.from(JSON.stringify(headerObj), 'utf8');
    const payloadStart = Math.ceil((16 + header.length) / 8) * 8;
    const file = Buffer.alloc(payloadStart + 24 + 32);
    file.write('IPQSMDL\0', 0, 'latin1');
    file.writeUInt16LE(1, 8);
    file.writeUInt16LE(0, 10);
    file.writeUInt32LE(header.length, 12);
    header.copy(file, 16);
    file.writeDoubleLE(-2.5, payloadStart);
    file.writeDoubleLE(1 / 3, payloadStart + 8);
    file.writeUInt16LE(7, payloadStart + 16);
    file.writeUInt16LE(65535, payloadStart + 18);
    file.writeUInt16LE(300, payloadStart + 20);
    createHash('sha256').update(file.subarray(0, payloadStart + 24)).digest().copy(file, payloadStart + 24);
    const b = decodeModelBundle(file, 'hand.ipqm');
    expect(b.model.kind).toBe('forest');
    expect(b.model.arrays.w).toBeInstanceOf(Float64Array);
    expect([...b.model.arrays.w]).toEqual([-2.5, 1 / 3]);
    expect(b.model.arrays.c).toBeInstanceOf(Uint16Array);
    expect([...b.model.arrays.c]).toEqual([7, 65535, 300]);
    expect(b.training.inf).toBe(-Infinity);
    expect(b.labelNames).toEqual(['normal', 'dos', 'probe']);
    expect(b).not.toHaveProperty('payloadBytes');
  });
});

describe('model file: round trip', () => {
  it('keeps every dtype bit-exact, including NaN, ±Infinity, -0 and subnormals', () => {
    const arrays = everyDtype();
    const back = decodeModelBundle(encodeModelBundle(smallBundle(arrays)));
    for (const [k, a] of Object.entries(arrays)) {
      const b = back.model.arrays[k];
      expect(b.constructor).toBe(a.constructor);
      expect(bitsOf(b)).toBe(bitsOf(a));
      expect(b.byteOffset % b.BYTES_PER_ELEMENT).toBe(0);
    }
    const pre = back.preprocessing as { scaler: { mean: number[]; std: Float64Array }; onehot: unknown };
    expect(pre.scaler.std).toBeInstanceOf(Float64Array);
    expect([...pre.scaler.std]).toEqual([0.5, 0.25]);
    expect(pre.scaler.mean).toEqual([1.5, 2]);
    expect(back.model.params.threshold).toBeNaN();
    expect(back.model.params.cap).toBe(-Infinity);
    expect(back.training).toEqual(smallBundle().training);
    const { model: _m, preprocessing: _p, ...rest } = back;
    const { model: _m2, preprocessing: _p2, ...restIn } = smallBundle();
    expect(rest).toEqual(restIn);
  });

  it('copies arrays into aligned storage when the input bytes sit at an odd offset', () => {
    const bytes = encodeModelBundle(smallBundle(everyDtype()));
    const shifted = new Uint8Array(bytes.length + 3).subarray(3);
    shifted.set(bytes);
    const back = decodeModelBundle(shifted);
    for (const [k, a] of Object.entries(everyDtype())) {
      const b = back.model.arrays[k];
      expect(b.byteOffset % b.BYTES_PER_ELEMENT).toBe(0);
      expect(bitsOf(b)).toBe(bitsOf(a));
    }
  });

  it('round-trips arbitrary float64 bit patterns and JSON params (property)', () => {
    fc.assert(
      fc.property(
        fc.float64Array({ maxLength: 40 }),
        fc.int32Array({ maxLength: 20 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null)), { maxKeys: 6 }),
        (f, i, params) => {
          const b = smallBundle({ f, i });
          const bundle = { ...b, model: { ...b.model, params } };
          const back = decodeModelBundle(encodeModelBundle(bundle));
          expect(bitsOf(back.model.arrays.f)).toBe(bitsOf(f));
          expect(bitsOf(back.model.arrays.i)).toBe(bitsOf(i));
          // JSON drops the sign of -0 in params; everything else (NaN, ±Infinity included) survives.
          const norm = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v]));
          expect(back.model.params).toEqual(norm(params));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes atomically and reads back from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipqsec-model-'));
    try {
      const path = join(dir, 'm.ipqm');
      await writeModelFile(path, smallBundle(everyDtype()));
      await writeModelFile(path, smallBundle({ only: Int8Array.of(-5) }));
      expect(await readdir(dir)).toEqual(['m.ipqm']);
      const back = await readModelFile(path);
      expect(Object.keys(back.model.arrays)).toEqual(['only']);
      expect([...back.model.arrays.only]).toEqual([-5]);
      await expect(readModelFile(join(dir, 'nope.ipqm'))).rejects.toMatchObject({ code: 'IPQ-M009' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects bundles JSON cannot hold with TypeError', () => {
    const bad = (patch: Record<string, unknown>) => () => encodeModelBundle({ ...smallBundle(), ...patch } as ModelBundle);
    expect(bad({ training: { n: 10n } })).toThrow(TypeError);
    expect(bad({ training: { a: new BigInt64Array(1) } })).toThrow(TypeError);
    expect(bad({ training: { $array: 1 } })).toThrow(TypeError);
    expect(bad({ format: 'other' })).toThrow(TypeError);
    expect(bad({ createdAt: 'yesterday' })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(bad({ preprocessing: cyclic })).toThrow(TypeError);
  });
});

describe('model file: damaged files', () => {
  const small = encodeModelBundle(smallBundle({ a: Float64Array.of(1, NaN), b: Uint8Array.of(1, 2, 3) }));

  it('fails with IPQ-M001 for every truncation length', () => {
    for (let cut = 0; cut < small.length; cut++) {
      let err: unknown;
      try {
        decodeModelBundle(small.subarray(0, cut), 'm.ipqm');
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-M001'), `cut at ${cut}: ${String(err)}`).toBe(true);
      expect((err as IpqsecError).message).toMatch(/m\.ipqm byte \d+/);
    }
  });

  it('names the missing checksum and the truncated header', () => {
    expect(() => decodeModelBundle(small.subarray(0, small.length - 1))).toThrow(/truncated in the checksum/);
    expect(() => decodeModelBundle(small.subarray(0, 20))).toThrow(/IPQ-M001 byte 20: .*truncated: the header/);
    expect(() => decodeModelBundle(small.subarray(0, 5))).toThrow(/IPQ-M001 byte 5: .*16/);
  });

  it('fails with an IpqsecError for any cut point or flipped byte (property)', () => {
    fc.assert(
      fc.property(fc.nat(small.length - 1), fc.nat(small.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (cut, at, mask, doCut) => {
        const damaged = Uint8Array.from(small);
        damaged[at] ^= mask;
        const input = doCut ? damaged.subarray(0, cut) : damaged;
        expect(() => decodeModelBundle(input)).toThrow(IpqsecError);
      }),
      { numRuns: 400 },
    );
  });

  it('reports a flipped payload byte as a checksum mismatch at the checksum offset', () => {
    const damaged = Uint8Array.from(small);
    damaged[small.length - 40] ^= 1;
    expect(() => decodeModelBundle(damaged)).toThrow(new RegExp(`IPQ-M001 byte ${small.length - 32}: .*checksum mismatch`));
  });

  it('rejects trailing bytes', () => {
    const longer = new Uint8Array(small.length + 1);
    longer.set(small);
    expect(() => decodeModelBundle(longer)).toThrow(/IPQ-M001 .*unexpected bytes after the checksum/);
  });

  it('rejects a wrong magic with IPQ-M002', () => {
    const damaged = Uint8Array.from(small);
    damaged[0] = 0x50; // 'P'
    expect(() => decodeModelBundle(damaged)).toThrow(expect.objectContaining({ code: 'IPQ-M002' }));
    const text = new TextEncoder().encode('duration,proto,label\n1,tcp,normal\n');
    expect(() => decodeModelBundle(text, 'data.csv')).toThrow(/IPQ-M002 data\.csv byte 0/);
  });

  it('rejects version 2 with IPQ-M003 naming both versions', () => {
    const v2 = Uint8Array.from(small);
    v2[8] = 2;
    let err: unknown;
    try {
      decodeModelBundle(v2);
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-M003')).toBe(true);
    expect((err as Error).message).toMatch(/version 2.*version 1/);
    const flagged = Uint8Array.from(small);
    flagged[10] = 2; // bit 1: undefined in version 1
    expect(() => decodeModelBundle(flagged)).toThrow(expect.objectContaining({ code: 'IPQ-M003' }));
    flagged[11] = 0x80;
    flagged[10] = 1; // bit 0 is defined, bit 15 is not
    expect(() => decodeModelBundle(flagged)).toThrow(expect.objectContaining({ code: 'IPQ-M003' }));
  });

  it('reports a header that is not JSON as IPQ-M001, even with a valid checksum', () => {
    const junk = Uint8Array.from(small);
    junk[16] = 0x7b; // '{' stays, then break the next byte
    junk[17] = 0x7d; // '}' followed by more text: invalid JSON
    createHash('sha256').update(junk.subarray(0, junk.length - 32)).digest().forEach((x, i) => (junk[junk.length - 32 + i] = x));
    expect(() => decodeModelBundle(junk)).toThrow(/IPQ-M001 byte 16: .*not valid UTF-8 JSON/);
  });
});

describe('model file: signature block (flag bit 0)', () => {
  const unsigned = encodeModelBundle(smallBundle({ a: Float64Array.of(1, NaN), b: Uint8Array.of(1, 2, 3) }));
  const pk = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
  const sig = Uint8Array.from({ length: 77 }, (_, i) => 255 - i);

  /** The signed file assembled by hand from docs/model-file.md, independently of the code under test. */
  function handSigned(algorithm = 1, key = pk, signature = sig): { prefix: Buffer; file: Buffer } {
    const prefix = Buffer.from(unsigned);
    prefix.writeUInt16LE(prefix.readUInt16LE(10) | 1, 10);
    createHash('sha256').update(prefix.subarray(0, prefix.length - 32)).digest().copy(prefix, prefix.length - 32);
    const head = Buffer.alloc(16);
    head.write('IPQSSIG\0', 0, 'latin1');
    head.writeUInt16LE(algorithm, 8);
    head.writeUInt16LE(key.length, 10);
    head.writeUInt16LE(signature.length, 12);
    return { prefix, file: Buffer.concat([prefix, head, key, signature]) };
  }

  it('unsigned files still read and have no block', () => {
    expect(readModelSignatureBlock(unsigned)).toBeUndefined();
    expect(decodeModelBundle(unsigned).model.kind).toBe('logistic');
  });

  it('reads a signed file assembled by hand from the documented layout', () => {
    const { prefix, file } = handSigned();
    const back = decodeModelBundle(file, 'signed.ipqm');
    expect(bitsOf(back.model.arrays.b)).toBe('010203');
    const parts = readModelSignatureBlock(file);
    expect(parts).toBeDefined();
    expect(Buffer.from(parts!.signedPart).equals(prefix)).toBe(true);
    expect(parts!.block.algorithm).toBe(1);
    expect([...parts!.block.publicKey]).toEqual([...pk]);
    expect([...parts!.block.signature]).toEqual([...sig]);
  });

  it('modelFileSignedPart sets flag bit 0 and recomputes the checksum; attach appends the documented block', () => {
    const { prefix, file } = handSigned(7);
    expect(Buffer.from(modelFileSignedPart(unsigned)).equals(prefix)).toBe(true);
    expect(Buffer.from(modelFileSignedPart(file)).equals(prefix)).toBe(true);
    const attached = attachModelSignature(unsigned, { algorithm: 7, publicKey: pk, signature: sig });
    expect(Buffer.from(attached).equals(file)).toBe(true);
    // Re-signing a signed file replaces its block.
    const other = handSigned(1, Uint8Array.of(9), Uint8Array.of(8, 8));
    expect(Buffer.from(attachModelSignature(file, { algorithm: 1, publicKey: Uint8Array.of(9), signature: Uint8Array.of(8, 8) })).equals(other.file)).toBe(true);
    // The input is not modified, also when it is a Buffer (whose slice() is a view).
    const asBuffer = Buffer.from(unsigned);
    modelFileSignedPart(asBuffer);
    attachModelSignature(asBuffer, { algorithm: 7, publicKey: pk, signature: sig });
    expect(asBuffer.equals(Buffer.from(unsigned))).toBe(true);
    expect(readModelSignatureBlock(unsigned)).toBeUndefined();
  });

  it('rejects blocks a u16 length cannot hold or an algorithm id 0 with RangeError', () => {
    expect(() => attachModelSignature(unsigned, { algorithm: 0, publicKey: pk, signature: sig })).toThrow(RangeError);
    expect(() => attachModelSignature(unsigned, { algorithm: 1, publicKey: new Uint8Array(0), signature: sig })).toThrow(RangeError);
    expect(() => attachModelSignature(unsigned, { algorithm: 1, publicKey: pk, signature: new Uint8Array(65536) })).toThrow(RangeError);
  });

  it('rejects flag bit 0 without a well-framed block with IPQ-M001', () => {
    const { prefix, file } = handSigned();
    expect(() => decodeModelBundle(prefix)).toThrow(/IPQ-M001 .*truncated in the signature block/);
    const badMagic = Buffer.from(file);
    badMagic[prefix.length] = 0x58;
    expect(() => decodeModelBundle(badMagic)).toThrow(new RegExp(`IPQ-M001 byte ${prefix.length}: .*IPQSSIG`));
    const reserved = Buffer.from(file);
    reserved[prefix.length + 15] = 1;
    expect(() => readModelSignatureBlock(reserved)).toThrow(/IPQ-M001 .*signature block header is malformed/);
    expect(() => decodeModelBundle(Buffer.concat([file, Buffer.of(0)]))).toThrow(/IPQ-M001 .*unexpected bytes after the signature block/);
    // Trailing bytes without flag bit 0 are still refused.
    expect(() => decodeModelBundle(Buffer.concat([Buffer.from(unsigned), file.subarray(prefix.length)]))).toThrow(/IPQ-M001 .*after the checksum/);
  });

  it('fails with IPQ-M001 for every truncation length of a signed file', () => {
    const { file } = handSigned();
    for (let cut = 0; cut < file.length; cut++) {
      expect(() => decodeModelBundle(file.subarray(0, cut)), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'IPQ-M001' }));
      expect(() => readModelSignatureBlock(file.subarray(0, cut)), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'IPQ-M001' }));
    }
  });

  it('a changed byte of the signed part fails the checksum; a re-checksummed change yields a different signed part', () => {
    const { prefix, file } = handSigned();
    const damaged = Buffer.from(file);
    damaged[prefix.length - 40] ^= 1; // last payload byte
    expect(() => decodeModelBundle(damaged)).toThrow(new RegExp(`IPQ-M001 byte ${prefix.length - 32}: .*checksum mismatch`));
    expect(() => readModelSignatureBlock(damaged)).toThrow(/checksum mismatch/);
    // An attacker who recomputes the unkeyed checksum gets a readable file whose signed part differs from what
    // was signed, so the (ML-DSA) signature check in src/pqc fails; see model-signature.test.ts.
    createHash('sha256').update(damaged.subarray(0, prefix.length - 32)).digest().copy(damaged, prefix.length - 32);
    const parts = readModelSignatureBlock(damaged)!;
    expect(Buffer.from(parts.signedPart).equals(prefix)).toBe(false);
    expect([...parts.block.signature]).toEqual([...sig]);
  });

  it('any flipped byte or cut point either fails with IpqsecError or, only inside the block, still reads (property)', () => {
    const { prefix, file } = handSigned();
    fc.assert(
      fc.property(fc.nat(file.length - 1), fc.nat(file.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (cut, at, mask, doCut) => {
        const damaged = Uint8Array.from(file);
        damaged[at] ^= mask;
        const input = doCut ? damaged.subarray(0, cut) : damaged;
        let err: unknown;
        try {
          decodeModelBundle(input);
          readModelSignatureBlock(input);
        } catch (e) {
          err = e;
        }
        if (err !== undefined) expect(err).toBeInstanceOf(IpqsecError);
        // Only a change to the key or signature bytes (or the algorithm id) goes unnoticed by this layer.
        else expect(!doCut && at >= prefix.length + 8 && !(at >= prefix.length + 10 && at < prefix.length + 16)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('writes and reads raw model-file bytes atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ipqsec-model-raw-'));
    try {
      const path = join(dir, 's.ipqm');
      const { file } = handSigned();
      await writeModelFileBytes(path, file);
      expect(Buffer.from(await readModelFileBytes(path)).equals(file)).toBe(true);
      expect(await readdir(dir)).toEqual(['s.ipqm']);
      expect((await readModelFile(path)).dataset).toBe('nsl-kdd');
      await expect(readModelFileBytes(join(dir, 'nope.ipqm'))).rejects.toMatchObject({ code: 'IPQ-M009' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('model file: a 300-tree model loads in milliseconds', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipqsec-model-big-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('encodes, writes, reads and decodes a ~4 MB bundle', async () => {
    // 300 depth-8 trees, 511 nodes each: feature, threshold, children, leaf values for 5 classes.
    const nodes = 300 * 511;
    const arrays: Record<string, ModelArray> = {
      feature: new Int32Array(nodes).map((_, i) => i % 41),
      threshold: new Float64Array(nodes).map((_, i) => Math.sin(i)),
      left: new Int32Array(nodes).map((_, i) => 2 * (i % 511) + 1),
      right: new Int32Array(nodes).map((_, i) => 2 * (i % 511) + 2),
      value: new Float32Array(nodes * 5).map((_, i) => Math.cos(i)),
      defaultLeft: new Uint8Array(nodes).map((_, i) => i & 1),
      treeOffsets: new Uint32Array(301).map((_, i) => i * 511),
    };
    const bundle = { ...smallBundle(arrays), featureNames: Array.from({ length: 122 }, (_, i) => `f${i}`) };
    let t = performance.now();
    const bytes = encodeModelBundle(bundle);
    const encodeMs = performance.now() - t;
    const path = join(dir, 'big.ipqm');
    await writeFile(path, bytes);
    t = performance.now();
    const back = await readModelFile(path);
    const readMs = performance.now() - t;
    t = performance.now();
    decodeModelBundle(bytes);
    const decodeMs = performance.now() - t;
    expect(bitsOf(back.model.arrays.threshold)).toBe(bitsOf(arrays.threshold));
    expect(bitsOf(back.model.arrays.value)).toBe(bitsOf(arrays.value));
    expect((await readFile(path)).length).toBe(describeModelBundle(bundle).fileBytes);
    process.stdout.write(
      `model file: ${(bytes.length / 1e6).toFixed(2)} MB, encode ${encodeMs.toFixed(1)} ms, ` +
        `readModelFile ${readMs.toFixed(1)} ms, decode from memory ${decodeMs.toFixed(1)} ms\n`,
    );
    expect(readMs).toBeLessThan(500); // generous for a loaded 2-core CI box; typically a few ms
  });
});

describe('describeModelBundle', () => {
  it('summarises kind, version, labels, features, params, arrays and file size', () => {
    const bundle = smallBundle({ w: new Float64Array(3), b: Float64Array.of(0.5) });
    const d = describeModelBundle(bundle);
    expect(d).toMatchObject({
      kind: 'logistic', formatVersion: 1, createdAt: '2025-01-02T03:04:05.678Z', dataset: 'nsl-kdd', target: 'binary',
      labels: ['normal', 'attack'], nInputColumns: 2, nFeatures: 3, features: ['duration', 'proto=tcp', 'proto=udp'],
    });
    expect(d.params.C).toBe(1);
    expect(d.arrays).toContainEqual({ name: '/model/arrays/w', dtype: 'float64', length: 3, bytes: 24 });
    expect(d.arrays).toContainEqual({ name: '/preprocessing/scaler/std', dtype: 'float64', length: 2, bytes: 16 });
    expect(d.fileBytes).toBe(encodeModelBundle(bundle).length);
    expect(() => JSON.stringify(d)).not.toThrow();
  });
});

describe('checkFeatureSchema', () => {
  const expected = [
    { name: 'duration', kind: 'numeric' as const },
    { name: 'proto', kind: 'categorical' as const },
    { name: 'bytes', kind: 'numeric' as const },
  ];

  it('accepts the same columns in any order, with extra columns', () => {
    expect(() =>
      checkFeatureSchema(expected, [
        { name: 'bytes', kind: 'numeric' },
        { name: 'extra', kind: 'categorical' },
        { name: 'proto', kind: 'categorical' },
        { name: 'duration', kind: 'numeric' },
      ]),
    ).not.toThrow();
  });

  it('names a missing column with IPQ-M004', () => {
    let err: unknown;
    try {
      checkFeatureSchema(expected, [{ name: 'duration', kind: 'numeric' }, { name: 'proto', kind: 'numeric' }]);
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-M004')).toBe(true);
    expect((err as Error).message).toMatch(/column "bytes" is missing.*1 more/);
    expect((err as IpqsecError).details).toEqual({ missing: ['bytes'], mismatched: [{ name: 'proto', expected: 'categorical', actual: 'numeric' }] });
  });

  it('names a column whose kind differs', () => {
    expect(() =>
      checkFeatureSchema(expected, [
        { name: 'duration', kind: 'numeric' },
        { name: 'proto', kind: 'numeric' },
        { name: 'bytes', kind: 'numeric' },
      ]),
    ).toThrow(/IPQ-M004 column proto: .*"proto" is numeric in the data, categorical in the model/);
  });
});
