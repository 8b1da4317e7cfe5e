/**
 * `npm run bench:pcap`: the network sensor's targets, beside tshark on the same files in the same run.
 *
 * | target                                                                    | how                                           |
 * | ------------------------------------------------------------------------- | --------------------------------------------- |
 * | read + decode + flow table ≥ 2 M packets/s on one core, ≥ 10 M packets     | the shared captures replicated to ≥ 10 M packets (addresses shifted per copy, so every copy's flows are new), read from the file (page cache) |
 * | damped statistics + online detector ≥ 200 k packets/s (Kitsune C++ ~40 k) | AfterImage + KitNET on the first 2 M packets of the same file, after the grace period |
 * | 1 M concurrent flows in ≤ 1 GiB                                           | a child process opens 1 M distinct TCP flows in one FlowTable; RSS and heap growth |
 *
 * Stages are measured separately (read only; + decode; + flow table; the whole sensor without and with the
 * online detector) so the cost of each is visible. tshark (`tshark -r FILE -q -z conv,tcp -z conv,udp`: read,
 * dissect, build conversations) runs on a 1 M-packet slice of the same file, and so does our whole sensor, so the
 * ratio compares like with like on one core each. The machine is a noisy 2-core VM: every figure is the median of
 * `--repeats` runs (default 3), runs of different stages alternate. Results go to `.bench/pcap-results.json`.
 *
 * Usage: node dist/bench/pcap.js [--quick] [--packets N] [--repeats N] [--keep]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureBuffer, readCaptureFile } from '../src/capture/capture-reader.js';
import { decodePacket, newDecodeStats } from '../src/capture/decode.js';
import { FlowTable } from '../src/capture/flow-table.js';
import { newPacketInfo } from '../src/capture/packet.js';
import { NetworkSensor } from '../src/capture/sensor.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const targetPackets = Number(arg('packets') ?? (quick ? 2_000_000 : 10_000_000));
const repeats = Number(arg('repeats') ?? (quick ? 1 : 3));
const dataDir = process.env.IPQSEC_DATA ?? join(repoRoot, '..', 'shared', 'data');
const pcapDir = join(dataDir, 'pcaps');
const TSHARK = ['/usr/bin/tshark', '/usr/local/bin/tshark'].find((p) => existsSync(p));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmtRate = (pps: number): string => (pps >= 1e6 ? `${(pps / 1e6).toFixed(2)} M/s` : `${(pps / 1e3).toFixed(0)} k/s`);

// ---------------------------------------------------------------- the replicated capture

interface BaseRecord {
  ts: number;
  frame: Uint8Array;
  origLen: number;
}

/** Every Ethernet record of the shared captures, files laid end to end in time (1 s apart). */
function baseRecords(): BaseRecord[] {
  const out: BaseRecord[] = [];
  let shift = 0;
  let last = 0;
  for (const f of readdirSync(pcapDir).filter((x) => /\.pcap(ng)?$/.test(x)).sort()) {
    const recs: BaseRecord[] = [];
    readCaptureBuffer(readFileSync(join(pcapDir, f)), (r) => {
      if (r.linkType !== 1) return;
      recs.push({ ts: r.ts, frame: r.data.slice(r.offset, r.offset + r.capLen), origLen: r.origLen });
    });
    if (recs.length === 0) continue;
    shift = last + 1 - recs[0]!.ts;
    for (const r of recs) {
      r.ts += shift;
      out.push(r);
    }
    last = recs.at(-1)!.ts;
  }
  return out;
}

/** IPv4 header offset in an Ethernet frame (after 802.1Q tags), or -1. */
function ipv4Offset(f: Uint8Array): number {
  let off = 12;
  let type = (f[off]! << 8) | f[off + 1]!;
  while ((type === 0x8100 || type === 0x88a8) && off + 6 <= f.length) {
    off += 4;
    type = (f[off]! << 8) | f[off + 1]!;
  }
  return type === 0x0800 && off + 2 + 20 <= f.length ? off + 2 : -1;
}

/**
 * Writes `copies` copies of `base` as one pcap (µs): copy k has the 2nd and 3rd octets of every IPv4 source and
 * destination address XORed with k (so its flows are new flows) and its times shifted by k × the base span.
 */
