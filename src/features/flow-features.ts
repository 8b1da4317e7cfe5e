/**
 * The feature vector the ML model sees for a live flow: Zeek conn.log fields of the flow itself plus the
 * source's window features ({@link SourceFeatures}), under UNSW-NB15's names where they exist (Moustafa and
 * Slay, MilCIS 2015, Table 6), so that a model trained on such columns scores live flows by column name.
 *
 * Window features always come from the live {@link SourceWindows}, never from UNSW fields a client may have sent
 * with the flow (`ct_srv_src` and friends on the wire are ignored here): the model must see the same
 * definition at training and at scoring.
 */
import type { FlowEvent } from '../core/events.js';
import type { FlowObservation, SourceFeatures } from './source-windows.js';

/** Kind of a model feature: a number (`NaN` = missing) or a category string (`'-'` = missing). */
export type FlowFeatureKind = 'numeric' | 'categorical';

/** One model feature: its column name and kind. */
export interface FlowFeatureSpec {
  readonly name: string;
  readonly kind: FlowFeatureKind;
}

/**
 * The model's features in column order: 13 numeric, then 3 categorical.
 *
 * - `duration` seconds, `orig_bytes`/`resp_bytes` payload bytes, `orig_pkts`/`resp_pkts`, `resp_p`: the flow's
 *   Zeek conn.log fields;
 * - `rate` … `ct_srv_src`: {@link SourceFeatures} of the flow's source (see there for units and windows);
 * - `proto`, `service`, `conn_state`: Zeek strings.
 */
export const FLOW_MODEL_FEATURES = [
  { name: 'duration', kind: 'numeric' },
  { name: 'orig_bytes', kind: 'numeric' },
  { name: 'resp_bytes', kind: 'numeric' },
  { name: 'orig_pkts', kind: 'numeric' },
  { name: 'resp_pkts', kind: 'numeric' },
  { name: 'resp_p', kind: 'numeric' },
  { name: 'rate', kind: 'numeric' },
  { name: 'burst_rate', kind: 'numeric' },
  { name: 'spkts', kind: 'numeric' },
  { name: 'sbytes', kind: 'numeric' },
  { name: 'ct_src_dport_ltm', kind: 'numeric' },
  { name: 'ct_dst_ltm', kind: 'numeric' },
  { name: 'ct_srv_src', kind: 'numeric' },
  { name: 'proto', kind: 'categorical' },
  { name: 'service', kind: 'categorical' },
  { name: 'conn_state', kind: 'categorical' },
] as const satisfies readonly FlowFeatureSpec[];

type Spec = (typeof FLOW_MODEL_FEATURES)[number];
/** Name of a numeric model feature. */
export type FlowNumericFeature = Extract<Spec, { kind: 'numeric' }>['name'];
/** Name of a categorical model feature. */
export type FlowCategoricalFeature = Extract<Spec, { kind: 'categorical' }>['name'];
/** Name of any model feature. */
export type FlowFeatureName = Spec['name'];

/** One flow's model features: numbers (`NaN` when the flow lacks the field) and strings (`'-'` when unset). */
export type FlowFeatureRow = { readonly [K in FlowNumericFeature]: number } & { readonly [K in FlowCategoricalFeature]: string };

/** Zeek writes unset fields as `-`; an empty string is read the same way. */
const UNSET = '-';

const num = (v: number | undefined): number => (v === undefined ? Number.NaN : v);
const cat = (v: string | undefined): string => (v === undefined || v === '' ? UNSET : v);

/**
 * The model features of `flow` given its source's window features `w` (from {@link SourceWindows.observe} with
 * the flow's {@link flowObservation}). Pure; allocates the returned object only.
 */
export function flowFeatureRow(flow: FlowEvent, w: SourceFeatures): FlowFeatureRow {
  return {
    duration: num(flow.duration),
    orig_bytes: num(flow.orig_bytes),
    resp_bytes: num(flow.resp_bytes),
    orig_pkts: num(flow.orig_pkts),
    resp_pkts: num(flow.resp_pkts),
    resp_p: flow.resp_p,
    rate: w.rate,
    burst_rate: w.burst_rate,
    spkts: w.spkts,
    sbytes: w.sbytes,
    ct_src_dport_ltm: w.ct_src_dport_ltm,
    ct_dst_ltm: w.ct_dst_ltm,
    ct_srv_src: w.ct_srv_src,
    proto: flow.proto,
    service: cat(flow.service),
    conn_state: cat(flow.conn_state),
  };
}

/**
 * The fields of `flow` that {@link SourceWindows} reads. Missing `orig_pkts`/`orig_bytes` become 0 (they add
 * nothing to the window sums).
 */
export function flowObservation(flow: FlowEvent): FlowObservation {
  return {
    tsMs: flow.tsMs,
    resp_h: flow.resp_h,
    resp_p: flow.resp_p,
    service: flow.service,
    orig_pkts: flow.orig_pkts ?? 0,
    orig_bytes: flow.orig_bytes ?? 0,
  };
}
