/**
 * HTTP mapping of the error catalogue (`src/core/errors.ts`): the status of each code, the one error body, and
 * the translation of fastify's own errors (body too large, bad JSON, unsupported media type, schema validation,
 * unknown route) into catalogue codes. There is no second catalogue here: every body carries a code, title and
 * hint from `ERROR_CATALOGUE`.
 *
 * Body (RFC 9457 problem details in spirit, our own shape):
 * `{ "error": { "code", "title", "message", "hint", "issues"?: [{ "index"?, "path", "message" }] } }`.
 * `issues` lists schema violations: for `IPQ-E001` each with the event's 0-based `index` in the batch, for
 * `IPQ-E004` each with `path` `querystring.<name>`, `params.<name>` or `body.<field>`.
 *
 * Rule: bad input is never a 5xx. Any error that is not an {@link IpqsecError} and carries no 4xx status from
 * fastify is a fault of ours (or of the store) and answers 500 without internal detail; it is logged.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CATALOGUE, IpqsecError, type ErrorCode } from '../core/errors.js';

/** A structured log call (level, message, fields); the service decides where it goes. */
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** One issue of an error body. */
export interface ErrorIssue {
  /** 0-based index of the event in the batch (`IPQ-E001` only). */
  readonly index?: number;
  readonly path: string;
  readonly message: string;
}

/** The error body every non-2xx answer of the API carries. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly title: string;
    readonly message: string;
    readonly hint: string;
    readonly issues?: readonly ErrorIssue[];
    /** `details.reason` of the error, when it has one (secure channel, enrollment). */
    readonly reason?: string;
  };
}

/** zod schema of {@link ErrorBody} (OpenAPI, and the response schema of every route's 4xx/5xx). */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable code from the error catalogue (docs/errors.md), e.g. IPQ-E001'),
      title: z.string(),
      message: z.string(),
      hint: z.string(),
      issues: z.array(z.object({ index: z.number().int().optional(), path: z.string(), message: z.string() })).optional(),
      reason: z.string().optional().describe('Machine-readable cause for codes that have several (e.g. IPQ-P005: replay, auth_failed, unknown_session)'),
    }),
  })
  .describe('Error: a catalogue code, what went wrong and what to do');

/** Largest number of issues put in one body (the event parser already stops at 100). */
const MAX_ISSUES = 100;

/** Codes whose status is not the default of their kind. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  'IPQ-E002': 413,
  'IPQ-E005': 404,
  'IPQ-A001': 401,
  'IPQ-A002': 403,
  'IPQ-S001': 503,
  'IPQ-S003': 502,
  'IPQ-S004': 502,
  'IPQ-S005': 503,
  'IPQ-P006': 403,
  'IPQ-P009': 409,
};

/**
 * HTTP status of a catalogue code: the table above, otherwise 400 for `input` codes and 500 for `state` and
 * `internal` ones (E001, E003, E004 → 400; E002 → 413; E005 → 404; A001 → 401; A002 → 403; S001 → 503).
 */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? (ERROR_CATALOGUE[code].kind === 'input' ? 400 : 500);
}

/** Builds the body for `code`; `message` defaults to the title. */
export function errorBody(code: ErrorCode, message?: string, issues?: readonly ErrorIssue[]): ErrorBody {
  const spec = ERROR_CATALOGUE[code];
  const error: { code: ErrorCode; title: string; message: string; hint: string; issues?: readonly ErrorIssue[] } = {
    code,
    title: spec.title,
    message: message ?? `${code} ${spec.title}`,
    hint: spec.hint,
  };
  if (issues !== undefined && issues.length > 0) error.issues = issues.slice(0, MAX_ISSUES);
  return { error };
}

/** The body and status of an {@link IpqsecError} (issues from `details.issues` when present). */
export function fromIpqsecError(e: IpqsecError): { status: number; body: ErrorBody } {
  const raw = e.details?.issues;
  const issues = Array.isArray(raw) ? raw.filter(isIssue) : undefined;
  const body = errorBody(e.code, e.message, issues);
  const reason = e.details?.reason;
  return { status: httpStatusOf(e.code), body: typeof reason === 'string' ? { error: { ...body.error, reason } } : body };
}

function isIssue(x: unknown): x is ErrorIssue {
  return typeof x === 'object' && x !== null && typeof (x as ErrorIssue).path === 'string' && typeof (x as ErrorIssue).message === 'string';
}

