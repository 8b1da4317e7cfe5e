/**
 * The secure channel's binary envelopes (version 1): HELLO (device → server, opens a session), ACCEPT
 * (server → device, key confirmation) and DATA (either direction, one AEAD-sealed message). `docs/envelope.md`
 * is the normative byte layout; this file implements it.
 *
 * Every envelope starts with the 4-byte prefix `49 51` ("IQ") · version `01` · type (`01` HELLO, `02` ACCEPT,
 * `03` DATA). All integers are big-endian (network order). Lengths are explicit and each one is checked against
 * the bytes actually present and against its fixed value or bound before anything is read behind it, and an
 * envelope must end exactly where its last field ends (no trailing bytes).
 *
 * Decoding reads in place: the `Uint8Array` fields of a decoded envelope are `subarray` views over the input
 * (no copy), so the caller must not modify the input while it uses them. Any defect throws
 * `IpqsecError('IPQ-P005')` with `details = { reason, offset }` and `location.offset` = the byte offset of the
 * offending field; `reason` is `'malformed'` (magic, length, truncation, trailing bytes, field value), `'version'`
 * (a version other than 1) or `'type'` (an unknown type byte, or a type the caller did not expect). Decoding
 * never throws anything else, whatever the input (property-tested with fast-check).
 */
import { IpqsecError } from '../core/errors.js';

/** Envelope format version written and accepted. */
export const ENVELOPE_VERSION = 1;

/** The two magic bytes "IQ". */
export const ENVELOPE_MAGIC = Object.freeze([0x49, 0x51] as const);

/** Type byte of each envelope. */
export const ENVELOPE_TYPE = Object.freeze({ hello: 0x01, accept: 0x02, data: 0x03 } as const);

/** Kind of envelope. */
export type EnvelopeType = keyof typeof ENVELOPE_TYPE;

/** Fixed sizes of version 1, in bytes. */
export const ENVELOPE_SIZES = Object.freeze({
  /** magic (2) + version (1) + type (1). */
  prefix: 4,
  /** Session id in ACCEPT and DATA. */
  sessionId: 16,
  /** HELLO: key id of the server KEM key (first 8 bytes of SHA-256 of the X-Wing public key). */
  kemKeyId: 8,
  /** HELLO: the device's fresh random. */
  clientRandom: 32,
  /** HELLO: X-Wing ciphertext (draft-connolly-cfrg-xwing-kem §5.3). */
  xwingCiphertext: 1120,
  /** HELLO: ML-DSA-65 signature (FIPS 204 Table 2). */
  mlDsa65Signature: 3309,
  /** ACCEPT: the AES-256-GCM key-confirmation tag. */
  confirmTag: 16,
  /** DATA: AES-GCM nonce = epoch_dir (4) + counter (8). */
  nonce: 12,
  /** DATA: header up to and including the ciphertext length field (the AAD). */
  dataHeader: 36,
  /** AES-GCM tag (NIST SP 800-38D, 128 bits). */
  tag: 16,
  /** Longest device id, bytes. */
  maxDeviceId: 128,
} as const);

/** Largest DATA plaintext accepted by default (16 MiB, the HTTP body limit of the ingest API). */
export const DEFAULT_MAX_PLAINTEXT_BYTES = 16 * 1024 * 1024;

/** Largest epoch: epoch_dir = epoch · 2 + direction must fit in a u32. */
export const MAX_EPOCH = 0x7fff_ffff;

/**
 * Device ids allowed in a HELLO: 1–128 characters, ASCII letters, digits and `. _ : @ -`, starting with a letter
 * or digit (so ids are unambiguous in logs, MQTT topics and the signed transcript).
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Message direction: 0 = device → server ("c2s"), 1 = server → device ("s2c"). */
export type Direction = 0 | 1;

/** Direction of device-to-server envelopes. */
export const C2S: Direction = 0;
/** Direction of server-to-device envelopes. */
export const S2C: Direction = 1;

/** The fields of a HELLO that the device signs (all but the signature). */
export interface HelloFields {
  /** Device id matching {@link DEVICE_ID_PATTERN}. */
  readonly deviceId: string;
  /** Device clock at sending, epoch ms (integer, 0 ≤ t < 2^53). */
  readonly timestampMs: number;
  /** 8-byte key id of the server KEM key encapsulated to. */
  readonly kemKeyId: Uint8Array;
  /** 32 fresh random bytes. */
  readonly clientRandom: Uint8Array;
  /** 1,120-byte X-Wing ciphertext. */
  readonly ciphertext: Uint8Array;
}

