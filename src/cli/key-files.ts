/**
 * Key files on disk: written with mode 0600 (exclusively unless forced, atomically through a 0600 temporary file),
 * read only when no group or other permission bit is set, optionally encrypted under a passphrase taken from
 * `IPQSEC_KEY_PASSPHRASE` or a `--passphrase-file`. The byte format is `src/pqc/key-file.ts`.
 *
 * The service uses {@link loadOrCreateIdentity} at start for the keys in its data directory (server identity
 * `identity.key`, ML-DSA-65; server KEM key `kem.key`, X-Wing): created on first start, loaded afterwards.
 */
import { constants as fsConstants } from 'node:fs';
import { chmod, copyFile, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { IpqsecError } from '../core/errors.js';
import {
  decodeKeyFile,
  encodeKeyFile,
  inspectKeyFile,
  isKeyFile,
  KEY_ALGORITHMS,
  keyPairFromSeed,
  publicKeyId,
  type KeyAlgorithm,
  type KeyFileContents,
  type KeyFileInfo,
  type ScryptParams,
} from '../pqc/key-file.js';
import type { PqcProvider } from '../pqc/provider.js';

/** Environment variable holding the passphrase of encrypted key files. */
export const KEY_PASSPHRASE_ENV = 'IPQSEC_KEY_PASSPHRASE';

/** Mode of every key file written (owner read/write only). */
export const KEY_FILE_MODE = 0o600;

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);
const CHECK_MODE = process.platform !== 'win32';

/** Options of {@link writeKeyFile}. */
export interface WriteKeyFileOptions {
  /** Replace an existing file (default false: refuse with IPQ-C001). */
  readonly force?: boolean;
}

/**
 * Writes key-file bytes to `path` with mode 0600. The bytes go to a temporary file created 0600 in the same
 * directory and flushed (fsync); it is then hard-linked to `path` (atomic and exclusive: fails when `path`
 * exists) or, with `force`, renamed over `path`. Where hard links are unsupported, an exclusive create is used.
 * @throws IpqsecError IPQ-C001 when `path` exists and `force` is not set (`details.reason = 'exists'`);
 *   file-system errors (`EACCES`, `ENOENT` for a missing directory, ...) as thrown by `node:fs`.
 */
export async function writeKeyFile(path: string, bytes: Uint8Array, opts: WriteKeyFileOptions = {}): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', KEY_FILE_MODE);
  try {
    try {
      await fh.chmod(KEY_FILE_MODE);
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (opts.force === true) {
      await rename(tmp, path);
    } else {
      try {
        await link(tmp, path);
      } catch (e) {
        if (!LINK_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        await writeExclusive(path, bytes);
      }
      await unlink(tmp);
    }
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IpqsecError('IPQ-C001', `${path} exists; pass --force to overwrite it (or use \`ipqsec keys rotate\`)`, {
        location: { file: path },
        details: { reason: 'exists' },
      });
    }
    throw e;
  }
  await syncDir(dirname(path));
}

async function writeExclusive(path: string, bytes: Uint8Array): Promise<void> {
  const fh = await open(path, 'wx', KEY_FILE_MODE);
  try {
    await fh.chmod(KEY_FILE_MODE);
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Not every platform can fsync a directory (Windows); the data itself is already flushed.
  }
}

/** Bytes of a key file and the permission bits it had when read. */
interface RawKeyFile {
  readonly bytes: Uint8Array;
  readonly mode: number;
}

