/**
 * End to end through the built CLI (dist/, built by `npm test`), real processes on real sockets: `ipqsec serve`
 * creating its identity keys; `ipqsec simulate --secure` sending the simulated plant through enrolled identities
 * and the X-Wing channel; a device publishing an envelope over MQTT to the embedded broker; `ipqsec witness`
 * cosigning; `ipqsec log verify` against the server and against an exported bundle (and failing, naming the
 * first bad index, on a tampered bundle); and the refusal of an unsigned model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { cosignerVerifierKey } from '../src/ledger/cosignature.js';
import { ChannelClient } from '../src/pqc/channel-client.js';
import { enrollmentProof } from '../src/pqc/enrollment.js';
import { createPqcProvider } from '../src/pqc/select-provider.js';
import { readServerKeysDocument, verifyServerKeys } from '../src/pqc/server-keys.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const built = existsSync(cli);
if (!built) console.warn(`skipping post-quantum service tests: ${cli} not found (run npm run build)`);
const ADMIN = 'pqc-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };
const ENVELOPE = 'application/vnd.ipqsec.envelope';
const p = createPqcProvider('noble');
const dirs: string[] = [];
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ipqsec-pqc-svc-'));
  dirs.push(d);
  return d;
}

/** Runs the CLI to completion. */
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr })));
}

