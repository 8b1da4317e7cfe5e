/**
 * Child of bench/pcap.ts (run with --expose-gc): opens N distinct TCP flows (one SYN each, distinct IPv4 source
 * addresses and ports) in one FlowTable sized for them and prints the growth of RSS, V8 heap and array buffers as
 * one JSON line. No flow ends during the run (timeouts are in packet time and all SYNs share one second).
 */
import { FlowTable } from '../src/capture/flow-table.js';
import { IPPROTO_TCP, TCP_SYN, newPacketInfo } from '../src/capture/packet.js';

const n = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 2 ** 20;
gc?.();
const before = process.memoryUsage();
let ended = 0;
const table = new FlowTable({ maxFlows: n, onRecord: () => ended++ });
const p = newPacketInfo();
const T = 1_700_000_000;
for (let i = 0; i < n; i++) {
  p.ts = T + i / n;
  p.wireLen = 74;
  p.ipVersion = 4;
  p.ipHeaderLen = 20;
  p.ipLen = 60;
  p.ttl = 64;
  p.proto = IPPROTO_TCP;
  p.src4 = (0x0a000000 + (i >>> 4)) >>> 0;
  p.dst4 = 0xc0a80001;
  p.hasL4 = true;
  p.srcPort = 1024 + (i & 0xffff);
  p.dstPort = 80 + (i & 15);
  p.tcpFlags = TCP_SYN;
  p.seq = i;
  p.ack = 0;
  p.window = 64240;
  p.l4PayloadLen = 0;
  p.payloadCapLen = 0;
  table.update(p);
}
gc?.();
const after = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    live: table.size,
    ended,
    rssGrowthMiB: (after.rss - before.rss) / MiB,
    heapGrowthMiB: (after.heapUsed - before.heapUsed) / MiB,
    externalGrowthMiB: (after.arrayBuffers - before.arrayBuffers) / MiB,
  })}\n`,
);
