/**
 * Threshold rules on a flow and its source's window features: port scan, traffic burst, suspicious port access,
 * and a weak signal for rejected or unanswered connections.
 *
 * Score (a rule risk in [0, 1], 0 when nothing fires), the maximum of:
 * - each fired threshold rule: `1 − (1 − H) / x`, where `x ≥ 1` is the observed value over its threshold and
 *   `H = 0.7` is the High risk class ({@link RISK_CLASS_THRESHOLDS}): a rule at its threshold is exactly an
 *   alert-level 0.7, twice the threshold 0.85, saturating towards 1;
 *   - Port Scan: `x = ct_src_dport_ltm / portScanDistinctPorts`;
 *   - Traffic Burst: `x = burst_rate / burstRate`;
 * - Suspicious Port Access: {@link SUSPICIOUS_PORT_SCORE} (0.8; no threshold to exceed, one port says enough);
 * - a rejected or unanswered connection (`conn_state` in {@link UNANSWERED_CONN_STATES}):
 *   {@link UNANSWERED_CONN_SCORE} (0.45, Medium, no reason). Suspicious but below alert level on its own;
 *   the threat memory counts Medium events, so a slow-and-low scanner that stays under the port-scan threshold
 *   in every window still escalates over time.
 *
 * Rule names are {@link AlertReason}s. Scan detection by distinct destination ports per source in a time window
 * is the classic threshold scan detector (Snort's sfPortscan; Jung et al., "Fast portscan detection using
 * sequential hypothesis testing", IEEE S&P 2004, §2, for its limits).
 */
import type { FlowEvent } from '../core/events.js';
import { type AlertReason, RISK_CLASS_THRESHOLDS } from '../core/records.js';
import type { SourceFeatures } from '../features/source-windows.js';

/** Thresholds of {@link evaluateNetworkRules}. */
export interface NetworkRuleConfig {
  /** Port Scan fires at this many distinct responder ports from one source in the window (≥ 1). */
  readonly portScanDistinctPorts: number;
  /** Traffic Burst needs at least this many flows per second over the burst window (> 0). */
  readonly burstRate: number;
  /** …and at least this many flows in the burst window (≥ 1), so a short burst window cannot fire on a few flows. */
  readonly burstMinFlows: number;
}

/** Default thresholds. */
export const NETWORK_RULE_DEFAULTS: Readonly<NetworkRuleConfig> = Object.freeze({
  portScanDistinctPorts: 15,
  burstRate: 20, // flows/s over the burst window (5 s by default: 100 flows)
  burstMinFlows: 50,
});

/** The reasons the network rules emit. */
export type NetworkRuleReason = Extract<AlertReason, 'Port Scan' | 'Traffic Burst' | 'Suspicious Port Access'>;

/** Result of {@link evaluateNetworkRules}. */
export interface NetworkRuleResult {
  /** Fired rules, in the order Port Scan, Traffic Burst, Suspicious Port Access. */
  readonly reasons: NetworkRuleReason[];
  /** Rule risk in [0, 1] (formula in the module comment). */
  readonly score: number;
}

/**
 * Zeek `conn_state`s of a connection attempt that was rejected or never answered normally: REJ (rejected),
 * S0 (no reply), RSTR / RSTOS0 (reset by the responder / by the originator after a bare SYN), SH / OTH (no
 * handshake seen). Zeek base/protocols/conn/main.zeek.
 */
export const UNANSWERED_CONN_STATES: ReadonlySet<string> = new Set(['REJ', 'S0', 'RSTR', 'RSTOS0', 'SH', 'OTH']);

/** Score of a rejected or unanswered connection: Medium, below alert level. */
export const UNANSWERED_CONN_SCORE = 0.45;
/** Score of a connection to a suspicious port. */
export const SUSPICIOUS_PORT_SCORE = 0.8;

const HIGH = RISK_CLASS_THRESHOLDS.high;
const NO_PORTS: ReadonlySet<number> = new Set();

/** `1 − (1 − H)/x` for `x ≥ 1`: H at the threshold, towards 1 far over it. */
function overThreshold(x: number): number {
  return 1 - (1 - HIGH) / x;
}

/**
 * Evaluates the network rules for one flow.
 *
 * @param f the window features of the flow's source, including the flow (from `SourceWindows.observe`).
 * @param flow the flow; `resp_p` is checked against `suspicious`, `conn_state` for the weak signal.
 * @param cfg thresholds (default {@link NETWORK_RULE_DEFAULTS}).
 * @param suspicious suspicious responder ports (e.g. `new Set(DEFAULT_SUSPICIOUS_PORTS)`; default none).
 * @throws RangeError when a threshold is not positive and finite (`portScanDistinctPorts`, `burstMinFlows` ≥ 1).
 */
export function evaluateNetworkRules(
  f: SourceFeatures,
  flow: Pick<FlowEvent, 'resp_p' | 'conn_state'>,
  cfg: NetworkRuleConfig = NETWORK_RULE_DEFAULTS,
  suspicious: ReadonlySet<number> = NO_PORTS,
): NetworkRuleResult {
  const { portScanDistinctPorts, burstRate, burstMinFlows } = cfg;
  if (!(portScanDistinctPorts >= 1 && Number.isFinite(portScanDistinctPorts))) {
    throw new RangeError(`portScanDistinctPorts must be a finite number ≥ 1, got ${portScanDistinctPorts}`);
  }
  if (!(burstRate > 0 && Number.isFinite(burstRate))) throw new RangeError(`burstRate must be positive and finite, got ${burstRate}`);
  if (!(burstMinFlows >= 1 && Number.isFinite(burstMinFlows))) {
    throw new RangeError(`burstMinFlows must be a finite number ≥ 1, got ${burstMinFlows}`);
  }
  const reasons: NetworkRuleReason[] = [];
  let score = 0;
  if (f.ct_src_dport_ltm >= portScanDistinctPorts) {
    reasons.push('Port Scan');
    score = Math.max(score, overThreshold(f.ct_src_dport_ltm / portScanDistinctPorts));
  }
  if (f.burst_rate >= burstRate && f.burst_flows >= burstMinFlows) {
    reasons.push('Traffic Burst');
    score = Math.max(score, overThreshold(f.burst_rate / burstRate));
  }
  if (suspicious.has(flow.resp_p)) {
    reasons.push('Suspicious Port Access');
    score = Math.max(score, SUSPICIOUS_PORT_SCORE);
  }
  if (flow.conn_state !== undefined && UNANSWERED_CONN_STATES.has(flow.conn_state)) {
    score = Math.max(score, UNANSWERED_CONN_SCORE);
  }
  return { reasons, score };
}
