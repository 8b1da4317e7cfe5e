/**
 * Second thread for large isolation-forest scoring batches: a `worker_threads` worker that runs
 * {@link scorePacked} on the second half of the rows while the calling thread scores the first (used by
 * `iforest.ts` from compiled JavaScript only; the same design as `tree-predict-worker.ts`).
 *
 * Protocol: `{ kind: 'model', id, ... }` registers a packed forest (the worker holds one at a time);
 * `{ kind: 'run', ... }` reads `nRows × nCols` rows from a SharedArrayBuffer, writes their scores to the shared
 * output, then sets `flag[0]` to 1 (2 on failure) and notifies it. Each row is scored by one thread with the
 * same code and tree order, so the scores are identical to a single-thread run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IFOREST_WORKER_KIND, scorePacked, SCORE_BLOCK } from './iforest.js';

/** Registers a packed forest (see `PackedForest` in `iforest.ts`) under `id`, replacing the one held before. */
export interface IforestModelMessage {
  readonly kind: 'model';
  readonly id: number;
  /** Node buffer (16 bytes per node), viewed as Float64 and Int32. */
  readonly nodes: Float64Array;
  readonly roots: Int32Array;
  readonly depth: Int32Array;
}

/** Scores `nRows` rows of `data` (row-major, `nCols` columns) with model `id` into `out` (Float64). */
export interface IforestRunMessage {
  readonly kind: 'run';
  readonly id: number;
  readonly data: SharedArrayBuffer;
  readonly nCols: number;
  readonly nRows: number;
  readonly out: SharedArrayBuffer;
  /** `−1 / (nTrees · c(ψ))`. */
  readonly scale: number;
  /** Int32 completion flag: 0 running, 1 done, 2 failed. */
  readonly flag: SharedArrayBuffer;
}

const wd = workerData as { kind?: unknown } | null | undefined;
if (parentPort !== null && wd !== null && typeof wd === 'object' && wd.kind === IFOREST_WORKER_KIND) {
  let model: { id: number; nodes: Float64Array; fields: Int32Array; roots: Int32Array; depth: Int32Array } | null = null;
  const total = new Float64Array(SCORE_BLOCK);
  parentPort.on('message', (msg: IforestModelMessage | IforestRunMessage) => {
    if (msg.kind === 'model') {
      const { nodes } = msg;
      model = { id: msg.id, nodes, fields: new Int32Array(nodes.buffer, nodes.byteOffset, 2 * nodes.length), roots: msg.roots, depth: msg.depth };
      return;
    }
    const flag = new Int32Array(msg.flag);
    try {
      if (model === null || model.id !== msg.id) throw new Error(`unknown model ${msg.id}`);
      const x = new Float64Array(msg.data, 0, msg.nRows * msg.nCols);
      scorePacked(model.nodes, model.fields, model.roots, model.depth, x, msg.nCols, 0, msg.nRows, new Float64Array(msg.out), total, msg.scale);
      Atomics.store(flag, 0, 1);
    } catch {
      Atomics.store(flag, 0, 2);
    }
    Atomics.notify(flag, 0);
  });
}
