/**
 * `/api/v1/devices`: device identities (issue 4 §2). A device enrolls by presenting its ML-DSA-65 public key with a
 * proof of possession (its signature over the enrollment message, src/pqc/enrollment.ts) using a provisioning
 * token of scope `ingest`; an operator approves or revokes it (scope `admin`). Only approved devices can open a
 * secure-channel session; a revocation closes the device's sessions at once.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_RESPONSES, SMALL_BODY_LIMIT_BYTES, type SecurityContext, type ServerContext } from './_context.js';

const base64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
    .transform((s) => new Uint8Array(Buffer.from(s, 'base64')));

const deviceSchema = z.object({
  device_id: z.string(),
  status: z.enum(['pending', 'approved', 'revoked']),
  key_id: z.string().describe('First 8 bytes of SHA-256(public key), hex'),
  public_key: z.string().describe('ML-DSA-65 public key, base64'),
  created_ms: z.number().int(),
  updated_ms: z.number().int(),
  decided_by: z.string().nullable(),
});
const deviceIdParam = z.strictObject({ id: z.string().min(1).max(128) });

/** The device routes (register under `/api/v1` when the service has identities). */
export const devicesRoutes: FastifyPluginAsync<ServerContext & { security: SecurityContext }> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const { devices } = ctx.security;

  app.post('/devices', {
    config: { scopes: ['ingest'] },
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    schema: {
      tags: ['devices'],
      summary: 'Enroll a device identity',
      description:
        'Scope: ingest (a provisioning token). Records the device as pending until an operator approves it. Idempotent for the same key; ' +
        '409 IPQ-P009 when the id is enrolled with another key; 403 IPQ-P006 when the proof of possession does not verify.',
      body: z.strictObject({
        device_id: z.string().min(1).max(128),
        public_key: base64(4096).describe('ML-DSA-65 public key (1,952 bytes), base64'),
        proof: base64(8192).describe('ML-DSA-65 signature over the enrollment message (docs/envelope.md), base64'),
      }),
      response: { 201: deviceSchema, ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const rec = await devices.enroll(req.body.device_id, req.body.public_key, req.body.proof, req.token?.name ?? 'unknown');
      return reply.code(201).send(rec);
    },
  });

  app.get('/devices', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['devices'],
      summary: 'Enrolled devices, oldest first',
      description: 'Scope: read.',
      response: { 200: z.object({ items: z.array(deviceSchema) }), ...ERROR_RESPONSES },
    },
    handler: async () => ({ items: await devices.list() }),
  });

  app.post('/devices/:id/approve', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['devices'],
      summary: 'Approve a pending device',
      description: 'Scope: admin. Idempotent. 404 IPQ-E005 unknown id; 409 IPQ-P009 when revoked (it must enroll again).',
      params: deviceIdParam,
      response: { 200: deviceSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => devices.approve(req.params.id, req.token?.name ?? 'unknown'),
  });

  app.post('/devices/:id/revoke', {
    config: { scopes: ['admin'] },
    schema: {
      tags: ['devices'],
      summary: 'Revoke a device',
      description: 'Scope: admin. Idempotent; closes its sessions. 404 IPQ-E005 unknown id.',
      params: deviceIdParam,
      response: { 200: deviceSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => devices.revoke(req.params.id, req.token?.name ?? 'unknown'),
  });
};
