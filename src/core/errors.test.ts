import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, IpqsecError, errorCatalogueMarkdown, isIpqsecError } from './errors.js';

describe('error catalogue', () => {
  it('docs/errors.md mirrors the catalogue (regenerate with npm run docs:errors)', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc).toBe(errorCatalogueMarkdown());
  });

  it('codes follow the IPQ-<group><3 digits> form and are unique', () => {
    const codes = Object.keys(ERROR_CATALOGUE);
    for (const c of codes) expect(c).toMatch(/^IPQ-[DMCXEASPLNV]\d{3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('messages name the code, file, line and column', () => {
    const e = new IpqsecError('IPQ-D004', 'not a number: "abc"', { location: { file: 'a.csv', line: 17, column: 'src_bytes' } });
    expect(e.message).toBe('IPQ-D004 a.csv:17 column src_bytes: malformed value: not a number: not a number: "abc"');
    expect(isIpqsecError(e, 'IPQ-D004')).toBe(true);
    expect(isIpqsecError(e, 'IPQ-D003')).toBe(false);
    expect(e.spec.exitCode).toBe(2);
  });
});
