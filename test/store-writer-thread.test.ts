/**
 * The store contract against the compiled SQLite store (dist/), whose batch commits run on its writer thread
 * (src/store/sqlite-writer-thread.ts starts only from compiled JS; under the TypeScript runner the store commits
 * on its own connection, which src/store/sqlite-store.test.ts covers).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { storeContract } from '../src/store/store.case.js';
import type * as StoreModule from '../src/store/index.js';
import type * as ThreadModule from '../src/store/sqlite-writer-thread.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = join(root, 'dist', 'src', 'store', 'index.js');
const built = existsSync(compiled);
if (!built) console.warn(`skipping the writer-thread store contract: ${compiled} not found (run npm run build)`);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

if (built) {
  const { openSqliteStore } = (await import(compiled)) as typeof StoreModule;
  let dir = '';
  const open = () => {
    dir = mkdtempSync(join(tmpdir(), 'ipqsec-writer-'));
    dirs.push(dir);
    return openSqliteStore({ dataDir: dir });
  };
  storeContract('SQLite, compiled, commits on the writer thread', open, () => openSqliteStore({ dataDir: dir }));

  describe('writer thread', () => {
    it('is what the compiled store uses for a file database', async () => {
      const { writerWorkerFile } = (await import(join(root, 'dist', 'src', 'store', 'sqlite-writer-thread.js'))) as typeof ThreadModule;
      expect(writerWorkerFile()).toBeDefined();
    });
  });
} else {
  describe.skip('SQLite store on its writer thread (dist/ not built)', () => {
    it('skipped', () => undefined);
  });
}
