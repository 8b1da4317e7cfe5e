/**
 * A second thread for the second half of a large prediction batch, shared by the packed tree ensembles
 * (`tree-predict.ts`) and the isolation forest (`iforest.ts`).
 *
 * The worker file (compiled JavaScript next to the caller) is started on first use and holds one model at a time
 * (a long-lived process does not accumulate models in it). A run posts the model if the worker does not hold it,
 * posts the run message, executes the caller's half on this thread, then blocks with `Atomics.wait` on an Int32
 * flag the worker sets to 1 (done) or 2 (failed). On failure or time-out the worker is terminated and never used
 * again, and the caller does the other half itself, so results never depend on the worker.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Outcome of {@link HalfBatchWorker.run}. */
export type HalfBatchOutcome = 'done' | 'failed';

/** One lazily started helper thread for half batches. `M` is the caller's model object (compared by identity). */
export class HalfBatchWorker<M extends object> {
  private worker: Worker | null | undefined;
  private sent: M | null = null;
  private id = 0;

  /**
   * @param file the worker's compiled `.js` file; absent (TypeScript sources under a test runner) means no worker.
   * @param kind the `workerData.kind` marker the worker file checks before listening.
   * @param timeoutMs longest wait for the worker's half before this thread does it (a stuck or dead worker).
   */
  constructor(
    private readonly file: URL,
    private readonly kind: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** The worker, started on first use; null when unavailable (one CPU, no compiled worker file, start failed). */
  available(): boolean {
    if (this.worker !== undefined) return this.worker !== null;
    this.worker = null;
    if (availableParallelism() < 2 || !existsSync(fileURLToPath(this.file))) return false;
    try {
      const w = new Worker(this.file, { workerData: { kind: this.kind } });
      this.sent = null;
      w.unref();
      const drop = (): void => {
        if (this.worker === w) this.worker = null;
      };
      w.on('error', drop);
      w.on('exit', drop);
      this.worker = w;
    } catch {
      this.worker = null;
    }
    return this.worker !== null;
  }

  /**
   * Runs one split batch: `modelMessage(id)` is posted when the worker does not hold `model`, then
   * `runMessage(id, flag)`; `local()` runs on this thread meanwhile. Call only after {@link available} is true.
   * @returns `done` when the worker's half is in its shared output, `failed` when the caller must do it.
   */
  run(model: M, modelMessage: (id: number) => unknown, runMessage: (id: number, flag: SharedArrayBuffer) => unknown, local: () => void): HalfBatchOutcome {
    const w = this.worker;
    if (w === null || w === undefined) return 'failed';
    if (this.sent !== model) {
      this.sent = model;
      this.id++;
      w.postMessage(modelMessage(this.id));
    }
    const flagSab = new SharedArrayBuffer(4);
    const flag = new Int32Array(flagSab);
    w.postMessage(runMessage(this.id, flagSab));
    local();
    Atomics.wait(flag, 0, 0, this.timeoutMs);
    if (Atomics.load(flag, 0) === 1) return 'done';
    this.worker = null;
    void w.terminate();
    return 'failed';
  }
}
