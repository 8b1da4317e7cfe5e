/**
 * Operations per second of the post-quantum primitives on one back-end: ML-KEM-768 keygen/encaps/decaps (FIPS 203),
 * ML-DSA-65 keygen/sign/verify (FIPS 204), X-Wing encaps/decaps (draft-connolly-cfrg-xwing-kem). `bench/pqc.ts`
 * runs it in-process for `noble` and as a child process under Node 24 for `native`.
 *
 * Method: each operation runs for `seconds`, split into 5 rounds of equal time after a short warm-up; the result is
 * the median of the 5 rounds' rates. Keygen uses a fresh random seed per call; encaps, decaps, sign and verify reuse
 * one key pair object (so a back-end's expanded-key cache is warm, as on a server), sign and verify a 256-byte
 * message without context. Single thread; the event loop is released between rounds.
 *
 * Usage: node dist/bench/pqc-crypto.js [--backend native|noble] [--seconds S (default 1)] [--json]
 * With `--json` it prints `{ backend, node, openssl, seconds, ops: { <operation>: ops/s } }`.
 */
import { pathToFileURL } from 'node:url';
import { randomBytes } from '../src/pqc/classical.js';
import type { PqcBackendName, PqcProvider } from '../src/pqc/provider.js';
import { createPqcProvider } from '../src/pqc/select-provider.js';
import { xwingDecapsulate, xwingEncapsulate, xwingKeygen } from '../src/pqc/xwing.js';

/** Rounds per operation; the reported rate is their median. */
const ROUNDS = 5;

/** The operations measured, in report order. */
export const CRYPTO_OPS = [
  'ml_kem_768_keygen',
  'ml_kem_768_encaps',
  'ml_kem_768_decaps',
  'ml_dsa_65_keygen',
  'ml_dsa_65_sign',
  'ml_dsa_65_verify',
  'xwing_encaps',
  'xwing_decaps',
] as const;

/** One of {@link CRYPTO_OPS}. */
export type CryptoOp = (typeof CRYPTO_OPS)[number];

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function rate(op: () => unknown, roundMs: number): Promise<number> {
  for (let i = 0; i < 3; i++) op();
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await nextTick();
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      op();
      n++;
      t = performance.now();
    } while (t - t0 < roundMs);
    rates.push((n * 1000) / (t - t0));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(ROUNDS / 2)];
}

/**
 * Measures every operation of {@link CRYPTO_OPS} on `p`.
 * @param opts.seconds time per operation in seconds (> 0; e.g. 1), split into 5 rounds
 * @returns operations per second by operation name, the median of 5 rounds
 * @throws RangeError when `seconds` is not a positive finite number
 */
export async function benchCryptoOps(p: PqcProvider, opts: { seconds: number }): Promise<Record<CryptoOp, number>> {
  if (!Number.isFinite(opts.seconds) || opts.seconds <= 0) throw new RangeError(`benchCryptoOps: seconds must be > 0, got ${opts.seconds}`);
  const roundMs = (opts.seconds * 1000) / ROUNDS;
  const kem = p.mlKemKeygen();
  const { ciphertext } = p.mlKemEncapsulate(kem.publicKey);
  const dsa = p.mlDsaKeygen();
  const message = randomBytes(256);
  const signature = p.mlDsaSign(dsa, message);
  const xwing = xwingKeygen(p);
  const xct = xwingEncapsulate(p, xwing.publicKey).ciphertext;
  const ops: Record<CryptoOp, () => unknown> = {
    ml_kem_768_keygen: () => p.mlKemKeygen(),
    ml_kem_768_encaps: () => p.mlKemEncapsulate(kem.publicKey),
    ml_kem_768_decaps: () => p.mlKemDecapsulate(kem, ciphertext),
    ml_dsa_65_keygen: () => p.mlDsaKeygen(),
    ml_dsa_65_sign: () => p.mlDsaSign(dsa, message),
    ml_dsa_65_verify: () => p.mlDsaVerify(dsa.publicKey, message, signature),
    xwing_encaps: () => xwingEncapsulate(p, xwing.publicKey),
    xwing_decaps: () => xwingDecapsulate(p, xwing, xct),
  };
  const out = {} as Record<CryptoOp, number>;
  for (const name of CRYPTO_OPS) out[name] = await rate(ops[name], roundMs);
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const backend = arg('backend') as PqcBackendName | undefined;
  const seconds = Number(arg('seconds') ?? '1');
  const p = createPqcProvider(backend);
  const ops = await benchCryptoOps(p, { seconds });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ backend: p.backend, node: process.version, openssl: process.versions.openssl, seconds, ops }));
    return;
  }
  console.log(`back-end ${p.backend}, Node ${process.version}, OpenSSL ${process.versions.openssl}, ${seconds} s per operation`);
  for (const name of CRYPTO_OPS) console.log(`${name.padEnd(20)} ${ops[name].toFixed(0).padStart(8)} ops/s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
