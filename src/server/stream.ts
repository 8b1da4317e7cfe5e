/**
 * `GET /api/v1/stream` (scope read): the live stream of stored events and alerts as server-sent events
 * (WHATWG HTML §9.2, `text/event-stream`). Each message is `event: event` or `event: alert` with the record as
 * JSON in `data:`; a comment line (`: heartbeat`) every 15 s keeps proxies from closing an idle connection.
 * `?types=alert` (or `event`, or `event,alert`, the default) filters by kind.
 *
 * Fan-out: one subscription to the Monitor serves every client (taken when the first client connects, dropped
 * when the last leaves); each message is turned into its SSE text once, whichever number of clients read it.
 * Records are reduced to their documented fields before they leave.
 *
 * Slow clients: each client has a queue of at most `maxQueue` messages (default 1,000) that fills only while
 * the socket refuses writes (Node's write buffer is full). When the queue is full the OLDEST queued message is
 * dropped (a live view prefers fresh data) and counted in `ipqsec_stream_dropped_total`; once the client
 * catches up it receives `event: dropped` with `data: {"dropped": n}` before the next messages, so it knows it
 * missed n. Memory per client is thus bounded by `maxQueue` messages plus the socket buffer.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Alert, StoredEvent } from '../core/records.js';
import type { StreamMessage } from '../service/monitor-port.js';
import { ERROR_RESPONSES, type ServerContext } from './_context.js';
import { alertSchema, storedEventSchema } from './_schemas.js';

/** Options of the stream. */
export interface StreamOptions {
  /** Interval of heartbeat comments (ms, default 15,000). */
  readonly heartbeatMs?: number;
  /** Messages queued per slow client before the oldest is dropped (default 1,000). */
  readonly maxQueue?: number;
}

type Kind = 'event' | 'alert';

/** One connected client. */
interface Client {
  readonly wants: ReadonlySet<Kind>;
  readonly raw: ServerResponse;
  /** Ring of queued SSE texts (used only while the socket is blocked). */
  queue: string[];
  head: number;
  blocked: boolean;
  dropped: number;
}

const EVENT_KEYS = Object.keys(storedEventSchema.shape) as (keyof StoredEvent)[];
const ALERT_KEYS = Object.keys(alertSchema.shape) as (keyof Alert)[];

function pick<T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** The SSE text of one message (`event:` line, one `data:` line, blank line). JSON holds no raw newline. */
export function sseText(msg: StreamMessage): string {
  return msg.type === 'event'
    ? `event: event\ndata: ${JSON.stringify(pick(msg.event, EVENT_KEYS))}\n\n`
    : `event: alert\ndata: ${JSON.stringify(pick(msg.alert, ALERT_KEYS))}\n\n`;
}

const typesParam = z
  .string()
  .regex(/^(event|alert)(,(event|alert))?$/, 'types is event, alert or event,alert')
  .optional()
  .describe('Which messages: event, alert, or event,alert (default)');

/** The stream route (register under `/api/v1`). */
export const streamRoutes: FastifyPluginAsync<ServerContext & StreamOptions> = async (instance, ctx) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const heartbeatMs = ctx.heartbeatMs ?? 15_000;
  const maxQueue = ctx.maxQueue ?? 1_000;
  const clients = new Set<Client>();
  let unsubscribe: (() => void) | null = null;

  const write = (c: Client, text: string): void => {
    if (!c.blocked) {
      if (!c.raw.write(text)) c.blocked = true;
      return;
    }
    c.queue.push(text);
    if (c.queue.length - c.head > maxQueue) {
      c.head++;
      c.dropped++;
      ctx.metrics.streamDropped.inc();
      if (c.head > 1024 && c.head * 2 > c.queue.length) {
        c.queue = c.queue.slice(c.head);
        c.head = 0;
      }
    }
  };

  const flush = (c: Client): void => {
    c.blocked = false;
    if (c.dropped > 0) {
      const n = c.dropped;
      c.dropped = 0;
      if (!c.raw.write(`event: dropped\ndata: {"dropped":${n}}\n\n`)) c.blocked = true;
    }
    while (!c.blocked && c.head < c.queue.length) {
      const text = c.queue[c.head++];
      if (!c.raw.write(text)) c.blocked = true;
    }
    if (c.head === c.queue.length) {
      c.queue = [];
      c.head = 0;
    }
  };

  const onMessage = (msg: StreamMessage): void => {
    let text: string | null = null;
    for (const c of clients) {
      if (!c.wants.has(msg.type)) continue;
      text ??= sseText(msg);
      write(c, text);
    }
  };

  const remove = (c: Client): void => {
    if (!clients.delete(c)) return;
    if (clients.size === 0 && unsubscribe !== null) {
      unsubscribe();
      unsubscribe = null;
    }
  };

  // End open streams when the server closes, or close() would wait for clients that never hang up.
  app.addHook('preClose', async () => {
    for (const c of [...clients]) {
      remove(c);
      c.raw.end();
    }
  });

  app.get('/stream', {
    config: { scopes: ['read'] },
    exposeHeadRoute: false,
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
    schema: {
      tags: ['stream'],
      summary: 'Live events and alerts (server-sent events)',
      description:
        'Scope: read. text/event-stream; messages `event: event` and `event: alert` with the record as JSON; `: heartbeat` ' +
        'comments every 15 s. A client that reads too slowly loses the oldest queued messages (at most 1,000 are kept) ' +
        'and is told with `event: dropped` / `data: {"dropped": n}`.',
      querystring: z.strictObject({ types: typesParam }),
      response: {
        200: { description: 'An endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...ERROR_RESPONSES,
      },
    },
    handler: async (req, reply) => {
      const wants = new Set<Kind>((req.query.types ?? 'event,alert').split(',') as Kind[]);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': ipqsec stream\nretry: 5000\n\n');
      const c: Client = { wants, raw, queue: [], head: 0, blocked: false, dropped: 0 };
      clients.add(c);
      unsubscribe ??= ctx.monitor.subscribe(onMessage);
      raw.on('drain', () => flush(c));
      const heartbeat = setInterval(() => {
        if (!c.blocked) write(c, ': heartbeat\n\n');
      }, heartbeatMs);
      heartbeat.unref();
      raw.on('close', () => {
        clearInterval(heartbeat);
        remove(c);
        // The client went away (possibly only half-closing): release the socket now rather than at its timeout.
        raw.destroy();
      });
    },
  });
};