async function readRaw(path: string, requirePrivate: boolean): Promise<RawKeyFile> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new IpqsecError('IPQ-P002', `cannot read key file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      location: { file: path },
      cause: e,
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new IpqsecError('IPQ-P002', 'not a regular file', { location: { file: path } });
    const mode = st.mode & 0o777;
    if (requirePrivate && CHECK_MODE && (mode & 0o077) !== 0) {
      throw new IpqsecError('IPQ-P004', `mode is 0${mode.toString(8)}, a secret key file must not be readable or writable by group or others`, {
        location: { file: path },
        details: { mode: `0${mode.toString(8)}` },
      });
    }
    return { bytes: new Uint8Array(await fh.readFile()), mode };
  } finally {
    await fh.close();
  }
}

/** Options of {@link readKeyFile}. */
export interface ReadKeyFileOptions {
  /** Passphrase of an encrypted file ({@link resolvePassphrase}). */
  readonly passphrase?: string;
}

/**
 * Reads and decodes a secret key file, refusing one whose mode grants any permission to group or others
 * (not checked on Windows). The public key is recomputed from the seed and must match.
 * @throws IpqsecError IPQ-P004 when the file is group/other accessible; IPQ-P002 when it cannot be read or is
 *   not a valid key file; IPQ-P003 when it is encrypted and the passphrase is missing or wrong.
 */
export async function readKeyFile(path: string, p: PqcProvider, opts: ReadKeyFileOptions = {}): Promise<KeyFileContents> {
  const { bytes } = await readRaw(path, true);
  return decodeKeyFile(p, bytes, { fileName: path, ...(opts.passphrase === undefined ? {} : { passphrase: opts.passphrase }) });
}

/**
 * Reads the public part of a key file (no passphrase needed, mode not enforced) with the file's permission bits.
 * @throws IpqsecError IPQ-P002 when the file cannot be read or is not a valid key file.
 */
export async function readKeyFileInfo(path: string): Promise<KeyFileInfo & { readonly mode: number }> {
  const { bytes, mode } = await readRaw(path, false);
  return { ...inspectKeyFile(bytes, path), mode };
}

/** A public key read by {@link readPublicKeyFile}. */
export interface PublicKeyFile {
  readonly algorithm: KeyAlgorithm;
  readonly publicKey: Uint8Array;
  /** First 8 bytes of SHA-256(public key), hex. */
  readonly keyId: string;
}

/**
 * Reads a public key from any of: an IPqSEC key file (its public part; no passphrase, mode not enforced); the
 * JSON printed by `ipqsec keys show --json` (field `public_key`, base64); or a text file holding only the base64
 * public key. The algorithm is the key file's, or inferred from the key length (1,952 bytes ML-DSA-65, 1,216
 * bytes X-Wing).
 * @throws IpqsecError IPQ-P002 when the file cannot be read or holds none of these.
 */
export async function readPublicKeyFile(path: string): Promise<PublicKeyFile> {
  const { bytes } = await readRaw(path, false);
  if (isKeyFile(bytes)) {
    const info = inspectKeyFile(bytes, path);
    return { algorithm: info.algorithm, publicKey: info.publicKey, keyId: info.keyId };
  }
  const bad = (detail: string) => new IpqsecError('IPQ-P002', detail, { location: { file: path } });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
  } catch {
    throw bad('neither a key file nor a text file holding a public key');
  }
  let b64 = text;
  if (text.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw bad(`not valid JSON: ${(e as Error).message}`);
    }
    const pk = (obj as { public_key?: unknown } | null)?.public_key;
    if (typeof pk !== 'string') throw bad('the JSON object has no string field "public_key"');
    b64 = pk;
  }
  const compact = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) throw bad('the public key is not base64');
  const publicKey = new Uint8Array(Buffer.from(compact, 'base64'));
  const algorithm = (Object.keys(KEY_ALGORITHMS) as KeyAlgorithm[]).find((a) => KEY_ALGORITHMS[a].publicKeyBytes === publicKey.length);
  if (algorithm === undefined) {
    throw bad(`a public key of ${publicKey.length} bytes is neither ML-DSA-65 (1952) nor X-Wing (1216)`);
  }
  return { algorithm, publicKey, keyId: publicKeyId(publicKey) };
}

/**
 * The passphrase for encrypted key files: the contents of `passphraseFile` when given (one trailing newline
 * removed), else `env.IPQSEC_KEY_PASSPHRASE` when set and non-empty, else undefined.
 * @throws IpqsecError IPQ-C001 when the passphrase file cannot be read or is empty.
 */
export async function resolvePassphrase(
  opts: { readonly passphraseFile?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  if (opts.passphraseFile !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.passphraseFile, 'utf8');
    } catch (e) {
      throw new IpqsecError('IPQ-C001', `--passphrase-file: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        location: { file: opts.passphraseFile },
      });
    }
    const pass = text.replace(/\r?\n$/, '');
    if (pass === '') throw new IpqsecError('IPQ-C001', '--passphrase-file is empty', { location: { file: opts.passphraseFile } });
    return pass;
  }
  const fromEnv = env[KEY_PASSPHRASE_ENV];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * Moves a key aside and installs a new one: the current file is kept as `backupPath` (hard link, or an exclusive
 * copy where links are unsupported; mode 0600), then `newBytes` replace `path` atomically (mode 0600).
 * `path` always holds a complete key file.
 * @throws IpqsecError IPQ-C001 when `backupPath` exists; file-system errors as thrown by `node:fs`.
 */