/** A decoded HELLO. Byte fields are views over the decoded input. */
export interface HelloEnvelope extends HelloFields {
  readonly type: 'hello';
  /** 3,309-byte ML-DSA-65 signature over the transcript message (handshake.ts). */
  readonly signature: Uint8Array;
  /** The signed part: bytes `0 … 1174 + n` (everything before the signature length field). */
  readonly body: Uint8Array;
  /** The whole envelope. */
  readonly bytes: Uint8Array;
}

/** A decoded ACCEPT. */
export interface AcceptEnvelope {
  readonly type: 'accept';
  /** 16-byte session id. */
  readonly sessionId: Uint8Array;
  /** 16-byte key-confirmation tag. */
  readonly confirmTag: Uint8Array;
  /** Bytes 0–19 (prefix and session id), part of the confirmation's AAD. */
  readonly header: Uint8Array;
}

/** The header fields of a DATA envelope. */
export interface DataFields {
  /** 16-byte session id. */
  readonly sessionId: Uint8Array;
  /** Key epoch, integer in [0, {@link MAX_EPOCH}]. */
  readonly epoch: number;
  readonly direction: Direction;
  /** Message counter within the epoch, integer in [0, 2^53). */
  readonly counter: number;
}

/** A decoded DATA envelope. */
export interface DataEnvelope extends DataFields {
  readonly type: 'data';
  /** Bytes 20–31: the AES-GCM nonce (epoch_dir ‖ counter). */
  readonly nonce: Uint8Array;
  /** Bytes 0–35: the AAD. */
  readonly header: Uint8Array;
  /** Ciphertext ‖ 16-byte tag. */
  readonly sealed: Uint8Array;
}

/** Any decoded envelope. */
export type Envelope = HelloEnvelope | AcceptEnvelope | DataEnvelope;

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /** Largest DATA plaintext accepted, bytes (default {@link DEFAULT_MAX_PLAINTEXT_BYTES}). */
  readonly maxPlaintextBytes?: number;
}

const TYPE_BY_BYTE: Readonly<Record<number, EnvelopeType>> = { 1: 'hello', 2: 'accept', 3: 'data' };
const TWO_32 = 0x1_0000_0000;
const TWO_21 = 0x20_0000;

function reject(reason: 'malformed' | 'version' | 'type', offset: number, what: string): never {
  throw new IpqsecError('IPQ-P005', `${reason}: ${what} at byte ${offset}`, { location: { offset }, details: { reason, offset } });
}

function need(bytes: Uint8Array, offset: number, n: number, field: string): void {
  if (bytes.length - offset < n) reject('malformed', offset, `truncated ${field}: need ${n} bytes, ${Math.max(0, bytes.length - offset)} left`);
}

function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v & 0xff;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Writes a u64 (0 ≤ v < 2^53) big-endian. */
function writeU64(b: Uint8Array, o: number, v: number): void {
  writeU32(b, o, Math.floor(v / TWO_32));
  writeU32(b, o + 4, v % TWO_32);
}

/** Reads a u64 that must be below 2^53 (else `malformed`). */
function readU64(b: Uint8Array, o: number, field: string): number {
  const hi = readU32(b, o);
  if (hi >= TWO_21) reject('malformed', o, `${field} ${hi.toString(16)}…: not below 2^53`);
  return hi * TWO_32 + readU32(b, o + 4);
}

function writePrefix(b: Uint8Array, type: EnvelopeType): void {
  b[0] = ENVELOPE_MAGIC[0];
  b[1] = ENVELOPE_MAGIC[1];
  b[2] = ENVELOPE_VERSION;
  b[3] = ENVELOPE_TYPE[type];
}

function checkBytes(v: Uint8Array, n: number, name: string): void {
  if (!(v instanceof Uint8Array) || v.length !== n) throw new RangeError(`${name} must be ${n} bytes`);
}

function checkUint(v: number, max: number, name: string): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > max) throw new RangeError(`${name} must be an integer in [0, ${max}], got ${v}`);
}

/**
 * The kind of an envelope from its 4-byte prefix, without decoding the rest.
 *
 * @throws IpqsecError IPQ-P005 (`malformed`, `version`, `type`) when the prefix is not a version-1 prefix
 */
