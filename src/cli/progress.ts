/**
 * A minimal one-line progress bar for a terminal's stderr.
 *
 * `update` matches `ProgressFn` of `src/ml/classifier.ts`, so `createProgress().update` can be handed to
 * any trainer. Redraws are throttled (at most one per `intervalMs`, default 100 ms ≈ 10 Hz) except when the
 * stage changes or a stage completes, so calling `update` once per tree or per batch costs almost nothing.
 * Nothing is written when disabled or when the stream is not a TTY (pipes, files, CI logs stay clean).
 * No dependency: a carriage return redraws the line and ANSI `ESC [ K` (ECMA-48 §8.3.41, EL) clears what
 * remains of it.
 */
import type { ProgressFn } from '../ml/classifier.js';

/** The part of a `tty.WriteStream` the bar uses. */
export interface ProgressStream {
  /** True for a terminal; the bar writes only then. */
  readonly isTTY?: boolean;
  /** Terminal width in characters; default 80. */
  readonly columns?: number;
  write(chunk: string): unknown;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** False to draw nothing (for `--quiet`); default true. */
  readonly enabled?: boolean;
  /** Minimum milliseconds between redraws; default 100. */
  readonly intervalMs?: number;
  /** Clock in milliseconds, injected for tests; default `performance.now`. */
  readonly now?: () => number;
}

/** A progress bar: feed it with {@link Progress.update}, finish it with {@link Progress.done}. */
export interface Progress {
  /** Reports `done` of `total` units of `stage`; a `ProgressFn`, safe to pass around unbound. */
  readonly update: ProgressFn;
  /** Draws the final state and ends the line; later calls do nothing. Writes nothing if nothing was drawn. */
  readonly done: () => void;
}

const BAR_WIDTH = 24;

/**
 * Creates a progress bar on `stream` (default `process.stderr`). The line reads
 * `stage [#########---------------]  37% 111/300`, cut to the terminal width.
 */
export function createProgress(stream: ProgressStream = process.stderr, options: ProgressOptions = {}): Progress {
  const active = options.enabled !== false && stream.isTTY === true;
  if (!active) return { update: () => undefined, done: () => undefined };
  const interval = options.intervalMs ?? 100;
  const now = options.now ?? (() => performance.now());
  let stage = '';
  let doneUnits = 0;
  let totalUnits = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  const draw = (): void => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    stream.write(`\r${formatLine(stage, doneUnits, totalUnits, width)}\u001b[K`);
    drawn = true;
    lastDraw = now();
  };

  return {
    update: (s: string, d: number, t: number): void => {
      if (finished) return;
      const stageChanged = s !== stage;
      const completes = d >= t && !(doneUnits >= totalUnits && !stageChanged);
      stage = s;
      doneUnits = d;
      totalUnits = t;
      if (stageChanged || completes || now() - lastDraw >= interval) draw();
    },
    done: (): void => {
      if (finished) return;
      finished = true;
      if (!drawn) return;
      draw();
      stream.write('\n');
    },
  };
}

/**
 * One line of the bar, at most `width` characters: stage, bar, percentage, counts. A non-positive or
 * non-finite `total` shows only the stage and the count.
 */
export function formatLine(stage: string, done: number, total: number, width: number): string {
  // C0/C1 control characters (a stage name from user data could hold ESC sequences) are shown as spaces.
  const safeStage = Array.from(stage, (ch) => {
    const c = ch.charCodeAt(0);
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) ? ' ' : ch;
  }).join('');
  let line: string;
  if (!(total > 0) || !Number.isFinite(total) || !Number.isFinite(done)) {
    line = `${safeStage} ${Number.isFinite(done) ? Math.max(0, Math.round(done)) : 0}`;
  } else {
    const f = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(f * BAR_WIDTH);
    const pct = `${Math.floor(f * 100)}%`.padStart(4);
    line = `${safeStage} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${pct} ${Math.round(done)}/${Math.round(total)}`;
  }
  const cps = Array.from(line);
  return cps.length <= width ? line : `${cps.slice(0, width - 1).join('')}…`;
}