/** Fastify's own error codes (body parsing, routing), with the catalogue code, status and issue each maps to. */
const FASTIFY_ERRORS: Record<string, { code: ErrorCode; status: number; issue?: ErrorIssue }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'IPQ-E002', status: 413 },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'IPQ-E003', status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'IPQ-E003', status: 400 },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'IPQ-E003', status: 400 },
  // No catalogue code names the media type; E003's hint says which ones we take.
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'IPQ-E003', status: 415 },
  // Router: bad %-encoding in the path (RFC 3986 §2.1), a path parameter over routerOptions.maxParamLength.
  FST_ERR_BAD_URL: { code: 'IPQ-E004', status: 400, issue: { path: 'params', message: 'invalid %-encoding in the path' } },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'IPQ-E004', status: 414, issue: { path: 'params', message: 'path parameter too long' } },
};

/**
 * Maps any error thrown while handling a request to a status and body. Pure (no logging); `internal` is true
 * when the error is ours to fix (it answers 5xx and should be logged with its stack).
 */
export function mapError(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof IpqsecError) {
    const r = fromIpqsecError(err);
    return { ...r, internal: r.status >= 500 };
  }
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const part = fe.validationContext ?? 'request';
    const issues: ErrorIssue[] = fe.validation.flatMap((v) => {
      const p = String(v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
      const base = p === '' ? part : `${part}.${p}`;
      const keys = (v.params as { keys?: unknown } | undefined)?.keys;
      // zod's unrecognized_keys issue sits on the object; name each unknown key instead.
      if (v.keyword === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) {
        return keys.map((k) => ({ path: `${base}.${String(k).slice(0, 100)}`, message: 'unknown parameter' }));
      }
      return [{ path: base, message: v.message ?? 'invalid' }];
    });
    const names = [...new Set(issues.map((i) => i.path))].join(', ');
    return { status: 400, body: errorBody('IPQ-E004', `IPQ-E004 invalid request field${issues.length > 1 ? 's' : ''}: ${names}`, issues), internal: false };
  }
  const known = typeof fe.code === 'string' ? FASTIFY_ERRORS[fe.code] : undefined;
  if (known !== undefined) {
    const message = known.issue === undefined ? `${known.code} ${fe.message ?? ERROR_CATALOGUE[known.code].title}` : `${known.code} ${known.issue.message}`;
    return { status: known.status, body: errorBody(known.code, message, known.issue === undefined ? undefined : [known.issue]), internal: false };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Another client error fastify raised (bad content type header, aborted body...): a bad request.
    const code: ErrorCode = status === 413 ? 'IPQ-E002' : status === 404 ? 'IPQ-E005' : 'IPQ-E003';
    return { status, body: errorBody(code, `${code} ${fe.message ?? ERROR_CATALOGUE[code].title}`), internal: false };
  }
  // Anything else is a fault of ours: 500 with the catalogue's internal-error code and no detail (the log has it).
  return { status: 500, body: errorBody('IPQ-X002', 'IPQ-X002 internal error while handling the request (see the service log)'), internal: true };
}

/**
 * Installs the one error handler and the not-found handler on `app` (root level, so that every plugin uses
 * them). 401 answers carry `WWW-Authenticate: Bearer` (RFC 6750 §3).
 */
export function installErrorHandling(app: FastifyInstance, log: LogFn | undefined): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = mapError(err);
    if (internal && log !== undefined) {
      const e = err as Error;
      log('error', 'request failed', { method: req.method, url: req.url, error: e?.message, stack: e?.stack });
    }
    sendError(reply, status, body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    sendError(reply, 404, errorBody('IPQ-E005', `IPQ-E005 no route ${req.method} ${req.url.split('?')[0].slice(0, 200)}`));
  });
}

/**
 * Fastify's `frameworkErrors` option: errors the router raises before a route is chosen (bad %-encoding in the
 * path, an over-long path parameter), answered in the same shape as every other error.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = mapError(err);
  sendError(reply, status, body);
}

/** Sends an error body with its status (adds the Bearer challenge on 401, `Retry-After: 1` when overloaded). */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody): void {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="ipqsec"');
  if (body.error.code === 'IPQ-S005') reply.header('retry-after', '1');
  reply.code(status).type('application/json; charset=utf-8').send(body);
}
