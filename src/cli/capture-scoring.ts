/**
 * Scores finished connections of a capture with a model file (`ipqsec pcap --model`). The model's input columns
 * are matched by name (`pipeline/named-rows.ts`):
 * - a model trained on UNSW-NB15 (`dataset` starting with `unsw`) gets each flow's UNSW-NB15 row
 *   (`capture/flow-event.ts` `unswFlowRow` with the `ct_*` counters over the last 100 connections);
 * - any other model (the service's own flow model) gets the live service's feature row: the flow's Zeek fields
 *   and its source's sliding-window features (`features/flow-features.ts`), exactly as `ipqsec serve` scores.
 * Columns a model needs that no flow carries are filled as missing and listed in {@link CaptureFlowScorer.missing}.
 *
 * Flows are scored in batches of {@link SCORE_BATCH} (memory bounded by one batch).
 */
import type { ConnRecord } from '../capture/conn-record.js';
import { connToFlowEvent, unswFlowRow } from '../capture/flow-event.js';
import type { FlowEvent } from '../core/events.js';
import type { UnswCounterFeatures } from '../features/unsw-counters.js';
import { flowFeatureRow, flowObservation } from '../features/flow-features.js';
import { SourceWindows } from '../features/source-windows.js';
import type { ModelBundle } from '../ml/model-file.js';
import { tableForModel, type NamedRow } from '../pipeline/named-rows.js';
import { loadBundle, predictTable, type LoadedModel } from '../pipeline/predict.js';

/** Flows per model call. */
export const SCORE_BATCH = 4096;

/** One scored flow. */
export interface ScoredFlow {
  readonly rec: ConnRecord;
  /** Probability of the attack class(es), in [0, 1]. */
  readonly p: number;
}

/** See the file comment. */
export class CaptureFlowScorer {
  /** `unsw`: UNSW-NB15 rows; `service`: the live service's feature rows. */
  readonly rowKind: 'unsw' | 'service';
  private readonly loaded: LoadedModel;
  private readonly windows = new SourceWindows();
  private readonly pending: { rec: ConnRecord; row: NamedRow }[] = [];
  private readonly missingSet = new Set<string>();
  private scored = 0;

  constructor(private readonly bundle: ModelBundle) {
    this.loaded = loadBundle(bundle);
    this.rowKind = bundle.dataset.toLowerCase().startsWith('unsw') ? 'unsw' : 'service';
  }

  /** Model columns no flow carried so far (filled as missing). */
  get missing(): readonly string[] {
    return [...this.missingSet];
  }

  /** Flows scored so far. */
  get count(): number {
    return this.scored;
  }

  /** Adds a finished connection; returns the scores of a full batch, else an empty list. */
  add(rec: ConnRecord, counters: UnswCounterFeatures): ScoredFlow[] {
    let row: NamedRow;
    if (this.rowKind === 'unsw') {
      row = unswFlowRow(rec, counters);
    } else {
      const flow = { ...connToFlowEvent(rec), id: rec.uid, tsMs: Math.round(rec.ts * 1000) } as FlowEvent;
      row = flowFeatureRow(flow, this.windows.observe(flow.orig_h, flowObservation(flow), true));
    }
    this.pending.push({ rec, row });
    return this.pending.length >= SCORE_BATCH ? this.flush() : [];
  }

  /** Scores what is pending. */
  flush(): ScoredFlow[] {
    if (this.pending.length === 0) return [];
    const batch = this.pending.splice(0);
    const { table, missing } = tableForModel(this.bundle.featureSchema, batch.map((b) => b.row));
    for (const m of missing) this.missingSet.add(m);
    const pr = predictTable(this.loaded, table);
    const normal = Math.max(0, pr.labelNames.indexOf('normal'));
    this.scored += batch.length;
    return batch.map((b, i) => ({ rec: b.rec, p: 1 - pr.proba[i * pr.nClasses + normal]! }));
  }
}
