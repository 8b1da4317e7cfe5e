import { describe, expect, it } from 'vitest';
import type { CategoricalColumn, NumericColumn } from '../data/table.js';
import type { FlowFeatureRow } from '../features/flow-features.js';
import { flowRowsToTable } from './flow-table.js';

const base: FlowFeatureRow = {
  duration: 1, orig_bytes: 10, resp_bytes: 20, orig_pkts: 2, resp_pkts: 3, resp_p: 80, rate: 0.1, burst_rate: 0.2,
  spkts: 5, sbytes: 50, ct_src_dport_ltm: 1, ct_dst_ltm: 1, ct_srv_src: 1, proto: 'tcp', service: 'http', conn_state: 'SF',
};

describe('flowRowsToTable', () => {
  it('builds numeric and dictionary-encoded columns in model order', () => {
    const rows: FlowFeatureRow[] = [
      base,
      { ...base, duration: Number.NaN, resp_p: 22, service: '-', conn_state: 'REJ' },
      { ...base, resp_p: 443, proto: 'udp', service: 'http', conn_state: 'SF' },
    ];
    const t = flowRowsToTable(rows);
    expect(t.nRows).toBe(3);
    expect(t.columns.map((c) => c.name)).toEqual([
      'duration', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'resp_p', 'rate', 'burst_rate', 'spkts', 'sbytes',
      'ct_src_dport_ltm', 'ct_dst_ltm', 'ct_srv_src', 'proto', 'service', 'conn_state',
    ]);
    const col = (n: string) => t.columns.find((c) => c.name === n);
    const duration = col('duration') as NumericColumn;
    expect(duration.kind).toBe('numeric');
    expect(duration.values[0]).toBe(1);
    expect(duration.values[1]).toBeNaN();
    expect([...(col('resp_p') as NumericColumn).values]).toEqual([80, 22, 443]);
    const service = col('service') as CategoricalColumn;
    expect(service.kind).toBe('categorical');
    expect(service.categories).toEqual(['http', '-']);
    expect([...service.codes]).toEqual([0, 1, 0]);
    const proto = col('proto') as CategoricalColumn;
    expect(proto.categories).toEqual(['tcp', 'udp']);
    expect([...proto.codes]).toEqual([0, 0, 1]);
    expect([...(col('conn_state') as CategoricalColumn).codes]).toEqual([0, 1, 0]);
  });

  it('gives empty columns for no rows', () => {
    const t = flowRowsToTable([]);
    expect(t.nRows).toBe(0);
    expect(t.columns).toHaveLength(16);
    for (const c of t.columns) expect(c.kind === 'numeric' ? c.values.length : c.codes.length).toBe(0);
  });
});
