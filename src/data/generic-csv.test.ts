import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNormalLabel, loadGenericCsv, parseTimeSeconds } from './generic-csv.js';

const dir = mkdtempSync(join(tmpdir(), 'ipqsec-generic-'));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('loadGenericCsv', () => {
  it('recognises normal spellings case-insensitively', () => {
    for (const s of ['0', 'normal', 'Normal', 'BENIGN', ' benign ']) expect(isNormalLabel(s)).toBe(true);
    for (const s of ['1', 'DDoS', 'normal traffic', '']) expect(isNormalLabel(s)).toBe(false);
  });

  it('builds binary and multiclass targets with normal at 0 and the rest sorted', async () => {
    const p = file('a.csv', 'ts,x,proto,Label\n10,1,tcp,PortScan\n11,2,udp,BENIGN\n12,3,tcp,DDoS\n13,4,icmp,Benign\n14,5,tcp,PortScan\n');
    const ds = await loadGenericCsv(p, { labelColumn: 'Label', timeColumn: 'ts' });
    expect(ds.name).toBe('a.csv');
    expect(Array.from(ds.binary)).toEqual([1, 0, 1, 0, 1]);
    expect(ds.classNames).toEqual(['normal', 'DDoS', 'PortScan']);
    expect(Array.from(ds.multiclass)).toEqual([2, 0, 1, 0, 2]);
    expect(ds.rawLabel).toEqual(['PortScan', 'BENIGN', 'DDoS', 'Benign', 'PortScan']);
    expect(Array.from(ds.time ?? [])).toEqual([10, 11, 12, 13, 14]);
    expect(ds.features.columns.map((c) => [c.name, c.kind])).toEqual([
      ['x', 'numeric'],
      ['proto', 'categorical'],
    ]);
  });

  it('forces categorical columns, drops columns, and parses ISO times', async () => {
    const p = file('b.csv', 'when,port,junk,y\n2019-04-25T19:19:40Z,80,a,0\n2019-04-25T19:19:45Z,443,b,1\n');
    const ds = await loadGenericCsv(p, { labelColumn: 'y', categorical: ['port'], dropColumns: ['junk'], timeColumn: 'when' });
    expect(ds.features.columns.map((c) => [c.name, c.kind])).toEqual([['port', 'categorical']]);
    expect(Array.from(ds.time ?? [])).toEqual([1556219980, 1556219985]);
    expect(parseTimeSeconds('1556219980.5')).toBe(1556219980.5);
    expect(parseTimeSeconds('yesterday')).toBeNaN();
  });

  it('reports a missing label column, a single class and a bad time', async () => {
    const p = file('c.csv', 'x,y\n1,0\n2,0\n');
    await expect(loadGenericCsv(p, { labelColumn: 'label' })).rejects.toMatchObject({ code: 'IPQ-D007' });
    await expect(loadGenericCsv(p, { labelColumn: 'y' })).rejects.toMatchObject({ code: 'IPQ-D006' });
    const one = await loadGenericCsv(p, { labelColumn: 'y', requireTwoClasses: false });
    expect(one.classNames).toEqual(['normal']);
    const q = file('d.csv', 't,x,y\nsoon,1,0\nlater,2,1\n');
    await expect(loadGenericCsv(q, { labelColumn: 'y', timeColumn: 't' })).rejects.toMatchObject({ code: 'IPQ-D004' });
  });
});
