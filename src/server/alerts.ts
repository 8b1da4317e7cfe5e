/**
 * `/api/v1/alerts`: the alert query, one alert, and acknowledgement.
 *
 * Acknowledging is an operator decision that changes shared state, so it needs scope `admin` (a `read` token
 * only looks; an `ingest` token belongs to a device). The acknowledging token's name is recorded in `acked_by`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_RESPONSES, type ServerContext } from './_context.js';
import { ackedParam, alertSchema, cursorParam, entityParam, limitParam, minRiskParam, notFound, pageOf, sinceParam } from './_schemas.js';

const idParams = z.strictObject({ id: z.string().min(1).max(128).describe('Alert id') });

/** The alert routes (register under `/api/v1`). */
export const alertsRoutes: FastifyPluginAsync<ServerContext> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.get('/alerts', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['alerts'],
      summary: 'Alerts, newest first',
      description: 'Scope: read. Page with next_cursor.',
      querystring: z.strictObject({
        entity: entityParam,
        since: sinceParam,
        acked: ackedParam,
        min_risk: minRiskParam,
        cursor: cursorParam,
        limit: limitParam,
      }),
      response: { 200: pageOf(alertSchema), ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const q = req.query;
      return ctx.store.listAlerts({ entity: q.entity, since_ms: q.since, acked: q.acked, min_risk: q.min_risk, cursor: q.cursor, limit: q.limit });
    },
  });

  app.get('/alerts/:id', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['alerts'],
      summary: 'One alert',
      description: 'Scope: read. Unknown id: 404 IPQ-E005.',
      params: idParams,
      response: { 200: alertSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => (await ctx.store.getAlert(req.params.id)) ?? notFound('alert', req.params.id),
  });

  app.post('/alerts/:id/ack', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['alerts'],
      summary: 'Acknowledge an alert',
      description: 'Scope: admin. Idempotent (acknowledging again keeps the first acknowledgement). Unknown id: 404 IPQ-E005.',
      params: idParams,
      response: { 200: alertSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const by = req.token?.name ?? 'unknown';
      return (await ctx.store.ackAlert(req.params.id, by, ctx.nowMs())) ?? notFound('alert', req.params.id);
    },
  });
};
