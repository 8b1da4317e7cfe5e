/**
 * IPqSEC's public API (the `ipqsec` package): data set loading and preprocessing, the models, metrics, the model
 * file, and the evaluation and training pipelines; the live service; and, as namespaces, the post-quantum layer
 * (`pqc`), the tamper-evident log (`ledger`), the edge clients (`agent`), the network sensor (`capture`) and the
 * vulnerability scanner (`scan`). The command line is `ipqsec` (src/cli/main.ts).
 */
export * from './data/index.js';
export { ERROR_CATALOGUE, IpqsecError, isIpqsecError, type ErrorCode } from './core/errors.js';
export { createRng, type Rng } from './core/rng.js';
export { fromRows, matrix, type Matrix } from './core/matrix.js';
export type { Classifier, ModelKind, SerializedModel, ProgressFn } from './ml/classifier.js';
export type { TrainOptions } from './ml/train-options.js';
export { MODEL_KINDS, deserializeModel, inputEncoding, parseModelKind, trainModel } from './ml/model-registry.js';
export { trainGbdt, deserializeGbdt, GBDT_DEFAULTS, type GbdtParams } from './ml/gbdt.js';
export { trainForest, deserializeForest, FOREST_DEFAULTS, type ForestParams } from './ml/forest.js';
export { trainLogistic, deserializeLogistic, LOGISTIC_DEFAULTS, type LogisticParams } from './ml/logistic.js';
export { trainIsolationForest, deserializeIsolationForest, IFOREST_DEFAULTS, type IsolationForestParams } from './ml/iforest.js';
export { trainHybrid, deserializeHybrid, HYBRID_DEFAULTS, type HybridParams } from './ml/hybrid.js';
export { HalfSpaceTrees, HST_DEFAULTS } from './ml/half-space-trees.js';
export type { StreamingDetector } from './ml/streaming.js';
export * from './ml/metrics.js';
export { decodeModelBundle, encodeModelBundle, readModelFile, writeModelFile, describeModelBundle, type ModelBundle } from './ml/model-file.js';
export { fitModel, scoreRows, type FitSpec, type FittedModel, type Target } from './pipeline/fit.js';
export { evaluate, type EvaluationResult, type SplitSpec, type TuningSpec } from './pipeline/evaluate.js';
export { tune, novelClassFolds, defaultCandidates, candidateGrid, type Candidate, type TuneResult } from './pipeline/tune.js';
export { trainBundle } from './pipeline/train.js';
export { loadBundle, predictTable } from './pipeline/predict.js';
// The live service: events, detection, store, simulator, HTTP app (issue 3).
export { eventSchema, parseEvents, entityOf, MAX_EVENTS_PER_BATCH, type EventInput, type IngestEvent } from './core/events.js';
export type { Alert, EventResult, EntityState, ListEntry, RiskClass, StoredEvent } from './core/records.js';
export { DetectionEngine, ENGINE_DEFAULTS, type EngineConfig, type FlowScorer, type ScoredEvent } from './detect/engine.js';
export { combineRisk, sineModulation, RISK_DEFAULTS, type RiskConfig } from './detect/risk.js';
export { techniquesFor, ALL_MAPPED_TECHNIQUES } from './detect/attack-mapping.js';
export { openSqliteStore, type Store } from './store/index.js';
export { Monitor } from './service/monitor.js';
export { ModelFlowScorer, trainFlowModel } from './service/flow-model.js';
export { createMetrics } from './service/metrics.js';
export { buildApp } from './server/app.js';
export { simulate, scoreRun, type GroundTruth } from './sim/index.js';
export { verifyWebhookSignature } from './delivery/webhook.js';
// Post-quantum security (issue 4): provider, channel, identities, the tamper-evident log and its clients.
export * as pqc from './pqc/index.js';
export * as ledger from './ledger/index.js';
export * as agent from './agent/index.js';
// Network sensor (issue 5): captures to flows, features, protocol-aware detections.
export * as capture from './capture/index.js';
// Vulnerability scanning (issue 7): nmap, the offline CVE database, scan diffs and exposure.
export * as scan from './scan/index.js';
export { AfterImage } from './features/afterimage.js';
export { UnswCounters } from './features/unsw-counters.js';
export { KitNET, KITNET_DEFAULTS } from './ml/kitnet.js';
export { LogNormalThreshold, normalQuantile } from './ml/lognormal-threshold.js';