export function envelopeTypeOf(bytes: Uint8Array): EnvelopeType {
  need(bytes, 0, ENVELOPE_SIZES.prefix, 'prefix');
  if (bytes[0] !== ENVELOPE_MAGIC[0] || bytes[1] !== ENVELOPE_MAGIC[1]) reject('malformed', 0, 'bad magic (expected 49 51 "IQ")');
  if (bytes[2] !== ENVELOPE_VERSION) reject('version', 2, `unsupported envelope version ${bytes[2]} (this build reads ${ENVELOPE_VERSION})`);
  const type = TYPE_BY_BYTE[bytes[3]!];
  if (type === undefined) reject('type', 3, `unknown envelope type 0x${bytes[3]!.toString(16).padStart(2, '0')}`);
  return type;
}

/**
 * Encodes the signed part of a HELLO (layout in docs/envelope.md): prefix, device id length and id, timestamp,
 * KEM key id, client random, ciphertext length and X-Wing ciphertext. Pass it with the signature to
 * {@link encodeHello}.
 *
 * @throws RangeError when a field has the wrong size, the device id does not match {@link DEVICE_ID_PATTERN} or
 *   the timestamp is not an integer in [0, 2^53)
 */
export function encodeHelloBody(f: HelloFields): Uint8Array {
  if (typeof f.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(f.deviceId)) throw new RangeError(`device id ${JSON.stringify(f.deviceId)} does not match ${DEVICE_ID_PATTERN}`);
  checkUint(f.timestampMs, Number.MAX_SAFE_INTEGER, 'timestampMs');
  checkBytes(f.kemKeyId, ENVELOPE_SIZES.kemKeyId, 'kemKeyId');
  checkBytes(f.clientRandom, ENVELOPE_SIZES.clientRandom, 'clientRandom');
  checkBytes(f.ciphertext, ENVELOPE_SIZES.xwingCiphertext, 'ciphertext');
  const n = f.deviceId.length;
  const out = new Uint8Array(4 + 1 + n + 8 + 8 + 32 + 2 + ENVELOPE_SIZES.xwingCiphertext);
  writePrefix(out, 'hello');
  out[4] = n;
  for (let i = 0; i < n; i++) out[5 + i] = f.deviceId.charCodeAt(i);
  let o = 5 + n;
  writeU64(out, o, f.timestampMs);
  o += 8;
  out.set(f.kemKeyId, o);
  o += 8;
  out.set(f.clientRandom, o);
  o += 32;
  writeU16(out, o, ENVELOPE_SIZES.xwingCiphertext);
  out.set(f.ciphertext, o + 2);
  return out;
}

/**
 * A complete HELLO: `body` ({@link encodeHelloBody}) ‖ u16 signature length ‖ ML-DSA-65 signature.
 *
 * @throws RangeError when the signature is not 3,309 bytes or `body` is not a HELLO body
 */
export function encodeHello(body: Uint8Array, signature: Uint8Array): Uint8Array {
  checkBytes(signature, ENVELOPE_SIZES.mlDsa65Signature, 'signature');
  if (body.length < 5 || body[3] !== ENVELOPE_TYPE.hello || body.length !== 5 + body[4]! + 50 + ENVELOPE_SIZES.xwingCiphertext) throw new RangeError('body is not a HELLO body');
  const out = new Uint8Array(body.length + 2 + signature.length);
  out.set(body, 0);
  writeU16(out, body.length, signature.length);
  out.set(signature, body.length + 2);
  return out;
}

/** The first 20 bytes of an ACCEPT (prefix and session id): part of the key confirmation's AAD. */
export function encodeAcceptHeader(sessionId: Uint8Array): Uint8Array {
  checkBytes(sessionId, ENVELOPE_SIZES.sessionId, 'sessionId');
  const out = new Uint8Array(20);
  writePrefix(out, 'accept');
  out.set(sessionId, 4);
  return out;
}

/** An ACCEPT: prefix ‖ 16-byte session id ‖ 16-byte confirmation tag (36 bytes). */
export function encodeAccept(sessionId: Uint8Array, confirmTag: Uint8Array): Uint8Array {
  checkBytes(confirmTag, ENVELOPE_SIZES.confirmTag, 'confirmTag');
  const out = new Uint8Array(36);
  out.set(encodeAcceptHeader(sessionId), 0);
  out.set(confirmTag, 20);
  return out;
}

