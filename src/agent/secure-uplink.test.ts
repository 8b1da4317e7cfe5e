import { describe, expect, it } from 'vitest';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { channelFixture, type ChannelFixture } from '../pqc/_channel-fixture.js';
import { verifyEnrollmentProof } from '../pqc/enrollment.js';
import { serverKeysDocument, signServerKeys, type SignedServerKeys } from '../pqc/server-keys.js';
import { xwingKeygen } from '../pqc/xwing.js';
import { ChannelServer } from '../pqc/channel-server.js';
import { ENVELOPE_CONTENT_TYPE, SecureUplink } from './secure-uplink.js';

const STATUS: Record<string, number> = { 'IPQ-P005': 400, 'IPQ-P006': 403, 'IPQ-P009': 409 };

/** A stand-in for the lead's routes (contracts.md), driving the fixture's ChannelServer. */
function fakeServer(f: ChannelFixture, opts: { signed?: SignedServerKeys; identityPublicKey?: Uint8Array; loseSessions?: number; rotated?: { signed: SignedServerKeys; server: ChannelServer } } = {}) {
  const received: { deviceId: string; events: unknown }[] = [];
  const calls: string[] = [];
  let lose = opts.loseSessions ?? 0;
  const errorResponse = (e: unknown): Response => {
    if (!isIpqsecError(e)) throw e;
    return new Response(JSON.stringify({ error: { code: e.code, title: e.spec.title, message: e.message, hint: e.spec.hint } }), { status: STATUS[e.code] ?? 400, headers: { 'content-type': 'application/json' } });
  };
  const envelope = (b: Uint8Array): Response => new Response(b, { status: 200, headers: { 'content-type': ENVELOPE_CONTENT_TYPE } });
  const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const route = `${init?.method ?? 'GET'} ${url.pathname}`;
    calls.push(route);
    const body = init?.body === undefined ? undefined : typeof init.body === 'string' ? init.body : new Uint8Array(init.body as Uint8Array);
    try {
      switch (route) {
        case 'GET /api/v1/pqc/server-keys':
          return Response.json(serverKeysDocument(opts.rotated?.signed ?? opts.signed ?? f.signed, opts.identityPublicKey ?? f.serverIdentity.publicKey));
        case 'POST /api/v1/devices': {
          if ((init?.headers as Record<string, string>).authorization !== 'Bearer tok') return Response.json({ error: { code: 'IPQ-A001', message: 'missing token' } }, { status: 401 });
          const b = JSON.parse(body as string) as { device_id: string; public_key: string; proof: string };
          const pk = new Uint8Array(Buffer.from(b.public_key, 'base64'));
          if (!verifyEnrollmentProof(f.p, b.device_id, pk, new Uint8Array(Buffer.from(b.proof, 'base64')))) return Response.json({ error: { code: 'IPQ-E004', message: 'bad proof' } }, { status: 400 });
          f.registry.set(b.device_id, { keyPair: { seed: new Uint8Array(32), publicKey: pk }, status: 'pending' });
          return Response.json({ device_id: b.device_id, status: 'pending', key_id: 'abcd' }, { status: 201 });
        }
        case 'POST /api/v1/sessions':
          return envelope((await (opts.rotated?.server ?? f.server).acceptHello(body as Uint8Array)).reply);
        case 'POST /api/v1/events': {
          const server = opts.rotated?.server ?? f.server;
          const opened = server.open(body as Uint8Array);
          if (lose > 0) {
            lose -= 1;
            server.closeSession(opened.sessionId);
            server.open(body as Uint8Array); // throws unknown_session, as after a server restart
          }
          const events = JSON.parse(new TextDecoder().decode(opened.plaintext)) as unknown[];
          received.push({ deviceId: opened.deviceId, events });
          return envelope(server.seal(opened.sessionId, new TextEncoder().encode(JSON.stringify({ results: events.map((_, i) => ({ index: i })) }))));
        }
        default:
          return Response.json({ error: { code: 'IPQ-E005', message: route } }, { status: 404 });
      }
    } catch (e) {
      return errorResponse(e);
    }
  };
  return { fetch: fetchFn as typeof fetch, received, calls };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof IpqsecError)) throw e;
    return `${e.code} ${(e.details as { reason?: string } | undefined)?.reason ?? ''}`.trim();
  }
}

