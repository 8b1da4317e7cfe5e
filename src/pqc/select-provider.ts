/**
 * Choosing the crypto back-end: `native` (`node:crypto`, Node >= 24.7 with OpenSSL >= 3.5) when this Node has it,
 * else `noble` (`@noble/post-quantum`, any supported Node). Both give the same encodings (FIPS 203/204), so the
 * choice changes speed, not results: keys, ciphertexts and signatures of one verify and decapsulate with the other.
 *
 * The environment variable `IPQSEC_PQC_BACKEND` (`native` or `noble`; empty = unset) overrides the automatic
 * choice.
 */
import { IpqsecError } from '../core/errors.js';
import { createNativePqcProvider, nativePqcAvailable } from './native-provider.js';
import { createNoblePqcProvider } from './noble-provider.js';
import type { PqcBackendName, PqcProvider } from './provider.js';

export { nativePqcAvailable };

/** The back-end names, in order of preference. */
export const PQC_BACKENDS: readonly PqcBackendName[] = Object.freeze(['native', 'noble']);

function isBackendName(name: string): name is PqcBackendName {
  return (PQC_BACKENDS as readonly string[]).includes(name);
}

/**
 * A provider for `backend`; without it, the one named by `IPQSEC_PQC_BACKEND`, else `native` when
 * {@link nativePqcAvailable}, else `noble`. Providers are shared instances (one per back-end).
 * @param backend `'native'` or `'noble'` (a string from a command line is checked)
 * @throws IpqsecError IPQ-P001 when the native back-end is asked for (by argument or environment) on a Node
 *   without it, or when the name is not a back-end
 */
export function createPqcProvider(backend?: PqcBackendName): PqcProvider {
  let name: string | undefined = backend;
  let source = 'argument';
  if (name === undefined) {
    const env = process.env.IPQSEC_PQC_BACKEND;
    if (env !== undefined && env !== '') {
      name = env;
      source = 'IPQSEC_PQC_BACKEND';
    }
  }
  if (name === undefined) return nativePqcAvailable() ? createNativePqcProvider() : createNoblePqcProvider();
  if (!isBackendName(name)) {
    throw new IpqsecError('IPQ-P001', `unknown crypto back-end ${JSON.stringify(name)} (${source}); use native or noble`, {
      details: { backend: name, source },
    });
  }
  return name === 'native' ? createNativePqcProvider() : createNoblePqcProvider();
}

let defaultProvider: PqcProvider | undefined;

/**
 * The process-wide provider: {@link createPqcProvider} without an argument, evaluated at the first call and
 * memoised (a later change of `IPQSEC_PQC_BACKEND` has no effect).
 * @throws IpqsecError IPQ-P001 as {@link createPqcProvider} (then nothing is memoised)
 */
export function defaultPqcProvider(): PqcProvider {
  defaultProvider ??= createPqcProvider();
  return defaultProvider;
}
