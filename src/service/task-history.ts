/**
 * First-start history for the task-transition model. The model is learned from each robot type's own reports;
 * a new installation has none, and until it has a few hundred switches per task every rare but legitimate
 * switch would be flagged. When the store holds no learned model yet, the service seeds it with the robot
 * reports of the built-in simulator's first-start run (the same fixed run that trains the first-start flow model,
 * `FIRST_START_TRAINING`), and logs that it did. Real fleets keep learning from their own reports from then on.
 */
import type { TaskTransitionModel } from '../detect/task-transitions.js';
import { simulate } from '../sim/index.js';
import { FIRST_START_TRAINING } from './flow-model.js';

/** Learns every task switch of the first-start simulator run into `model`; returns how many were learned. */
export function seedTransitionsFromSimulator(model: TaskTransitionModel): number {
  const cfg = FIRST_START_TRAINING;
  const { events } = simulate({ seed: cfg.seed, startMs: cfg.startMs, durationS: cfg.durationS, scenarios: [] });
  let n = 0;
  for (const e of events) {
    if (e.type !== 'robot' || e.previous_task === undefined || e.previous_task === null) continue;
    if (model.learn(e.robot_type ?? 'default', e.previous_task, e.task)) n++;
  }
  return n;
}
