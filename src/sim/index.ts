/**
 * The simulator's public surface: seeded robot-fleet, temperature-sensor and network-traffic generators with
 * scheduled attack scenarios, their ground truth, and scoring of a detector's alerts against it. Pure: imports
 * only `core`; the CLI (`ipqsec simulate`) does the I/O.
 */
export { simulate, simulateStream, simEventId, simEventIdPrefix, SIM_DEFAULTS, type SimEvent, type SimulateOptions, type SimulationStream } from './simulator.js';
export {
  SCENARIO_KINDS,
  SCENARIO_REASONS,
  SCENARIO_EVENT_TYPE,
  WARM_UP_FRACTION,
  ENTITY_SEPARATION_MS,
  defaultInstancesPerKind,
  scheduleScenarios,
  type ScenarioKind,
  type ScheduledInstance,
  type ScheduleOptions,
} from './scenarios.js';
export type { GroundTruth, TruthScenario } from './ground-truth.js';
export { scoreRun, SCORE_GRACE_MS, type ScenarioScore, type ObservedEvent, type ObservedEventRef, type ScoreOptions } from './score.js';
export { SUSPICIOUS_PORTS, isSuspiciousPort } from './suspicious-ports.js';
export { TASK_TRANSITIONS, ROBOT_TASKS, ROBOT_TYPES, BENIGN_ROBOT_PORTS, transitionProbability, robotIdentity, type RobotTask, type RobotType } from './robot-fleet.js';
export { SENSOR_RANGE_C, sensorIdentity } from './temperature-sensors.js';
