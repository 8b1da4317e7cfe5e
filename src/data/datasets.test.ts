import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASET_SOURCES, dataDir, downloadInstructions, loadDataset, parseDatasetKind, resolveDataFile } from './datasets.js';
import { dataFile, TEST_DATA_DIR } from './_test-data.js';

describe('datasets', () => {
  it('finds the data folder from IPQSEC_DATA or ../shared/data', () => {
    expect(dataDir({ IPQSEC_DATA: '/data/x' }, '/w')).toBe('/data/x');
    expect(dataDir({}, '/work/main')).toBe(resolve('/work/shared/data'));
    expect(dataDir({ IPQSEC_DATA: '' }, '/a/b')).toBe('/a/shared/data');
  });

  it('rejects unknown kinds with IPQ-D011', async () => {
    expect(parseDatasetKind('ton-iot')).toBe('ton-iot');
    expect(() => parseDatasetKind('kdd99')).toThrow(expect.objectContaining({ code: 'IPQ-D011' }));
    await expect(loadDataset('cicids', 'x.csv')).rejects.toMatchObject({ code: 'IPQ-D011' });
  });

  it('gives download instructions with the official pages', () => {
    expect(DATASET_SOURCES['nsl-kdd'].url).toBe('https://www.unb.ca/cic/datasets/nsl.html');
    expect(DATASET_SOURCES['unsw-nb15'].url).toBe('https://research.unsw.edu.au/projects/unsw-nb15-dataset');
    expect(DATASET_SOURCES['ton-iot'].url).toBe('https://research.unsw.edu.au/projects/toniot-datasets');
    const text = downloadInstructions('unsw-nb15', '/d');
    expect(text).toContain('https://research.unsw.edu.au/projects/unsw-nb15-dataset');
    expect(text).toContain(join('/d', 'unsw-nb15'));
    expect(text).toContain('UNSW_NB15_testing-set.csv');
  });

  it('resolves bare names in the data folder and reports absent files and folders', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ipqsec-ds-'));
    expect(() => resolveDataFile('nsl-kdd', 'KDDTest+.txt', join(empty, 'none'))).toThrow(expect.objectContaining({ code: 'IPQ-D013' }));
    expect(() => resolveDataFile('nsl-kdd', 'KDDTest+.txt', empty)).toThrow(expect.objectContaining({ code: 'IPQ-D001' }));
    expect(() => resolveDataFile('csv', join(empty, 'x.csv'))).toThrow(expect.objectContaining({ code: 'IPQ-D001' }));
  });

  it('loads a CSV through the dispatcher and requires a label column', async () => {
    const d = mkdtempSync(join(tmpdir(), 'ipqsec-ds-'));
    const p = join(d, 'f.csv');
    writeFileSync(p, 'a,label\n1,normal\n2,attack\n');
    const ds = await loadDataset('csv', p, { labelColumn: 'label' });
    expect(Array.from(ds.binary)).toEqual([0, 1]);
    await expect(loadDataset('csv', p)).rejects.toMatchObject({ code: 'IPQ-D007' });
  });

  const kdd = dataFile('nsl-kdd', 'KDDTest-21.txt');
  it.skipIf(!kdd.exists)('loads a known file by its bare name (SKIPPED without the NSL-KDD data)', async () => {
    const ds = await loadDataset('nsl-kdd', 'KDDTest-21.txt', { dataDir: TEST_DATA_DIR });
    expect(ds.features.nRows).toBe(11_850);
  });
});
