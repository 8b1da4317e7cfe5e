import { describe, expect, it } from 'vitest';
import { dataFile } from './_test-data.js';
import { loadUnswNb15, normaliseAttackCat, UNSW_NB15_CLASSES, UNSW_NB15_LEAKY } from './unsw-nb15.js';

const testing = dataFile('unsw-nb15', 'UNSW_NB15_testing-set.csv');
const why = testing.exists ? '' : ' (SKIPPED: UNSW_NB15_testing-set.csv not found; set IPQSEC_DATA)';

describe('UNSW-NB15', () => {
  it('normalises attack_cat spellings', () => {
    expect(normaliseAttackCat(' Normal ')).toBe('normal');
    expect(normaliseAttackCat('')).toBe('normal');
    expect(normaliseAttackCat(' Fuzzers ')).toBe('Fuzzers');
    expect(normaliseAttackCat('Backdoors')).toBe('Backdoor');
    expect(normaliseAttackCat('reconnaissance')).toBe('Reconnaissance');
  });

  it.skipIf(!testing.exists)(`loads the testing partition with the attack_cat counts of the data README${why}`, async () => {
    const ds = await loadUnswNb15(testing.path);
    expect(ds.features.nRows).toBe(82_332);
    expect(ds.classNames).toEqual(UNSW_NB15_CLASSES);
    const counts: Record<string, number> = {};
    for (const k of ds.multiclass) counts[ds.classNames[k]] = (counts[ds.classNames[k]] ?? 0) + 1;
    // shared/data/README.md
    expect(counts).toEqual({
      normal: 37_000, Generic: 18_871, Exploits: 11_132, Fuzzers: 6_062, DoS: 4_089, Reconnaissance: 3_496,
      Analysis: 677, Backdoor: 583, Shellcode: 378, Worms: 44,
    });
    let attacks = 0;
    for (let i = 0; i < ds.binary.length; i++) {
      attacks += ds.binary[i];
      expect(ds.binary[i]).toBe(ds.multiclass[i] === 0 ? 0 : 1);
    }
    expect(attacks).toBe(82_332 - 37_000);
    const names = ds.features.columns.map((c) => c.name);
    expect(names).toHaveLength(42);
    expect(names).not.toContain('id');
    expect(names).not.toContain('label');
    expect(names).not.toContain('attack_cat');
    expect(ds.features.columns.filter((c) => c.kind === 'categorical').map((c) => c.name)).toEqual(['proto', 'service', 'state']);
    // First data row: 1,0.000011,udp,-,INT,2,0,496,... ; '-' in service is the category "-", not missing.
    const service = ds.features.columns.find((c) => c.name === 'service');
    if (service?.kind !== 'categorical') throw new Error('service must be categorical');
    expect(service.categories[service.codes[0]]).toBe('-');
    expect(service.codes.every((c) => c >= 0)).toBe(true);
    const dur = ds.features.columns.find((c) => c.name === 'dur');
    expect(dur?.kind === 'numeric' && dur.values[0]).toBe(0.000011);

    const noLeak = await loadUnswNb15(testing.path, { dropColumns: UNSW_NB15_LEAKY });
    expect(noLeak.features.columns.map((c) => c.name)).toEqual(names.filter((n) => !UNSW_NB15_LEAKY.includes(n)));
  });
});
