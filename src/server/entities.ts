/**
 * `/api/v1/entities`: threat memory, per device or address. Entity ids hold `:` and `/`
 * (`sensor:plant-1/t-3`): send them URL-encoded in the path (`/entities/sensor%3Aplant-1%2Ft-3`).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_RESPONSES, type ServerContext } from './_context.js';
import { cursorParam, entityStateSchema, limitParam, minRiskParam, notFound, pageOf } from './_schemas.js';

/** The entity routes (register under `/api/v1`). */
export const entitiesRoutes: FastifyPluginAsync<ServerContext> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.get('/entities', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['entities'],
      summary: 'Tracked entities, most recently seen first',
      description: 'Scope: read. Page with next_cursor.',
      querystring: z.strictObject({
        kind: z.enum(['ip', 'robot', 'sensor']).optional(),
        min_risk: minRiskParam.describe('Only entities whose max_risk is at least this value (0..1)'),
        cursor: cursorParam,
        limit: limitParam,
      }),
      response: { 200: pageOf(entityStateSchema), ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const q = req.query;
      return ctx.store.listEntities({ kind: q.kind, min_risk: q.min_risk, cursor: q.cursor, limit: q.limit });
    },
  });

  app.get('/entities/:id', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['entities'],
      summary: 'Threat memory of one entity',
      description: 'Scope: read. The id is URL-encoded (`:` → %3A, `/` → %2F). Unknown entity: 404 IPQ-E005.',
      params: z.strictObject({ id: z.string().min(1).max(256).describe('Entity key, URL-encoded, e.g. ip%3A10.0.0.5') }),
      response: { 200: entityStateSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const id = req.params.id;
      return (await ctx.store.getEntities([id])).find((s) => s.entity === id) ?? notFound('entity', id);
    },
  });
};
