/**
 * The HTTP API of the live service (fastify 5): `buildApp(deps, opts)` assembles the server without listening
 * (the CLI calls `listen`; tests call `app.inject()`).
 *
 * Layout: root-level error handling (`errors.ts`), authentication (`auth.ts`) and request metrics; OpenAPI at
 * `/docs` (`openapi.ts`); one encapsulated plugin per resource under `/api/v1` (events, alerts, entities, lists,
 * tokens, stream, health, metrics; with `deps.security`: log, devices, secure channel; with `deps.scans`: scans). Request and response schemas are zod 4 through fastify-type-provider-zod.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { idGenerator } from '../core/ids.js';
import type { MonitorPort } from '../service/monitor-port.js';
import type { Metrics } from '../service/metrics.js';
import type { ScanService } from '../service/scan-service.js';
import type { Store } from '../store/store.js';
import type { SecurityContext, ServerContext } from './_context.js';
import { devicesRoutes } from './devices.js';
import { logRoutes } from './log.js';
import { secureChannelRoutes } from './secure-channel.js';
import { alertsRoutes } from './alerts.js';
import { TokenCache, installAuth } from './auth.js';
import { entitiesRoutes } from './entities.js';
import { frameworkErrors, installErrorHandling, type LogFn } from './errors.js';
import { eventsRoutes } from './events.js';
import { healthRoutes, packageVersion } from './health.js';
import { listsRoutes } from './lists.js';
import { metricsRoutes } from './metrics-route.js';
import { registerOpenApi } from './openapi.js';
import { webUiRoutes } from './web-ui.js';
import { scansRoutes } from './scans.js';
import { streamRoutes, type StreamOptions } from './stream.js';
import { tokensRoutes } from './tokens.js';

/** What the server needs from the service. */
export interface AppDeps {
  readonly store: Store;
  readonly monitor: MonitorPort;
  readonly metrics: Metrics;
  /** Where the server logs 5xx faults and store failures (fastify's own logger is off). */
  readonly log?: LogFn;
  /** Identities, secure channel and tamper-evident log (routes /devices, /sessions, /pqc, /log); absent: not served. */
  readonly security?: SecurityContext;
  /** Vulnerability scans (routes /scans: start, list, one); absent: not served (404 like any unknown route). */
  readonly scans?: ScanService;
}

/** Server options; every field has a production default. */
export interface AppOptions {
  /** Largest request body in bytes (default 16 MiB); larger is 413 IPQ-E002. */
  readonly bodyLimitBytes?: number;
  /** How long a token lookup is cached (ms, default 5,000): the delay before a revocation made elsewhere bites. */
  readonly tokenCacheTtlMs?: number;
  /** Live stream tuning (heartbeat interval, per-client queue). */
  readonly stream?: StreamOptions;
  /** Clock, epoch ms (default Date.now): token cache, ack and list-entry times, uptime. */
  readonly nowMs?: () => number;
  /** Id generator for events without an id and for tokens (default: ULID layout from core/ids.ts with crypto randomness). */
  readonly newId?: () => string;
  /** Folder of the built dashboard served at `/` (default: dist/web, see web-ui.ts `defaultWebRoot`). */
  readonly webRoot?: string;
  /** Version reported by /health and OpenAPI (default: the package's). */
  readonly version?: string;
  /** Turn on fastify's own (pino) request logger (default false: the service logs through `deps.log`). */
  readonly fastifyLogger?: boolean;
}

/** Default body limit: 16 MiB (10,000 events of about 1.6 KiB each). */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/** Prefix of every API route. */
export const API_PREFIX = '/api/v1';

/**
 * Builds the API server (not listening). Routes: see the OpenAPI document at `/docs/json`.
 *
 * @throws Error when a plugin fails to register (a programming error)
 */
export async function buildApp(deps: AppDeps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const nowMs = opts.nowMs ?? Date.now;
  const newId = opts.newId ?? idGenerator((n) => randomBytes(n), nowMs);
  const version = opts.version ?? packageVersion();
  const app = Fastify({
    logger: opts.fastifyLogger === true,
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Entity ids are up to 256 characters and arrive %-encoded (up to 3 bytes each).
    routerOptions: { maxParamLength: 1024 },
    frameworkErrors,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installErrorHandling(app, deps.log);
  const tokens = new TokenCache(deps.store, { ttlMs: opts.tokenCacheTtlMs, nowMs });
  installAuth(app, tokens);

  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    deps.metrics.httpRequestSeconds.observe(
      { route: req.is404 ? 'unmatched' : (req.routeOptions.url ?? 'unmatched'), method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await registerOpenApi(app, version);

  const ctx: ServerContext = {
    store: deps.store,
    monitor: deps.monitor,
    metrics: deps.metrics,
    log: deps.log,
    nowMs,
    newId,
    tokens,
    ...(deps.security === undefined ? {} : { security: deps.security }),
    ...(deps.scans === undefined ? {} : { scans: deps.scans }),
  };
  const security = deps.security;
  const scans = deps.scans;
  await app.register(
    async (api) => {
      await api.register(healthRoutes, { ...ctx, version });
      await api.register(eventsRoutes, ctx);
      await api.register(alertsRoutes, ctx);
      await api.register(entitiesRoutes, ctx);
      await api.register(listsRoutes, ctx);
      await api.register(tokensRoutes, ctx);
      await api.register(streamRoutes, { ...ctx, ...opts.stream });
      await api.register(metricsRoutes, ctx);
      if (security !== undefined) {
        await api.register(logRoutes, { ...ctx, security });
        await api.register(devicesRoutes, { ...ctx, security });
        await api.register(secureChannelRoutes, { ...ctx, security });
      }
      if (scans !== undefined) await api.register(scansRoutes, { ...ctx, scans });
    },
    { prefix: API_PREFIX },
  );
  // The dashboard (web/, built into dist/web) at `/`, outside the API prefix.
  await app.register(webUiRoutes, opts.webRoot === undefined ? {} : { root: opts.webRoot });
  return app;
}
