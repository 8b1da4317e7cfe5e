/**
 * `/api/v1/events`: ingest (`POST /events`), scoring without storing (`POST /events/predict`) and the event
 * query (`GET /events`).
 *
 * Hot path (target 50,000 events/s in batches of 1,000 on 2 cores): the body is parsed once (fastify's JSON
 * parser, or the NDJSON parser below) and validated once, by `parseEvents` (core/events.ts). The body schema
 * declared on the routes is for the OpenAPI document only; the route's validator lets the body through
 * untouched, so no second schema pass runs over the events.
 */
import type { FastifyPluginAsync, FastifyReply, FastifySchemaCompiler } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EVENT_TYPES, MAX_EVENTS_PER_BATCH, eventSchema, parseEvents } from '../core/events.js';
import { IpqsecError } from '../core/errors.js';
import type { IngestRejectReason } from '../service/metrics.js';
import { openSecureBatch } from '../service/secure-ingest.js';
import { ENVELOPE_MEDIA_TYPE, ERROR_RESPONSES, type ServerContext } from './_context.js';
import { addEnvelopeParser } from './secure-channel.js';
import { cursorParam, entityParam, eventResultSchema, limitParam, minRiskParam, pageOf, sinceParam, storedEventSchema } from './_schemas.js';
import { mapError } from './errors.js';
import { NDJSON_MEDIA_TYPE, parseNdjson } from './ndjson.js';

const batchBody = z
  .array(eventSchema)
  .max(MAX_EVENTS_PER_BATCH)
  .describe(
    `A JSON array of at most ${MAX_EVENTS_PER_BATCH} events (flow, robot or sensor, told apart by "type"), or with ` +
      `Content-Type ${NDJSON_MEDIA_TYPE} one event per line.`,
  );

const resultsBody = z.object({ results: z.array(eventResultSchema).describe('One result per event, in order') });

/** Validates query and params with zod; lets the body through (parseEvents validates it, once). */
const bodyPassThrough: FastifySchemaCompiler<unknown> = (route) =>
  route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);

const ALL_OR_NOTHING =
  'All or nothing: a batch with any invalid event stores nothing and answers 400 IPQ-E001 listing every failing ' +
  'field (up to 100) with the event\'s 0-based index in the batch. More than 10,000 events, or a body over the ' +
  'size limit (16 MiB by default), is 413 IPQ-E002; a body that is not a JSON array (or bad NDJSON, naming the ' +
  'line) is 400 IPQ-E003. Events without an "id" get a time-sortable one (26 characters, ULID layout).';

function asBatch(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const got = body === undefined || body === null ? 'no body' : typeof body === 'string' ? 'a text body' : `a JSON ${typeof body}`;
  throw new IpqsecError('IPQ-E003', `expected a JSON array of events (or ${NDJSON_MEDIA_TYPE}), got ${got}`);
}

const REJECT_REASON: Record<string, IngestRejectReason> = { 'IPQ-E001': 'schema', 'IPQ-E002': 'too_large', 'IPQ-E003': 'malformed', 'IPQ-S001': 'store' };

/** The events routes (register under `/api/v1`). */
export const eventsRoutes: FastifyPluginAsync<ServerContext> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.addContentTypeParser(NDJSON_MEDIA_TYPE, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseNdjson(body as string, MAX_EVENTS_PER_BATCH));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  // Rejected ingest batches, whatever stage refused them (body parser, schema, size).
  const countRejection = async (_req: unknown, _reply: unknown, err: unknown): Promise<void> => {
    const reason = REJECT_REASON[mapError(err).body.error.code];
    if (reason !== undefined) ctx.metrics.ingestRejected.inc({ reason });
  };

  const ingest = (persist: boolean) => async (body: unknown) => {
    const events = parseEvents(asBatch(body), ctx.newId);
    const results = await ctx.monitor.ingest(events, { persist, source: 'http' });
    return { results };
  };
  const ingestPersist = ingest(true);
  const ingestPredict = ingest(false);

  if (ctx.security !== undefined) addEnvelopeParser(instance);
  const security = ctx.security;

  app.post('/events', {
    config: { scopes: ['ingest'], envelope: security !== undefined },
    validatorCompiler: bodyPassThrough,
    onError: countRejection,
    schema: {
      tags: ['events'],
      summary: 'Ingest a batch of events',
      description:
        `Scores the events in order and stores them with their alerts before answering (a 200 means the batch is durable). ${ALL_OR_NOTHING} Scope: ingest. ` +
        `Devices of the secure channel send instead a DATA envelope (Content-Type ${ENVELOPE_MEDIA_TYPE}, no token) whose plaintext is the JSON array; ` +
        'the answer is then a DATA envelope sealing the same JSON answer. A robot or sensor event must be from the session\'s own device (403 IPQ-P006).',
      body: batchBody,
      response: { 200: resultsBody, ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      if (security === undefined || !Buffer.isBuffer(req.body)) return ingestPersist(req.body);
      const body = req.body;
      const batch = openSecureBatch(security.channel, new Uint8Array(body.buffer, body.byteOffset, body.byteLength), ctx.newId);
      const results = await ctx.monitor.ingest(batch.events, { persist: true, source: 'http' });
      const sealed = security.channel.seal(batch.sessionId, new TextEncoder().encode(JSON.stringify({ results })));
      // A Buffer is sent as is (no serializer); the zod response type does not describe it.
      return (reply as FastifyReply).type(ENVELOPE_MEDIA_TYPE).send(Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength));
    },
  });

  app.post('/events/predict', {
    config: { scopes: ['ingest', 'read'] },
    validatorCompiler: bodyPassThrough,
    schema: {
      tags: ['events'],
      summary: 'Score events without storing them',
      description: `Same body and answer as POST /events, but nothing is stored and no detector state changes. ${ALL_OR_NOTHING} Scope: ingest or read.`,
      body: batchBody,
      response: { 200: resultsBody, ...ERROR_RESPONSES },
    },
    handler: async (req) => ingestPredict(req.body),
  });

  app.get('/events', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['events'],
      summary: 'Stored events, newest first',
      description: 'Scope: read. Page with next_cursor.',
      querystring: z.strictObject({
        type: z.enum(EVENT_TYPES).optional(),
        entity: entityParam,
        since: sinceParam,
        min_risk: minRiskParam,
        cursor: cursorParam,
        limit: limitParam,
      }),
      response: { 200: pageOf(storedEventSchema), ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const q = req.query;
      return ctx.store.listEvents({ type: q.type, entity: q.entity, since_ms: q.since, min_risk: q.min_risk, cursor: q.cursor, limit: q.limit });
    },
  });
};

