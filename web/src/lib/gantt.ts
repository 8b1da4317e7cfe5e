/**
 * Task runs of a robot for the Gantt chart of the Robots view (pure). A run is a sequence of reports with the same
 * task; it lasts from its first report to the first report of the next task, or {@link MAX_REPORT_SPAN_MS} after
 * its last report when the robot then fell silent for longer than that.
 */
import type { RobotPoint } from './live-store';

/** A report is taken to last at most this long when no later report follows (ms). */
export const MAX_REPORT_SPAN_MS = 10_000;

/** One bar: a run of one task. */
export interface Segment {
  readonly task: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Id of the report that started the run. */
  readonly firstId: string;
  /** Ids of every report in the run. */
  readonly ids: readonly string[];
}

/**
 * Runs of identical tasks of one robot's reports (sorted by time). A run ends at the next report with another task,
 * or `MAX_REPORT_SPAN_MS` after its last report when the next report is later than that (a gap) or absent.
 */
export function segmentsOf(points: readonly RobotPoint[]): Segment[] {
  const out: Segment[] = [];
  let cur: { task: string; startMs: number; lastMs: number; firstId: string; ids: string[] } | null = null;
  for (const p of points) {
    if (cur !== null && (p.task !== cur.task || p.ts - cur.lastMs > MAX_REPORT_SPAN_MS)) {
      const end = p.ts - cur.lastMs > MAX_REPORT_SPAN_MS ? cur.lastMs + MAX_REPORT_SPAN_MS : p.ts;
      out.push({ task: cur.task, startMs: cur.startMs, endMs: end, firstId: cur.firstId, ids: cur.ids });
      cur = null;
    }
    if (cur === null) cur = { task: p.task, startMs: p.ts, lastMs: p.ts, firstId: p.id, ids: [p.id] };
    else {
      cur.lastMs = p.ts;
      cur.ids.push(p.id);
    }
  }
  if (cur !== null) out.push({ task: cur.task, startMs: cur.startMs, endMs: cur.lastMs + 2_000, firstId: cur.firstId, ids: cur.ids });
  return out;
}

