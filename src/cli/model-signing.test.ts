import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { decodeModelBundle, encodeModelBundle, type ModelBundle } from '../ml/model-file.js';
import { testNobleProvider } from '../pqc/_test-noble.js';
import { encodeKeyFile } from '../pqc/key-file.js';
import { writeKeyFile } from './key-files.js';
import { modelSignCommands } from './model-sign-command.js';
import { assertModelTrusted, loadTrustedModelKeys, signModelFile, verifyModelFile } from './model-signing.js';

const p = testNobleProvider();
const signer = p.mlDsaKeygen(new Uint8Array(32).fill(11));
const stranger = p.mlDsaKeygen(new Uint8Array(32).fill(12));
const keyIdOf = (pk: Uint8Array) => createHash('sha256').update(pk).digest().subarray(0, 8).toString('hex');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();

const bundle: ModelBundle = {
  format: 'ipqsec-model',
  version: 1,
  createdAt: '2025-01-02T03:04:05.678Z',
  model: { kind: 'logistic', params: { nFeatures: 2 }, arrays: { w: Float64Array.of(0.5, -1.25, 3) } },
  preprocessing: null,
  featureSchema: [{ name: 'duration', kind: 'numeric' }],
  featureNames: ['duration', 'bytes'],
  labelNames: ['normal', 'attack'],
  target: 'binary',
  dataset: 'nsl-kdd',
  training: { seed: 1 },
};
const unsigned = encodeModelBundle(bundle);

/** Offset of the signature block: the unsigned file's length (the block follows the checksum). */
const S = unsigned.length;

describe('signModelFile / verifyModelFile', () => {
  const signed = signModelFile(p, signer, unsigned, 'm.ipqm');

  it('produces the documented layout, checked independently with noble', () => {
    const b = Buffer.from(signed);
    expect(b.readUInt16LE(10)).toBe(1);
    expect(b.subarray(S - 32, S).equals(sha(b.subarray(0, S - 32)))).toBe(true);
    expect(b.subarray(S, S + 8).toString('latin1')).toBe('IPQSSIG\0');
    expect([b.readUInt16LE(S + 8), b.readUInt16LE(S + 10), b.readUInt16LE(S + 12), b.readUInt16LE(S + 14)]).toEqual([1, 1952, 3309, 0]);
    expect(b.length).toBe(S + 16 + 1952 + 3309);
    expect(b.subarray(S + 16, S + 16 + 1952).equals(Buffer.from(signer.publicKey))).toBe(true);
    const sig = b.subarray(S + 16 + 1952);
    expect(ml_dsa65.verify(sig, b.subarray(0, S), signer.publicKey, { context: new TextEncoder().encode('ipqsec-model-v1') })).toBe(true);
    // The model itself is unchanged.
    expect([...decodeModelBundle(signed).model.arrays.w]).toEqual([0.5, -1.25, 3]);
  });

  it('valid for a trusted key; unsigned for an unsigned file; re-signing replaces the signature', () => {
    expect(verifyModelFile(p, signed, [signer.publicKey])).toEqual({ status: 'valid', keyId: keyIdOf(signer.publicKey) });
    expect(verifyModelFile(p, unsigned, [signer.publicKey])).toEqual({ status: 'unsigned' });
    const resigned = signModelFile(p, stranger, signed);
    expect(resigned.length).toBe(signed.length);
    expect(verifyModelFile(p, resigned, [stranger.publicKey]).status).toBe('valid');
    expect(verifyModelFile(p, resigned, [signer.publicKey]).status).toBe('invalid');
  });

  it('a signed file whose model bytes change fails the checksum, or the signature when the checksum is recomputed', () => {
    const damaged = Uint8Array.from(signed);
    damaged[S - 40] ^= 1; // last payload byte
    expect(() => verifyModelFile(p, damaged, [signer.publicKey], 'm.ipqm')).toThrow(/IPQ-M001 m\.ipqm byte \d+: .*checksum mismatch/);
    damaged.set(sha(damaged.subarray(0, S - 32)), S - 32);
    expect(decodeModelBundle(damaged).model.arrays.w).toBeDefined();
    expect(verifyModelFile(p, damaged, [signer.publicKey])).toMatchObject({ status: 'invalid', reason: expect.stringMatching(/does not verify/) });
    const sigFlip = Uint8Array.from(signed);
    sigFlip[signed.length - 1] ^= 0x80;
    expect(verifyModelFile(p, sigFlip, [signer.publicKey]).status).toBe('invalid');
  });

  it('a stripped signature (flag cleared, checksum recomputed, block dropped) reads as unsigned', () => {
    const stripped = Uint8Array.from(signed.subarray(0, S));
    stripped[10] = 0;
    stripped.set(sha(stripped.subarray(0, S - 32)), S - 32);
    expect(Buffer.from(stripped).equals(Buffer.from(unsigned))).toBe(true);
    expect(verifyModelFile(p, stripped, [signer.publicKey]).status).toBe('unsigned');
  });
});

