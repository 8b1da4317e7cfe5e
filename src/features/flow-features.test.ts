import { describe, expect, it } from 'vitest';
import { type FlowEvent, parseEvents } from '../core/events.js';
import { FLOW_MODEL_FEATURES, flowFeatureRow, flowObservation } from './flow-features.js';
import { type SourceFeatures, SourceWindows } from './source-windows.js';

const parseFlow = (wire: Record<string, unknown>): FlowEvent => parseEvents([{ type: 'flow', ...wire }], () => 'id-1')[0] as FlowEvent;

const W: SourceFeatures = {
  rate: 0.5,
  burst_rate: 1.2,
  spkts: 40,
  sbytes: 5_000,
  ct_src_dport_ltm: 3,
  ct_dst_ltm: 2,
  ct_srv_src: 7,
  flows: 30,
  burst_flows: 6,
};

describe('FLOW_MODEL_FEATURES', () => {
  it('lists the 13 numeric then 3 categorical columns of the brief, names unique', () => {
    expect(FLOW_MODEL_FEATURES.map((f) => `${f.name}:${f.kind[0]}`)).toEqual([
      'duration:n', 'orig_bytes:n', 'resp_bytes:n', 'orig_pkts:n', 'resp_pkts:n', 'resp_p:n', 'rate:n', 'burst_rate:n',
      'spkts:n', 'sbytes:n', 'ct_src_dport_ltm:n', 'ct_dst_ltm:n', 'ct_srv_src:n', 'proto:c', 'service:c', 'conn_state:c',
    ]);
  });
});

describe('flowFeatureRow', () => {
  it('takes flow fields from the flow and window features from the windows (not from the wire)', () => {
    const flow = parseFlow({
      ts: 1_700_000_000.25, orig_h: '10.0.0.5', orig_p: 40_000, resp_h: '10.0.0.9', resp_p: 443, proto: 'tcp', service: 'ssl',
      duration: 1.5, orig_bytes: 100, resp_bytes: 2_000, orig_pkts: 4, resp_pkts: 5, conn_state: 'SF', ct_srv_src: 99,
    });
    const row = flowFeatureRow(flow, W);
    expect(row).toEqual({
      duration: 1.5, orig_bytes: 100, resp_bytes: 2_000, orig_pkts: 4, resp_pkts: 5, resp_p: 443,
      rate: 0.5, burst_rate: 1.2, spkts: 40, sbytes: 5_000, ct_src_dport_ltm: 3, ct_dst_ltm: 2, ct_srv_src: 7,
      proto: 'tcp', service: 'ssl', conn_state: 'SF',
    });
    // Every model feature is present with the declared kind.
    for (const f of FLOW_MODEL_FEATURES) expect(typeof row[f.name]).toBe(f.kind === 'numeric' ? 'number' : 'string');
  });

  it('gives NaN for missing numbers and "-" for unset strings', () => {
    const flow = parseFlow({ ts: 10, orig_h: '10.0.0.5', orig_p: 1, resp_h: '10.0.0.9', resp_p: 53, proto: 'udp', service: '' });
    const row = flowFeatureRow(flow, W);
    for (const k of ['duration', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts'] as const) expect(row[k]).toBeNaN();
    expect(row.resp_p).toBe(53);
    expect(row.service).toBe('-');
    expect(row.conn_state).toBe('-');
    expect(row.proto).toBe('udp');
  });
});

describe('flowObservation', () => {
  it('feeds SourceWindows with the event time and zero for missing counts', () => {
    const flow = parseFlow({ ts: 2.5, orig_h: '10.0.0.5', orig_p: 1, resp_h: '10.0.0.9', resp_p: 80, proto: 'tcp', orig_pkts: 3 });
    expect(flowObservation(flow)).toEqual({ tsMs: 2_500, resp_h: '10.0.0.9', resp_p: 80, service: undefined, orig_pkts: 3, orig_bytes: 0 });
    const w = new SourceWindows().observe('ip:10.0.0.5', flowObservation(flow), true);
    expect(w.spkts).toBe(3);
    expect(w.sbytes).toBe(0);
  });
});
