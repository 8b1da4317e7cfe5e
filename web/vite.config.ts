/**
 * Vite build of the dashboard (React 19, `@vitejs/plugin-react`). Run from the repository root:
 * `npx vite build --config web/vite.config.ts` writes `dist/web/` (index.html + hashed files under `assets/`),
 * which the server serves at `/` (src/server/web-ui.ts).
 *
 * Content-Security-Policy: the built index.html loads one external module script and one stylesheet, nothing
 * inline (no modulepreload polyfill, which would be code in the entry; every browser we target supports
 * `<link rel="modulepreload">`).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // No public/ folder: every file comes from the module graph (hashed, long-cacheable).
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
