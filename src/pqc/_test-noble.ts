/**
 * Test helper (not part of the public surface): the noble back-end, whatever the runtime, so that the key-file and
 * model-signature tests do not depend on the back-end selection (IPQSEC_PQC_BACKEND, Node version).
 */
import { createNoblePqcProvider } from './noble-provider.js';
import type { PqcProvider } from './provider.js';

/** The `@noble/post-quantum` provider. */
export function testNobleProvider(): PqcProvider {
  return createNoblePqcProvider();
}