/** Starts `serve` and resolves with its URL and MQTT port once it listens. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string; mqttPort: number; out: () => string; exit: Promise<number> }> {
  const child = spawn(process.execPath, [cli, 'serve', ...args], { env: { ...process.env, IPQSEC_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner; ${out} ${err}`)), 60_000);
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /IPqSEC listening on (\S+)/.exec(out);
      const mq = /embedded MQTT broker on port (\d+)/.exec(out);
      if (m !== null && mq !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, mqttPort: Number(mq[1]), out: () => out + err, exit });
      }
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    void exit.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function poll<T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!built)('post-quantum service end to end', () => {
  it('secure simulate, MQTT envelopes, witness cosignatures and log verification (server and bundle)', async () => {
    const dir = tempDir();
    const witnessSeed = '5a'.repeat(32);
    const witnessName = 'witness.test/w1';
    const witnessPk = p.mlDsaKeygen(Buffer.from(witnessSeed, 'hex')).publicKey;
    const witnessFile = join(dir, 'witness.seed');
    writeFileSync(witnessFile, witnessSeed, { mode: 0o600 });
    const s = await serve(['--data-dir', join(dir, 'data'), '--port', '0', '--mqtt-port', '0', '--model', 'none', '--witness-key', cosignerVerifierKey(witnessName, witnessPk)]);
    // Identity keys created at first start, mode 0600.
    for (const f of ['identity.key', 'kem.key']) expect(statSync(join(dir, 'data', f)).mode & 0o777).toBe(0o600);

    // 1. The simulated plant through the secure channel (the admin token enrolls and approves the devices).
    const sim = await run(['simulate', '--server', s.url, '--token', ADMIN, '--secure', '--duration', '40', '--robots', '4', '--sensors', '6', '--truth', join(dir, 'truth.json'), '--json']);
    expect(sim.code, sim.stderr).toBe(0);
    const summary = JSON.parse(sim.stdout) as { transport: string; events: number; alerts: number };
    expect(summary.transport).toBe('secure');
    expect(summary.events).toBeGreaterThan(100);
    const devices = (await (await fetch(`${s.url}/api/v1/devices`, { headers: auth })).json()) as { items: { device_id: string; status: string }[] };
    expect(devices.items.length).toBe(4 + 6 + 1); // robots, sensors, the network gateway
    expect(devices.items.every((d) => d.status === 'approved')).toBe(true);
    const health = (await (await fetch(`${s.url}/api/v1/health`)).json()) as { events_stored?: number };
    expect(health.events_stored ?? summary.events).toBeGreaterThan(0);

    // 2. A device publishes an envelope over MQTT (no password: envelopes only).
    const keysDoc = readServerKeysDocument(await (await fetch(`${s.url}/api/v1/pqc/server-keys`)).json());
    const serverKeys = verifyServerKeys(p, keysDoc.identityPublicKey, keysDoc.statement, keysDoc.signature, Date.now());
    const identity = p.mlDsaKeygen(new Uint8Array(32).fill(9));
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const enroll = await fetch(`${s.url}/api/v1/devices`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ device_id: 'arm-9', public_key: b64(identity.publicKey), proof: b64(enrollmentProof(p, 'arm-9', identity)) }),
    });
    expect(enroll.status).toBe(201);
    expect((await fetch(`${s.url}/api/v1/devices/arm-9/approve`, { method: 'POST', headers: auth })).status).toBe(200);
    const client = new ChannelClient({ provider: p, deviceId: 'arm-9', identity, serverKeys });
    const accept = await fetch(`${s.url}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': ENVELOPE }, body: Buffer.from(client.hello()) });
    expect(accept.status).toBe(200);
    client.accept(new Uint8Array(await accept.arrayBuffer()));
    const mqtt = await connectAsync(`mqtt://127.0.0.1:${s.mqttPort}`, { username: 'arm-9', reconnectPeriod: 0 });
    const report = { type: 'robot', id: 'secure-mqtt-1', timestamp: new Date().toISOString(), ip: '10.20.0.9', robot_id: 'arm-9', task: 'weld', previous_task: 'weld', ports_accessed: [4444] };
    const envelope = client.seal(new TextEncoder().encode(JSON.stringify([report])));
    await mqtt.publishAsync('ipqsec/plant-a/arm-9/secure', Buffer.from(envelope), { qos: 1 });
    await mqtt.publishAsync('ipqsec/plant-a/arm-9/secure', Buffer.from(envelope), { qos: 1 }); // a replay: counted, not stored twice
    await mqtt.endAsync();
    const stored = await poll(async () => {
      const r = await fetch(`${s.url}/api/v1/alerts?entity=robot:arm-9`, { headers: auth });
      const body = (await r.json()) as { items: { event_id: string; reasons: string[] }[] };
      return body.items.find((a) => a.event_id === 'secure-mqtt-1');
    });
    expect(stored.reasons).toContain('Suspicious Port Access');
    const metrics = await (await fetch(`${s.url}/api/v1/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/ipqsec_channel_rejected_total\{reason="replay"\} 1/);

    // 3. Witness: one round cosigns the latest checkpoint; the server publishes the cosignature.
    await poll(async () => ((await fetch(`${s.url}/api/v1/log/checkpoint`)).status === 200 ? true : undefined));
    const w = await run(['witness', '--server', s.url, '--key', witnessFile, '--name', witnessName, '--state', join(dir, 'wstate.json'), '--once']);
    expect(w.code, w.stderr).toBe(0);
    const note = await (await fetch(`${s.url}/api/v1/log/checkpoint`)).text();
    expect(note).toContain(`— ${witnessName} `);

    // 4. log verify against the server, pinned key, with the witness quorum.
    const logKey = (await (await fetch(`${s.url}/api/v1/log/key`)).json()) as { vkey: string };
    const v = await run(['log', 'verify', '--server', s.url, '--token', ADMIN, '--key', logKey.vkey, '--json']);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    const verified = JSON.parse(v.stdout) as { ok: boolean; entries: number };
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBeGreaterThan(4);

    // 5. Export, verify the bundle, then tamper with one entry: verification fails and names the entry.
    const bundle = join(dir, 'log.json');
    const x = await run(['log', 'export', '--server', s.url, '--token', ADMIN, '--out', bundle]);
    expect(x.code, x.stderr).toBe(0);
    expect((await run(['log', 'verify', '--bundle', bundle, '--key', logKey.vkey])).code).toBe(0);
    const doc = JSON.parse(readFileSync(bundle, 'utf8')) as { entries: string[] };
    const target = 3;
    // Still canonical JSON (JSON.parse keeps the sorted key order), but the entry's time moved by 1 ms.
    const decoded = JSON.parse(Buffer.from(doc.entries[target]!, 'base64').toString('utf8')) as { ts_ms: number };
    decoded.ts_ms += 1;
    doc.entries[target] = Buffer.from(JSON.stringify(decoded), 'utf8').toString('base64');
    writeFileSync(bundle, JSON.stringify(doc));
    const bad = await run(['log', 'verify', '--bundle', bundle, '--key', logKey.vkey]);
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/IPQ-L001/);
    // A bundle holds no proofs: the first checkpoint whose root fails bounds the bad entry to a range (the server
    // path bisects with consistency proofs to the exact index).
    const m = /first bad index (\d+)[^]*?an entry in (\d+)\.\.(\d+)/.exec(bad.stderr);
    expect(m, bad.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(target);
    expect(Number(m![2])).toBeLessThanOrEqual(target);
    expect(Number(m![3])).toBeGreaterThanOrEqual(target);

    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
  }, 180_000);

  it('keys gen and devices enroll/list/approve/revoke through the CLI', async () => {
    const dir = tempDir();
    const s = await serve(['--data-dir', join(dir, 'data'), '--port', '0', '--mqtt-port', '0', '--model', 'none']);
    const env = { IPQSEC_SERVER: s.url, IPQSEC_TOKEN: ADMIN };
    const key = join(dir, 'arm-7.key');
    expect((await run(['keys', 'gen', '--out', key])).code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const shown = JSON.parse((await run(['keys', 'show', key, '--json'])).stdout) as { key_id?: string; keyId?: string };
    const enrolled = await run(['devices', 'enroll', '--id', 'arm-7', '--key', key, '--json'], env);
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const a = JSON.parse(enrolled.stdout) as { status: string; key_id: string };
    expect(a.status).toBe('pending');
    expect(a.key_id).toBe(shown.key_id ?? shown.keyId);
    expect((await run(['devices', 'list'], env)).stdout).toMatch(/arm-7\s+pending/);
    expect(JSON.parse((await run(['devices', 'approve', 'arm-7', '--json'], env)).stdout)).toMatchObject({ status: 'approved' });
    expect(JSON.parse((await run(['devices', 'revoke', 'arm-7', '--json'], env)).stdout)).toMatchObject({ status: 'revoked' });
    const unknown = await run(['devices', 'approve', 'nobody'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/IPQ-E005/);
    const readOnly = await run(['devices', 'approve', 'arm-7'], { IPQSEC_SERVER: s.url, IPQSEC_TOKEN: 'not-a-token' });
    expect(readOnly.stderr).toMatch(/IPQ-A001/);
    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
  }, 120_000);

  it('refuses an unsigned model unless --allow-unsigned-model', async () => {
    const dir = tempDir();
    const csv = ['a,b,label', ...Array.from({ length: 200 }, (_, i) => `${i % 7},${(i * 3) % 11},${i % 2}`)].join('\n');
    writeFileSync(join(dir, 'train.csv'), csv);
    const model = join(dir, 'unsigned.ipqm');
    const t = await run(['train', '--dataset', 'csv', '--label-column', 'label', '--train', join(dir, 'train.csv'), '--out', model, '--model', 'logistic']);
    expect(t.code, t.stderr).toBe(0);
    const refused = await run(['serve', '--data-dir', join(dir, 'data'), '--port', '0', '--no-mqtt', '--model', model]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/IPQ-P008/);
    expect(refused.stderr).toContain('unsigned.ipqm');
    // With the flag the signature no longer stops it (this model's columns are not flow features, so it stops later).
    const child = spawn(process.execPath, [cli, 'serve', '--data-dir', join(dir, 'data'), '--port', '0', '--no-mqtt', '--model', model, '--allow-unsigned-model'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    await poll(async () => (/WARNING: model .*unsigned/.test(err) ? true : undefined), 30_000);
    child.kill('SIGKILL');
    expect(err).not.toMatch(/IPQ-P008/);
  }, 120_000);
});
