/**
 * `/api/v1/log/*`: the tamper-evident log (docs/ledger.md). The key, checkpoints and proofs are public (no
 * token): anyone holding the log's public key can check them. Entries contain alert details and need scope `read`.
 * Witnesses post cosignatures without a token; the signature authenticates them against the configured keys.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IpqsecError } from '../core/errors.js';
import { ERROR_RESPONSES, SMALL_BODY_LIMIT_BYTES, type SecurityContext, type ServerContext } from './_context.js';

/** Most entries per `GET /log/entries`. */
export const MAX_LOG_ENTRIES_PER_PAGE = 1000;

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const index = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The log routes (register under `/api/v1` when the service has a log). */
export const logRoutes: FastifyPluginAsync<ServerContext & { security: SecurityContext }> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { audit } = ctx.security;

  app.get('/log/key', {
    config: { public: true },
    schema: {
      tags: ['log'],
      security: [],
      summary: 'The log public key',
      description: 'No token. The origin of the checkpoints, the ML-DSA-65 public key and its C2SP signed-note verifier key string.',
      response: {
        200: z.object({ origin: z.string(), name: z.string(), public_key: z.string(), key_id: z.string(), vkey: z.string() }),
        ...ERROR_RESPONSES,
      },
    },
    handler: async () => ctx.security.logKey,
  });

  app.get('/log/checkpoint', {
    config: { public: true },
    serializerCompiler: () => (data: unknown) => (typeof data === 'string' ? data : JSON.stringify(data)),
    schema: {
      tags: ['log'],
      security: [],
      summary: 'The latest signed checkpoint',
      description: 'No token. text/plain: a C2SP tlog-checkpoint signed note; the server signature line first, then witness cosignature lines. 404 IPQ-E005 before the first checkpoint.',
      response: { 200: { description: 'signed note', content: { 'text/plain': { schema: { type: 'string' } } } }, ...ERROR_RESPONSES },
    },
    handler: async (_req, reply) => {
      const cp = await audit.publishedCheckpoint();
      if (cp === undefined) throw new IpqsecError('IPQ-E005', 'no checkpoint has been issued yet');
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(cp.note);
    },
  });

  app.get('/log/checkpoints', {
    config: { public: true },
    schema: {
      tags: ['log'],
      security: [],
      summary: 'Every checkpoint issued, ascending tree size',
      description: 'No token. Each note includes its cosignatures. Page with next_start (null on the last page; after a full page the next one may be empty).',
      querystring: z.strictObject({ start: index.default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      response: {
        200: z.object({ checkpoints: z.array(z.object({ size: z.number().int(), ts_ms: z.number().int(), note: z.string() })), next_start: z.number().int().nullable() }),
        ...ERROR_RESPONSES,
      },
    },
    handler: async (req) => {
      const rows = await ctx.store.listCheckpoints(req.query.start, req.query.limit);
      const checkpoints = [];
      for (const r of rows) checkpoints.push({ size: r.size, ts_ms: r.ts_ms, note: await audit.withCosignatures(r) });
      // A full page may be followed by more (the next page may then be empty).
      return { checkpoints, next_start: rows.length === req.query.limit ? rows[rows.length - 1]!.size + 1 : null };
    },
  });

  app.get('/log/entries', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['log'],
      summary: 'Log entries by index range',
      description: `Scope: read. \`start <= index < end\`, at most ${MAX_LOG_ENTRIES_PER_PAGE}; \`data\` is the entry's canonical bytes (base64), whose SHA-256 with a 0x00 prefix is the Merkle leaf hash.`,
      querystring: z.strictObject({ start: index, end: index }),
      response: { 200: z.object({ entries: z.array(z.object({ index: z.number().int(), data: z.string() })) }), ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const { start, end } = req.query;
      if (end < start || end - start > MAX_LOG_ENTRIES_PER_PAGE) {
        throw new IpqsecError('IPQ-L005', `entries ${start}..${end}: need start <= end and at most ${MAX_LOG_ENTRIES_PER_PAGE} entries`);
      }
      const records = await ctx.store.readLog(start, Math.min(end, audit.size));
      return { entries: records.map((r) => ({ index: r.index, data: Buffer.from(r.data, 'utf8').toString('base64') })) };
    },
  });

  app.get('/log/proof/inclusion', {
    config: { public: true },
    schema: {
      tags: ['log'],
      security: [],
      summary: 'Inclusion proof (RFC 9162 §2.1.3)',
      description: 'No token. Proof that leaf `index` is in the tree of `size` entries. 400 IPQ-L005 out of range.',
      querystring: z.strictObject({ index, size: index }),
      response: { 200: z.object({ index: z.number().int(), size: z.number().int(), leaf_hash: z.string(), proof: z.array(z.string()) }), ...ERROR_RESPONSES },
    },
    handler: async (req) => {
      const p = audit.inclusionProof(req.query.index, req.query.size);
      return { index: req.query.index, size: req.query.size, leaf_hash: b64(p.leafHash), proof: p.proof.map(b64) };
    },
  });

  app.get('/log/proof/consistency', {
    config: { public: true },
    schema: {
      tags: ['log'],
      security: [],
      summary: 'Consistency proof (RFC 9162 §2.1.4)',
      description: 'No token. Proof that the tree of `new` entries extends the tree of `old` entries. 400 IPQ-L005 out of range.',
      querystring: z.strictObject({ old: index, new: index }),
      response: { 200: z.object({ old: z.number().int(), new: z.number().int(), proof: z.array(z.string()) }), ...ERROR_RESPONSES },
    },
    handler: async (req) => ({ old: req.query.old, new: req.query.new, proof: audit.consistencyProof(req.query.old, req.query.new).map(b64) }),
  });

  app.post('/log/cosignatures', {
    config: { public: true },
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    schema: {
      tags: ['log'],
      security: [],
      summary: 'Publish a witness cosignature',
      description: 'No token: the cosignature must verify with a witness key configured on the server (--witness-key) over the stored checkpoint of `size`. 400 IPQ-L006 otherwise.',
      body: z.strictObject({ size: index, cosignature: z.string().min(1).max(16_384) }),
      response: { 204: z.null().describe('Stored'), ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      await audit.addCosignature(req.body.size, req.body.cosignature);
      return reply.code(204).send(null);
    },
  });
};