export async function replaceKeyFileKeepingOld(path: string, newBytes: Uint8Array, backupPath: string): Promise<void> {
  try {
    try {
      await link(path, backupPath);
    } catch (e) {
      if (!LINK_UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      await copyFile(path, backupPath, fsConstants.COPYFILE_EXCL);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IpqsecError('IPQ-C001', `${backupPath} exists; not overwriting an old key`, { location: { file: backupPath } });
    }
    throw e;
  }
  await chmod(backupPath, KEY_FILE_MODE);
  await writeKeyFile(path, newBytes, { force: true });
}

/** Options of {@link loadOrCreateIdentity}. */
export interface LoadOrCreateOptions {
  /** Algorithm of the key (`ML-DSA-65` for `identity.key`, `X-Wing` for `kem.key`); a file of another is refused. */
  readonly algorithm: KeyAlgorithm;
  /** Passphrase: opens an encrypted file; a newly created file is encrypted under it. */
  readonly passphrase?: string;
  /** Clock for the creation time of a new key (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
  /** scrypt cost of a newly encrypted file (default N = 2^15, r = 8, p = 1). */
  readonly scrypt?: Partial<ScryptParams>;
}

/** A key loaded or created by {@link loadOrCreateIdentity}. */
export interface LoadedKey {
  readonly path: string;
  readonly algorithm: KeyAlgorithm;
  /** The seed and public key (an `MlDsaKeyPair` or an `XWingKeyPair` by algorithm). */
  readonly keyPair: { readonly seed: Uint8Array; readonly publicKey: Uint8Array };
  /** First 8 bytes of SHA-256(public key), hex. */
  readonly keyId: string;
  readonly createdMs: number;
  /** True when the key was generated by this call. */
  readonly created: boolean;
}

/**
 * Loads the key `dir/name`, creating it (and `dir`, mode 0700) on first use: a fresh key of `opts.algorithm`,
 * written exclusively with mode 0600 (encrypted when a passphrase is given). When two processes race, the one
 * that loses the exclusive create loads the winner's key.
 * @throws IpqsecError IPQ-P002 when the file holds another algorithm or is invalid; IPQ-P003 for a missing or
 *   wrong passphrase; IPQ-P004 when the file is group/other accessible; file-system errors from `node:fs`.
 */
export async function loadOrCreateIdentity(dir: string, name: string, p: PqcProvider, opts: LoadOrCreateOptions): Promise<LoadedKey> {
  const path = join(dir, name);
  const load = async (): Promise<LoadedKey> => {
    const k = await readKeyFile(path, p, opts.passphrase === undefined ? {} : { passphrase: opts.passphrase });
    if (k.algorithm !== opts.algorithm) {
      throw new IpqsecError('IPQ-P002', `holds an ${k.algorithm} key, expected ${opts.algorithm}`, { location: { file: path } });
    }
    return { path, algorithm: k.algorithm, keyPair: { seed: k.seed, publicKey: k.publicKey }, keyId: publicKeyId(k.publicKey), createdMs: k.createdMs, created: false };
  };
  const exists = await stat(path).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
  if (exists) return load();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const kp = keyPairFromSeed(p, opts.algorithm);
  const createdMs = Math.floor((opts.now ?? Date.now)());
  const bytes = encodeKeyFile(
    { algorithm: opts.algorithm, seed: kp.seed, publicKey: kp.publicKey, createdMs },
    { ...(opts.passphrase === undefined ? {} : { passphrase: opts.passphrase }), ...(opts.scrypt === undefined ? {} : { scrypt: opts.scrypt }) },
  );
  try {
    await writeKeyFile(path, bytes);
  } catch (e) {
    if (e instanceof IpqsecError && e.details?.reason === 'exists') return load();
    throw e;
  }
  return { path, algorithm: opts.algorithm, keyPair: kp, keyId: publicKeyId(kp.publicKey), createdMs, created: true };
}