describe('assertModelTrusted', () => {
  const signed = signModelFile(p, signer, unsigned);

  it('returns valid for a trusted signature', () => {
    expect(assertModelTrusted('m.ipqm', signed, { trustedKeys: [signer.publicKey], allowUnsigned: false, provider: p }).status).toBe('valid');
  });

  it('refuses unsigned, untrusted and broken models with IPQ-P008 naming the file', () => {
    const cases: [Uint8Array, readonly Uint8Array[], RegExp][] = [
      [unsigned, [signer.publicKey], /IPQ-P008 models\/m\.ipqm: .*not signed/],
      [signed, [stranger.publicKey], /IPQ-P008 models\/m\.ipqm: .*not a trusted model key/],
      [signed, [], /IPQ-P008 models\/m\.ipqm: .*not a trusted model key/],
    ];
    for (const [bytes, keys, re] of cases) {
      let err: unknown;
      try {
        assertModelTrusted('models/m.ipqm', bytes, { trustedKeys: keys, allowUnsigned: false, provider: p });
      } catch (e) {
        err = e;
      }
      expect(isIpqsecError(err, 'IPQ-P008')).toBe(true);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('--allow-unsigned-model accepts them and reports the status', () => {
    expect(assertModelTrusted('m', unsigned, { trustedKeys: [], allowUnsigned: true, provider: p })).toEqual({ status: 'unsigned' });
    expect(assertModelTrusted('m', signed, { trustedKeys: [], allowUnsigned: true, provider: p }).status).toBe('invalid');
  });

  it('still reports a damaged file as IPQ-M001 (not a signature problem)', () => {
    expect(() => assertModelTrusted('m', signed.subarray(0, 100), { trustedKeys: [], allowUnsigned: true, provider: p })).toThrow(/IPQ-M001/);
  });
});

describe('ipqsec model sign / verify', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipqsec-model-sign-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(args: string[], env: Record<string, string> = {}): Promise<string> {
    let out = '';
    const model = modelSignCommands(new Command('model'), { provider: () => p, env, out: (t) => (out += t) });
    const quiet = (c: Command) => c.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    quiet(model);
    for (const c of model.commands) quiet(c);
    await model.parseAsync(args, { from: 'user' });
    return out;
  }

  it('signs in place with an encrypted key file and verifies against its public key', async () => {
    const key = join(dir, 'sign.key');
    await writeKeyFile(key, encodeKeyFile({ algorithm: 'ML-DSA-65', ...signer, createdMs: 0 }, { passphrase: 'pw', scrypt: { log2N: 10 } }));
    const model = join(dir, 'm.ipqm');
    await writeFile(model, unsigned);
    const out = await run(['sign', model, '--key', key], { IPQSEC_KEY_PASSPHRASE: 'pw' });
    expect(out).toBe(`signed ${model} with ML-DSA-65 key ${keyIdOf(signer.publicKey)}; wrote ${model}\n`);
    const bytes = new Uint8Array(await readFile(model));
    expect(verifyModelFile(p, bytes, [signer.publicKey]).status).toBe('valid');
    // verify accepts the key file itself (no passphrase needed) or a base64 public key.
    const pub = join(dir, 'sign.pub');
    await writeFile(pub, Buffer.from(signer.publicKey).toString('base64'));
    expect(await run(['verify', model, '--key', key])).toMatch(/valid ML-DSA-65 signature by trusted key/);
    expect(JSON.parse(await run(['verify', model, '--key', pub, '--json']))).toEqual({ file: model, status: 'valid', key_id: keyIdOf(signer.publicKey), reason: null });
    expect(await loadTrustedModelKeys([key, pub])).toHaveLength(2);
  });

  it('verify fails with IPQ-P008 for an unsigned model or an untrusted key; sign --out leaves the input alone', async () => {
    const key = join(dir, 'sign.key');
    await writeKeyFile(key, encodeKeyFile({ algorithm: 'ML-DSA-65', ...signer, createdMs: 0 }));
    const other = join(dir, 'other.key');
    await writeKeyFile(other, encodeKeyFile({ algorithm: 'ML-DSA-65', ...stranger, createdMs: 0 }));
    const model = join(dir, 'm.ipqm');
    await writeFile(model, unsigned);
    await expect(run(['verify', model, '--key', key])).rejects.toThrow(/IPQ-P008 .*m\.ipqm: .*not signed/);
    const out = join(dir, 'signed.ipqm');
    await run(['sign', model, '--key', key, '--out', out]);
    expect(Buffer.from(await readFile(model)).equals(Buffer.from(unsigned))).toBe(true);
    await expect(run(['verify', out, '--key', other])).rejects.toThrow(/IPQ-P008 .*not a trusted model key/);
    expect(await run(['verify', out, '--key', other, key])).toMatch(/valid/);
  });

  it('refuses to sign with an X-Wing key or a model that is not a model', async () => {
    const kem = join(dir, 'kem.key');
    const xk = (await import('../pqc/key-file.js')).keyPairFromSeed(p, 'X-Wing');
    await writeKeyFile(kem, encodeKeyFile({ algorithm: 'X-Wing', ...xk, createdMs: 0 }));
    const model = join(dir, 'm.ipqm');
    await writeFile(model, unsigned);
    await expect(run(['sign', model, '--key', kem])).rejects.toThrow(/IPQ-C001 .*X-Wing key/);
    const key = join(dir, 'sign.key');
    await writeKeyFile(key, encodeKeyFile({ algorithm: 'ML-DSA-65', ...signer, createdMs: 0 }));
    const csv = join(dir, 'data.csv');
    await writeFile(csv, 'a,b\n1,2\n');
    await expect(run(['sign', csv, '--key', key])).rejects.toThrow(/IPQ-M002/);
    await expect(run(['verify', model, '--key', kem])).rejects.toThrow(/IPQ-C001 .*X-Wing/);
  });
});
