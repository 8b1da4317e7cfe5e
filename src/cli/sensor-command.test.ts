/**
 * `ipqsec sensor` end to end: the shared captures through the sensor into a real server (listening on a loopback
 * socket, real Monitor and SQLite store), plain HTTP and the post-quantum uplink; the server's alerts must carry
 * the detections of the capture's ground truth (../shared/data/README.md) with their ATT&CK techniques.
 */
import { createReadStream, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { SecureUplink } from '../agent/secure-uplink.js';
import { formatConnLog } from '../capture/conn-log-writer.js';
import type { ConnRecord } from '../capture/conn-record.js';
import { readCaptureFile } from '../capture/capture-reader.js';
import { NetworkSensor } from '../capture/sensor.js';
import { flowEventSchema } from '../core/events.js';
import { dataFile } from '../data/_test-data.js';
import { createPqcProvider } from '../pqc/select-provider.js';
import { bearer, createTestApp } from '../server/_test-deps.js';
import { httpEventSink, runSensor } from './sensor-command.js';

const pcap = (name: string) => dataFile('pcaps', name);
const have = pcap('synscan.pcapng').exists;
if (!have) console.warn('sensor-command.test: skipped, the shared captures are missing (set IPQSEC_DATA to the folder holding pcaps/)');

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

interface AlertRow {
  entity: string;
  reasons: string[];
  severity: string;
  techniques: { id: string; name: string }[];
}

async function alertsOf(app: FastifyInstance, admin: Record<string, string>): Promise<AlertRow[]> {
  const r = await app.inject({ url: '/api/v1/alerts?limit=500', headers: admin });
  expect(r.statusCode).toBe(200);
  return (r.json() as { items: AlertRow[] }).items;
}

describe.skipIf(!have)('ipqsec sensor into a live server', () => {
  it('HTTP: synscan flows and the port-scan detection reach the server; its alert has T1046', async () => {
    const { app, deps, admin, tokenWith } = await createTestApp();
    const base = await listen(app);
    try {
      const token = await tokenWith(['ingest']);
      const r = await runSensor({ pcap: pcap('synscan.pcapng').path, batch: 400, site: 'lab' }, httpEventSink(base, token));
      expect(r.error).toBeUndefined();
      expect(r.packets).toBe(2011);
      expect(r.alerts).toBeGreaterThan(0);
      expect(r.eventsSent).toBe(r.flows + r.alerts);
      expect(await deps.store.countEvents()).toBe(r.eventsSent);
      const scans = (await alertsOf(app, admin)).filter((a) => a.entity === 'ip:172.16.0.8' && a.reasons.includes('Port Scan'));
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.some((a) => a.severity === 'high' || a.severity === 'critical')).toBe(true);
      expect(scans[0]!.techniques.map((t) => t.id)).toContain('T1046');
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('HTTP from a stream (-): a pcap piped in chunks gives the same flows as the file', async () => {
    const { app, deps, tokenWith } = await createTestApp();
    const base = await listen(app);
    try {
      const token = await tokenWith(['ingest']);
      const stdin = createReadStream(pcap('http_espn.pcapng').path, { highWaterMark: 4096 });
      const r = await runSensor({ pcap: '-', stdin, batch: 7 }, httpEventSink(base, token));
      let flows = 0;
      const s = new NetworkSensor({ onFlow: () => flows++ });
      await readCaptureFile(pcap('http_espn.pcapng').path, (x) => s.processRecord(x));
      s.finish();
      expect(r.flows).toBe(flows);
      expect(await deps.store.countEvents()).toBe(r.eventsSent);
      expect(r.batchesSent).toBeGreaterThanOrEqual(Math.ceil(flows / 7));
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('post-quantum uplink: arppoison through an approved device; the ARP-spoofing alert has T1557.002', async () => {
    const { app, admin, tokenWith } = await createTestApp({}, { security: {} });
    const base = await listen(app);
    try {
      const p = createPqcProvider('noble');
      const uplink = new SecureUplink({ server: base, deviceId: 'sensor-1', identity: p.mlDsaKeygen(new Uint8Array(32).fill(7)), provider: p, token: await tokenWith(['ingest']) });
      expect((await uplink.enroll()).status).toBe('pending');
      expect((await app.inject({ method: 'POST', url: '/api/v1/devices/sensor-1/approve', headers: admin })).statusCode).toBe(200);
      const r = await runSensor({ pcap: pcap('arppoison.pcapng').path }, async (events) => {
        await uplink.sendEvents(events);
      });
      expect(r.error).toBeUndefined();
      const arp = (await alertsOf(app, admin)).filter((a) => a.reasons.includes('ARP Spoofing'));
      expect(arp.length).toBeGreaterThan(0);
      expect(arp.some((a) => a.severity === 'high' || a.severity === 'critical')).toBe(true);
      expect(arp[0]!.techniques.map((t) => t.id)).toContain('T1557.002');
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });

  it('Zeek conn.log input: the flows of a conn.log written from a capture are sent as valid flow events', async () => {
    const recs: ConnRecord[] = [];
    const s = new NetworkSensor({ onFlow: (x) => recs.push(x) });
    await readCaptureFile(pcap('wikipedia.pcap').path, (x) => s.processRecord(x));
    s.finish();
    const text = formatConnLog(recs, { format: 'tsv', now: () => 1_700_000_000 });
    const sent: unknown[] = [];
    const r = await runSensor({ zeekConn: '-', stdin: [Buffer.from(text)] as unknown as AsyncIterable<Uint8Array> }, async (events) => {
      sent.push(...events);
    });
    expect(r.error).toBeUndefined();
    expect(r.flows).toBe(recs.length);
    expect(sent.length).toBe(recs.length);
    for (const e of sent) expect(flowEventSchema.safeParse(e).success).toBe(true);
    const uids = new Set(recs.map((x) => x.uid));
    for (const e of sent as { uid: string }[]) expect(uids.has(e.uid)).toBe(true);
  });

  it('a server refusing the batch stops the sensor with the server error; a truncated capture ends in IPQ-N001 after sending what was read', async () => {
    const { app, tokenWith } = await createTestApp();
    const base = await listen(app);
    try {
      await expect(runSensor({ pcap: pcap('http_google.pcapng').path, retries: 0 }, httpEventSink(base, 'not-a-token'))).rejects.toMatchObject({ code: expect.stringMatching(/^IPQ-A/) });
      const token = await tokenWith(['ingest']);
      const bytes = readFileSync(pcap('ftp_bruteforce.pcap').path);
      const r = await runSensor({ pcap: '-', stdin: [bytes.subarray(0, 30_000)] as unknown as AsyncIterable<Uint8Array> }, httpEventSink(base, token));
      expect(r.error?.code).toBe('IPQ-N001');
      expect(r.packets).toBeGreaterThan(0);
      expect(r.eventsSent).toBe(r.flows + r.alerts);
      expect(r.flows).toBeGreaterThan(0);
      void bearer;
    } finally {
      app.server.closeAllConnections();
      await app.close();
    }
  });
});
