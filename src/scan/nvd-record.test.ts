import { existsSync, readFileSync, readdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { catchIpqsec, expectIpqsec, expectIpqsecRejection } from '../core/_test-errors.js';
import { parseNvdDocument, readNvdFile } from './nvd-record.js';

// scan may import only core (eslint), so not data/_test-data.ts: the same rule inline.
const dir = { path: resolve(process.env.IPQSEC_DATA ?? resolve('..', 'shared', 'data'), 'nvd', 'records'), exists: false };
dir.exists = existsSync(dir.path);
if (!dir.exists) process.stderr.write(`skipping NVD data tests: ${dir.path} not found (set IPQSEC_DATA)\n`);
const files = dir.exists ? readdirSync(dir.path).filter((f) => f.endsWith('.json')).sort() : [];
const load = (id: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir.path, `${id}.json`), 'utf8'));

/** A hand-written minimal API 2.0 `cve` object (NVD CVE API 2.0 schema), independent of the data folder. */
const minimal = (id: string): Record<string, unknown> => ({
  id,
  published: '2024-01-01T00:00:00.000',
  lastModified: '2024-01-02T00:00:00.000',
  vulnStatus: 'Analyzed',
  descriptions: [{ lang: 'es', value: 'hola' }, { lang: 'en', value: 'an overflow' }],
  metrics: {
    cvssMetricV31: [
      { source: 'cna', type: 'Secondary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:L', baseScore: 5.5, baseSeverity: 'MEDIUM' } },
      { source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', vectorString: 'CVSS:3.1/AV:N', baseScore: 9.8, baseSeverity: 'CRITICAL' } },
    ],
    cvssMetricV2: [{ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '2.0', vectorString: 'AV:N', baseScore: 7.5 }, baseSeverity: 'HIGH' }],
  },
  configurations: [
    { nodes: [{ operator: 'OR', negate: false, cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*', versionEndExcluding: '2.0' }] }] },
  ],
  unknownKey: { ignored: true },
});

describe('parseNvdDocument: shapes (NVD CVE API 2.0)', () => {
  it('reads a single cve object, picks the English description, the Primary metric and the range bounds', () => {
    const { records, skipped } = parseNvdDocument(minimal('CVE-2024-0001'), {});
    expect(skipped).toEqual([]);
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.id).toBe('CVE-2024-0001');
    expect(r.description).toBe('an overflow');
    expect(r.cvss.v31).toEqual({ score: 9.8, severity: 'CRITICAL', vector: 'CVSS:3.1/AV:N' });
    expect(r.cvss.v2).toEqual({ score: 7.5, severity: 'HIGH', vector: 'AV:N' });
    expect(r.cvss.v40).toBeUndefined();
    expect(r.kev).toBe(false);
    expect(r.nodes).toHaveLength(1);
    const m = r.nodes[0]!.cpeMatch[0]!;
    expect([m.cpe.vendor, m.cpe.product, m.cpe.version, m.vulnerable, m.versionEndExcluding]).toEqual(['acme', 'widget', '*', true, '2.0']);
  });

  it('reads an API response {vulnerabilities:[{cve}]} and a bare array, and skips bad items with the field named', () => {
    const bad = { ...minimal('CVE-2024-0003'), published: 42 };
    const doc = { resultsPerPage: 3, vulnerabilities: [{ cve: minimal('CVE-2024-0001') }, { cve: bad }, { cve: minimal('CVE-2024-0002') }] };
    const out = parseNvdDocument(doc, {});
    expect(out.records.map((r) => r.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
    expect(out.skipped).toEqual([{ index: 1, reason: expect.stringContaining('published') }]);
    const arr = parseNvdDocument([minimal('CVE-2024-0001'), 'junk', { cve: minimal('CVE-2024-0002') }], {});
    expect(arr.records.map((r) => r.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0002']);
    expect(arr.skipped.map((s) => s.index)).toEqual([1]);
  });

  it('names the field of a bad CPE criteria and of a bad score', () => {
    const badCpe = minimal('CVE-2024-0004');
    (badCpe.configurations as { nodes: { cpeMatch: { criteria: string }[] }[] }[])[0]!.nodes[0]!.cpeMatch[0]!.criteria = 'cpe:2.3:a:short';
    const badScore = minimal('CVE-2024-0005');
    (badScore.metrics as { cvssMetricV2: { cvssData: { baseScore: number } }[] }).cvssMetricV2[0]!.cvssData.baseScore = 11;
    const out = parseNvdDocument([badCpe, badScore], {});
    expect(out.records).toEqual([]);
    expect(out.skipped[0]!.reason).toMatch(/^configurations\[0\]\.nodes\[0\]\.cpeMatch\[0\]\.criteria/);
    expect(out.skipped[1]!.reason).toMatch(/^metrics\.cvssMetricV2\[0\]\.cvssData\.baseScore/);
  });

  it('throws IPQ-V001 with the file for documents of no accepted shape (1.1 feed, null, number)', () => {
    const e = expectIpqsec(() => parseNvdDocument({ CVE_Items: [] }, { file: 'nvdcve-1.1-2020.json' }), 'IPQ-V001');
    expect(e.location?.file).toBe('nvdcve-1.1-2020.json');
    expectIpqsec(() => parseNvdDocument(null, {}), 'IPQ-V001');
    expectIpqsec(() => parseNvdDocument(3, {}), 'IPQ-V001');
  });

  it('reads CVE-5 affected both as the fkie mirror writes it and as CVE-5 proper', () => {
    const fkie = { ...minimal('CVE-2025-0001'), configurations: undefined, vulnStatus: 'Deferred', affected: [{ source: 'cna', affectedData: [{ vendor: 'PostgreSQL', product: 'PostgreSQL', versions: [{ version: '15', lessThan: '15.11', status: 'affected' }] }] }] };
    const r = parseNvdDocument(fkie, {}).records[0]!;
    expect(r.nodes).toEqual([]);
    expect(r.affected).toEqual([{ vendor: 'PostgreSQL', product: 'PostgreSQL', cpes: [], versions: [{ version: '15', lessThan: '15.11', status: 'affected' }] }]);
    const plain = { ...fkie, affected: [{ vendor: 'x', product: 'y', cpes: ['cpe:2.3:a:x:y:*:*:*:*:*:*:*:*', 'not a cpe'], versions: [{ version: '1.0', status: 'affected' }] }] };
    const p = parseNvdDocument(plain, {}).records[0]!.affected![0]!;
    expect(p.cpes.map((c) => `${c.vendor}:${c.product}`)).toEqual(['x:y']);
  });
});

describe.skipIf(!dir.exists)('parseNvdDocument on the 43 real NVD records (data/nvd)', () => {
  it('reads every record, none skipped, id = file name; nested configurations keep AND/platform nodes', () => {
    expect(files).toHaveLength(43);
    for (const f of files) {
      const { records, skipped } = parseNvdDocument(load(f.slice(0, -5)), { file: f });
      expect(skipped, f).toEqual([]);
      expect(records[0]!.id).toBe(f.slice(0, -5));
    }
    // CVE-2020-15778 (read by hand): configuration 1 is AND(netapp a700s_firmware vulnerable, h:netapp:a700s not).
    const r = parseNvdDocument(load('CVE-2020-15778'), {}).records[0]!;
    expect(r.nodes).toHaveLength(3);
    const and = r.nodes[1]!;
    expect(and.operator).toBe('AND');
    expect(and.children.map((c) => c.cpeMatch.map((m) => [m.cpe.part, m.cpe.product, m.vulnerable]))).toEqual([
      [['o', 'a700s_firmware', true]],
      [['h', 'a700s', false]],
    ]);
    // OpenSSH 8.3p1: NVD puts p1 in the update field.
    expect(r.nodes[0]!.cpeMatch[2]!.cpe.update).toBe('p1');
    // Scores as the files list them: Primary v3.1 7.4 (Secondary 7.8 ignored); KEV only for CVE-2021-41773.
    expect(r.cvss.v31?.score).toBe(7.4);
    expect(parseNvdDocument(load('CVE-2021-41773'), {}).records[0]!.kev).toBe(true);
    expect(parseNvdDocument(load('CVE-2011-2523'), {}).records[0]!.kev).toBe(false);
    // F5 CNA record: only Secondary metrics, v4.0 and v3.1.
    const n = parseNvdDocument(load('CVE-2025-23419'), {}).records[0]!;
    expect([n.cvss.v40?.score, n.cvss.v31?.score]).toEqual([5.3, 4.3]);
  });

  it('fuzz: a mutated record between two valid ones never throws, is kept or skipped, and the siblings are kept', () => {
    const base = files.slice(0, 12).map((f) => load(f.slice(0, -5)));
    const paths = (v: unknown, pre: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] => {
      if (out.length > 400) return out;
      if (Array.isArray(v)) v.forEach((x, i) => { out.push([...pre, i]); paths(x, [...pre, i], out); });
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) { out.push([...pre, k]); paths(x, [...pre, k], out); }
      return out;
    };
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })), (ri, pi, value) => {
        const rec = structuredClone(base[ri % base.length]!);
        const ps = paths(rec);
        const path = ps[pi % ps.length]!;
        let o = rec as Record<string | number, unknown>;
        for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
        const last = path[path.length - 1]!;
        if (value === undefined) delete o[last];
        else o[last] = value;
        const left = base[(ri + 1) % base.length]!;
        const right = base[(ri + 2) % base.length]!;
        const out = parseNvdDocument({ vulnerabilities: [{ cve: left }, { cve: rec }, { cve: right }] }, {});
        expect(out.records.length + out.skipped.length).toBe(3);
        expect(out.records[0]!.id).toBe(left.id);
        expect(out.records[out.records.length - 1]!.id).toBe(right.id);
        expect(out.skipped.every((s) => s.index === 1)).toBe(true);
      }),
      { numRuns: 400, seed: 20261122 },
    );
  });
});