function writeReplicated(path: string, base: readonly BaseRecord[], copies: number): number {
  const span = base.at(-1)!.ts - base[0]!.ts + 1;
  const fd = openSync(path, 'w');
  const buf = Buffer.alloc(8 << 20);
  let pos = 0;
  const flush = (): void => {
    writeSync(fd, buf, 0, pos);
    pos = 0;
  };
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeUInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(262144, 16);
  buf.writeUInt32LE(1, 20);
  pos = 24;
  const ipOff = base.map((r) => ipv4Offset(r.frame));
  let n = 0;
  for (let k = 0; k < copies; k++) {
    const a = k & 0xff;
    const b = (k >> 8) & 0xff;
    for (let i = 0; i < base.length; i++) {
      const r = base[i]!;
      if (pos + 16 + r.frame.length > buf.length) flush();
      const ts = r.ts + k * span;
      const sec = Math.floor(ts);
      buf.writeUInt32LE(sec, pos);
      buf.writeUInt32LE(Math.min(999_999, Math.round((ts - sec) * 1e6)), pos + 4);
      buf.writeUInt32LE(r.frame.length, pos + 8);
      buf.writeUInt32LE(r.origLen, pos + 12);
      buf.set(r.frame, pos + 16);
      const ip = ipOff[i]!;
      if (ip >= 0) {
        const p = pos + 16 + ip;
        buf[p + 13]! ^= a;
        buf[p + 14]! ^= b;
        buf[p + 17]! ^= a;
        buf[p + 18]! ^= b;
      }
      pos += 16 + r.frame.length;
      n++;
    }
  }
  flush();
  closeSync(fd);
  return n;
}

// ---------------------------------------------------------------- stages

type Stage = 'read' | 'decode' | 'flows' | 'sensor' | 'anomaly';

async function runStage(stage: Stage, file: string): Promise<{ packets: number; seconds: number; flows: number }> {
  const p = newPacketInfo();
  const stats = newDecodeStats();
  let packets = 0;
  let flows = 0;
  let onRecord: (r: typeof p.record) => void;
  let finish = (): void => {};
  switch (stage) {
    case 'read':
      onRecord = () => {
        packets++;
      };
      break;
    case 'decode':
      onRecord = (r) => {
        p.record = r;
        decodePacket(p, stats);
        packets++;
      };
      break;
    case 'flows': {
      const table = new FlowTable({ onRecord: () => flows++ });
      onRecord = (r) => {
        p.record = r;
        decodePacket(p, stats);
        table.update(p);
        packets++;
      };
      finish = () => table.flush();
      break;
    }
    case 'sensor':
    case 'anomaly': {
      const sensor = new NetworkSensor({ onFlow: () => flows++, ...(stage === 'anomaly' ? { anomaly: {} } : {}) });
      onRecord = (r) => {
        sensor.processRecord(r);
        packets++;
      };
      finish = () => sensor.finish();
      break;
    }
  }
  const t0 = process.hrtime.bigint();
  await readCaptureFile(file, onRecord);
  finish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { packets, seconds, flows };
}

