/**
 * `/api/v1/scans`: start a vulnerability scan, list scans, read one (service/scan-service.ts).
 *
 * Starting a scan sends probes to other hosts, so it needs scope `admin`; reading needs `read`. The request is
 * validated in two steps: the body's shape here (zod; a bad body is 400 IPQ-E004 naming the field), then the
 * targets and ports by the service before anything is queued (400 IPQ-V005 for an invalid target or port list,
 * 400 IPQ-V004 for a target outside the scan allowlist, naming the rule that refused it). A full queue is 503
 * IPQ-S005 with Retry-After. The scan runs in the background: the answer is 202 with the `queued` record; poll
 * `GET /scans/:id` until `status` is `done` (report and per-host diffs set) or `failed` (`error` set).
 *
 * These routes exist only when the service runs with a scanner (`AppDeps.scans`); without one they answer 404
 * like any unknown route.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_SCAN_TARGETS } from '../scan/scan-config.js';
import type { ScanService } from '../service/scan-service.js';
import { ERROR_RESPONSES, SMALL_BODY_LIMIT_BYTES, type ServerContext } from './_context.js';
import { cursorParam, limitParam, notFound, pageOf } from './_schemas.js';

const cveFindingSchema = z.object({
  id: z.string().describe('CVE-YYYY-NNNN…'),
  score: z.number().nullable().describe('CVSS base score 0..10 (v3.1, else v4.0, v3.0, v2); null when unscored'),
  severity: z.string().nullable().describe('CVSS severity of the same metric (CRITICAL, HIGH, MEDIUM, LOW, NONE)'),
  kev: z.boolean().describe("In CISA's Known Exploited Vulnerabilities catalog"),
  confidence: z.enum(['configuration', 'affected']).describe("configuration: NVD's analysed CPE configurations matched; affected: only the CNA's affected block"),
});

const portFindingSchema = z.object({
  port: z.number().int(),
  proto: z.enum(['tcp', 'udp', 'sctp']),
  state: z.string().describe("nmap's port state (open, filtered, open|filtered)"),
  service: z.string().nullable(),
  product: z.string().nullable(),
  version: z.string().nullable(),
  cpe: z.array(z.string()).readonly().describe('CPE 2.3 formatted names'),
  cves: z.array(cveFindingSchema).readonly().describe('Highest score first'),
});

const hostReportSchema = z.object({
  address: z.string(),
  hostnames: z.array(z.string()).readonly(),
  status: z.enum(['up', 'down', 'unknown']),
  started_ms: z.number(),
  finished_ms: z.number(),
  ports: z.array(portFindingSchema).readonly(),
});

const scanReportSchema = z.object({
  hosts: z.array(hostReportSchema).readonly(),
  errors: z.array(z.object({ target: z.string(), code: z.string(), message: z.string() })).readonly().describe('Targets or hosts that could not be scanned'),
});

const portRefSchema = z.object({ port: z.number().int(), proto: z.string() });
const cveRefSchema = portRefSchema.extend({ id: z.string() });

const hostDiffSchema = z.object({
  address: z.string(),
  first_scan: z.boolean().describe('No earlier scan of the host: opened lists every open port, cves_new every CVE'),
  opened: z.array(portRefSchema).readonly(),
  closed: z.array(portRefSchema).readonly(),
  cves_new: z.array(cveRefSchema).readonly(),
  cves_gone: z.array(cveRefSchema).readonly(),
});

/** `ScanRecord` (store/store.ts). */
export const scanRecordSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  requested_by: z.string().describe('Token name, or schedule:<index>'),
  targets: z.array(z.string()).readonly(),
  ports: z.string().describe('Port specification (top-N or a list)'),
  created_ms: z.number(),
  started_ms: z.number().nullable(),
  finished_ms: z.number().nullable(),
  error: z.string().nullable().describe('Why the scan failed (status failed)'),
  report: scanReportSchema.nullable().describe('Set when done (scan/scan-report.ts)'),
  diffs: z.array(hostDiffSchema).readonly().nullable().describe("Per host, changes since the host's previous scan; set when done"),
});

const scanBody = z.strictObject({
  targets: z
    .array(z.string().min(1).max(253))
    .min(1)
    .max(MAX_SCAN_TARGETS)
    .describe(`1..${MAX_SCAN_TARGETS} targets: IPv4/IPv6 addresses, CIDRs or host names (RFC 1123), each inside the scan allowlist`),
  ports: z.string().min(1).max(1024).optional().describe('top-N (e.g. top-1000) or a list like 22,80,8000-8100; default from the configuration'),
});

const idParams = z.strictObject({ id: z.string().min(1).max(128).describe('Scan id') });

/** The scan routes (register under `/api/v1` when the service has a scanner). */
export const scansRoutes: FastifyPluginAsync<ServerContext & { scans: ScanService }> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const scans = ctx.scans;

  app.post('/scans', {
    config: { scopes: ['admin'] },
    bodyLimit: SMALL_BODY_LIMIT_BYTES,
    schema: {
      tags: ['scans'],
      summary: 'Start a vulnerability scan',
      description:
        'Scope: admin. Validates targets and ports, queues the scan and answers 202 with the queued record; poll GET /scans/{id}. ' +
        'Invalid target or port list: 400 IPQ-V005; target outside the allowlist: 400 IPQ-V004 (the message names the rule); queue full: 503 IPQ-S005.',
      body: scanBody,
      response: { 202: scanRecordSchema, ...ERROR_RESPONSES },
    },
    handler: async (req, reply) => {
      const rec = await scans.start({ targets: req.body.targets, ...(req.body.ports === undefined ? {} : { ports: req.body.ports }) }, req.token?.name ?? 'unknown');
      return reply.code(202).send(rec);
    },
  });

  app.get('/scans', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['scans'],
      summary: 'Scans, newest first',
      description: 'Scope: read. Page with next_cursor.',
      querystring: z.strictObject({ cursor: cursorParam, limit: limitParam }),
      response: { 200: pageOf(scanRecordSchema), ...ERROR_RESPONSES },
    },
    handler: async (req) => scans.list({ limit: req.query.limit, ...(req.query.cursor === undefined ? {} : { cursor: req.query.cursor }) }),
  });

  app.get('/scans/:id', {
    config: { scopes: ['read'] },
    schema: {
      tags: ['scans'],
      summary: 'One scan with its report and per-host diffs',
      description: 'Scope: read. Unknown id: 404 IPQ-E005.',
      params: idParams,
      response: { 200: scanRecordSchema, ...ERROR_RESPONSES },
    },
    handler: async (req) => (await scans.get(req.params.id)) ?? notFound('scan', req.params.id),
  });
};
