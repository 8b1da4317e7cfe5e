/**
 * Ground truth of a simulated run: which entity attacked when, how, and which events it produced. Written by
 * `ipqsec simulate --truth FILE` as JSON and read by `scoreRun`.
 */
import type { AlertReason } from '../core/records.js';
import type { ScenarioKind } from './scenarios.js';

/** One attack instance of a run. */
export interface TruthScenario {
  /** `<kind>-<n>` (n from 1 within the kind). */
  readonly id: string;
  readonly kind: ScenarioKind;
  /** Entity key as `entityOf` in core/events.ts gives it: `ip:<orig_h>` | `robot:<robot_id>` | `sensor:<site>/<sensor_id>`. */
  readonly entity: string;
  /**
   * Window, epoch ms, inclusive; every event of the instance lies in it. For network and sensor kinds the
   * first event is at `start_ms`; a robot reports at its own pace, so its first instance event follows
   * within one report interval (≤ 2.3 s).
   */
  readonly start_ms: number;
  readonly end_ms: number;
  /** Reasons that count as detecting it. */
  readonly reasons: readonly AlertReason[];
  /** Ids of the events it produced, in output order. */
  readonly event_ids: readonly string[];
}

/** Ground truth of one run. */
export interface GroundTruth {
  readonly seed: number;
  /** Simulated start, epoch ms. */
  readonly startMs: number;
  readonly durationS: number;
  /** Instances sorted by `start_ms`. */
  readonly scenarios: readonly TruthScenario[];
}
