import { describe, expect, it } from 'vitest';
import { createTestApp } from './_test-deps.js';

/** Every API operation, written out by hand: the document must list exactly these. */
const OPERATIONS = [
  'get /api/v1/health',
  'post /api/v1/events',
  'post /api/v1/events/predict',
  'get /api/v1/events',
  'get /api/v1/alerts',
  'get /api/v1/alerts/{id}',
  'post /api/v1/alerts/{id}/ack',
  'get /api/v1/entities',
  'get /api/v1/entities/{id}',
  'get /api/v1/lists/{list}',
  'post /api/v1/lists/{list}',
  'delete /api/v1/lists/{list}/{entity}',
  'post /api/v1/tokens',
  'get /api/v1/tokens',
  'delete /api/v1/tokens/{id}',
  'get /api/v1/stream',
  'get /api/v1/metrics',
].sort();

type Operation = {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
};

describe('OpenAPI document (/docs/json)', () => {
  it('is OpenAPI 3.0 listing every API operation, each with a summary and documented responses', async () => {
    const { app } = await createTestApp();
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> }; security: unknown[] };
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info).toMatchObject({ title: 'IPqSEC API', version: '0.0.0-test' });
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`));
    expect(ops.sort()).toEqual(OPERATIONS);
    for (const [path, methods] of Object.entries(doc.paths)) {
      // Path templating (OpenAPI 3.0 §4.7.8): every {name} is declared as a path parameter, and no ':name' remains.
      expect(path).not.toContain(':');
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method} ${path}`;
        expect(op.summary, where).toBeTruthy();
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
        expect(declared, where).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
        expect(Object.keys(op.responses).length, where).toBeGreaterThan(0);
        expect(op.responses['4XX'], `${where} documents its errors`).toBeDefined();
      }
    }
  });

  it('documents bearer auth globally and exempts only health', async () => {
    const { app } = await createTestApp();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(methods)) {
        if (path === '/api/v1/health') expect(op.security).toEqual([]);
        else expect(op.security, `${method} ${path}`).toBeUndefined();
      }
    }
  });

  it('describes the event body (all three kinds), NDJSON, text responses and no token hash', async () => {
    const { app } = await createTestApp();
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    const ingest: Operation = doc.paths['/api/v1/events'].post;
    const body = JSON.stringify(ingest.requestBody);
    for (const field of ['orig_h', 'robot_id', 'sensor_id', 'conn_state']) expect(body).toContain(field);
    expect(doc.paths['/api/v1/lists/{list}'].get.responses['200'].content['text/csv']).toBeDefined();
    expect(doc.paths['/api/v1/stream'].get.responses['200'].content['text/event-stream']).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/metrics'].get.responses['200'].content)[0]).toMatch(/^text\/plain/);
    expect(doc.paths['/api/v1/tokens/{id}'].delete.responses['204'].content).toBeUndefined();
    const tokenList = JSON.stringify(doc.paths['/api/v1/tokens'].get.responses['200']);
    expect(tokenList).toContain('scopes');
    expect(tokenList).not.toContain('hash');
  });

  it('serves the UI at /docs without a token', async () => {
    const { app } = await createTestApp();
    const r = await app.inject({ method: 'GET', url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
  });
});
