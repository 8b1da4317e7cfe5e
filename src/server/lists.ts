/**
 * `/api/v1/lists/{allow|block}`: the allow and block lists. Reading needs scope `read`; adding and removing
 * entries needs `admin`. Entries added here are `manual` (an operator's entry always wins over a detector's
 * `auto` one) and go through the Monitor, so detection sees them at once. `?format=csv` exports the list as
 * RFC 4180 CSV (`list,entity,source,reason,created`).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ListEntry } from '../core/records.js';
import { ERROR_RESPONSES, SMALL_BODY_LIMIT_BYTES, type ServerContext } from './_context.js';
import { entityKey, listEntrySchema, notFound } from './_schemas.js';
import { CSV_MEDIA_TYPE, listEntriesCsv } from './csv.js';

const listName = z.enum(['allow', 'block']).describe('allow or block');

const LIST_JSON_SCHEMA = z.toJSONSchema(z.object({ items: z.array(listEntrySchema) }), { target: 'openapi-3.0' });

/** Serialises the CSV route's text answer as is (its 200 response is documented as plain OpenAPI, not zod). */
const textOrJson = () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data));

/** The list routes (register under `/api/v1`). */
export const listsRoutes: FastifyPluginAsync<ServerContext> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.get('/lists/:list', {
    config: { scopes: ['read'] },
    serializerCompiler: textOrJson,
    schema: {
      tags: ['lists'],
      summary: 'Entries of a list',
      description: 'Scope: read. JSON `{ items }` by default; `?format=csv` answers text/csv (RFC 4180; fields starting with = + - @ are prefixed with \' against spreadsheet formula injection).',
      params: z.strictObject({ list: listName }),
      querystring: z.strictObject({ format: z.enum(['json', 'csv']).default('json') }),
      response: {
        200: {
          description: 'The entries, ordered by entity',
          content: {
            'application/json': { schema: LIST_JSON_SCHEMA },
            'text/csv': { schema: { type: 'string', example: 'list,entity,source,reason,created\r\nblock,ip:10.0.0.9,manual,scanner,2024-05-01T12:00:00.000Z\r\n' } },
          },
        },
        ...ERROR_RESPONSES,
      },
    },
    handler: async (req, reply) => {
      const entries = await ctx.store.listEntries(req.params.list);
      if (req.query.format === 'csv') {
        return reply
          .type(CSV_MEDIA_TYPE)
          .header('content-disposition', `attachment; filename="ipqsec-${req.params.list}-list.csv"`)
          .send(listEntriesCsv(entries));
      }
      // Strip to the documented fields (the zod response serialiser is not used on this route).
      const items = entries.map((e) => listEntrySchema.parse(e));
      return reply.type('application/json; charset=utf-8').send({ items });
    },
  });

  app.post('/lists/:list', {
    config: { scopes: ['admin'] },
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    schema: {
      tags: ['lists'],
      summary: 'Add or replace a manual entry',
      description: 'Scope: admin. Replaces any entry for the same entity in this list.',
      params: z.strictObject({ list: listName }),
      body: z.strictObject({
        entity: entityKey.describe('Entity key: ip:<address>, robot:<robot_id> or sensor:<site>/<sensor_id>'),
        reason: z.string().max(500).optional().describe('Why (shown to operators and in the CSV export)'),
      }),
      response: { 201: listEntrySchema, ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const entry: ListEntry = { list: req.params.list, entity: req.body.entity, source: 'manual', reason: req.body.reason ?? '', created_ms: ctx.nowMs() };
      await ctx.monitor.putListEntry(entry, req.token?.name ?? 'operator');
      return reply.code(201).send(entry);
    },
  });

  app.delete('/lists/:list/:entity', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['lists'],
      summary: 'Remove an entry',
      description: 'Scope: admin. The entity is URL-encoded (`:` → %3A, `/` → %2F). No such entry: 404 IPQ-E005.',
      params: z.strictObject({ list: listName, entity: z.string().min(1).max(256) }),
      response: { 204: z.null().describe('Removed'), ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const removed = await ctx.monitor.deleteListEntry(req.params.list, req.params.entity, req.token?.name ?? 'operator');
      if (!removed) notFound(`${req.params.list}-list entry`, req.params.entity);
      return reply.code(204).send(null);
    },
  });
};
