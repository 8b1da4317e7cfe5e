import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { testNobleProvider } from '../pqc/_test-noble.js';
import { encodeKeyFile, type KeyFileContents } from '../pqc/key-file.js';
import {
  loadOrCreateIdentity,
  readKeyFile,
  readKeyFileInfo,
  readPublicKeyFile,
  replaceKeyFileKeepingOld,
  resolvePassphrase,
  writeKeyFile,
} from './key-files.js';

const p = testNobleProvider();
const FAST = { log2N: 10 } as const;
const posix = process.platform !== 'win32';
const modeOf = async (f: string) => (await stat(f)).mode & 0o777;

function key(fill: number): KeyFileContents {
  const kp = p.mlDsaKeygen(new Uint8Array(32).fill(fill));
  return { algorithm: 'ML-DSA-65', seed: kp.seed, publicKey: kp.publicKey, createdMs: 1_700_000_000_000 };
}

async function codeOf(pr: Promise<unknown>): Promise<string | undefined> {
  try {
    await pr;
  } catch (e) {
    if (isIpqsecError(e)) return e.code;
    throw e;
  }
  return undefined;
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeKeyFile', () => {
  it('creates the file with mode 0600 even under umask 000, and leaves no temporary file', async () => {
    const old = process.umask(0);
    try {
      const f = join(dir, 'a.key');
      const bytes = encodeKeyFile(key(1));
      await writeKeyFile(f, bytes);
      if (posix) expect(await modeOf(f)).toBe(0o600);
      expect(Buffer.from(await readFile(f)).equals(Buffer.from(bytes))).toBe(true);
      expect(await readdir(dir)).toEqual(['a.key']);
    } finally {
      process.umask(old);
    }
  });

  it('refuses to overwrite without force (IPQ-C001), replaces atomically with force', async () => {
    const f = join(dir, 'a.key');
    const first = encodeKeyFile(key(1));
    const second = encodeKeyFile(key(2));
    await writeKeyFile(f, first);
    let err: unknown;
    try {
      await writeKeyFile(f, second);
    } catch (e) {
      err = e;
    }
    expect(isIpqsecError(err, 'IPQ-C001')).toBe(true);
    expect((err as Error).message).toMatch(/a\.key exists; pass --force/);
    expect(Buffer.from(await readFile(f)).equals(Buffer.from(first))).toBe(true);
    expect(await readdir(dir)).toEqual(['a.key']);
    await chmod(f, 0o644);
    await writeKeyFile(f, second, { force: true });
    expect(Buffer.from(await readFile(f)).equals(Buffer.from(second))).toBe(true);
    if (posix) expect(await modeOf(f)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['a.key']);
  });
});

describe('readKeyFile', () => {
  it.skipIf(!posix)('refuses group- or other-accessible files with IPQ-P004, accepts 0600 and 0400', async () => {
    const f = join(dir, 'a.key');
    await writeKeyFile(f, encodeKeyFile(key(3)));
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      await chmod(f, mode);
      await expect(readKeyFile(f, p)).rejects.toThrow(new RegExp(`IPQ-P004 .*a\\.key: .*mode is 0${mode.toString(8)}`));
    }
    for (const mode of [0o600, 0o400]) {
      await chmod(f, mode);
      expect((await readKeyFile(f, p)).seed).toEqual(key(3).seed);
    }
  });

  it('opens an encrypted file with its passphrase; wrong or missing passphrase is IPQ-P003; missing file IPQ-P002', async () => {
    const f = join(dir, 'e.key');
    await writeKeyFile(f, encodeKeyFile(key(4), { passphrase: 'pw', scrypt: FAST }));
    expect((await readKeyFile(f, p, { passphrase: 'pw' })).publicKey).toEqual(key(4).publicKey);
    expect(await codeOf(readKeyFile(f, p, { passphrase: 'nope' }))).toBe('IPQ-P003');
    expect(await codeOf(readKeyFile(f, p))).toBe('IPQ-P003');
    expect(await codeOf(readKeyFile(join(dir, 'missing.key'), p))).toBe('IPQ-P002');
    const info = await readKeyFileInfo(f);
    expect(info).toMatchObject({ algorithm: 'ML-DSA-65', encrypted: true, mode: 0o600 });
  });
});

describe('readPublicKeyFile', () => {
  it('reads a key file, `keys show --json` output and a bare base64 key', async () => {
    const k = key(5);
    const id = createHash('sha256').update(k.publicKey).digest().subarray(0, 8).toString('hex');
    const b64 = Buffer.from(k.publicKey).toString('base64');
    const kf = join(dir, 'k.key');
    await writeKeyFile(kf, encodeKeyFile(k, { passphrase: 'pw', scrypt: FAST }));
    const json = join(dir, 'k.json');
    await writeFile(json, JSON.stringify({ algorithm: 'ML-DSA-65', key_id: id, public_key: b64 }));
    const txt = join(dir, 'k.pub');
    await writeFile(txt, `${b64.slice(0, 64)}\n${b64.slice(64)}\n`);
    for (const f of [kf, json, txt]) {
      const r = await readPublicKeyFile(f);
      expect(r.algorithm).toBe('ML-DSA-65');
      expect(r.keyId).toBe(id);
      expect(Buffer.from(r.publicKey).equals(Buffer.from(k.publicKey))).toBe(true);
    }
  });

  it('refuses anything else with IPQ-P002', async () => {
    const cases: [string, string | Uint8Array][] = [
      ['junk.txt', 'not base64 at all!'],
      ['short.pub', Buffer.from([1, 2, 3]).toString('base64')],
      ['nokey.json', '{"key_id":"00"}'],
      ['bad.json', '{"public_key":'],
      ['bin', Uint8Array.of(0xff, 0xfe, 0x00)],
    ];
    for (const [name, content] of cases) {
      await writeFile(join(dir, name), content);
      expect(await codeOf(readPublicKeyFile(join(dir, name))), name).toBe('IPQ-P002');
    }
  });
});

