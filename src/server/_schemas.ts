/**
 * zod schemas shared by the route plugins: query-parameter parsers and the wire form of the records the API
 * returns (`src/core/records.ts`). Response schemas are strict about what leaves: fastify-type-provider-zod
 * serialises the parsed value, and zod objects drop keys they do not name, so a field a store adds (a token
 * hash, an internal column) never reaches a client.
 */
import { z } from 'zod';
import { ALERT_REASONS } from '../core/records.js';
import { IpqsecError } from '../core/errors.js';
import { SCOPES } from './auth.js';

/** Largest page (`limit`), and the default. */
export const MAX_PAGE_LIMIT = 1000;
export const DEFAULT_PAGE_LIMIT = 100;

/** `limit`: 1..1000, default 100. */
export const limitParam = z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT).describe(`Page size, 1..${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT})`);
/** `cursor`: the `next_cursor` of the previous page. */
export const cursorParam = z.string().min(1).max(512).optional().describe('Opaque cursor: next_cursor of the previous page');
/** `min_risk`: 0..1. */
export const minRiskParam = z.coerce.number().min(0).max(1).optional().describe('Only items with risk >= this value (0..1)');
/** Text without C0/C1 control characters (Unicode general category Cc). */
export const NO_CONTROL_CHARS = /^\P{Cc}*$/u;

/** An entity key such as `ip:10.0.0.5`, `robot:r-17`, `sensor:plant-1/t-3`. */
export const entityKey = z
  .string()
  .min(3)
  .max(256)
  .regex(/^(ip|robot|sensor):\S/, 'entity must be ip:<address>, robot:<robot_id> or sensor:<site>/<sensor_id>')
  .regex(NO_CONTROL_CHARS, 'entity must not hold control characters');
/** `entity` filter. */
export const entityParam = z.string().min(1).max(256).optional().describe('Entity key, e.g. ip:10.0.0.5, robot:r-17, sensor:plant-1/t-3');

const EPOCH_SECONDS = /^\d{1,11}(\.\d{1,6})?$/;
const isoDateTime = z.iso.datetime({ offset: true, local: false });

/** `since`: an ISO 8601 date-time with offset, or epoch seconds; parsed to epoch milliseconds. */
export const sinceParam = z
  .string()
  .max(64)
  .transform((s, ctx) => {
    if (EPOCH_SECONDS.test(s)) return Math.round(Number(s) * 1000);
    if (isoDateTime.safeParse(s).success) return Date.parse(s);
    ctx.addIssue({ code: 'custom', message: 'since must be an ISO 8601 date-time (2024-05-01T12:00:00Z) or epoch seconds' });
    return z.NEVER;
  })
  .optional()
  .describe('Only items at or after this time: ISO 8601 date-time with offset, or epoch seconds');

/** `acked`: `true` or `false`. */
export const ackedParam = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional()
  .describe('true: only acknowledged alerts; false: only open ones');

/** A page of `item`s. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().describe('Cursor of the next page; null on the last page'),
  });
}

const riskClass = z.enum(['Low', 'Medium', 'High']);
const severity = z.enum(['low', 'medium', 'high', 'critical']);
const technique = z.object({ id: z.string(), name: z.string() });
const eventType = z.enum(['flow', 'robot', 'sensor']);
const alertSource = z.enum(['flow', 'robot', 'sensor', 'scan']).describe("The raising event's type, or 'scan' (event_id is then the scan id)");

/** `Alert` (core/records.ts). */
export const alertSchema = z.object({
  id: z.string(),
  event_id: z.string(),
  event_type: alertSource,
  entity: z.string(),
  timestamp: z.string().describe('Event time, ISO 8601 UTC'),
  ts_ms: z.number().describe('Event time, epoch milliseconds'),
  ip: z.string().nullable(),
  task: z.string().nullable(),
  previous_task: z.string().nullable(),
  ports_accessed: z.array(z.number()).readonly(),
  intrusion_detected: z.literal(true),
  reasons: z.array(z.enum(ALERT_REASONS)).readonly(),
  severity,
  risk: z.number().min(0).max(1),
  techniques: z.array(technique).readonly().describe('MITRE ATT&CK techniques'),
  acked: z.boolean(),
  acked_by: z.string().nullable(),
  acked_at_ms: z.number().nullable(),
});

/** `EventResult` (core/records.ts). */
export const eventResultSchema = z.object({
  id: z.string(),
  risk: z.number(),
  risk_class: riskClass,
  alerts: z.array(z.object({ id: z.string(), severity, reasons: z.array(z.enum(ALERT_REASONS)).readonly(), techniques: z.array(technique).readonly() })).readonly(),
});

/** `StoredEvent` (core/records.ts). */
export const storedEventSchema = z.object({
  id: z.string(),
  type: eventType,
  entity: z.string(),
  ts_ms: z.number(),
  site: z.string().nullable(),
  risk: z.number(),
  risk_class: riskClass,
  confidence: z.number().min(0).max(1).nullable().describe("The ML model's probability that the event is an attack; null when no model scored it"),
  body: z.record(z.string(), z.unknown()).describe('The validated event as sent'),
});

/** `EntityState` (core/records.ts): threat memory of one entity. */
export const entityStateSchema = z.object({
  entity: z.string(),
  kind: z.enum(['ip', 'robot', 'sensor']),
  first_seen_ms: z.number(),
  last_seen_ms: z.number(),
  events: z.number(),
  alerts: z.number(),
  recurrence: z.number().describe('Decayed count of suspicious events as of last_seen_ms'),
  max_risk: z.number(),
  ewma_risk: z.number(),
  risk_class: riskClass,
  exposure: z.number().min(0).max(1).describe("Exposure from the host's latest vulnerability scan, 0..1 (scan/exposure.ts)"),
});

/** `ListEntry` (core/records.ts). */
export const listEntrySchema = z.object({
  list: z.enum(['allow', 'block']),
  entity: z.string(),
  source: z.enum(['manual', 'auto']),
  reason: z.string(),
  created_ms: z.number(),
});

/** A token as listed (never the hash or the secret). */
export const tokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES as ['ingest', 'read', 'admin'])).readonly(),
  created_ms: z.number(),
  revoked: z.boolean(),
});

/** Throws IPQ-E005 for a missing resource. */
export function notFound(what: string, id: string): never {
  throw new IpqsecError('IPQ-E005', `no ${what} ${JSON.stringify(id.slice(0, 256))}`);
}
