/**
 * Test helper: where the real data sets are (`IPQSEC_DATA`, else `<repo>/../shared/data`), and whether a file
 * is there. Only tests import this file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real-data folder for tests. */
export const TEST_DATA_DIR = process.env.IPQSEC_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));

/**
 * Path of a data file under {@link TEST_DATA_DIR}, and whether it exists. A missing file is reported once on
 * stderr, so a test that skips for want of it says why.
 */
export function dataFile(...parts: string[]): { path: string; exists: boolean } {
  const path = join(TEST_DATA_DIR, ...parts);
  const exists = existsSync(path);
  if (!exists) process.stderr.write(`skipping tests that need ${path}: not found (set IPQSEC_DATA; README "Data sets")\n`);
  return { path, exists };
}
