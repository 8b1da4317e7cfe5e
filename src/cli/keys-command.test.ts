import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { testNobleProvider } from '../pqc/_test-noble.js';
import { decodeKeyFile, inspectKeyFile } from '../pqc/key-file.js';
import { fileTimestamp, keysCommand } from './keys-command.js';

const p = testNobleProvider();
const posix = process.platform !== 'win32';
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const keyIdOf = (pk: Uint8Array) => createHash('sha256').update(pk).digest().subarray(0, 8).toString('hex');

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipqsec-keys-cmd-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `ipqsec keys …args` in process; resolves to what it printed, or rejects with its error. */
async function run(args: string[], env: Record<string, string> = {}, now = NOW): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  const cmd = keysCommand({ provider: () => p, env, now: () => now, out: (t) => (out += t), err: (t) => (err += t), scrypt: { log2N: 10 } });
  const quiet = (c: Command) => c.exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  quiet(cmd);
  for (const c of cmd.commands) quiet(c);
  await cmd.parseAsync(args, { from: 'user' });
  return { out, err };
}

async function codeOf(pr: Promise<unknown>): Promise<string | undefined> {
  try {
    await pr;
  } catch (e) {
    if (isIpqsecError(e)) return e.code;
    return `other: ${String(e)}`;
  }
  return undefined;
}

describe('ipqsec keys gen', () => {
  it('writes an ML-DSA-65 key file of mode 0600 and prints its key id', async () => {
    const f = join(dir, 'id.key');
    const { out } = await run(['gen', '--out', f]);
    const bytes = new Uint8Array(await readFile(f));
    const info = inspectKeyFile(bytes);
    expect(info).toMatchObject({ algorithm: 'ML-DSA-65', encrypted: false, createdMs: NOW });
    expect(out).toBe(`wrote ML-DSA-65 key ${keyIdOf(info.publicKey)} to ${f} (mode 0600, not encrypted)\n`);
    if (posix) expect((await stat(f)).mode & 0o777).toBe(0o600);
    const k = decodeKeyFile(p, bytes);
    expect(p.mlDsaKeygen(k.seed).publicKey).toEqual(info.publicKey);
  });

  it('generates X-Wing keys with --alg x-wing', async () => {
    const f = join(dir, 'kem.key');
    const { out } = await run(['gen', '--out', f, '--alg', 'x-wing', '--json']);
    const info = inspectKeyFile(new Uint8Array(await readFile(f)));
    expect(info.algorithm).toBe('X-Wing');
    expect(JSON.parse(out)).toMatchObject({ file: f, algorithm: 'X-Wing', key_id: keyIdOf(info.publicKey), encrypted: false });
    expect(await codeOf(run(['gen', '--out', join(dir, 'x'), '--alg', 'rsa']))).toMatch(/^other:/);
  });

  it('refuses to overwrite without --force', async () => {
    const f = join(dir, 'id.key');
    await run(['gen', '--out', f]);
    const before = await readFile(f);
    expect(await codeOf(run(['gen', '--out', f]))).toBe('IPQ-C001');
    expect((await readFile(f)).equals(before)).toBe(true);
    await run(['gen', '--out', f, '--force']);
    expect((await readFile(f)).equals(before)).toBe(false);
  });

  it('--encrypt takes the passphrase from IPQSEC_KEY_PASSPHRASE or --passphrase-file, and needs one', async () => {
    const f = join(dir, 'e.key');
    expect(await codeOf(run(['gen', '--out', f, '--encrypt']))).toBe('IPQ-C001');
    await run(['gen', '--out', f, '--encrypt'], { IPQSEC_KEY_PASSPHRASE: 'from env' });
    const bytes = new Uint8Array(await readFile(f));
    expect(inspectKeyFile(bytes).encrypted).toBe(true);
    expect(decodeKeyFile(p, bytes, { passphrase: 'from env' }).algorithm).toBe('ML-DSA-65');
    const pf = join(dir, 'pass');
    await writeFile(pf, 'from file\n');
    const g = join(dir, 'g.key');
    await run(['gen', '--out', g, '--encrypt', '--passphrase-file', pf], { IPQSEC_KEY_PASSPHRASE: 'from env' });
    expect(decodeKeyFile(p, new Uint8Array(await readFile(g)), { passphrase: 'from file' }).algorithm).toBe('ML-DSA-65');
  });
});

