/** ATT&CK and NVD links: hand-checked URLs, and only valid ids ever become links (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attackTechniqueUrl, nvdCveUrl } from './links';

describe('attackTechniqueUrl', () => {
  it('maps techniques, sub-techniques and ICS techniques to their pages', () => {
    expect(attackTechniqueUrl('T1046')).toBe('https://attack.mitre.org/techniques/T1046/');
    expect(attackTechniqueUrl('T1557.002')).toBe('https://attack.mitre.org/techniques/T1557/002/');
    expect(attackTechniqueUrl('T1110.001')).toBe('https://attack.mitre.org/techniques/T1110/001/');
    expect(attackTechniqueUrl('T0855')).toBe('https://attack.mitre.org/techniques/T0855/');
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'T104', 'T10466', 't1046', 'T1046.1', 'T1046.0011', 'T1046/', 'javascript:alert(1)', 'T1046"><img src=x onerror=alert(1)>', ' T1046', 'T1046 ', 'T１０４６'])
      expect(attackTechniqueUrl(bad), bad).toBeNull();
  });

  it('yields a link only for ids matching ^T\\d{4}(\\.\\d{3})?$, and only safe characters (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^T\d{4}(\.\d{3})?$/)), (id) => {
        const url = attackTechniqueUrl(id);
        expect(url !== null).toBe(/^T\d{4}(\.\d{3})?$/.test(id));
        if (url !== null) expect(url).toMatch(/^https:\/\/attack\.mitre\.org\/techniques\/T\d{4}\/(\d{3}\/)?$/);
      }),
      { numRuns: 500 },
    );
  });
});

describe('nvdCveUrl', () => {
  it('links valid CVE ids only', () => {
    expect(nvdCveUrl('CVE-2021-44228')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2021-44228');
    expect(nvdCveUrl('CVE-2024-1234567')).toBe('https://nvd.nist.gov/vuln/detail/CVE-2024-1234567');
    for (const bad of ['CVE-2021-123', 'cve-2021-44228', 'CVE-2021-44228/../x', 'CVE-21-44228', '']) expect(nvdCveUrl(bad), bad).toBeNull();
  });
});