describe('parseNvdDocument fuzz: any JSON value', () => {
  it('returns or throws IPQ-V001, nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const e = catchIpqsec(() => parseNvdDocument(v, {}));
        if (e !== undefined) expect(e.code).toBe('IPQ-V001');
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('readNvdFile (I/O)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ipqsec-nvd-'));
  it('reads .json and .json.gz (gzip, RFC 1952)', async () => {
    const doc = JSON.stringify({ vulnerabilities: [{ cve: minimal('CVE-2024-0001') }] });
    writeFileSync(join(tmp, 'a.json'), doc);
    writeFileSync(join(tmp, 'a.json.gz'), gzipSync(doc));
    expect((await readNvdFile(join(tmp, 'a.json'))).records[0]!.id).toBe('CVE-2024-0001');
    expect((await readNvdFile(join(tmp, 'a.json.gz'))).records[0]!.id).toBe('CVE-2024-0001');
  });
  it('IPQ-V001 for non-JSON and non-gzip, with the file; IPQ-D001 for a missing file', async () => {
    writeFileSync(join(tmp, 'b.json'), '{"vulnerabilities": [');
    writeFileSync(join(tmp, 'b.json.gz'), 'plain');
    const e = await expectIpqsecRejection(() => readNvdFile(join(tmp, 'b.json')), 'IPQ-V001');
    expect(e.location?.file).toBe(join(tmp, 'b.json'));
    await expectIpqsecRejection(() => readNvdFile(join(tmp, 'b.json.gz')), 'IPQ-V001');
    const m = await readNvdFile(join(tmp, 'missing.json')).catch((x: unknown) => x);
    expect(isIpqsecError(m, 'IPQ-D001')).toBe(true);
  });
});
