import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIpqsecError } from '../core/errors.js';
import { testPqcProvider as p } from '../ledger/_test-provider.js';
import { buildTestLog } from '../ledger/_test-log.js';
import { verifyInclusion, verifyConsistency } from '../ledger/merkle.js';
import { servedLogOf, startLogServer, type RunningLogServer, type ServedLog } from './_test-log-server.js';
import { LogClient } from './log-client.js';

const log = buildTestLog(p, 2500, [1, 10, 1000, 2400, 2500]);
const served: ServedLog = servedLogOf(log, {
  checkpoints: [...log.checkpoints].map(([size, note]) => ({ size, ts_ms: 1000 + size, note })),
  witnesses: [],
  cosignatures: new Map(),
  token: 'secret',
  checkpointPage: 2,
  requests: [],
});
let server: RunningLogServer;
beforeAll(async () => {
  server = await startLogServer(served);
});
afterAll(async () => {
  await server.close();
});

async function s003(f: () => Promise<unknown>): Promise<Error> {
  try {
    await f();
  } catch (e) {
    if (isIpqsecError(e, 'IPQ-S003')) return e;
    throw e;
  }
  throw new Error('expected IPQ-S003');
}

describe('LogClient', () => {
  it('reads the key, the latest checkpoint and every checkpoint across pages', async () => {
    const c = new LogClient({ server: `${server.url}/` });
    const k = await c.key();
    expect(k.origin).toBe(log.origin);
    expect(k.vkey).toBe(log.vkey);
    expect(Buffer.from(k.publicKey).equals(Buffer.from(log.key.publicKey))).toBe(true);
    expect(await c.checkpoint()).toBe(log.checkpoints.get(2500));
    served.requests.length = 0;
    const all = await c.checkpoints();
    expect(all.map((x) => x.size)).toEqual([1, 10, 1000, 2400, 2500]);
    expect(served.requests.filter((r) => r.startsWith('GET /api/v1/log/checkpoints'))).toHaveLength(3);
    expect((await c.checkpoints(1000)).map((x) => x.size)).toEqual([1000, 2400, 2500]);
  });
  it('pages entries by 1000 with the token, and stops early on a short log', async () => {
    const c = new LogClient({ server: server.url, token: 'secret' });
    served.requests.length = 0;
    let pages = 0;
    const e = await c.entries(0, 2500, () => pages++);
    expect(e).toHaveLength(2500);
    expect(e.every((b, i) => Buffer.from(b).equals(Buffer.from(log.entries[i])))).toBe(true);
    expect(pages).toBe(3);
    expect(served.requests).toEqual(['GET /api/v1/log/entries?start=0&end=1000', 'GET /api/v1/log/entries?start=1000&end=2000', 'GET /api/v1/log/entries?start=2000&end=2500']);
    expect(await c.entries(2490, 3000)).toHaveLength(10);
    expect(await c.entries(5, 5)).toEqual([]);
  });
  it('fetches proofs that verify', async () => {
    const c = new LogClient({ server: server.url });
    const inc = await c.inclusionProof(7, 1000);
    expect(verifyInclusion(inc.leafHash, 7, 1000, inc.proof, log.tree.root(1000))).toBe(true);
    const con = await c.consistencyProof(10, 2400);
    expect(verifyConsistency(10, 2400, log.tree.root(10), log.tree.root(2400), con)).toBe(true);
  });
  it('turns refusals, bad answers and an unreachable server into IPQ-S003 naming the URL', async () => {
    const noToken = await s003(() => new LogClient({ server: server.url }).entries(0, 10));
    expect(noToken.message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/log\/entries\?start=0&end=10 answered 401 IPQ-A001/);
    const range = await s003(() => new LogClient({ server: server.url }).consistencyProof(0, 5));
    expect(range.message).toMatch(/answered 400 IPQ-L005/);
    const bad = await s003(() => new LogClient({ server: server.url, fetch: async () => new Response('{"nope":1}') }).key());
    expect(bad.message).toMatch(/\/api\/v1\/log\/key: unexpected answer/);
    const down = await s003(() => new LogClient({ server: 'http://127.0.0.1:1' }).key());
    expect(down.message).toMatch(/GET http:\/\/127\.0\.0\.1:1\/api\/v1\/log\/key/);
    const cos = await s003(() => new LogClient({ server: server.url }).postCosignature(10, '— w.test/x AAAAAAAA'));
    expect(cos.message).toMatch(/POST .*\/log\/cosignatures answered 400 IPQ-L006/);
  });
});
