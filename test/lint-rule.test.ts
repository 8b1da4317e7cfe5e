import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [res] = await eslint.lintText(code, { filePath: `${root}/${file}` });
  return res.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('dependency-direction lint rule (docs/ARCHITECTURE.md)', () => {
  it('forbids ml importing data, core importing ml, and anything importing cli', async () => {
    expect(await lint('src/ml/x.ts', "import { loadNslKdd } from '../data/nsl-kdd.js';\nexport const y = loadNslKdd;\n")).toHaveLength(1);
    expect(await lint('src/core/x.ts', "import type { Classifier } from '../ml/classifier.js';\nexport type Y = Classifier;\n")).toHaveLength(1);
    expect(await lint('src/pipeline/x.ts', "import { main } from '../cli/main.js';\nexport const y = main;\n")).toHaveLength(1);
    expect(await lint('bench/x.ts', "import { main } from '../src/cli/main.js';\nexport const y = main;\n")).toHaveLength(1);
  });

  it('allows the permitted direction', async () => {
    expect(await lint('src/ml/x.ts', "import { createRng } from '../core/rng.js';\nexport const y = createRng;\n")).toHaveLength(0);
    expect(await lint('src/pipeline/x.ts', "import { createRng } from '../core/rng.js';\nimport type { Table } from '../data/table.js';\nexport type T = Table;\nexport const y = createRng;\n")).toHaveLength(0);
  });
});
