/**
 * What every route plugin of the server receives: the service's ports plus the server's clock, id generator and
 * token cache (built once in `buildApp`).
 */
import type { MonitorPort } from '../service/monitor-port.js';
import type { Metrics } from '../service/metrics.js';
import type { Store } from '../store/store.js';
import type { TokenCache } from './auth.js';
import { errorBodySchema, type LogFn } from './errors.js';

/** Plugin options of every route plugin. */
export interface ServerContext {
  readonly store: Store;
  readonly monitor: MonitorPort;
  readonly metrics: Metrics;
  readonly log: LogFn | undefined;
  /** Clock, epoch milliseconds. */
  readonly nowMs: () => number;
  /** Time-sortable unique ids (events without one, tokens). */
  readonly newId: () => string;
  readonly tokens: TokenCache;
}

/** Error responses every route documents (and serialises through the error schema). */
export const ERROR_RESPONSES = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

/** Body limit of the small JSON routes (list entries, tokens): well above any valid body, far below the ingest limit. */
export const SMALL_BODY_LIMIT_BYTES = 64 * 1024;
