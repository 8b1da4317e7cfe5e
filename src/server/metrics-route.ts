/**
 * `GET /api/v1/metrics` (scope read): the service's Prometheus metrics in the text exposition format 0.0.4
 * (`src/service/metrics.ts` lists them). A scraper sends its read token as `Authorization: Bearer`
 * (Prometheus `authorization: { credentials: … }` in the scrape config).
 */
import type { FastifyPluginAsync } from 'fastify';
import { ERROR_RESPONSES, type ServerContext } from './_context.js';

/** The metrics route (register under `/api/v1`). */
export const metricsRoutes: FastifyPluginAsync<ServerContext> = async (app, ctx) => {
  app.get('/metrics', {
    config: { scopes: ['read'] },
    serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
    schema: {
      tags: ['service'],
      summary: 'Prometheus metrics',
      description: 'Scope: read. Prometheus text exposition format 0.0.4.',
      response: {
        200: { description: 'Metrics text', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } },
        ...ERROR_RESPONSES,
      },
    },
    handler: async (_req, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  });
};
