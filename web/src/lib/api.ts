/**
 * REST client of the IPqSEC API (`/api/v1`, same origin). Every call sends `Authorization: Bearer <token>`
 * (RFC 6750 §2.1) and never puts the token in the URL; cookies are not sent (`credentials: 'omit'`). Error
 * answers carry `{ error: { code, title, message, hint } }` (src/server/errors.ts) and become {@link ApiError}.
 */

/** Prefix of every API route. */
export const API = '/api/v1';

/** A non-2xx answer (or a network failure: status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Catalogue code (`IPQ-A001`, …) when the server gave one. */
    readonly code: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True for 404 and 503: the feature is absent or not set up on this server. */
  get notConfigured(): boolean {
    return this.status === 404 || this.status === 503;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code: string | null = null;
  let message = `HTTP ${res.status}`;
  let hint: string | null = null;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown; hint?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
    if (typeof body.error?.hint === 'string') hint = body.error.hint;
  } catch {
    // not JSON: keep the status
  }
  return new ApiError(res.status, message, code, hint);
}

/** Options of a call. */
export interface CallOptions {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** `json` (default) or `text` answer. */
  readonly as?: 'json' | 'text';
}

/**
 * Calls `path` (below {@link API}, e.g. `/alerts?limit=10`) with the token (null: no Authorization header).
 * @throws ApiError for a non-2xx answer (status 0 when the server cannot be reached)
 */
export async function call<T>(token: string | null, path: string, o: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: o.as === 'text' ? 'text/plain' : 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method: o.method ?? 'GET',
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: o.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, `cannot reach the server: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  return (o.as === 'text' ? await res.text() : await res.json()) as T;
}

/** A query string from defined values (`?a=1&b=x`), or ''. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** Epoch ms as the `since` parameter (epoch seconds with up to 3 decimals). */
export function sinceParam(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** True when the error is an aborted fetch (navigation away, sign-out). */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
