/**
 * A finished connection ({@link ConnRecord}) in the two forms the rest of IPqSEC reads:
 * - the wire `flow` event of `core/events.ts` (what `ipqsec sensor` sends to a server, with the UNSW-NB15 fields
 *   and the sensor's detections as `signals`);
 * - a row of UNSW-NB15-named features (docs/flow-features.md), matched by name to a model trained on UNSW-NB15.
 *
 * UNSW's byte counts are IP-level (Argus counts IP bytes: in the published partitions `smean` = `sbytes` /
 * `spkts` and a one-packet DNS query is ~73 bytes), so `sbytes`/`dbytes` are Zeek's `orig_ip_bytes`/
 * `resp_ip_bytes`, not the payload counts `orig_bytes`/`resp_bytes`.
 */
import type { FlowEventInput, FlowSignal } from '../core/events.js';
import { ctStateTtl, isSmIpsPorts, unswRate, unswState, type UnswCounterFeatures } from '../features/unsw-counters.js';
import type { ConnRecord } from './conn-record.js';

/** Longest `service` the wire schema takes. */
const MAX_SERVICE = 64;

/** Finite or 0 (the wire schema takes finite numbers only). */
const fin = (v: number): number => (Number.isFinite(v) ? v : 0);

/**
 * The wire `flow` event of `rec` (validates against `flowEventSchema`): Zeek fields, the per-flow UNSW fields, the
 * window counters when given, and `signals` when given and non-empty. `site` tags the sensor's site.
 */
export function connToFlowEvent(rec: ConnRecord, opts: { counters?: UnswCounterFeatures; signals?: readonly FlowSignal[]; site?: string } = {}): FlowEventInput {
  const e: FlowEventInput = {
    type: 'flow',
    uid: rec.uid,
    ts: rec.ts,
    orig_h: rec.orig_h,
    orig_p: rec.orig_p,
    resp_h: rec.resp_h,
    resp_p: rec.resp_p,
    proto: rec.proto,
    duration: fin(rec.duration),
    orig_bytes: rec.orig_bytes,
    resp_bytes: rec.resp_bytes,
    orig_pkts: rec.orig_pkts,
    resp_pkts: rec.resp_pkts,
    orig_ip_bytes: rec.orig_ip_bytes,
    resp_ip_bytes: rec.resp_ip_bytes,
    conn_state: rec.conn_state,
    history: rec.history.slice(0, 64),
    sttl: rec.sttl,
    dttl: rec.dttl,
    sload: fin(rec.sload),
    dload: fin(rec.dload),
    sloss: rec.sloss,
    dloss: rec.dloss,
    sinpkt: fin(rec.sinpkt),
    dinpkt: fin(rec.dinpkt),
    sjit: fin(rec.sjit),
    djit: fin(rec.djit),
    swin: rec.swin,
    dwin: rec.dwin,
    tcprtt: fin(rec.tcprtt),
    synack: fin(rec.synack),
    ackdat: fin(rec.ackdat),
    smean: fin(rec.smean),
    dmean: fin(rec.dmean),
    is_sm_ips_ports: isSmIpsPorts(rec),
  };
  if (rec.service !== null && rec.service !== '') e.service = rec.service.slice(0, MAX_SERVICE);
  if (opts.site !== undefined) e.site = opts.site;
  const c = opts.counters;
  if (c !== undefined) {
    e.ct_srv_src = c.ct_srv_src;
    e.ct_srv_dst = c.ct_srv_dst;
    e.ct_dst_ltm = c.ct_dst_ltm;
    e.ct_src_ltm = c.ct_src_ltm;
    e.ct_src_dport_ltm = c.ct_src_dport_ltm;
    e.ct_dst_sport_ltm = c.ct_dst_sport_ltm;
    e.ct_dst_src_ltm = c.ct_dst_src_ltm;
    e.ct_state_ttl = ctStateTtl(unswStateOf(rec), rec.sttl, rec.dttl);
  }
  if (opts.signals !== undefined && opts.signals.length > 0) e.signals = opts.signals.slice(0, 16);
  return e;
}

/** The Argus state UNSW-NB15 would give `rec` (see `unswState`). */
export function unswStateOf(rec: ConnRecord): string {
  return unswState(rec.proto, rec.conn_state, rec.history, rec.orig_pkts, rec.resp_pkts, rec.orig_p, rec.resp_p);
}

/**
 * The UNSW-NB15 feature row of `rec` (column names of the published partitions). Columns that cannot be derived
 * from packets — `stcpb`/`dtcpb` (random initial sequence numbers, meaningless across networks), `trans_depth`,
 * `response_body_len`, `is_ftp_login`, `ct_ftp_cmd`, `ct_flw_http_mthd` (need application transaction tracking
 * IPqSEC does not do yet) — are absent, so a model scores them as missing (docs/flow-features.md).
 */
export function unswFlowRow(rec: ConnRecord, c: UnswCounterFeatures): Record<string, number | string> {
  const state = unswStateOf(rec);
  return {
    dur: rec.duration,
    proto: rec.proto === 'unknown_transport' ? 'unas' : rec.proto,
    service: rec.service === null || rec.service === '' ? '-' : rec.service.split(',')[0]!,
    state,
    spkts: rec.orig_pkts,
    dpkts: rec.resp_pkts,
    sbytes: rec.orig_ip_bytes,
    dbytes: rec.resp_ip_bytes,
    rate: unswRate(rec.duration, rec.orig_pkts, rec.resp_pkts),
    sttl: rec.sttl,
    dttl: rec.dttl,
    sload: rec.sload,
    dload: rec.dload,
    sloss: rec.sloss,
    dloss: rec.dloss,
    sinpkt: rec.sinpkt,
    dinpkt: rec.dinpkt,
    sjit: rec.sjit,
    djit: rec.djit,
    swin: rec.swin,
    dwin: rec.dwin,
    tcprtt: rec.tcprtt,
    synack: rec.synack,
    ackdat: rec.ackdat,
    smean: rec.smean,
    dmean: rec.dmean,
    ct_srv_src: c.ct_srv_src,
    ct_state_ttl: ctStateTtl(state, rec.sttl, rec.dttl),
    ct_dst_ltm: c.ct_dst_ltm,
    ct_src_dport_ltm: c.ct_src_dport_ltm,
    ct_dst_sport_ltm: c.ct_dst_sport_ltm,
    ct_dst_src_ltm: c.ct_dst_src_ltm,
    ct_src_ltm: c.ct_src_ltm,
    ct_srv_dst: c.ct_srv_dst,
    is_sm_ips_ports: isSmIpsPorts(rec),
  };
}
