/**
 * Second thread for large prediction batches: a `worker_threads` worker that runs {@link accumulatePacked}
 * on a range of rows while the calling thread runs the rest (used by `tree-predict.ts` from compiled
 * JavaScript).
 *
 * Protocol: `{ kind: 'model', id, ... }` registers a packed ensemble (the worker holds one at a time); `{ kind: 'run', ... }` reads the rows
 * from a SharedArrayBuffer, adds the trees' leaf values to the shared output rows (which the caller has
 * filled with its current values, so each row's sum keeps the same order as a single-thread run), then sets
 * `flag[0]` to 1 (2 on failure) and notifies it. The caller waits with `Atomics.wait`, so the synchronous
 * `predict` API is kept.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { accumulatePacked, PREDICT_WORKER_KIND } from './tree-predict.js';
import type { PackedEnsemble } from './tree-predict.js';
import type { TreeEnsemble } from './tree.js';

/** Registers an ensemble (its packed form and leaf values) under `id`, replacing the one held before. */
export interface PredictModelMessage {
  readonly kind: 'model';
  readonly id: number;
  readonly packed: PackedEnsemble;
  readonly leafValue: Float64Array;
  readonly nOutputs: number;
  readonly nTrees: number;
}

/** Adds trees `[t0, t1)` of model `id` for rows `[r0, r1)` of `data` (row-major `nRows × nCols`) to `out`. */
export interface PredictRunMessage {
  readonly kind: 'run';
  readonly id: number;
  readonly data: SharedArrayBuffer;
  readonly nCols: number;
  readonly r0: number;
  readonly r1: number;
  /** Output rows `[r0, r1)`, `outCols` values each. */
  readonly out: SharedArrayBuffer;
  readonly outCols: number;
  readonly t0: number;
  readonly t1: number;
  /** Int32 completion flag: 0 running, 1 done, 2 failed. */
  readonly flag: SharedArrayBuffer;
}

const wd = workerData as { kind?: unknown } | null | undefined;
if (parentPort !== null && wd !== null && typeof wd === 'object' && wd.kind === PREDICT_WORKER_KIND) {
  const models = new Map<number, { packed: PackedEnsemble; trees: TreeEnsemble }>();
  parentPort.on('message', (msg: PredictModelMessage | PredictRunMessage) => {
    if (msg.kind === 'model') {
      // Only nOutputs and leafValue of the ensemble are read by accumulatePacked.
      const trees = { nTrees: msg.nTrees, nOutputs: msg.nOutputs, leafValue: msg.leafValue } as TreeEnsemble;
      models.clear();
      models.set(msg.id, { packed: msg.packed, trees });
      return;
    }
    const flag = new Int32Array(msg.flag);
    try {
      const m = models.get(msg.id);
      if (m === undefined) throw new Error(`unknown model ${msg.id}`);
      const n = msg.r1 - msg.r0;
      const data = new Float64Array(msg.data, msg.r0 * msg.nCols * 8, n * msg.nCols);
      accumulatePacked(m.trees, m.packed, { data, nRows: n, nCols: msg.nCols }, new Float64Array(msg.out), msg.outCols, msg.t0, msg.t1);
      Atomics.store(flag, 0, 1);
    } catch {
      Atomics.store(flag, 0, 2);
    }
    Atomics.notify(flag, 0);
  });
}
