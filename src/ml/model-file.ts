/**
 * The IPqSEC model file: one versioned, checksummed binary file holding everything needed to predict
 * (the serialised model, the preprocessing state, the input schema, class names and training record).
 *
 * Layout (format version 1; `docs/model-file.md` is the normative description, keep the two in step):
 *
 * | offset | size | content |
 * | --- | --- | --- |
 * | 0 | 8 | magic `IPQSMDL\0` (`49 50 51 53 4D 44 4C 00`) |
 * | 8 | 2 | format version, u16 little-endian (1) |
 * | 10 | 2 | flags, u16 little-endian (bit 0: signature block present; other bits reserved, 0) |
 * | 12 | 4 | header length `H` in bytes, u32 little-endian |
 * | 16 | H | header: UTF-8 JSON (the bundle with each typed array replaced by `{"$array": i}`) |
 * | 16+H | 0–7 | zero padding to the next multiple of 8 (payload start `P`) |
 * | P | `payloadBytes` | typed arrays, little-endian, each starting at an 8-byte aligned offset |
 * | P+payloadBytes | 32 | SHA-256 (FIPS 180-4) of every byte before it |
 * | P+payloadBytes+32 | 16+Lk+Ls | flag bit 0 only: signature block `IPQSSIG\0`, u16 algorithm, u16 Lk, u16 Ls, u16 0, public key, signature |
 *
 * The signature covers bytes `0 … P+payloadBytes+31` (flag bit 0 set, checksum included). This module only
 * frames the block ({@link modelFileSignedPart}, {@link attachModelSignature}, {@link readModelSignatureBlock});
 * signing and verifying (ML-DSA-65) live in `src/pqc/model-signature.ts`, which this layer must not import.
 *
 * Reading checks, in order: magic (IPQ-M002), version and flags (IPQ-M003), then lengths, JSON, checksum and
 * the array table (IPQ-M001, naming the byte offset). Nothing is trusted before the checksum passes, so a
 * truncated or bit-flipped file never yields a model.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { endianness } from 'node:os';
import { IpqsecError } from '../core/errors.js';
import type { ErrorLocation } from '../core/errors.js';
import type { ModelArray, SerializedModel } from './classifier.js';

/** Magic bytes at offset 0: ASCII `IPQSMDL` and a NUL. */
export const MODEL_FILE_MAGIC: Uint8Array = Uint8Array.of(0x49, 0x50, 0x51, 0x53, 0x4d, 0x44, 0x4c, 0x00);
/** The one format version this code writes and reads. */
export const MODEL_FILE_VERSION = 1;
/** Flag bit 0 (offset 10): a signature block follows the checksum. The only flag format version 1 defines. */
export const MODEL_FILE_FLAG_SIGNED = 0x0001;
/** Magic bytes opening the signature block: ASCII `IPQSSIG` and a NUL. */
export const MODEL_SIGNATURE_MAGIC: Uint8Array = Uint8Array.of(0x49, 0x50, 0x51, 0x53, 0x53, 0x49, 0x47, 0x00);
/** Fixed part of the signature block: magic, algorithm, key length, signature length, reserved. */
const SIGNATURE_PRELUDE_BYTES = 16;
/** Bytes of the fixed prelude: magic, version, flags, header length. */
const PRELUDE_BYTES = 16;
/** SHA-256 digest length (FIPS 180-4). */
const CHECKSUM_BYTES = 32;
/** Alignment of the payload and of every array in it (the largest element, float64). */
const ALIGN = 8;
/** Keys reserved in the JSON header for references to arrays and for non-finite numbers. */
const ARRAY_REF = '$array';
const NUMBER_REF = '$number';

/** One input column of the data a model was trained on (before preprocessing). */
export interface FeatureColumnSpec {
  readonly name: string;
  readonly kind: 'numeric' | 'categorical';
}

/**
 * Everything needed to predict with a trained model, as stored in one model file.
 *
 * Typed arrays may appear in `model.arrays` and anywhere inside `preprocessing` and `training`; they are
 * stored bit-exactly in the binary payload. Every other value follows JSON semantics (`undefined` object
 * members are dropped, `Date` becomes its ISO string) except that `NaN` and `±Infinity` survive the round
 * trip.
 */
