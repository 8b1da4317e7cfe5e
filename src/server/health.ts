/**
 * `GET /api/v1/health` (no token): liveness and a little state, for load balancers and `ipqsec status`.
 *
 * `events_stored` comes from `Store.countEvents`, which may scan a table; since this route is public it is
 * cached for {@link COUNT_CACHE_MS} so that a flood of probes costs at most one count per interval. When the
 * store fails the route answers 503 with `status: "unavailable"`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_RESPONSES, type ServerContext } from './_context.js';

/** How long a count of stored events is reused (ms). */
export const COUNT_CACHE_MS = 10_000;

const healthBody = z.object({
  status: z.enum(['ok', 'unavailable']),
  version: z.string(),
  uptime_s: z.number().describe('Seconds since the server was built'),
  events_stored: z.number().int().optional().describe('Stored events (refreshed at most every 10 s)'),
});

/** Version of the `ipqsec` package (nearest package.json up from this file, source or dist), or `unknown`. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ipqsec' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: go up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** The health route (register under `/api/v1`). */
export const healthRoutes: FastifyPluginAsync<ServerContext & { version: string }> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const startedMs = ctx.nowMs();
  let counted: { value: number; atMs: number } | null = null;

  app.get('/health', {
    config: { public: true },
    schema: {
      tags: ['service'],
      summary: 'Service health (no token needed)',
      security: [],
      response: { 200: healthBody, 503: healthBody, ...ERROR_RESPONSES },
    },
    handler: async (_req, reply) => {
      const now = ctx.nowMs();
      const base = { version: ctx.version, uptime_s: Math.max(0, Math.round((now - startedMs) / 1000)) };
      try {
        if (counted === null || now - counted.atMs >= COUNT_CACHE_MS) counted = { value: await ctx.store.countEvents(), atMs: now };
      } catch (e) {
        ctx.log?.('error', 'health: store count failed', { error: e instanceof Error ? e.message : String(e) });
        return reply.code(503).send({ status: 'unavailable' as const, ...base });
      }
      return { status: 'ok' as const, ...base, events_stored: counted.value };
    },
  });
};
