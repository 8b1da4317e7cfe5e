/**
 * Test-only {@link PqcProvider} for the ledger's tests: the noble back-end whatever the runtime, so that the tests
 * do not depend on the back-end selection (IPQSEC_PQC_BACKEND, Node version).
 */
import { createNoblePqcProvider } from '../pqc/noble-provider.js';
import type { PqcProvider } from '../pqc/provider.js';

/** The `@noble/post-quantum` provider. */
export const testPqcProvider: PqcProvider = createNoblePqcProvider();
