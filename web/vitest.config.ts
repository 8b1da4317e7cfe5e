/**
 * Unit tests of the dashboard's pure modules (SSE parser, buffers, ATT&CK links, checkpoint verification).
 * Run from the repository root: `npx vitest run --config web/vitest.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: { include: ['src/**/*.test.ts'], pool: 'forks', maxWorkers: 1, testTimeout: 60_000 },
});
