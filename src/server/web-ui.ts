/**
 * The web dashboard (`web/`, built by Vite into `dist/web/`) served by the API server: `GET /` (and
 * `/index.html`) answers the app's index.html, `GET /assets/*` its hashed JavaScript and CSS (@fastify/static).
 * Nothing else is routed here, so the API under `/api/v1` (and `/docs`) is never shadowed and unknown `/api/`
 * paths still need a token before they answer 404 (auth.ts).
 *
 * Headers on every response of these routes:
 * - `Content-Security-Policy` {@link DASHBOARD_CSP} (W3C CSP Level 3): scripts and styles from this origin only, no
 *   inline script or style element, no plugins, no framing, no `<base>`; React and uPlot set styles through the
 *   CSSOM, which `style-src 'self'` allows;
 * - `X-Content-Type-Options: nosniff` (WHATWG Fetch §3.5), `Referrer-Policy: no-referrer` (W3C Referrer Policy);
 * - `Cache-Control`: `public, max-age=31536000, immutable` for `/assets/*` (file names carry a content hash, RFC 8246),
 *   `no-cache` for index.html (revalidated on every load, so a rebuild is picked up at once), `no-store` for the 503.
 *
 * Compression (@fastify/compress 8, registered inside this plugin's encapsulated scope, so it applies to these
 * routes only and never to `/api/v1`, whose server-sent event stream must stay uncompressed and unbuffered):
 * responses of a compressible type (text/*, JavaScript, CSS, SVG, …) are sent with `Content-Encoding: br` (RFC 7932, quality 4) or `gzip` (RFC 1952), as the request's
 * `Accept-Encoding` prefers (RFC 9110 §12.5.3; brotli first on a tie), with `Vary: Accept-Encoding` and no
 * `Content-Length`; without an acceptable coding (no Accept-Encoding, `identity`, only unknown codings) they are
 * sent as is. index.html, sent from memory, is compressed only from {@link COMPRESS_THRESHOLD_BYTES} (a build's is
 * about 0.6 kB: sent as is); the assets are streamed, their size unknown to the compressor, so each is encoded. Range requests
 * are not served on the assets (no `Accept-Ranges`, a `Range` header is ignored and the whole file sent, RFC 9110
 * §14.2): a byte range of a representation compressed on the fly would not be stable. Cost: compressing the 370 kB app takes a few milliseconds per request; the files are
 * immutable and cached by the browser for a year, so that is paid once per browser.
 *
 * index.html is read from disk on each request (about 0.6 kB) and assets are looked up per request, so a rebuild
 * while the server runs needs no restart. When the build is absent, `/` answers 503 `text/plain`
 * "dashboard not built: run npm run build".
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** The Content-Security-Policy of every dashboard response. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
  "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** Cache-Control of hashed assets: one year, immutable (RFC 8246). */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The 503 body when the dashboard is not built. */
export const NOT_BUILT_MESSAGE = 'dashboard not built: run npm run build';

/** Smallest in-memory body compressed (bytes): below it the saving is not worth the work. Streamed files are always compressed. */
export const COMPRESS_THRESHOLD_BYTES = 1024;

/** Content codings offered, preferred first: brotli (RFC 7932), then gzip (RFC 1952). */
export const COMPRESS_ENCODINGS = ['br', 'gzip'] as const;

/** Options of {@link webUiRoutes}. */
export interface WebUiOptions {
  /** Folder of the built dashboard (holding index.html and assets/); default {@link defaultWebRoot}. */
  readonly root?: string;
}

/**
 * Where the built dashboard is, from the location of this module: compiled (`dist/src/server/`) it is `dist/web`,
 * i.e. `../../web`; run from source (`src/server/`, tests) it is `../../dist/web`.
 */
export function defaultWebRoot(moduleUrl: string = import.meta.url): string {
  const dir = dirname(fileURLToPath(moduleUrl));
  const up2 = resolve(dir, '..', '..');
  return basename(up2) === 'dist' ? join(up2, 'web') : join(up2, 'dist', 'web');
}

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', DASHBOARD_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

/**
 * The dashboard routes; register at the root (no prefix), after the API:
 * `await app.register(webUiRoutes)` (or `webUiRoutes, { root }`).
 */
export const webUiRoutes: FastifyPluginAsync<WebUiOptions> = async (app, opts) => {
  const root = resolve(opts.root ?? defaultWebRoot());
  const indexFile = join(root, 'index.html');

  // Encapsulated: this plugin is not wrapped in fastify-plugin, so @fastify/compress (whose `onRoute` hook adds its
  // `onSend` to the routes declared after it in this scope) and the hook below see only the routes registered here.
  // Registered first, before any route; request bodies are not decompressed (these routes are GET and HEAD only).
  await app.register(fastifyCompress, {
    global: true,
    encodings: [...COMPRESS_ENCODINGS],
    threshold: COMPRESS_THRESHOLD_BYTES,
    globalDecompression: false,
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });

  const index = async (_req: unknown, reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(indexFile);
    } catch {
      return reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT_MESSAGE);
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html);
  };
  for (const url of ['/', '/index.html']) app.get(url, { schema: { hide: true }, config: { public: true } }, index);

  // The folder itself is not a file (@fastify/send would answer 403 for a directory): 404 like any unknown path.
  app.get('/assets/', { schema: { hide: true } }, (_req, reply) => reply.callNotFound());

  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    wildcard: true,
    index: false,
    list: false,
    redirect: false,
    dotfiles: 'ignore',
    decorateReply: false,
    schemaHide: true,
    cacheControl: false,
    acceptRanges: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', ASSET_CACHE_CONTROL);
    },
  });
};