describe('ipqsec keys show', () => {
  it('prints algorithm, key id, public key and creation time, never the seed, without a passphrase', async () => {
    const f = join(dir, 'e.key');
    await run(['gen', '--out', f, '--encrypt'], { IPQSEC_KEY_PASSPHRASE: 'pw' });
    const bytes = new Uint8Array(await readFile(f));
    const seed = decodeKeyFile(p, bytes, { passphrase: 'pw' }).seed;
    const pk = inspectKeyFile(bytes).publicKey;
    const json = JSON.parse((await run(['show', f, '--json'])).out);
    expect(json).toEqual({
      file: f,
      algorithm: 'ML-DSA-65',
      key_id: keyIdOf(pk),
      public_key: Buffer.from(pk).toString('base64'),
      created: '2025-01-02T03:04:05.678Z',
      encrypted: true,
      scrypt: { log2_n: 10, r: 8, p: 1 },
      mode: '0600',
    });
    const text = (await run(['show', f])).out;
    expect(text).toMatch(new RegExp(`key id +${keyIdOf(pk)}`));
    expect(text).toMatch(/protection +scrypt \(N = 2\^10, r = 8, p = 1\) \+ AES-256-GCM/);
    for (const o of [text, JSON.stringify(json)]) {
      expect(o).not.toContain(Buffer.from(seed).toString('hex'));
      expect(o).not.toContain(Buffer.from(seed).toString('base64'));
    }
  });

  it.skipIf(!posix)('warns when the file is readable by others', async () => {
    const f = join(dir, 'id.key');
    await run(['gen', '--out', f]);
    await chmod(f, 0o644);
    const { out, err } = await run(['show', f]);
    expect(err).toMatch(/warning: .*mode 0644/);
    expect(out).toMatch(/mode +0644 \(too open\)/);
  });

  it('names a file that is not a key file', async () => {
    const f = join(dir, 'x.csv');
    await writeFile(f, 'a,b\n1,2\n');
    await expect(run(['show', f])).rejects.toThrow(/IPQ-P002 .*x\.csv byte 0/);
  });
});

describe('ipqsec keys rotate', () => {
  it('installs a new key of the same algorithm and keeps the old file as FILE.<timestamp>.old (0600)', async () => {
    const f = join(dir, 'kem.key');
    await run(['gen', '--out', f, '--alg', 'x-wing'], {}, NOW - 1000);
    const oldBytes = await readFile(f);
    const oldId = keyIdOf(inspectKeyFile(oldBytes).publicKey);
    const { out } = await run(['rotate', f]);
    const backup = `${f}.20250102T030405678Z.old`;
    expect(fileTimestamp(NOW)).toBe('20250102T030405678Z');
    expect((await readFile(backup)).equals(oldBytes)).toBe(true);
    const newInfo = inspectKeyFile(await readFile(f));
    expect(newInfo.algorithm).toBe('X-Wing');
    expect(newInfo.createdMs).toBe(NOW);
    const newId = keyIdOf(newInfo.publicKey);
    expect(newId).not.toBe(oldId);
    expect(out).toBe(`rotated X-Wing key in ${f}: old key ${oldId} kept as ${backup}, new key ${newId}\n`);
    if (posix) {
      expect((await stat(backup)).mode & 0o777).toBe(0o600);
      expect((await stat(f)).mode & 0o777).toBe(0o600);
    }
    expect((await readdir(dir)).sort()).toEqual(['kem.key', 'kem.key.20250102T030405678Z.old']);
  });

  it('keeps an encrypted key encrypted under the same passphrase and refuses a wrong one without changing anything', async () => {
    const f = join(dir, 'id.key');
    await run(['gen', '--out', f, '--encrypt'], { IPQSEC_KEY_PASSPHRASE: 'pw' }, NOW - 1000);
    const before = await readFile(f);
    expect(await codeOf(run(['rotate', f], { IPQSEC_KEY_PASSPHRASE: 'wrong' }))).toBe('IPQ-P003');
    expect(await codeOf(run(['rotate', f]))).toBe('IPQ-P003');
    expect((await readFile(f)).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['id.key']);
    const { out } = await run(['rotate', f, '--json'], { IPQSEC_KEY_PASSPHRASE: 'pw' });
    const r = JSON.parse(out);
    expect(r).toMatchObject({ file: f, algorithm: 'ML-DSA-65', old_file: `${f}.20250102T030405678Z.old` });
    const now = new Uint8Array(await readFile(f));
    expect(keyIdOf(decodeKeyFile(p, now, { passphrase: 'pw' }).publicKey)).toBe(r.new_key_id);
    expect(keyIdOf(inspectKeyFile(before).publicKey)).toBe(r.old_key_id);
  });

  it.skipIf(!posix)('refuses to rotate a key file others can read', async () => {
    const f = join(dir, 'id.key');
    await run(['gen', '--out', f]);
    await chmod(f, 0o640);
    expect(await codeOf(run(['rotate', f]))).toBe('IPQ-P004');
  });
});