export interface ModelBundle {
  readonly format: 'ipqsec-model';
  readonly version: 1;
  /** When the model was trained, ISO 8601 (`new Date().toISOString()`). */
  readonly createdAt: string;
  readonly model: SerializedModel;
  /** JSON state of the data preprocessing (encoders, scalers, imputation values). */
  readonly preprocessing: unknown;
  /** Input columns the model expects, checked with {@link checkFeatureSchema} before predicting. */
  readonly featureSchema: readonly FeatureColumnSpec[];
  /** Names of the model's inputs after preprocessing (length = the model's feature count). */
  readonly featureNames: readonly string[];
  /** Class names; index 0 is `normal`. */
  readonly labelNames: readonly string[];
  readonly target: 'binary' | 'multiclass';
  /** Data set the model was trained on, e.g. `nsl-kdd`. */
  readonly dataset: string;
  /** Hyper-parameters, row counts, seed, metrics. */
  readonly training: Readonly<Record<string, unknown>>;
}

/** Element type of a stored array; the name is written into the header. */
export type ModelArrayDtype = 'float64' | 'float32' | 'int32' | 'uint32' | 'uint16' | 'uint8' | 'int8';

/** One row of the header's array table. */
export interface ModelArrayEntry {
  /** JSON Pointer (RFC 6901) of the array inside the bundle, e.g. `/model/arrays/threshold`. */
  readonly name: string;
  readonly dtype: ModelArrayDtype;
  /** Byte offset from the payload start; a multiple of 8. */
  readonly offset: number;
  /** Number of elements. */
  readonly length: number;
}

interface DtypeInfo {
  readonly ctor: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): ModelArray; new (length: number): ModelArray };
  readonly bytes: number;
  readonly set: (v: DataView, off: number, x: number) => void;
  readonly get: (v: DataView, off: number) => number;
}

const DTYPES: Record<ModelArrayDtype, DtypeInfo> = {
  float64: { ctor: Float64Array, bytes: 8, set: (v, o, x) => v.setFloat64(o, x, true), get: (v, o) => v.getFloat64(o, true) },
  float32: { ctor: Float32Array, bytes: 4, set: (v, o, x) => v.setFloat32(o, x, true), get: (v, o) => v.getFloat32(o, true) },
  int32: { ctor: Int32Array, bytes: 4, set: (v, o, x) => v.setInt32(o, x, true), get: (v, o) => v.getInt32(o, true) },
  uint32: { ctor: Uint32Array, bytes: 4, set: (v, o, x) => v.setUint32(o, x, true), get: (v, o) => v.getUint32(o, true) },
  uint16: { ctor: Uint16Array, bytes: 2, set: (v, o, x) => v.setUint16(o, x, true), get: (v, o) => v.getUint16(o, true) },
  uint8: { ctor: Uint8Array, bytes: 1, set: (v, o, x) => v.setUint8(o, x), get: (v, o) => v.getUint8(o) },
  int8: { ctor: Int8Array, bytes: 1, set: (v, o, x) => v.setInt8(o, x), get: (v, o) => v.getInt8(o) },
};

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

function dtypeOf(a: unknown): ModelArrayDtype | undefined {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  return undefined;
}

const align8 = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** RFC 6901 §3: `~` is written `~0` and `/` is written `~1` in a reference token. */
const pointerToken = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

// ---------------------------------------------------------------------------------------------------------
// Encoding

/** The planned file: header bytes and where each array goes. Shared by encode and describe. */
interface Layout {
  readonly header: Uint8Array;
  readonly entries: readonly ModelArrayEntry[];
  readonly arrays: readonly ModelArray[];
  readonly payloadStart: number;
  readonly payloadBytes: number;
  readonly totalBytes: number;
}

/** Replaces typed arrays by references and non-finite numbers by tags; throws TypeError on non-JSON data. */
function toHeaderValue(value: unknown, path: string, arrays: ModelArray[], names: string[], seen: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : { [NUMBER_REF]: String(value) };
  }
  if (typeof value !== 'object') {
    throw new TypeError(`model bundle: ${typeof value} at ${path || '/'} cannot be stored in a model file`);
  }
  if (ArrayBuffer.isView(value)) {
    if (dtypeOf(value) === undefined) {
      throw new TypeError(`model bundle: ${value.constructor.name} at ${path} is not a storable array type`);
    }
    arrays.push(value as ModelArray);
    names.push(path);
    return { [ARRAY_REF]: arrays.length - 1 };
  }
  if (seen.has(value)) throw new TypeError(`model bundle: circular reference at ${path}`);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toHeaderValue(toJSON.call(value), path, arrays, names, seen);
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v, i) =>
      v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : toHeaderValue(v, `${path}/${i}`, arrays, names, seen),
    );
  } else {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === ARRAY_REF || keys[0] === NUMBER_REF)) {
      throw new TypeError(`model bundle: an object whose only key is "${keys[0]}" is reserved (at ${path})`);
    }
    // Object.fromEntries defines own properties, so a key named "__proto__" stays data.
    const entries: [string, unknown][] = [];
    for (const k of keys) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      entries.push([k, toHeaderValue(v, `${path}/${pointerToken(k)}`, arrays, names, seen)]);
    }
    out = Object.fromEntries(entries);
  }
  seen.delete(value);
  return out;
}

