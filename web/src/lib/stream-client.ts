/**
 * The live connection to `GET /api/v1/stream` (server-sent events, scope read): `fetch()` with
 * `Authorization: Bearer <token>` (RFC 6750 §2.1), the body read as a `ReadableStream` and parsed by
 * {@link SseParser} (WHATWG HTML §9.2.6). The token is never put in a URL.
 *
 * Reconnection: after the stream ends or fails, the client waits and connects again; the wait starts at the
 * server's `retry:` value (default 1 s) and doubles after each failed attempt up to {@link MAX_BACKOFF_MS}, with
 * ±20 % jitter so that many dashboards do not reconnect in step; a connection that delivered data resets it. A 401
 * (token unknown or revoked) or 403 (token without the read scope) stops the client: retrying cannot help.
 * `Last-Event-ID` is sent when the server ever set an id (IPqSEC sends none today; after a gap the dashboard
 * fetches what it missed through the REST routes instead, see `live.ts`).
 */
import { SseParser, type SseMessage } from './sse';

/** Longest wait between two connection attempts (ms). */
export const MAX_BACKOFF_MS = 30_000;
/** Initial wait when the server sent no `retry:` (ms). */
export const DEFAULT_RETRY_MS = 1_000;

/** State of the connection, for display. */
export type StreamState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open'; readonly sinceMs: number }
  | { readonly kind: 'waiting'; readonly retryAtMs: number; readonly error: string }
  | { readonly kind: 'stopped'; readonly error: string; readonly status?: number };

/** Options of {@link connectStream}. */
export interface StreamClientOptions {
  readonly url: string;
  readonly token: string;
  onMessage(m: SseMessage): void;
  onState(s: StreamState): void;
  /** Called after a (re)connection is established, with the number of previous connections (0 the first time). */
  onOpen?(previousConnections: number): void;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Backoff before attempt `failures` (≥ 1) given the base (server's retry or default), with ±20 % jitter. */
export function backoffMs(base: number, failures: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, Math.min(failures - 1, 16)));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/**
 * Connects and keeps the stream open until the returned `stop()` is called.
 * Never throws; failures are reported through `onState`.
 */
export function connectStream(o: StreamClientOptions): { stop(): void } {
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  const now = o.now ?? Date.now;
  let stopped = false;
  let controller: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let retryBase = DEFAULT_RETRY_MS;
  let failures = 0;
  let connections = 0;
  let lastEventId = '';

  const schedule = (error: string): void => {
    if (stopped) return;
    failures++;
    const wait = backoffMs(retryBase, failures, o.random);
    o.onState({ kind: 'waiting', retryAtMs: now() + wait, error });
    timer = setTimeout(() => void attempt(), wait);
  };

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    controller = new AbortController();
    o.onState({ kind: 'connecting' });
    const headers: Record<string, string> = { authorization: `Bearer ${o.token}`, accept: 'text/event-stream' };
    if (lastEventId !== '') headers['last-event-id'] = lastEventId;
    let res: Response;
    try {
      res = await doFetch(o.url, { headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      if (!stopped) schedule(`cannot connect: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (res.status === 401 || res.status === 403) {
      stopped = true;
      o.onState({ kind: 'stopped', status: res.status, error: res.status === 401 ? 'token unknown or revoked' : 'token lacks the read scope' });
      void res.body?.cancel();
      return;
    }
    if (!res.ok || res.body === null || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      void res.body?.cancel();
      schedule(`stream answered ${res.status}`);
      return;
    }
    o.onState({ kind: 'open', sinceMs: now() });
    o.onOpen?.(connections++);
    let delivered = false;
    const parser = new SseParser({
      onMessage: (m) => {
        if (!delivered) {
          delivered = true;
          failures = 0;
        }
        lastEventId = m.lastEventId;
        o.onMessage(m);
      },
      onRetry: (ms) => {
        retryBase = Math.max(250, Math.min(MAX_BACKOFF_MS, ms));
      },
      onComment: () => {
        failures = 0;
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      parser.end();
      if (!stopped) schedule('stream closed by the server');
    } catch (e) {
      parser.end();
      if (!stopped) schedule(`stream interrupted: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  void attempt();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      controller?.abort();
    },
  };
}
