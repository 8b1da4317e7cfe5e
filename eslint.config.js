// ESLint flat config: typescript-eslint recommended rules plus the dependency direction of
// docs/ARCHITECTURE.md, enforced with no-restricted-imports (one block per layer).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders a layer must never import, by layer. Keep in step with docs/ARCHITECTURE.md. */
const FORBIDDEN = {
  core: ['data', 'ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  data: ['ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  ml: ['data', 'features', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  features: ['data', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  report: ['data', 'pipeline', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  pipeline: ['report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  detect: ['pipeline', 'report', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  pqc: ['data', 'ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  ledger: ['data', 'ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  sim: ['data', 'ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'cli'],
  store: ['service', 'server', 'cli'],
  bus: ['server', 'cli'],
  delivery: ['service', 'server', 'cli'],
  service: ['server', 'cli'],
  server: ['cli'],
  agent: ['service', 'server', 'store', 'cli'],
  capture: ['data', 'pipeline', 'report', 'pqc', 'ledger', 'scan', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  scan: ['data', 'ml', 'features', 'pipeline', 'report', 'detect', 'capture', 'pqc', 'ledger', 'federated', 'store', 'bus', 'delivery', 'service', 'server', 'agent', 'sim', 'cli'],
  bench: ['cli'],
};

/** The dashboard (web/src) runs in the browser: it talks to the server over HTTP only and imports nothing of src/. */
const webBlock = {
  files: ['web/**/*.ts', 'web/**/*.tsx'],
  rules: {
    'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\.\\./)+src(/|$)', message: 'docs/ARCHITECTURE.md: web/ uses the HTTP API, not server code.' }] }],
  },
};

const layerBlocks = Object.entries(FORBIDDEN).map(([layer, banned]) => ({
  files: [layer === 'bench' ? 'bench/**/*.ts' : `src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(\\.\\.?/)+(src/)?(${banned.join('|')})(/|$)`,
            message: `docs/ARCHITECTURE.md: '${layer}' must not depend on this layer (dependency direction).`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  // Only the CLI and benchmarks talk to the terminal.
  { files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'], rules: { 'no-console': 'off' } },
  ...layerBlocks,
  webBlock,
);
