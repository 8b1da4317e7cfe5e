/**
 * The native crypto back-end (node:crypto with OpenSSL 3.5) needs Node >= 24.7, but vitest runs on Node 20: this
 * test runs test/fixtures/pqc-interop.mjs under a Node 24 binary against the compiled code (dist/, built by
 * `npm test` before vitest) and asserts on its JSON: native and noble interoperate (ML-KEM, ML-DSA, X-Wing), and the
 * Wycheproof ML-KEM-768 / ML-DSA-65 cases and the X-Wing vectors pass through native. It also runs the crypto
 * benchmark's entry point under Node 24 (`--json`), checking only that it reports every operation.
 *
 * Node 24 is found at $IPQSEC_NODE24, else <repo>/.tools/node24/node_modules/node/bin/node; without either the
 * test is skipped. $IPQSEC_DIST overrides <repo>/dist (e.g. a `tsc --outDir` elsewhere, with node_modules
 * resolvable from it).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const node24 = [process.env.IPQSEC_NODE24, join(root, '.tools', 'node24', 'node_modules', 'node', 'bin', 'node')].find(
  (f): f is string => f !== undefined && f !== '' && existsSync(f),
);
if (node24 === undefined) {
  console.warn('skipping the native PQC back-end tests: no Node 24 binary (set IPQSEC_NODE24 or install it under .tools/node24)');
}
const dist = resolve(root, process.env.IPQSEC_DIST ?? 'dist');
const data = resolve(root, process.env.IPQSEC_DATA ?? '../shared/data');
const hasData = existsSync(join(data, 'pqc-vectors', 'wycheproof', 'mlkem_768_test.json'));

interface Check {
  passed: number;
  failed: number;
  failures: string[];
}
interface InteropResult {
  node: string;
  openssl: string;
  nativeAvailable: boolean;
  contextSupported: boolean;
  hasVectors?: boolean;
  checks: Record<string, Check>;
}

function runNode24(args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(node24 as string, args, { env: { ...process.env, IPQSEC_DIST: dist, IPQSEC_DATA: data }, maxBuffer: 16 << 20, timeout: 110_000 }, (err, stdout, stderr) => {
      if (err !== null) rej(new Error(`${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else res(stdout);
    });
  });
}

/** Checks and how many cases each must have passed (random runs by the script, or the data files' case counts). */
const EXPECTED: Record<string, number> = {
  mlkem_same_seed_same_pk: 10,
  mlkem_native_keys_noble_encaps: 10,
  mlkem_noble_keys_native_encaps: 10,
  mlkem_foreign_key_pair_object: 10,
  mlkem_native_misuse: 1,
  mlkem_native_implicit_rejection: 1,
  mldsa_same_seed_same_pk: 5,
  mldsa_native_sign_noble_verify: 5,
  mldsa_noble_sign_native_verify: 5,
  mldsa_native_hedged: 5,
  mldsa_native_misuse: 1,
  xwing_same_seed_same_pk: 5,
  xwing_native_keys_noble_encaps: 5,
  xwing_noble_keys_native_encaps: 5,
  xwing_low_order_ct_x: 1,
  xwing_native_no_eseed: 1,
};
const EXPECTED_WITH_DATA: Record<string, number> = {
  xwing_vectors_native: 6,
  wycheproof_mlkem_keygen_seed: 100,
  wycheproof_mlkem_decaps: 193,
  wycheproof_mlkem_encaps: 265,
  wycheproof_mldsa_sign_seed: 105,
  wycheproof_mldsa_verify: 210,
};

const why = node24 === undefined ? ' (SKIPPED: no Node 24 binary; set IPQSEC_NODE24)' : '';

describe.skipIf(node24 === undefined)(`native back-end under Node 24${why}`, () => {
  let result: InteropResult;

  beforeAll(async () => {
    const entry = join(dist, 'src', 'pqc', 'native-provider.js');
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does), or set IPQSEC_DIST`);
    result = JSON.parse(await runNode24([join(root, 'test', 'fixtures', 'pqc-interop.mjs')])) as InteropResult;
  });

  it('the Node 24 binary has the native back-end', () => {
    expect(result.nativeAvailable, `Node ${result.node}, OpenSSL ${result.openssl}`).toBe(true);
    const [major, minor] = result.node.slice(1).split('.').map(Number);
    if (major > 24 || (major === 24 && minor >= 8)) expect(result.contextSupported).toBe(true);
  });

  it('native and noble interoperate: same keys from the same seeds, each decapsulates and verifies the other', () => {
    const expected = { ...EXPECTED };
    const contextChecks = result.contextSupported
      ? { mldsa_context_native_sign_noble_verify: 5, mldsa_context_noble_sign_native_verify: 5 }
      : { mldsa_context_refused: 5 };
    Object.assign(expected, contextChecks);
    for (const [name, n] of Object.entries(expected)) {
      const c = result.checks[name];
      expect(c, name).toBeDefined();
      expect(c.failures, name).toEqual([]);
      expect({ name, passed: c.passed, failed: c.failed }).toEqual({ name, passed: n, failed: 0 });
    }
  });

  it.skipIf(!hasData)('the X-Wing vectors and every Wycheproof ML-KEM-768 / ML-DSA-65 case pass through native', () => {
    expect(result.hasVectors).toBe(true);
    for (const [name, n] of Object.entries(EXPECTED_WITH_DATA)) {
      const c = result.checks[name];
      expect(c, name).toBeDefined();
      expect(c.failures, name).toEqual([]);
      expect({ name, passed: c.passed, failed: c.failed }).toEqual({ name, passed: n, failed: 0 });
    }
  });

  it('no check failed', () => {
    const failed = Object.entries(result.checks).filter(([, c]) => c.failed > 0);
    expect(failed).toEqual([]);
  });

  it('the crypto benchmark runs on native and reports every operation', async () => {
    const bench = join(dist, 'bench', 'pqc-crypto.js');
    if (!existsSync(bench)) throw new Error(`${bench} is missing: run \`npm run build\` first`);
    const out = JSON.parse(await runNode24([bench, '--backend', 'native', '--seconds', '0.05', '--json'])) as {
      backend: string;
      ops: Record<string, number>;
    };
    expect(out.backend).toBe('native');
    expect(Object.keys(out.ops)).toHaveLength(8);
    for (const v of Object.values(out.ops)) expect(v).toBeGreaterThan(0);
  });
});
