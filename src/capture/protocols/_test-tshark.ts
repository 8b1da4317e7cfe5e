/**
 * Test helper (only tests import this file): tshark as the oracle for the protocol analyzers.
 *
 * - where the real captures are (`IPQSEC_DATA`, else `<repo>/../shared/data`) and whether tshark is installed,
 *   each reported once on stderr when missing so that a skipped test says why;
 * - `tsharkFields`: `tshark -r FILE -Y FILTER -T fields -e …` as rows of strings;
 * - `tcpPackets` / `replayTcp`: the per-packet TCP payloads as tshark extracts them (`tcp.payload`), in capture
 *   order, fed to analyzers with the FlowRef a flow table would give (orig = the SYN's sender, else the first
 *   packet's sender). The payloads come from tshark, not from a pcap reader of ours, so these tests depend only on
 *   the analyzers;
 * - `craftPcap`: hand-built payloads turned into a capture by `text2pcap` (Wireshark's own tool), so that
 *   tshark's dissectors can judge frames built from the standards (DNP3 CRCs, Modbus exceptions, MQTT 5).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { identifyService } from './service-id.js';
import type { AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** The real-data folder for tests. */
export const TEST_DATA_DIR = process.env.IPQSEC_DATA ?? fileURLToPath(new URL('../../../../shared/data', import.meta.url));

/** True when `tshark` and `text2pcap` run. */
export const HAS_TSHARK: boolean = (() => {
  const ok = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0 && spawnSync('text2pcap', ['-v'], { stdio: 'ignore' }).status === 0;
  if (!ok) process.stderr.write('skipping protocol tests that use tshark as the oracle: tshark/text2pcap not found (apt-get install tshark)\n');
  return ok;
})();

/** Path of a capture under `<data>/pcaps`, and whether it exists (a missing one is reported on stderr). */
export function pcapFile(name: string): { path: string; exists: boolean } {
  const path = join(TEST_DATA_DIR, 'pcaps', name);
  const exists = existsSync(path);
  if (!exists) process.stderr.write(`skipping tests that need ${path}: not found (set IPQSEC_DATA; README "Data sets")\n`);
  return { path, exists };
}

