/**
 * What every route plugin of the server receives: the service's ports plus the server's clock, id generator and
 * token cache (built once in `buildApp`).
 */
import type { AuditLog } from '../service/audit-log.js';
import type { DeviceRegistry } from '../service/device-registry.js';
import type { MonitorPort } from '../service/monitor-port.js';
import type { ChannelPort } from '../service/secure-ingest.js';
import type { Metrics } from '../service/metrics.js';
import type { ScanService } from '../service/scan-service.js';
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
  /** Identities, secure channel and tamper-evident log; absent in a service started without them. */
  readonly security?: SecurityContext;
  /** Vulnerability scans (routes /scans); absent in a service started without a scanner. */
  readonly scans?: ScanService;
}

/** Error responses every route documents (and serialises through the error schema). */
export const ERROR_RESPONSES = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

/** Body limit of the small JSON routes (list entries, tokens): well above any valid body, far below the ingest limit. */
export const SMALL_BODY_LIMIT_BYTES = 64 * 1024;

/** What the post-quantum routes need (present when the service runs with identities; see service/security.ts). */
export interface SecurityContext {
  readonly audit: AuditLog;
  readonly devices: DeviceRegistry;
  readonly channel: ChannelPort;
  /** `GET /pqc/server-keys` document. */
  readonly serverKeys: {
    readonly identity: { readonly name: string; readonly public_key: string };
    readonly kem: { readonly key_id: string; readonly public_key: string };
    readonly statement: string;
    readonly signature: string;
  };
  /** `GET /log/key` document. */
  readonly logKey: { readonly origin: string; readonly name: string; readonly public_key: string; readonly key_id: string; readonly vkey: string };
}

/** Media type of secure-channel envelopes (docs/envelope.md). */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.ipqsec.envelope';