describe('SecureUplink', () => {
  it('pins on first use (reported), enrolls with a proof, waits for approval, then sends sealed events', async () => {
    const f = channelFixture();
    const s = fakeServer(f);
    const pins: string[] = [];
    const identity = f.p.mlDsaKeygen();
    const up = new SecureUplink({ server: 'http://server.test:8080/', deviceId: 'edge-1', identity, provider: f.p, token: 'tok', fetch: s.fetch, nowMs: () => f.clock.now, onTrustOnFirstUse: (pin) => pins.push(pin.fingerprint) });
    expect(await up.enroll()).toMatchObject({ device_id: 'edge-1', status: 'pending' });
    expect(pins).toHaveLength(0);
    expect(await codeOf(up.sendEvents([{ a: 1 }]))).toBe('IPQ-P006 pending_device');
    expect(pins).toHaveLength(1);
    expect(Buffer.from(up.pinnedIdentity!).equals(Buffer.from(f.serverIdentity.publicKey))).toBe(true);
    f.registry.get('edge-1')!.status = 'approved';
    expect(await up.sendEvents([{ a: 1 }, { b: 2 }])).toEqual({ results: [{ index: 0 }, { index: 1 }] });
    expect(await up.sendEvents([{ c: 3 }])).toEqual({ results: [{ index: 0 }] });
    expect(s.received).toEqual([{ deviceId: 'edge-1', events: [{ a: 1 }, { b: 2 }] }, { deviceId: 'edge-1', events: [{ c: 3 }] }]);
    expect(s.calls.filter((c) => c === 'POST /api/v1/sessions')).toHaveLength(2);
    expect(pins).toHaveLength(1);
  });

  it('refuses a server whose statement is signed by another identity than the pinned one (MITM)', async () => {
    const f = channelFixture();
    f.enroll('edge-1');
    const mitmIdentity = f.p.mlDsaKeygen();
    const mitmSigned = signServerKeys(f.p, mitmIdentity, { name: 'ipqsec.test', kemPublicKey: xwingKeygen(f.p).publicKey, createdMs: f.clock.now, notAfterMs: f.clock.now + 1e6 });
    const s = fakeServer(f, { signed: mitmSigned, identityPublicKey: mitmIdentity.publicKey });
    const up = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity: f.registry.get('edge-1')!.keyPair, provider: f.p, serverIdentityPublicKey: f.serverIdentity.publicKey, fetch: s.fetch, nowMs: () => f.clock.now });
    expect(await codeOf(up.connect())).toBe('IPQ-P007 identity');
    expect(s.calls).not.toContain('POST /api/v1/sessions');
  });

  it('reconnects once when the server lost the session, and gives up when it keeps losing it', async () => {
    const f = channelFixture();
    const identity = f.enroll('edge-1');
    const s = fakeServer(f, { loseSessions: 1 });
    const up = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity, provider: f.p, serverIdentityPublicKey: f.serverIdentity.publicKey, fetch: s.fetch, nowMs: () => f.clock.now });
    const first = await up.connect();
    expect(await up.sendEvents([1, 2, 3])).toEqual({ results: [{ index: 0 }, { index: 1 }, { index: 2 }] });
    expect(up.sessionId).not.toBe(first);
    expect(s.received).toEqual([{ deviceId: 'edge-1', events: [1, 2, 3] }]);
    const s2 = fakeServer(f, { loseSessions: 5 });
    const up2 = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity, provider: f.p, serverIdentityPublicKey: f.serverIdentity.publicKey, fetch: s2.fetch, nowMs: () => f.clock.now });
    expect(await codeOf(up2.sendEvents([1]))).toBe('IPQ-P005 unknown_session');
    expect(s2.calls.filter((c) => c === 'POST /api/v1/sessions')).toHaveLength(2);
  });

  it('fetches the server keys again when the server rotated its KEM key', async () => {
    const f = channelFixture();
    const identity = f.enroll('edge-1');
    const opts: Parameters<typeof fakeServer>[1] = {};
    const s = fakeServer(f, opts);
    const up = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity, provider: f.p, serverIdentityPublicKey: f.serverIdentity.publicKey, fetch: s.fetch, nowMs: () => f.clock.now });
    expect(await up.sendEvents(['before'])).toEqual({ results: [{ index: 0 }] });
    const kem = xwingKeygen(f.p);
    const signed = signServerKeys(f.p, f.serverIdentity, { name: 'ipqsec.test', kemPublicKey: kem.publicKey, createdMs: f.clock.now, notAfterMs: f.clock.now + 1e9 });
    opts.rotated = { signed, server: new ChannelServer({ provider: f.p, kemKeyPair: kem, nowMs: () => f.clock.now, lookupDevice: async (id) => ({ publicKey: f.registry.get(id)!.keyPair.publicKey, status: 'approved' }) }) };
    expect(await up.sendEvents(['after'])).toEqual({ results: [{ index: 0 }] });
    expect(opts.rotated.server.rejections.kem_key).toBe(1);
    expect(s.calls.filter((c) => c === 'GET /api/v1/pqc/server-keys')).toHaveLength(2);
  });

  it('reports transport failures and non-envelope answers as IPQ-S003', async () => {
    const f = channelFixture();
    const identity = f.enroll('edge-1');
    const down = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity, provider: f.p, fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch });
    expect(await codeOf(down.connect())).toBe('IPQ-S003');
    const s = fakeServer(f);
    const wrongType = (async (input: string | URL | Request, init?: RequestInit) => {
      const r = await s.fetch(input, init);
      return String(input).endsWith('/sessions') ? new Response(await r.arrayBuffer(), { status: 200, headers: { 'content-type': 'text/plain' } }) : r;
    }) as typeof fetch;
    const up = new SecureUplink({ server: 'http://server.test', deviceId: 'edge-1', identity, provider: f.p, serverIdentityPublicKey: f.serverIdentity.publicKey, fetch: wrongType, nowMs: () => f.clock.now });
    expect(await codeOf(up.connect())).toBe('IPQ-S003');
    expect(() => new SecureUplink({ server: 'ftp://x', deviceId: 'edge-1', identity, provider: f.p })).toThrow(RangeError);
  });
});
