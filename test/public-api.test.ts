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

describe('public API: network sensor', () => {
  it('a hand-built capture read through ipqsec.capture gives its flow, Zeek conn.log and EVE stats', () => {
    const { capture } = ipqsec;
    // One UDP datagram each way between 10.0.0.1:5000 and 10.0.0.2:53 (Ethernet, IPv4, pcap µs, little endian).
    const frame = (src: number[], dst: number[], sport: number, dport: number) => {
      const udp = [sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 12, 0, 0, 1, 2, 3, 4];
      const ip = [0x45, 0, 0, 20 + udp.length, 0, 0, 0, 0, 64, 17, 0, 0, ...src, ...dst];
      return Uint8Array.from([...Array(12).fill(0), 0x08, 0x00, ...ip, ...udp]);
    };
    const rec = (sec: number, f: Uint8Array) => {
      const h = new DataView(new ArrayBuffer(16));
      h.setUint32(0, sec, true);
      h.setUint32(8, f.length, true);
      h.setUint32(12, f.length, true);
      return [...new Uint8Array(h.buffer), ...f];
    };
    const hdr = new DataView(new ArrayBuffer(24));
    hdr.setUint32(0, 0xa1b2c3d4, true);
    hdr.setUint16(4, 2, true);
    hdr.setUint16(6, 4, true);
    hdr.setUint32(16, 65535, true);
    hdr.setUint32(20, 1, true);
    const bytes = Uint8Array.from([...new Uint8Array(hdr.buffer), ...rec(1_700_000_000, frame([10, 0, 0, 1], [10, 0, 0, 2], 5000, 53)), ...rec(1_700_000_001, frame([10, 0, 0, 2], [10, 0, 0, 1], 53, 5000))]);
    const flows: ipqsec.capture.ConnRecord[] = [];
    const sensor = new capture.NetworkSensor({ onFlow: (r) => flows.push(r) });
    const summary = capture.readCaptureBuffer(bytes, (r) => sensor.processRecord(r));
    sensor.finish();
    expect(summary.packets).toBe(2);
    expect(flows).toHaveLength(1);
    expect(flows[0]).toMatchObject({ orig_h: '10.0.0.1', orig_p: 5000, resp_h: '10.0.0.2', resp_p: 53, proto: 'udp', conn_state: 'SF', orig_pkts: 1, resp_pkts: 1, orig_bytes: 4, resp_bytes: 4, duration: 1 });
    expect(capture.formatConnLog(flows, { format: 'tsv', now: () => 0 })).toContain('10.0.0.1\t5000\t10.0.0.2\t53\tudp');
    expect(capture.eveStats(sensor.stats())).toMatchObject({ event_type: 'stats', packets: 2, flows: 1 });
  });
});

describe('public API: vulnerability scanner', () => {
  it('an NVD record, a detected product and a scan report go through ipqsec.scan', () => {
    const { scan } = ipqsec;
    // A minimal NVD CVE JSON 2.0 record: nginx 1.3.9 ≤ v ≤ 1.4.0 (the shape of CVE-2013-2028's configuration).
    const doc = scan.parseNvdDocument({
      vulnerabilities: [
        {
          cve: {
            id: 'CVE-2013-2028', published: '2013-07-20T03:37:00.000', lastModified: '2025-04-11T00:51:21.963', vulnStatus: 'Modified',
            descriptions: [{ lang: 'en', value: 'chunked encoding overflow' }],
            metrics: { cvssMetricV2: [{ type: 'Primary', cvssData: { version: '2.0', baseScore: 7.5, vectorString: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' }, baseSeverity: 'HIGH' }] },
            configurations: [{ nodes: [{ operator: 'OR', negate: false, cpeMatch: [{ vulnerable: true, criteria: 'cpe:2.3:a:f5:nginx:*:*:*:*:*:*:*:*', versionStartIncluding: '1.3.9', versionEndIncluding: '1.4.0' }] }] }],
          },
        },
      ],
    });
    expect(doc.skipped).toEqual([]);
    const index = new scan.CveIndex();
    for (const r of doc.records) index.add(r);
    // nmap's name for nginx (igor_sysoev) reaches NVD's (f5) through the alias table.
    expect(index.match({ vendor: 'igor_sysoev', product: 'nginx', version: '1.4.0' }).map((m) => m.id)).toEqual(['CVE-2013-2028']);
    expect(index.match({ vendor: 'igor_sysoev', product: 'nginx', version: '1.4.1' })).toEqual([]);
    expect(scan.cpe22to23('cpe:/a:igor_sysoev:nginx:1.4.0')).toBe('cpe:2.3:a:igor_sysoev:nginx:1.4.0:*:*:*:*:*:*:*');
    expect(() => scan.parseScanTarget('127.0.0.1 -oN /tmp/x')).toThrow(/IPQ-V005|invalid/i);
    const host = { address: '10.0.0.5', hostnames: [], status: 'up' as const, started_ms: 0, finished_ms: 1, ports: [{ port: 80, proto: 'tcp' as const, state: 'open', service: 'http', product: 'nginx', version: '1.4.0', cpe: [], cves: [{ id: 'CVE-2013-2028', score: 7.5, severity: 'HIGH', kev: false, confidence: 'configuration' as const }] }] };
    expect(scan.exposureOf(host)).toBeCloseTo(0.75, 12);
    expect(scan.diffHost(undefined, host)).toMatchObject({ first_scan: true, cves_new: [{ port: 80, proto: 'tcp', id: 'CVE-2013-2028' }] });
  });
});
