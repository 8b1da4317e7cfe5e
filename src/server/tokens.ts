/**
 * `/api/v1/tokens` (scope admin): create, list and revoke API tokens. The secret is returned once, by the
 * create call; the store keeps only its SHA-256 and no answer ever carries the hash (the response schemas name
 * the fields that leave). Revocation through this route takes effect at once on this server (its token cache is
 * cleared for that id). An admin may revoke any token, its own and the last admin token included; a lost admin
 * token is recovered by restarting with IPQSEC_ADMIN_TOKEN.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TokenRecord } from '../store/store.js';
import { ERROR_RESPONSES, SMALL_BODY_LIMIT_BYTES, type ServerContext } from './_context.js';
import { NO_CONTROL_CHARS, notFound, tokenInfoSchema } from './_schemas.js';
import { SCOPES, generateToken, hashToken } from './auth.js';

const scope = z.enum(SCOPES as ['ingest', 'read', 'admin']);

/** The token routes (register under `/api/v1`). */
export const tokensRoutes: FastifyPluginAsync<ServerContext> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();

  app.post('/tokens', {
    config: { scopes: ['admin'] },
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    schema: {
      tags: ['tokens'],
      summary: 'Create a token',
      description: 'Scope: admin. The answer holds the secret `token`; it is shown only here, store it now.',
      body: z.strictObject({
        name: z.string().min(1).max(64).regex(NO_CONTROL_CHARS, 'name must not hold control characters').describe('Who or what uses it, e.g. gateway-plant-1'),
        scopes: z.array(scope).min(1).max(3).refine((a) => new Set(a).size === a.length, 'scopes must not repeat').describe('ingest, read and/or admin (admin implies the others)'),
      }),
      response: {
        201: z.object({ id: z.string(), name: z.string(), scopes: z.array(scope), token: z.string().describe('The secret (ipq_…): shown once') }),
        ...ERROR_RESPONSES,
      },
    },
    handler: async (req, reply) => {
      const token = generateToken();
      const record: TokenRecord = { id: ctx.newId(), name: req.body.name, hash: hashToken(token), scopes: req.body.scopes, created_ms: ctx.nowMs(), revoked: false };
      await ctx.store.createToken(record);
      return reply.code(201).send({ id: record.id, name: record.name, scopes: [...record.scopes], token });
    },
  });

  app.get('/tokens', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['tokens'],
      summary: 'List tokens (never their secrets or hashes)',
      description: 'Scope: admin. Revoked tokens are listed with revoked: true.',
      response: { 200: z.object({ items: z.array(tokenInfoSchema) }), ...ERROR_RESPONSES },
    },
    handler: async () => ({ items: (await ctx.store.listTokens()).map((t) => ({ ...t, scopes: [...t.scopes] })) }),
  });

  app.delete('/tokens/:id', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['tokens'],
      summary: 'Revoke a token',
      description: 'Scope: admin. Takes effect at once on this server (within 5 s on other servers sharing the store). Idempotent: revoking an already revoked token is 204 again. Unknown id: 404 IPQ-E005.',
      params: z.strictObject({ id: z.string().min(1).max(128) }),
      response: { 204: z.null().describe('Revoked'), ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const revoked = await ctx.store.revokeToken(req.params.id);
      ctx.tokens.forgetId(req.params.id);
      if (!revoked) notFound('unrevoked token', req.params.id);
      return reply.code(204).send(null);
    },
  });
};
