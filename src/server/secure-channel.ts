/**
 * The secure channel's HTTP routes (docs/envelope.md): `GET /pqc/server-keys` (the server's X-Wing key, signed by
 * its ML-DSA-65 identity, so a device authenticates the server) and `POST /sessions` (HELLO envelope in, ACCEPT
 * envelope out). Neither needs a token: the device is authenticated by its signature over the handshake
 * transcript against its enrolled, approved key. Encrypted events go to `POST /events` (events.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ENVELOPE_MEDIA_TYPE, ERROR_RESPONSES, type SecurityContext, type ServerContext } from './_context.js';

/** Largest HELLO envelope accepted (bytes): X-Wing ciphertext + ML-DSA-65 signature + header, with room to spare. */
export const MAX_HELLO_BYTES = 16 * 1024;

/** Registers the envelope body parser on `app` (raw bytes). */
export function addEnvelopeParser(app: Parameters<FastifyPluginAsync>[0], bodyLimit?: number): void {
  app.addContentTypeParser(ENVELOPE_MEDIA_TYPE, { parseAs: 'buffer', ...(bodyLimit === undefined ? {} : { bodyLimit }) }, (_req, body, done) => done(null, body));
}

/** The channel routes (register under `/api/v1` when the service has identities). */
export const secureChannelRoutes: FastifyPluginAsync<ServerContext & { security: SecurityContext }> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  addEnvelopeParser(instance, MAX_HELLO_BYTES);

  app.get('/pqc/server-keys', {
    config: { public: true },
    schema: {
      tags: ['secure channel'],
      security: [],
      summary: "The server's signed KEM key",
      description: 'No token. The X-Wing public key with a statement signed by the server identity (ML-DSA-65). Devices check the signature against the pinned identity key.',
      response: {
        200: z.object({
          identity: z.object({ name: z.string(), public_key: z.string() }),
          kem: z.object({ key_id: z.string(), public_key: z.string() }),
          statement: z.string(),
          signature: z.string(),
        }),
        ...ERROR_RESPONSES,
      },
    },
    handler: async () => ctx.security.serverKeys,
  });

  app.post('/sessions', {
    config: { public: true },
    schema: {
      tags: ['secure channel'],
      security: [],
      summary: 'Open a session (HELLO → ACCEPT)',
      description: `No token. Body: a HELLO envelope (Content-Type ${ENVELOPE_MEDIA_TYPE}); answer: the ACCEPT envelope. 403 IPQ-P006 for an unknown, pending or revoked device or a bad signature; 400 IPQ-P005 for a malformed, stale or replayed hello.`,
      body: z.any().describe('HELLO envelope bytes'),
      response: { 200: { description: 'ACCEPT envelope', content: { [ENVELOPE_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary' } } } }, ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const body = req.body;
      const bytes = Buffer.isBuffer(body) ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(0);
      const { reply: accept } = await ctx.security.channel.acceptHello(bytes);
      return reply.type(ENVELOPE_MEDIA_TYPE).send(Buffer.from(accept.buffer, accept.byteOffset, accept.byteLength));
    },
  });
};