describe('resolvePassphrase', () => {
  it('prefers the file (one trailing newline removed), then IPQSEC_KEY_PASSPHRASE', async () => {
    const f = join(dir, 'pass');
    await writeFile(f, 'secret words \r\n');
    expect(await resolvePassphrase({ passphraseFile: f }, { IPQSEC_KEY_PASSPHRASE: 'env' })).toBe('secret words ');
    expect(await resolvePassphrase({}, { IPQSEC_KEY_PASSPHRASE: 'env' })).toBe('env');
    expect(await resolvePassphrase({}, { IPQSEC_KEY_PASSPHRASE: '' })).toBeUndefined();
    expect(await resolvePassphrase({}, {})).toBeUndefined();
    await writeFile(f, '\n');
    expect(await codeOf(resolvePassphrase({ passphraseFile: f }, {}))).toBe('IPQ-C001');
    expect(await codeOf(resolvePassphrase({ passphraseFile: join(dir, 'none') }, {}))).toBe('IPQ-C001');
  });
});

describe('replaceKeyFileKeepingOld', () => {
  it('keeps the old file (0600) and installs the new one', async () => {
    const f = join(dir, 'id.key');
    const oldBytes = encodeKeyFile(key(6));
    const newBytes = encodeKeyFile(key(7));
    await writeKeyFile(f, oldBytes);
    const backup = `${f}.T.old`;
    await replaceKeyFileKeepingOld(f, newBytes, backup);
    expect(Buffer.from(await readFile(backup)).equals(Buffer.from(oldBytes))).toBe(true);
    expect(Buffer.from(await readFile(f)).equals(Buffer.from(newBytes))).toBe(true);
    if (posix) {
      expect(await modeOf(backup)).toBe(0o600);
      expect(await modeOf(f)).toBe(0o600);
    }
    expect(await codeOf(replaceKeyFileKeepingOld(f, oldBytes, backup))).toBe('IPQ-C001');
    expect(Buffer.from(await readFile(f)).equals(Buffer.from(newBytes))).toBe(true);
  });
});

describe('loadOrCreateIdentity', () => {
  it('creates the key (and its directory) on first start and loads the same key later', async () => {
    const data = join(dir, 'data');
    const a = await loadOrCreateIdentity(data, 'identity.key', p, { algorithm: 'ML-DSA-65', now: () => 1234 });
    expect(a).toMatchObject({ created: true, algorithm: 'ML-DSA-65', createdMs: 1234, path: join(data, 'identity.key') });
    expect(a.keyId).toBe(createHash('sha256').update(a.keyPair.publicKey).digest().subarray(0, 8).toString('hex'));
    expect(p.mlDsaKeygen(a.keyPair.seed).publicKey).toEqual(a.keyPair.publicKey);
    if (posix) {
      expect(await modeOf(a.path)).toBe(0o600);
      expect(await modeOf(data)).toBe(0o700);
    }
    const b = await loadOrCreateIdentity(data, 'identity.key', p, { algorithm: 'ML-DSA-65' });
    expect(b).toMatchObject({ created: false, createdMs: 1234, keyId: a.keyId });
    expect(b.keyPair.seed).toEqual(a.keyPair.seed);
  });

  it('creates an X-Wing KEM key and refuses a file of the other algorithm', async () => {
    const k = await loadOrCreateIdentity(dir, 'kem.key', p, { algorithm: 'X-Wing' });
    expect(k.keyPair.publicKey.length).toBe(1216);
    await expect(loadOrCreateIdentity(dir, 'kem.key', p, { algorithm: 'ML-DSA-65' })).rejects.toThrow(/IPQ-P002 .*kem\.key: .*X-Wing key, expected ML-DSA-65/);
  });

  it('encrypts a new key under the passphrase and needs it afterwards', async () => {
    const k = await loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65', passphrase: 'pw', scrypt: FAST });
    expect((await readKeyFileInfo(k.path)).encrypted).toBe(true);
    expect(await codeOf(loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65' }))).toBe('IPQ-P003');
    expect((await loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65', passphrase: 'pw' })).keyId).toBe(k.keyId);
  });

  it('two concurrent first starts end with one key', async () => {
    const [a, b] = await Promise.all([
      loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65' }),
      loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65' }),
    ]);
    expect(a.keyId).toBe(b.keyId);
    expect([a.created, b.created].filter(Boolean).length).toBeLessThanOrEqual(1);
    expect((await readdir(dir)).sort()).toEqual(['identity.key']);
  });

  it.skipIf(!posix)('refuses an existing key file that others can read', async () => {
    const k = await loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65' });
    await chmod(k.path, 0o644);
    expect(await codeOf(loadOrCreateIdentity(dir, 'identity.key', p, { algorithm: 'ML-DSA-65' }))).toBe('IPQ-P004');
  });
});