function planLayout(bundle: ModelBundle): Layout {
  const problem = bundleShapeProblem(bundle);
  if (problem !== undefined) throw new TypeError(`model bundle: ${problem}`);
  const arrays: ModelArray[] = [];
  const names: string[] = [];
  const body = toHeaderValue(bundle, '', arrays, names, new Set()) as Record<string, unknown>;
  const entries: ModelArrayEntry[] = [];
  let offset = 0;
  for (let i = 0; i < arrays.length; i++) {
    const dtype = dtypeOf(arrays[i]) as ModelArrayDtype;
    entries.push({ name: names[i], dtype, offset, length: arrays[i].length });
    offset = align8(offset + arrays[i].byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...body, arrays: entries, payloadBytes: offset }));
  if (header.length > 0xffffffff) throw new RangeError('model bundle: header exceeds 4 GiB');
  const payloadStart = align8(PRELUDE_BYTES + header.length);
  return { header, entries, arrays, payloadStart, payloadBytes: offset, totalBytes: payloadStart + offset + CHECKSUM_BYTES };
}

/**
 * Encodes a bundle as the bytes of a model file (layout in the file comment and `docs/model-file.md`).
 * Cost: one copy of every array plus one SHA-256 pass over the file.
 * @throws TypeError when the bundle is malformed (wrong `format`/`version`, bad field types, values JSON
 *   cannot hold such as functions, BigInt, cycles, or typed arrays other than {@link ModelArray} types).
 */