function tsharkRun(file: string): number {
  const t0 = process.hrtime.bigint();
  execFileSync(TSHARK!, ['-n', '-r', file, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'], { stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 30 });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// ---------------------------------------------------------------- memory child

function memoryChild(flows: number): { rssGrowthMiB: number; heapGrowthMiB: number; externalGrowthMiB: number; live: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, 'pcap-flow-memory.js'), String(flows)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`memory child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rssGrowthMiB: number; heapGrowthMiB: number; externalGrowthMiB: number; live: number };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (!existsSync(pcapDir)) {
    console.log(`bench:pcap: ${pcapDir} not found (set IPQSEC_DATA); nothing to measure`);
    return;
  }
  const base = baseRecords();
  const work = join(tmpdir(), `ipqsec-bench-pcap-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const big = join(work, 'replicated.pcap');
  const slice = join(work, 'slice-1m.pcap');
  const copies = Math.ceil(targetPackets / base.length);
  const total = writeReplicated(big, base, copies);
  const sliceTotal = writeReplicated(slice, base, Math.ceil(1_000_000 / base.length));
  const anomalyFile = join(work, 'anomaly-2m.pcap');
  const anomalyPackets = writeReplicated(anomalyFile, base, Math.ceil(Math.min(total, 2_000_000) / base.length));
  console.log(`bench:pcap: ${base.length} packets of the shared captures × ${copies} = ${total.toLocaleString('en-US')} packets, ${(statSync(big).size / 2 ** 20).toFixed(0)} MiB (${big})`);
  console.log(`            slice for the tshark comparison: ${sliceTotal.toLocaleString('en-US')} packets; ${repeats} repeat(s), medians; node ${process.version}`);

  // Warm the page cache and the JIT.
  await runStage('read', big);
  await runStage('flows', slice);

  const stages: Stage[] = ['read', 'decode', 'flows', 'sensor'];
  const times = new Map<Stage, number[]>(stages.map((s) => [s, []]));
  const flowCounts = new Map<Stage, number>();
  for (let rep = 0; rep < repeats; rep++) {
    const order = rep % 2 === 0 ? stages : [...stages].reverse();
    for (const s of order) {
      const r = await runStage(s, big);
      times.get(s)!.push(r.packets / r.seconds);
      flowCounts.set(s, r.flows);
    }
  }
  // The online detector on 2 M packets (grace 55,000 then 50,000 to calibrate, then scoring).
  const anomaly: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const r = await runStage('anomaly', anomalyFile);
    anomaly.push(r.packets / r.seconds);
  }
  // Same slice: ours (whole sensor, and read+decode+flows) vs tshark.
  const oursSlice: number[] = [];
  const oursSliceFlows: number[] = [];
  const tshark: number[] = [];
  for (let rep = 0; rep < repeats; rep++) {
    const a = await runStage('sensor', slice);
    oursSlice.push(a.packets / a.seconds);
    const b = await runStage('flows', slice);
    oursSliceFlows.push(b.packets / b.seconds);
    if (TSHARK !== undefined) tshark.push(sliceTotal / tsharkRun(slice));
  }
  const mem = memoryChild(1_000_000);

  const rows: [string, string, string][] = [
    ['read only (pcap reader, file)', fmtRate(median(times.get('read')!)), ''],
    ['read + decode', fmtRate(median(times.get('decode')!)), ''],
    ['read + decode + flow table', fmtRate(median(times.get('flows')!)), `target ≥ 2 M/s: ${median(times.get('flows')!) >= 2e6 ? 'met' : 'MISSED'}`],
    ['whole sensor (protocols, detectors)', fmtRate(median(times.get('sensor')!)), ''],
    [`+ AfterImage + KitNET (${(anomalyPackets / 1e6).toFixed(1)} M packets)`, fmtRate(median(anomaly)), `target ≥ 200 k/s: ${median(anomaly) >= 2e5 ? 'met' : 'MISSED'}; Kitsune C++ ≈ 40 k/s`],
  ];
  console.log('');
  console.log(`stage (${total.toLocaleString('en-US')} packets, ${flowCounts.get('flows')?.toLocaleString('en-US')} flows)`.padEnd(52) + 'packets/s'.padStart(12) + '  note');
  for (const [a, b, c] of rows) console.log(`${a.padEnd(52)}${b.padStart(12)}  ${c}`);
  console.log('');
  if (TSHARK !== undefined) {
    const t = median(tshark);
    console.log(`same 1 M-packet slice: tshark -q -z conv,tcp -z conv,udp ${fmtRate(t)}; ours read+decode+flows ${fmtRate(median(oursSliceFlows))} (${(median(oursSliceFlows) / t).toFixed(1)}× tshark), whole sensor ${fmtRate(median(oursSlice))} (${(median(oursSlice) / t).toFixed(1)}× tshark)`);
  } else {
    console.log('tshark not installed (apt-get install tshark): no peer column');
  }
  console.log(`1 M concurrent flows: RSS +${mem.rssGrowthMiB.toFixed(0)} MiB (heap +${mem.heapGrowthMiB.toFixed(0)} MiB, array buffers +${mem.externalGrowthMiB.toFixed(0)} MiB), ${mem.live.toLocaleString('en-US')} live; target ≤ 1 GiB: ${mem.rssGrowthMiB <= 1024 ? 'met' : 'MISSED'}`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    packets: total,
    repeats,
    pps: Object.fromEntries([...times].map(([k, v]) => [k, { median: median(v), runs: v }])),
    anomaly: { packets: anomalyPackets, median: median(anomaly), runs: anomaly },
    slice: { packets: sliceTotal, tshark: TSHARK === undefined ? null : { median: median(tshark), runs: tshark }, sensor: median(oursSlice), flows: median(oursSliceFlows) },
    memory1M: mem,
  };
  mkdirSync(join(repoRoot, '.bench'), { recursive: true });
  writeFileSync(join(repoRoot, '.bench', 'pcap-results.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (!argv.includes('--keep')) rmSync(work, { recursive: true, force: true });
}

await main();
