import { describe, expect, it } from 'vitest';
import * as ipqsec from '../src/index.js';

describe('public API (package entry point)', () => {
  it('exposes the models, the registry and the pipelines, and a model trained through it predicts', async () => {
    expect(ipqsec.MODEL_KINDS).toEqual(['gbdt', 'forest', 'logistic', 'iforest', 'hybrid']);
    const X = ipqsec.fromRows(Array.from({ length: 200 }, (_, i) => [i % 100, (i * 7) % 13]));
    const y = Int32Array.from({ length: 200 }, (_, i) => (i % 100 >= 50 ? 1 : 0));
    const m = await ipqsec.trainModel('gbdt', X, y, 2, { maxIter: 20, minSamplesLeaf: 5 });
    const back = ipqsec.deserializeModel(m.serialize());
    expect(ipqsec.binaryMetrics(y, back.predict(X)).accuracy).toBe(1);
    expect(typeof ipqsec.evaluate).toBe('function');
    expect(typeof ipqsec.loadNslKdd).toBe('function');
  });

  it('exposes the live service: a simulated run scored by the engine through the public API finds its attacks', () => {
    const { events, truth } = ipqsec.simulate({ seed: 3, startMs: Date.UTC(2026, 0, 1), durationS: 60, flowsPerSecond: 50, sensors: 10, scenarios: ['port_scan', 'robot_suspicious_port'] });
    expect(events.length).toBeLessThanOrEqual(ipqsec.MAX_EVENTS_PER_BATCH);
    let n = 0;
    const engine = new ipqsec.DetectionEngine({}, { newId: () => `a${n++}` });
    const out = engine.scoreBatch(ipqsec.parseEvents(events, () => `e${n++}`), true);
    const scores = ipqsec.scoreRun(truth, events.map((e, i) => ({ event: e, alerts: out.scored[i]!.alert === null ? [] : [{ reasons: [...out.scored[i]!.alert!.reasons] }] })));
    for (const kind of ['port_scan', 'robot_suspicious_port']) expect(scores.find((s) => s.kind === kind)?.recall).toBe(1);
    expect(typeof ipqsec.buildApp).toBe('function');
    expect(typeof ipqsec.openSqliteStore).toBe('function');
  });
});

describe('public API: post-quantum layer', () => {
  it('a device and a server agree on a session through ipqsec.pqc, and a signed checkpoint opens through ipqsec.ledger', async () => {
    const { pqc, ledger } = ipqsec;
    const p = pqc.createPqcProvider('noble');
    const identity = p.mlDsaKeygen();
    const kem = pqc.xwingKeygen(p);
    const now = Date.now();
    const signed = pqc.signServerKeys(p, identity, { name: 'api.test', kemPublicKey: kem.publicKey, createdMs: now - 1000, notAfterMs: now + 60_000 });
    const keys = pqc.verifyServerKeys(p, identity.publicKey, signed.statement, signed.signature, now);
    const device = p.mlDsaKeygen();
    const server = new pqc.ChannelServer({ provider: p, kemKeyPair: kem, lookupDevice: async () => ({ publicKey: device.publicKey, status: 'approved' }) });
    const client = new pqc.ChannelClient({ provider: p, deviceId: 'dev-1', identity: device, serverKeys: keys });
    client.accept((await server.acceptHello(client.hello())).reply);
    const opened = server.open(client.seal(new TextEncoder().encode('hello')));
    expect(new TextDecoder().decode(opened.plaintext)).toBe('hello');
    expect(opened.deviceId).toBe('dev-1');

    const tree = new ledger.MerkleTree();
    for (let i = 0; i < 5; i++) tree.append(ledger.leafHash(ledger.encodeLogEntry({ v: 1, kind: 'list', ts_ms: i, subject: 'ip:10.0.0.1', data: { i } })));
    const note = ledger.signCheckpoint({ origin: 'api.test/log', size: 5, rootHash: tree.root(), extensions: [] }, [ledger.mlDsaNoteSigner(p, 'api.test/log', identity)]);
    expect(ledger.openCheckpoint(note, ledger.mlDsaNoteVerifier(p, 'api.test/log', identity.publicKey)).checkpoint.size).toBe(5);
    expect(typeof ipqsec.agent.SecureUplink).toBe('function');
  });
});