/**
 * The 36-byte DATA header (the AAD): prefix ‖ session id ‖ epoch_dir (u32 = epoch·2 + direction) ‖ counter (u64)
 * ‖ ciphertext length (u32, plaintext length + 16). Bytes 20–31 are the AES-GCM nonce.
 *
 * @throws RangeError when a field is out of range
 */
export function encodeDataHeader(f: DataFields, plaintextLength: number): Uint8Array {
  return encodeDataHeaderInto(f, plaintextLength, new Uint8Array(ENVELOPE_SIZES.dataHeader));
}

/**
 * {@link encodeDataHeader} into the first {@link ENVELOPE_SIZES}.dataHeader bytes of `out` (the whole envelope's
 * buffer, so sealing needs no second copy); returns that header as a subarray.
 * @throws RangeError as {@link encodeDataHeader}, or when `out` is shorter than a header
 */
export function encodeDataHeaderInto(f: DataFields, plaintextLength: number, out: Uint8Array): Uint8Array {
  checkBytes(f.sessionId, ENVELOPE_SIZES.sessionId, 'sessionId');
  checkUint(f.epoch, MAX_EPOCH, 'epoch');
  if (f.direction !== 0 && f.direction !== 1) throw new RangeError('direction must be 0 or 1');
  checkUint(f.counter, Number.MAX_SAFE_INTEGER, 'counter');
  checkUint(plaintextLength, 0xffff_ffff - ENVELOPE_SIZES.tag, 'plaintextLength');
  if (out.length < ENVELOPE_SIZES.dataHeader) throw new RangeError('encodeDataHeaderInto: output shorter than a header');
  writePrefix(out, 'data');
  out.set(f.sessionId, 4);
  writeU32(out, 20, f.epoch * 2 + f.direction);
  writeU64(out, 24, f.counter);
  writeU32(out, 32, plaintextLength + ENVELOPE_SIZES.tag);
  return out.subarray(0, ENVELOPE_SIZES.dataHeader);
}

/**
 * The 12-byte AES-GCM nonce of a DATA message: epoch_dir (u32 BE) ‖ counter (u64 BE); equal to bytes 20–31 of
 * its header. `counter` may be up to 2^64 − 1 given as a bigint (the ACCEPT confirmation uses 2^64 − 1).
 */
export function dataNonce(epoch: number, direction: Direction, counter: number | bigint): Uint8Array {
  checkUint(epoch, MAX_EPOCH, 'epoch');
  const out = new Uint8Array(12);
  writeU32(out, 0, epoch * 2 + direction);
  const c = BigInt(counter);
  if (c < 0n || c > 0xffff_ffff_ffff_ffffn) throw new RangeError('counter out of u64 range');
  writeU32(out, 4, Number(c >> 32n));
  writeU32(out, 8, Number(c & 0xffff_ffffn));
  return out;
}

/** A DATA envelope: `header` ({@link encodeDataHeader}) followed by the AES-GCM output (ciphertext ‖ tag). */
export function encodeData(header: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (header.length !== ENVELOPE_SIZES.dataHeader || readU32(header, 32) !== sealed.length) throw new RangeError('sealed length does not match the header');
  const out = new Uint8Array(header.length + sealed.length);
  out.set(header, 0);
  out.set(sealed, header.length);
  return out;
}

