/**
 * OpenAPI 3.0 description of the API, generated from the route schemas by @fastify/swagger (zod → JSON Schema by
 * fastify-type-provider-zod's transform), served at `/docs/json` and browsable at `/docs` (@fastify/swagger-ui).
 * The documentation is public (it describes an open-source API and holds no data); every `/api/v1` route is
 * documented with the `bearerAuth` security scheme except the public ones (health, the log's key, checkpoints and
 * proofs, cosignatures, the server keys and session set-up), which declare `security: []`.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Where the UI is served; the JSON document is at `${DOCS_PREFIX}/json`. */
export const DOCS_PREFIX = '/docs';

type Transform = typeof jsonSchemaTransform;

/**
 * jsonSchemaTransform, except that responses given as plain OpenAPI objects (`{ description, content }`, used by
 * the text routes: CSV, Prometheus text, server-sent events) pass through untouched instead of failing, and 204
 * responses are documented without a body.
 */
const transform: Transform = (input) => {
  const response = (input.schema as { response?: Record<string, unknown> } | undefined)?.response;
  if (response === undefined) return jsonSchemaTransform(input);
  const zodResponses: Record<string, unknown> = {};
  const plain: Record<string, unknown> = {};
  for (const [status, s] of Object.entries(response)) (s instanceof z.ZodType ? zodResponses : plain)[status] = s;
  const out = jsonSchemaTransform({ ...input, schema: { ...input.schema, response: zodResponses } } as Parameters<Transform>[0]);
  const schema = out.schema as { response?: Record<string, Record<string, unknown>> } | undefined;
  if (schema === undefined) return out;
  if (Object.keys(plain).length > 0) schema.response = { ...schema.response, ...(plain as Record<string, Record<string, unknown>>) };
  // 204 has no content (RFC 9110 §15.3.5): `type: 'null'` makes @fastify/swagger omit it.
  const noContent = schema.response?.['204'];
  if (noContent !== undefined) schema.response!['204'] = { type: 'null', description: noContent.description ?? 'No content' };
  return out;
};

/** Registers the OpenAPI generator and the UI; call before registering the routes it should describe. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'IPqSEC API',
        version,
        description:
          'Ingest IoT, robot-fleet and network events, query alerts and threat memory, manage allow/block lists and ' +
          'API tokens, and follow the live stream. Errors carry a stable code from the catalogue (docs/errors.md) in ' +
          '`{ "error": { code, title, message, hint, issues? } }`.',
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'API token `ipq_…` with scope ingest, read or admin (admin implies the others)',
          },
        },
      },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'events', description: 'Ingest and query events' },
        { name: 'alerts', description: 'Alerts and acknowledgement' },
        { name: 'entities', description: 'Threat memory per device or address' },
        { name: 'lists', description: 'Allow and block lists' },
        { name: 'tokens', description: 'API tokens (admin)' },
        { name: 'stream', description: 'Live server-sent events' },
        { name: 'service', description: 'Health and metrics' },
        { name: 'log', description: 'Tamper-evident log: key, signed checkpoints, entries, proofs, witness cosignatures' },
        { name: 'devices', description: 'Device identities: enrollment, approval, revocation' },
        { name: 'secure channel', description: 'Post-quantum channel: signed server keys, session set-up (docs/envelope.md)' },
        { name: 'scans', description: 'Vulnerability scans: start (admin), list and results (read)' },
      ],
    },
    transform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
}