export function encodeModelBundle(bundle: ModelBundle): Uint8Array {
  const lay = planLayout(bundle);
  const out = new Uint8Array(lay.totalBytes);
  const view = new DataView(out.buffer);
  out.set(MODEL_FILE_MAGIC, 0);
  view.setUint16(8, MODEL_FILE_VERSION, true);
  view.setUint16(10, 0, true);
  view.setUint32(12, lay.header.length, true);
  out.set(lay.header, PRELUDE_BYTES);
  for (let i = 0; i < lay.arrays.length; i++) {
    const a = lay.arrays[i];
    const at = lay.payloadStart + lay.entries[i].offset;
    if (LITTLE_ENDIAN_HOST) {
      out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    } else {
      const d = DTYPES[lay.entries[i].dtype];
      for (let j = 0; j < a.length; j++) d.set(view, at + j * d.bytes, a[j]);
    }
  }
  const end = lay.payloadStart + lay.payloadBytes;
  out.set(sha256(out.subarray(0, end)), end);
  return out;
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/** Where the parts of a model file are, after its prelude, lengths, framing and checksum passed. */
interface Located {
  /** The parsed JSON header (not yet checked beyond `payloadBytes`). */
  readonly header: Record<string, unknown>;
  readonly payloadStart: number;
  readonly payloadBytes: number;
  /** End of the checksum = start of the signature block (or the file length when unsigned). */
  readonly checksumEnd: number;
  /** The signature block, when flag bit 0 is set. */
  readonly block: ModelSignatureBlock | undefined;
}

/**
 * Checks magic, version, flags, header JSON, lengths, signature-block framing and checksum, in the order of
 * `docs/model-file.md` "Reading and errors"; shared by decoding and the signature helpers.
 */
function locateModelFile(bytes: Uint8Array, fileName: string | undefined): Located {
  const corrupt = (offset: number, detail: string): IpqsecError =>
    new IpqsecError('IPQ-M001', detail, { location: loc(fileName, offset) });
  const n = bytes.length;
  const magicLen = Math.min(n, MODEL_FILE_MAGIC.length);
  for (let i = 0; i < magicLen; i++) {
    if (bytes[i] !== MODEL_FILE_MAGIC[i]) {
      throw new IpqsecError('IPQ-M002', `expected magic "IPQSMDL\\0", found ${hex(bytes.subarray(0, magicLen))}`, {
        location: loc(fileName, 0),
      });
    }
  }
  if (n < PRELUDE_BYTES) {
    throw corrupt(n, `file has ${n} bytes, the fixed prelude alone needs ${PRELUDE_BYTES}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  if (version !== MODEL_FILE_VERSION) {
    throw new IpqsecError(
      'IPQ-M003',
      `file is format version ${version}, this IPqSEC reads version ${MODEL_FILE_VERSION}`,
      { location: loc(fileName, 8), details: { fileVersion: version, supportedVersion: MODEL_FILE_VERSION } },
    );
  }
  const flags = view.getUint16(10, true);
  if ((flags & ~MODEL_FILE_FLAG_SIGNED) !== 0) {
    throw new IpqsecError(
      'IPQ-M003',
      `unknown flags 0x${flags.toString(16).padStart(4, '0')} (format version ${MODEL_FILE_VERSION} defines only bit 0, signature block present)`,
      { location: loc(fileName, 10) },
    );
  }
  const signed = (flags & MODEL_FILE_FLAG_SIGNED) !== 0;
  const headerLen = view.getUint32(12, true);
  const headerEnd = PRELUDE_BYTES + headerLen;
  if (headerEnd > n) {
    throw corrupt(n, `truncated: the header of ${headerLen} bytes ends at byte ${headerEnd}, the file has ${n} bytes`);
  }
  let header: Record<string, unknown>;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PRELUDE_BYTES, headerEnd));
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    header = parsed as Record<string, unknown>;
  } catch (e) {
    throw corrupt(PRELUDE_BYTES, `header (bytes ${PRELUDE_BYTES}–${headerEnd}) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  const payloadBytes = header.payloadBytes;
  if (!isNonNegInt(payloadBytes) || payloadBytes % ALIGN !== 0) {
    throw corrupt(PRELUDE_BYTES, `header field payloadBytes is not a non-negative multiple of ${ALIGN}`);
  }
  const payloadStart = align8(headerEnd);
  const checksumAt = payloadStart + payloadBytes;
  const checksumEnd = checksumAt + CHECKSUM_BYTES;
  if (n < checksumEnd) {
    const what = n <= checksumAt ? 'payload' : 'checksum';
    throw corrupt(n, `truncated in the ${what}: the header says the file has ${signed ? 'at least ' : ''}${checksumEnd} bytes, it has ${n}`);
  }
  let block: ModelSignatureBlock | undefined;
  if (!signed) {
    if (n > checksumEnd) {
      throw corrupt(checksumEnd, `${n - checksumEnd} unexpected bytes after the checksum (file should end at byte ${checksumEnd})`);
    }
  } else {
    block = readSignatureBlockAt(bytes, checksumEnd, corrupt);
  }
  const stored = bytes.subarray(checksumAt, checksumEnd);
  const actual = sha256(bytes.subarray(0, checksumAt));
  for (let i = 0; i < CHECKSUM_BYTES; i++) {
    if (stored[i] !== actual[i]) {
      throw corrupt(checksumAt, `SHA-256 checksum mismatch: stored ${hex(stored)}, computed ${hex(actual)}`);
    }
  }
  return { header, payloadStart, payloadBytes, checksumEnd, block };
}

/** Parses the framing of the signature block that starts at `at` and must end exactly at the end of the file. */
function readSignatureBlockAt(bytes: Uint8Array, at: number, corrupt: (offset: number, detail: string) => IpqsecError): ModelSignatureBlock {
  const n = bytes.length;
  if (n < at + SIGNATURE_PRELUDE_BYTES) {
    throw corrupt(n, `truncated in the signature block: flag bit 0 says a block of at least ${SIGNATURE_PRELUDE_BYTES} bytes follows the checksum at byte ${at}, the file has ${n} bytes`);
  }
  for (let i = 0; i < MODEL_SIGNATURE_MAGIC.length; i++) {
    if (bytes[at + i] !== MODEL_SIGNATURE_MAGIC[i]) {
      throw corrupt(at, `signature block does not start with "IPQSSIG\\0" (found ${hex(bytes.subarray(at, at + MODEL_SIGNATURE_MAGIC.length))})`);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const algorithm = view.getUint16(at + 8, true);
  const keyLen = view.getUint16(at + 10, true);
  const sigLen = view.getUint16(at + 12, true);
  const reserved = view.getUint16(at + 14, true);
  if (algorithm === 0 || keyLen === 0 || sigLen === 0 || reserved !== 0) {
    throw corrupt(at + 8, `signature block header is malformed (algorithm ${algorithm}, key ${keyLen} bytes, signature ${sigLen} bytes, reserved ${reserved})`);
  }
  const end = at + SIGNATURE_PRELUDE_BYTES + keyLen + sigLen;
  if (n < end) throw corrupt(n, `truncated in the signature block: it ends at byte ${end}, the file has ${n} bytes`);
  if (n > end) throw corrupt(end, `${n - end} unexpected bytes after the signature block (file should end at byte ${end})`);
  const keyAt = at + SIGNATURE_PRELUDE_BYTES;
  return {
    algorithm,
    publicKey: copyOf(bytes.subarray(keyAt, keyAt + keyLen)),
    signature: copyOf(bytes.subarray(keyAt + keyLen, end)),
  };
}

/**
 * Decodes the bytes of a model file.
 *
 * Arrays are zero-copy views into `bytes` when their position is aligned for their type on a
 * little-endian host, otherwise aligned copies; do not modify `bytes` while the bundle is in use.
 * Cost: one SHA-256 pass and one JSON parse of the header (a 300-tree model of a few MB decodes in a few
 * milliseconds).
 * @param fileName shown in error messages.
 * A signed file (flag bit 0) decodes like an unsigned one once its signature block is well-framed; the
 * signature itself is not checked here (`src/pqc/model-signature.ts` does, see {@link readModelSignatureBlock}).
 * @throws IpqsecError IPQ-M002 when the magic is wrong; IPQ-M003 for another format version or unknown
 *   flags; IPQ-M001 when the file is truncated, has trailing bytes, a malformed signature block, fails its
 *   checksum, or its header is not valid UTF-8 JSON of the expected shape (the message names the byte offset).
 */
export function decodeModelBundle(bytes: Uint8Array, fileName?: string): ModelBundle {
  const corrupt = (offset: number, detail: string): IpqsecError =>
    new IpqsecError('IPQ-M001', detail, { location: loc(fileName, offset) });
  const { header, payloadStart, payloadBytes } = locateModelFile(bytes, fileName);
  // The checksum passed: the bytes are as written. What follows only fails for a file a buggy or foreign
  // writer produced, still reported as a corrupt file rather than a crash.
  const entriesRaw = header.arrays;
  if (!Array.isArray(entriesRaw)) throw corrupt(PRELUDE_BYTES, 'header field arrays is not a list');
  const decoded: ModelArray[] = [];
  for (let i = 0; i < entriesRaw.length; i++) {
    const e = entriesRaw[i] as Partial<ModelArrayEntry> | null;
    const known = e !== null && typeof e === 'object' && typeof e.dtype === 'string' && Object.hasOwn(DTYPES, e.dtype);
    const d = known ? DTYPES[(e as ModelArrayEntry).dtype] : undefined;
    if (
      e === null || typeof e !== 'object' || d === undefined ||
      !isNonNegInt(e.offset) || !isNonNegInt(e.length) || e.offset % ALIGN !== 0 ||
      e.offset + e.length * d.bytes > payloadBytes
    ) {
      throw corrupt(PRELUDE_BYTES, `array table entry ${i} (${String(e?.name)}) is malformed or lies outside the payload`);
    }
    decoded.push(readArray(bytes, payloadStart + e.offset, e.length, d));
  }
  delete header.arrays;
  delete header.payloadBytes;
  let bundle: unknown;
  try {
    bundle = fromHeaderValue(header, decoded);
  } catch (e) {
    throw corrupt(PRELUDE_BYTES, (e as Error).message);
  }
  const problem = bundleShapeProblem(bundle);
  if (problem !== undefined) throw corrupt(PRELUDE_BYTES, `header: ${problem}`);
  return bundle as ModelBundle;
}

function readArray(bytes: Uint8Array, at: number, length: number, d: DtypeInfo): ModelArray {
  const absolute = bytes.byteOffset + at;
  if (LITTLE_ENDIAN_HOST && absolute % d.bytes === 0) return new d.ctor(bytes.buffer, absolute, length);
  const out = new d.ctor(length);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(at, at + length * d.bytes));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let j = 0; j < length; j++) out[j] = d.get(view, at + j * d.bytes);
  }
  return out;
}

function fromHeaderValue(value: unknown, arrays: readonly ModelArray[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => fromHeaderValue(v, arrays));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === ARRAY_REF) {
    const i = obj[ARRAY_REF];
    if (!isNonNegInt(i) || i >= arrays.length) throw new Error(`header references array ${String(i)}, the table has ${arrays.length}`);
    return arrays[i];
  }
  if (keys.length === 1 && keys[0] === NUMBER_REF) {
    const s = obj[NUMBER_REF];
    if (s === 'NaN') return NaN;
    if (s === 'Infinity') return Infinity;
    if (s === '-Infinity') return -Infinity;
    throw new Error(`header holds an unknown number tag ${JSON.stringify(s)}`);
  }
  return Object.fromEntries(keys.map((k) => [k, fromHeaderValue(obj[k], arrays)]));
}

/** Describes what is wrong with a bundle's shape, or undefined when it is well-formed. */
function bundleShapeProblem(b: unknown): string | undefined {
  if (b === null || typeof b !== 'object') return 'not an object';
  const o = b as Record<string, unknown>;
  if (o.format !== 'ipqsec-model') return `format is ${JSON.stringify(o.format)}, expected "ipqsec-model"`;
  if (o.version !== MODEL_FILE_VERSION) return `version is ${JSON.stringify(o.version)}, expected ${MODEL_FILE_VERSION}`;
  if (typeof o.createdAt !== 'string' || Number.isNaN(Date.parse(o.createdAt))) return 'createdAt is not an ISO 8601 date';
  const m = o.model as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') return 'model is not an object';
  if (typeof m.kind !== 'string') return 'model.kind is not a string';
  if (!isPlainObject(m.params)) return 'model.params is not an object';
  if (!isPlainObject(m.arrays)) return 'model.arrays is not an object';
  for (const [k, a] of Object.entries(m.arrays)) {
    if (dtypeOf(a) === undefined) return `model.arrays.${k} is not a Float64/Float32/Int32/Uint32/Uint16/Uint8/Int8Array`;
  }
  if (!Array.isArray(o.featureSchema)) return 'featureSchema is not a list';
  for (const [i, c] of (o.featureSchema as unknown[]).entries()) {
    const col = c as Record<string, unknown> | null;
    if (col === null || typeof col !== 'object' || typeof col.name !== 'string' || (col.kind !== 'numeric' && col.kind !== 'categorical')) {
      return `featureSchema[${i}] is not {name, kind: "numeric"|"categorical"}`;
    }
  }
  if (!isStringList(o.featureNames)) return 'featureNames is not a list of strings';
  if (!isStringList(o.labelNames)) return 'labelNames is not a list of strings';
  if (o.target !== 'binary' && o.target !== 'multiclass') return 'target is not "binary" or "multiclass"';
  if (typeof o.dataset !== 'string') return 'dataset is not a string';
  if (!isPlainObject(o.training)) return 'training is not an object';
  return undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A copy of `b` in its own buffer (`Buffer#slice` would return a view, so it is not used on inputs). */
function copyOf(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

function loc(file: string | undefined, offset: number): ErrorLocation {
  return file === undefined ? { offset } : { file, offset };
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// ---------------------------------------------------------------------------------------------------------
// Signature block (framing only; the cryptography is in src/pqc/model-signature.ts)

/**
 * The raw signature block of a signed model file (`docs/model-file.md`, "Signature block"). This layer does not
 * interpret `algorithm`, `publicKey` or `signature`; each is non-empty and at most 65,535 bytes (u16 lengths).
 */
export interface ModelSignatureBlock {
  /** Signature algorithm id, 1..65535; 1 = ML-DSA-65 (FIPS 204) with context `ipqsec-model-v1`. */
  readonly algorithm: number;
  /** The signer's encoded public key. */
  readonly publicKey: Uint8Array;
  /** The signature over the signed part. */
  readonly signature: Uint8Array;
}

/** A signed model file split at the end of its checksum. */
export interface SignedModelParts {
  /** Bytes `0 … end of checksum` (flag bit 0 set): what the signature covers. A view into the input. */
  readonly signedPart: Uint8Array;
  readonly block: ModelSignatureBlock;
}

/**
 * Splits a signed model file into the signed part and its signature block; `undefined` for an unsigned file
 * (flag bit 0 clear). Checks everything {@link decodeModelBundle} checks up to and including the checksum (not
 * the array table or the bundle's fields) and the block's framing; it does not verify the signature.
 * @throws IpqsecError IPQ-M001/M002/M003 as {@link decodeModelBundle}.
 */
export function readModelSignatureBlock(bytes: Uint8Array, fileName?: string): SignedModelParts | undefined {
  const l = locateModelFile(bytes, fileName);
  if (l.block === undefined) return undefined;
  return { signedPart: bytes.subarray(0, l.checksumEnd), block: l.block };
}

/**
 * The bytes a signature over this model file covers: the file up to and including its checksum, with flag bit 0
 * set. For a signed file that is a copy of its signed part (the old block is dropped); for an unsigned file, a copy
 * with flag bit 0 set and the checksum recomputed. Sign these bytes, then {@link attachModelSignature}.
 * Cost: one copy and, for an unsigned file, two SHA-256 passes.
 * @throws IpqsecError IPQ-M001/M002/M003 as {@link decodeModelBundle}.
 */
export function modelFileSignedPart(bytes: Uint8Array, fileName?: string): Uint8Array {
  const l = locateModelFile(bytes, fileName);
  const out = copyOf(bytes.subarray(0, l.checksumEnd));
  if (l.block === undefined) {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    view.setUint16(10, view.getUint16(10, true) | MODEL_FILE_FLAG_SIGNED, true);
    const checksumAt = l.checksumEnd - CHECKSUM_BYTES;
    out.set(sha256(out.subarray(0, checksumAt)), checksumAt);
  }
  return out;
}

/**
 * Returns the signed model file: {@link modelFileSignedPart}`(bytes)` followed by the encoded signature block.
 * `block.signature` must have been computed over `modelFileSignedPart(bytes)`; this function does not check it.
 * A signature already on `bytes` is replaced.
 * @throws RangeError when the algorithm id is not in 1..65535 or the key or signature is empty or longer than
 *   65,535 bytes; IpqsecError IPQ-M001/M002/M003 when `bytes` is not a valid model file.
 */
export function attachModelSignature(bytes: Uint8Array, block: ModelSignatureBlock, fileName?: string): Uint8Array {
  const u16 = (v: number) => Number.isInteger(v) && v >= 1 && v <= 0xffff;
  if (!u16(block.algorithm)) throw new RangeError(`signature algorithm id must be in 1..65535, got ${block.algorithm}`);
  if (!u16(block.publicKey.length)) throw new RangeError(`signature public key must be 1..65535 bytes, got ${block.publicKey.length}`);
  if (!u16(block.signature.length)) throw new RangeError(`signature must be 1..65535 bytes, got ${block.signature.length}`);
  const part = modelFileSignedPart(bytes, fileName);
  const out = new Uint8Array(part.length + SIGNATURE_PRELUDE_BYTES + block.publicKey.length + block.signature.length);
  out.set(part, 0);
  const at = part.length;
  const view = new DataView(out.buffer);
  out.set(MODEL_SIGNATURE_MAGIC, at);
  view.setUint16(at + 8, block.algorithm, true);
  view.setUint16(at + 10, block.publicKey.length, true);
  view.setUint16(at + 12, block.signature.length, true);
  view.setUint16(at + 14, 0, true);
  out.set(block.publicKey, at + SIGNATURE_PRELUDE_BYTES);
  out.set(block.signature, at + SIGNATURE_PRELUDE_BYTES + block.publicKey.length);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Files

/**
 * Writes a bundle to `path` atomically: the bytes go to a temporary file in the same directory, are flushed
 * to disk (fsync), and the temporary file is renamed over `path`, so a reader sees the old file or the new
 * one, never a partial file.
 * @throws TypeError as {@link encodeModelBundle}; file-system errors (`EACCES`, `ENOSPC`, ...) as thrown by
 *   `node:fs` after the temporary file is removed.
 */
export async function writeModelFile(path: string, bundle: ModelBundle): Promise<void> {
  await writeModelFileBytes(path, encodeModelBundle(bundle));
}

/**
 * Writes the bytes of an encoded (possibly signed) model file to `path` atomically, as {@link writeModelFile}.
 * The bytes are written as given, not checked.
 * @throws file-system errors (`EACCES`, `ENOSPC`, ...) as thrown by `node:fs` after the temporary file is removed.
 */
export async function writeModelFileBytes(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Reads the raw bytes of a model file (for a signature check before {@link decodeModelBundle}).
 * @throws IpqsecError IPQ-M009 when the file cannot be read.
 */
export async function readModelFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new IpqsecError('IPQ-M009', `cannot read model file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      location: { file: path },
      cause: e,
    });
  }
}

/**
 * Reads and decodes a model file.
 * @throws IpqsecError IPQ-M009 when the file cannot be read, otherwise as {@link decodeModelBundle}.
 */
export async function readModelFile(path: string): Promise<ModelBundle> {
  return decodeModelBundle(await readModelFileBytes(path), path);
}

// ---------------------------------------------------------------------------------------------------------
// Summary and schema check

/** Summary of a bundle for `ipqsec model info`: JSON-able, no typed arrays. */
export interface ModelBundleSummary {
  readonly kind: string;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly dataset: string;
  readonly target: 'binary' | 'multiclass';
  readonly labels: readonly string[];
  readonly nInputColumns: number;
  readonly inputColumns: readonly FeatureColumnSpec[];
  readonly nFeatures: number;
  readonly features: readonly string[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly training: Readonly<Record<string, unknown>>;
  readonly arrays: readonly { name: string; dtype: ModelArrayDtype; length: number; bytes: number }[];
  /** Size of the encoded model file in bytes. */
  readonly fileBytes: number;
}

/**
 * Summarises a bundle for display (`ipqsec model info`). `fileBytes` is the size of the encoded file,
 * computed from the layout without copying the arrays. Arrays inside `training` are shown by
 * their name in `arrays` only, and non-finite numbers stay as numbers (print them with care).
 * @throws TypeError when the bundle is malformed (as {@link encodeModelBundle}).
 */
export function describeModelBundle(bundle: ModelBundle): ModelBundleSummary {
  const lay = planLayout(bundle);
  return {
    kind: bundle.model.kind,
    formatVersion: bundle.version,
    createdAt: bundle.createdAt,
    dataset: bundle.dataset,
    target: bundle.target,
    labels: [...bundle.labelNames],
    nInputColumns: bundle.featureSchema.length,
    inputColumns: bundle.featureSchema.map((c) => ({ name: c.name, kind: c.kind })),
    nFeatures: bundle.featureNames.length,
    features: [...bundle.featureNames],
    params: stripArrays(bundle.model.params) as Record<string, unknown>,
    training: stripArrays(bundle.training) as Record<string, unknown>,
    arrays: lay.entries.map((e, i) => ({ name: e.name, dtype: e.dtype, length: e.length, bytes: lay.arrays[i].byteLength })),
    fileBytes: lay.totalBytes,
  };
}

function stripArrays(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return `<${(v as ModelArray).constructor.name}[${(v as ModelArray).length}]>`;
  if (Array.isArray(v)) return v.map(stripArrays);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripArrays(x)]));
  }
  return v;
}

/**
 * Checks that the data to predict on has every input column the model was trained on, with the same kind.
 * Extra columns in `actual` are allowed (ignored by the preprocessing); column order does not matter.
 * @throws IpqsecError IPQ-M004 naming the first missing or mismatched column (and counting the others);
 *   `details` lists all of them as `missing` and `mismatched`.
 */
export function checkFeatureSchema(
  expected: readonly FeatureColumnSpec[],
  actual: readonly { readonly name: string; readonly kind: string }[],
): void {
  const byName = new Map<string, string>();
  for (const c of actual) if (!byName.has(c.name)) byName.set(c.name, c.kind);
  const missing: string[] = [];
  const mismatched: { name: string; expected: string; actual: string }[] = [];
  for (const c of expected) {
    const kind = byName.get(c.name);
    if (kind === undefined) missing.push(c.name);
    else if (kind !== c.kind) mismatched.push({ name: c.name, expected: c.kind, actual: kind });
  }
  const total = missing.length + mismatched.length;
  if (total === 0) return;
  const more = total > 1 ? ` (and ${total - 1} more column problem${total > 2 ? 's' : ''})` : '';
  const details = { missing, mismatched };
  if (missing.length > 0) {
    throw new IpqsecError('IPQ-M004', `column ${JSON.stringify(missing[0])} is missing from the data${more}`, {
      location: { column: missing[0] },
      details,
    });
  }
  const m = mismatched[0];
  throw new IpqsecError('IPQ-M004', `column ${JSON.stringify(m.name)} is ${m.actual} in the data, ${m.expected} in the model${more}`, {
    location: { column: m.name },
    details,
  });
}