function decodeHello(b: Uint8Array): HelloEnvelope {
  need(b, 4, 1, 'device id length');
  const n = b[4]!;
  if (n === 0 || n > ENVELOPE_SIZES.maxDeviceId) reject('malformed', 4, `device id length ${n} not in 1..${ENVELOPE_SIZES.maxDeviceId}`);
  need(b, 5, n, 'device id');
  let deviceId = '';
  for (let i = 0; i < n; i++) deviceId += String.fromCharCode(b[5 + i]!);
  if (!DEVICE_ID_PATTERN.test(deviceId)) reject('malformed', 5, 'device id has a character outside [A-Za-z0-9._:@-]');
  let o = 5 + n;
  need(b, o, 8 + 8 + 32 + 2, 'timestamp, key id, random and ciphertext length');
  const timestampMs = readU64(b, o, 'timestamp');
  o += 8;
  const kemKeyId = b.subarray(o, o + 8);
  o += 8;
  const clientRandom = b.subarray(o, o + 32);
  o += 32;
  const ctLen = readU16(b, o);
  if (ctLen !== ENVELOPE_SIZES.xwingCiphertext) reject('malformed', o, `ciphertext length ${ctLen} (X-Wing needs ${ENVELOPE_SIZES.xwingCiphertext})`);
  o += 2;
  need(b, o, ctLen, 'ciphertext');
  const ciphertext = b.subarray(o, o + ctLen);
  o += ctLen;
  const bodyEnd = o;
  need(b, o, 2, 'signature length');
  const sigLen = readU16(b, o);
  if (sigLen !== ENVELOPE_SIZES.mlDsa65Signature) reject('malformed', o, `signature length ${sigLen} (ML-DSA-65 needs ${ENVELOPE_SIZES.mlDsa65Signature})`);
  o += 2;
  need(b, o, sigLen, 'signature');
  const signature = b.subarray(o, o + sigLen);
  o += sigLen;
  if (o !== b.length) reject('malformed', o, `${b.length - o} trailing bytes after the HELLO`);
  return { type: 'hello', deviceId, timestampMs, kemKeyId, clientRandom, ciphertext, signature, body: b.subarray(0, bodyEnd), bytes: b };
}

function decodeAccept(b: Uint8Array): AcceptEnvelope {
  need(b, 4, 32, 'session id and confirmation tag');
  if (b.length !== 36) reject('malformed', 36, `${b.length - 36} trailing bytes after the ACCEPT`);
  return { type: 'accept', sessionId: b.subarray(4, 20), confirmTag: b.subarray(20, 36), header: b.subarray(0, 20) };
}

function decodeData(b: Uint8Array, maxPlaintextBytes: number): DataEnvelope {
  need(b, 4, ENVELOPE_SIZES.dataHeader - 4, 'DATA header');
  const epochDir = readU32(b, 20);
  const counter = readU64(b, 24, 'counter');
  const len = readU32(b, 32);
  if (len < ENVELOPE_SIZES.tag) reject('malformed', 32, `ciphertext length ${len} shorter than the 16-byte tag`);
  if (len - ENVELOPE_SIZES.tag > maxPlaintextBytes) reject('malformed', 32, `ciphertext length ${len} above the limit of ${maxPlaintextBytes} plaintext bytes`);
  need(b, 36, len, 'ciphertext');
  if (b.length !== 36 + len) reject('malformed', 36 + len, `${b.length - 36 - len} trailing bytes after the DATA`);
  return {
    type: 'data',
    sessionId: b.subarray(4, 20),
    epoch: epochDir >>> 1,
    direction: (epochDir & 1) as Direction,
    counter,
    nonce: b.subarray(20, 32),
    header: b.subarray(0, 36),
    sealed: b.subarray(36),
  };
}

/**
 * Decodes any version-1 envelope in place (fields are views over `bytes`).
 *
 * Cost: O(length) for the bounds checks of the header only; no copy, no crypto.
 *
 * @param expected when given, an envelope of another type is rejected with reason `'type'`
 * @throws IpqsecError IPQ-P005, `details.reason` `'malformed' | 'version' | 'type'`, `details.offset` the byte
 *   offset of the offending field; never anything else for any input bytes
 */
export function decodeEnvelope(bytes: Uint8Array, expected?: undefined, options?: DecodeOptions): Envelope;
export function decodeEnvelope(bytes: Uint8Array, expected: 'hello', options?: DecodeOptions): HelloEnvelope;
export function decodeEnvelope(bytes: Uint8Array, expected: 'accept', options?: DecodeOptions): AcceptEnvelope;
export function decodeEnvelope(bytes: Uint8Array, expected: 'data', options?: DecodeOptions): DataEnvelope;
export function decodeEnvelope(bytes: Uint8Array, expected?: EnvelopeType, options: DecodeOptions = {}): Envelope {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('envelope must be a Uint8Array');
  const type = envelopeTypeOf(bytes);
  if (expected !== undefined && type !== expected) reject('type', 3, `${type.toUpperCase()} envelope where ${expected.toUpperCase()} was expected`);
  if (type === 'hello') return decodeHello(bytes);
  if (type === 'accept') return decodeAccept(bytes);
  return decodeData(bytes, options.maxPlaintextBytes ?? DEFAULT_MAX_PLAINTEXT_BYTES);
}
