/**
 * Public surface of `features/`: bounded tables and the feature extraction of live events (per-source window
 * features of flows, the flow feature vector the ML model sees).
 */
export { BoundedLru } from './bounded-lru.js';
export type { BoundedLruOptions } from './bounded-lru.js';
export { SourceWindows } from './source-windows.js';
export type { FlowObservation, SourceFeatures, SourceWindowsOptions } from './source-windows.js';
export { FLOW_MODEL_FEATURES, flowFeatureRow, flowObservation } from './flow-features.js';
export type {
  FlowCategoricalFeature,
  FlowFeatureKind,
  FlowFeatureName,
  FlowFeatureRow,
  FlowFeatureSpec,
  FlowNumericFeature,
} from './flow-features.js';