/** Runs tshark on `file` with extra arguments; returns stdout lines (empty lines dropped). */
export function tshark(file: string, args: readonly string[]): string[] {
  const out = execFileSync('tshark', ['-r', file, ...args], { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  return out.split('\n').filter((l) => l.length > 0);
}

/** `tshark -r file [-o …] -Y filter -T fields -e f1 -e f2 …` → rows of field strings (tab-separated columns). */
export function tsharkFields(file: string, filter: string, fields: readonly string[], prefs: readonly string[] = []): string[][] {
  const args: string[] = [];
  for (const p of prefs) args.push('-o', p);
  args.push('-Y', filter, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|');
  for (const f of fields) args.push('-e', f);
  return tshark(file, args).map((l) => l.split('\t'));
}

/** One TCP packet as tshark decodes it. */
export interface TcpPacket {
  frame: number;
  ts: number;
  stream: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  syn: boolean;
  ack: boolean;
  payload: Uint8Array;
}

/** Every TCP packet of `file` in capture order, with its payload (`tcp.payload`, possibly empty). */
export function tcpPackets(file: string, prefs: readonly string[] = []): TcpPacket[] {
  const rows = tsharkFields(file, 'tcp', ['frame.number', 'frame.time_epoch', 'tcp.stream', 'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.payload'], prefs);
  return rows.map((r) => ({
    frame: Number(r[0]),
    ts: Number(r[1]),
    stream: Number(r[2]),
    src: r[3] || r[4]!,
    dst: r[5] || r[6]!,
    srcPort: Number(r[7]),
    dstPort: Number(r[8]),
    syn: r[9] === '1' || r[9] === 'True',
    ack: r[10] === '1' || r[10] === 'True',
    payload: Uint8Array.from(Buffer.from((r[11] ?? '').replace(/:/g, ''), 'hex')),
  }));
}

/** An event with where it came from. */
export interface ReplayedEvent {
  frame: number;
  stream: number;
  fromOrig: boolean;
  event: AppEvent;
}

/** Result of {@link replayTcp}. */
export interface Replay {
  events: ReplayedEvent[];
  /** Analyzer per TCP stream (streams never identified are absent). */
  analyzers: Map<number, ProtocolAnalyzer>;
}

/**
 * Feeds every TCP payload to a per-stream analyzer, as the sensor will: the analyzer is chosen on the stream's
 * first payload by `choose` (default {@link identifyService}; retried on the next payloads while it returns null,
 * up to 4), and gets the payloads in capture order with a FlowRef whose orig is the SYN's sender (else the first
 * packet's sender).
 */
export function replayTcp(packets: readonly TcpPacket[], choose?: (p: TcpPacket, fromOrig: boolean, origPort: number, respPort: number) => ProtocolAnalyzer | null): Replay {
  const flows = new Map<number, { ref: FlowRef; analyzer: ProtocolAnalyzer | null; tries: number }>();
  const events: ReplayedEvent[] = [];
  const analyzers = new Map<number, ProtocolAnalyzer>();
  for (const p of packets) {
    let f = flows.get(p.stream);
    if (f === undefined) {
      const origIsSrc = !(p.syn && p.ack); // a SYN-ACK first: its receiver opened the connection
      const ref: FlowRef = origIsSrc
        ? { uid: `S${p.stream}`, ts: p.ts, origH: p.src, origP: p.srcPort, respH: p.dst, respP: p.dstPort, fromOrig: true }
        : { uid: `S${p.stream}`, ts: p.ts, origH: p.dst, origP: p.dstPort, respH: p.src, respP: p.srcPort, fromOrig: false };
      f = { ref, analyzer: null, tries: 0 };
      flows.set(p.stream, f);
    }
    if (p.payload.length === 0) continue;
    const fromOrig = p.src === f.ref.origH && p.srcPort === f.ref.origP;
    f.ref.fromOrig = fromOrig;
    f.ref.ts = p.ts;
    if (f.analyzer === null) {
      if (f.tries >= 4) continue;
      f.tries++;
      f.analyzer = choose ? choose(p, fromOrig, f.ref.origP, f.ref.respP) : identifyService('tcp', f.ref.origP, f.ref.respP, p.payload, 0, p.payload.length, fromOrig);
      if (f.analyzer === null) continue;
      analyzers.set(p.stream, f.analyzer);
    }
    f.analyzer.feed(f.ref, p.payload, 0, p.payload.length, (event) => events.push({ frame: p.frame, stream: p.stream, fromOrig, event }));
  }
  return { events, analyzers };
}

let tmp: string | undefined;
// Crafted captures live in one temporary folder per test file, removed when the file's tests end.
afterAll(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

/**
 * Writes `packets` (payloads, in order; `fromOrig` picks the direction) as a capture with text2pcap: Ethernet +
 * IPv4 10.1.1.1 (orig) / 10.2.2.2 (resp) + TCP (sequence numbers kept per direction) or UDP with the ports given.
 * Returns the file path.
 */
export function craftPcap(name: string, packets: readonly { fromOrig: boolean; bytes: Uint8Array }[], origPort: number, respPort: number, proto: 'tcp' | 'udp' = 'tcp'): string {
  tmp ??= mkdtempSync(join(tmpdir(), 'ipqsec-proto-'));
  const txt = join(tmp, `${name}.txt`);
  const out = join(tmp, `${name}.pcap`);
  // text2pcap -D: "I" packets go srcport → destport as given to -T/-u, "O" packets the other way.
  const lines: string[] = [];
  for (const p of packets) {
    lines.push(p.fromOrig ? 'I' : 'O');
    const hex = Array.from(p.bytes, (b) => b.toString(16).padStart(2, '0'));
    for (let i = 0; i < hex.length; i += 16) lines.push(`${i.toString(16).padStart(6, '0')}  ${hex.slice(i, i + 16).join(' ')}`);
  }
  writeFileSync(txt, lines.join('\n') + '\n');
  execFileSync('text2pcap', ['-q', '-D', proto === 'tcp' ? '-T' : '-u', `${origPort},${respPort}`, '-4', '10.1.1.1,10.2.2.2', txt, out], { stdio: 'ignore' });
  return out;
}

/** Hex string (spaces allowed) → bytes. */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/** A FlowRef for hand-fed tests. */
export function flowRef(fromOrig: boolean, respP = 0, origP = 40000): FlowRef {
  return { uid: 'Ctest', ts: 0, origH: '10.1.1.1', origP, respH: '10.2.2.2', respP, fromOrig };
}

/** Feeds `(fromOrig, bytes)` chunks to an analyzer; returns the events. */
export function feedAll(a: ProtocolAnalyzer, chunks: readonly { fromOrig: boolean; bytes: Uint8Array }[], respP = 0): AppEvent[] {
  const out: AppEvent[] = [];
  for (const c of chunks) a.feed(flowRef(c.fromOrig, respP), c.bytes, 0, c.bytes.length, (e) => out.push(e));
  return out;
}
