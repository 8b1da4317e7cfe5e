/**
 * Every shared real capture through reader → decoder → FlowTable, compared with tshark (the reference dissector):
 * - `tshark -q -z conv,tcp -z conv,udp`: the same TCP and UDP conversations (5-tuples), the same frames in each
 *   direction, and the same bytes (tshark's conversation bytes are frame bytes, printed in bytes/kB: compared
 *   exactly below 10 kB and to tshark's rounding above);
 * - `tshark -T fields` per frame: frame bytes exactly (Σ frame.len per direction) and Zeek's `orig_ip_bytes` /
 *   `resp_ip_bytes` (Σ ip.len / IPv6 40 + payload length per direction).
 * Differences that are by design: tshark keeps a 5-tuple in one conversation for the whole capture, while a Zeek
 * connection ends on timeouts, closes and port reuse; so our records are merged per 5-tuple before comparing, and
 * the record count may exceed tshark's row count (asserted: ≥, and every record maps to a tshark row).
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { readCaptureBuffer } from './capture-reader.js';
import type { ConnRecord } from './conn-record.js';
import { createUidGenerator, rngRandom32 } from './conn-uid.js';
import { decodePacket } from './decode.js';
import { FlowTable } from './flow-table.js';
import { newPacketInfo } from './packet.js';
import { sharedCaptures, TSHARK, tsharkFields } from './_test-pcap.js';

const captures = sharedCaptures();

interface Side {
  frames: number;
  frameBytes: number;
  ipBytes: number;
}
interface Conv {
  a: string;
  b: string;
  /** Frames/bytes from a to b and from b to a. */
  ab: Side;
  ba: Side;
}

const side = (): Side => ({ frames: 0, frameBytes: 0, ipBytes: 0 });
const ep = (h: string, p: number | string) => `${h}:${p}`;
const convKey = (proto: string, x: string, y: string) => `${proto} ${x < y ? x : y} ${x < y ? y : x}`;

/** Our flows through the whole pipeline, merged per 5-tuple (TCP/UDP only), plus the records. */
function ours(path: string): { convs: Map<string, Conv>; records: ConnRecord[]; untracked: number } {
  const records: ConnRecord[] = [];
  const t = new FlowTable({ onRecord: (r) => records.push(r), newUid: createUidGenerator(rngRandom32(createRng(1))) });
  const p = newPacketInfo();
  const convs = new Map<string, Conv>();
  readCaptureBuffer(
    new Uint8Array(readFileSync(path)),
    () => {
      decodePacket(p);
      const slot = t.update(p);
      if (slot < 0) return;
      const proto = t.protoOf(slot);
      if (proto !== 'tcp' && proto !== 'udp') return;
      const o = ep(t.origHostOf(slot), t.origPortOf(slot));
      const r = ep(t.respHostOf(slot), t.respPortOf(slot));
      const key = convKey(proto, o, r);
      let c = convs.get(key);
      if (c === undefined) {
        c = { a: o < r ? o : r, b: o < r ? r : o, ab: side(), ba: side() };
        convs.set(key, c);
      }
      const from = t.lastFromOrig ? o : r;
      const s = from === c.a ? c.ab : c.ba;
      s.frames++;
      s.frameBytes += p.wireLen;
      s.ipBytes += p.ipLen;
    },
    { record: p.record },
  );
  t.flush();
  return { convs, records, untracked: t.stats.untracked };
}

interface TsharkConv {
  a: string;
  b: string;
  /** Frames and bytes (with the printed unit's precision) b → a ("<-") and a → b ("->"). */
  baFrames: number;
  baBytes: [number, number];
  abFrames: number;
  abBytes: [number, number];
}

/**
 * Parses the "a:port <-> b:port  <-frames bytes  ->frames bytes ..." rows of `tshark -q -z conv,tcp -z conv,udp`
 * (one run, two sections). Bytes: [value, precision of the printed unit].
 */
function tsharkConvs(path: string): Record<'tcp' | 'udp', TsharkConv[]> {
  const out = execFileSync(TSHARK!, ['-n', '-r', path, '-q', '-z', 'conv,tcp', '-z', 'conv,udp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const size = (v: string, unit: string): [number, number] => {
    const m = unit === 'bytes' ? 1 : unit === 'kB' ? 1e3 : unit === 'MB' ? 1e6 : unit === 'GB' ? 1e9 : Number.NaN;
    return [Number(v) * m, m];
  };
  const rows: Record<'tcp' | 'udp', TsharkConv[]> = { tcp: [], udp: [] };
  let section: 'tcp' | 'udp' | undefined;
  for (const line of out.split('\n')) {
    if (line.startsWith('TCP Conversations')) section = 'tcp';
    else if (line.startsWith('UDP Conversations')) section = 'udp';
    const m = /^(\S+):(\d+)\s+<->\s+(\S+):(\d+)\s+(\d+)\s+(\d+) (\S+)\s+(\d+)\s+(\d+) (\S+)/.exec(line);
    if (m === null || section === undefined) continue;
    rows[section].push({
      a: ep(m[1]!, m[2]!),
      b: ep(m[3]!, m[4]!),
      baFrames: Number(m[5]),
      baBytes: size(m[6]!, m[7]!),
      abFrames: Number(m[8]),
      abBytes: size(m[9]!, m[10]!),
    });
  }
  return rows;
}

const FIELDS = ['frame.len', 'ip.src', 'ip.dst', 'ip.len', 'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.reset'];
const frameCache = new Map<string, string[][]>();

/** tshark's per-frame fields of a capture (one tshark run per capture, cached). */
function tsharkFrames(path: string): string[][] {
  let rows = frameCache.get(path);
  if (rows === undefined) frameCache.set(path, (rows = tsharkFields(path, FIELDS)));
  return rows;
}

/** Exact per-direction frame and IP bytes of every TCP/UDP 5-tuple from tshark's per-frame fields. */
function tsharkSides(path: string): Map<string, Map<string, Side>> {
  const rows = tsharkFrames(path);
  const byConv = new Map<string, Map<string, Side>>();
  for (const [flen, s4, d4, l4, s6, d6, plen6, ts, td, us, ud] of rows) {
    // The outermost header (the first value when tshark shows several, e.g. ICMP quoting a datagram).
    const first = (v: string | undefined) => (v ?? '').split(',')[0]!;
    const src = first(s4) || first(s6);
    const dst = first(d4) || first(d6);
    const proto = first(ts) !== '' ? 'tcp' : first(us) !== '' ? 'udp' : '';
    if (src === '' || proto === '') continue;
    const sp = proto === 'tcp' ? first(ts) : first(us);
    const dp = proto === 'tcp' ? first(td) : first(ud);
    const from = ep(src, sp);
    const to = ep(dst, dp);
    const key = convKey(proto, from, to);
    let m = byConv.get(key);
    if (m === undefined) byConv.set(key, (m = new Map()));
    let sd = m.get(from);
    if (sd === undefined) m.set(from, (sd = side()));
    sd.frames++;
    sd.frameBytes += Number(flen);
    sd.ipBytes += first(l4) !== '' ? Number(first(l4)) : 40 + Number(first(plen6));
  }
  return byConv;
}

describe.skipIf(TSHARK === undefined || captures.length === 0)('FlowTable on the shared captures vs tshark', () => {
  for (const { name, path } of captures) {
    it(`${name}: TCP/UDP conversations, frames and bytes per direction equal tshark's`, () => {
      const { convs, records } = ours(path);
      const exact = tsharkSides(path);
      const conv = tsharkConvs(path);
      for (const proto of ['tcp', 'udp'] as const) {
        const theirs = conv[proto];
        const mine = [...convs.entries()].filter(([k]) => k.startsWith(proto + ' '));
        // Same set of conversations.
        expect(mine.map(([k]) => k).sort()).toEqual(theirs.map((c) => convKey(proto, c.a, c.b)).sort());
        for (const c of theirs) {
          const m = convs.get(convKey(proto, c.a, c.b))!;
          const ab = m.a === c.a ? m.ab : m.ba;
          const ba = m.a === c.a ? m.ba : m.ab;
          expect([ab.frames, ba.frames], `${c.a} <-> ${c.b} frames`).toEqual([c.abFrames, c.baFrames]);
          // Frame bytes within the precision tshark printed (1 byte, or 1 kB when it printed kB).
          for (const [got, [want, unit]] of [[ab.frameBytes, c.abBytes], [ba.frameBytes, c.baBytes]] as const) {
            if (unit === 1) expect(got).toBe(want);
            else expect(Math.abs(got - want)).toBeLessThanOrEqual(unit);
          }
          // Exact frame and IP bytes per direction from tshark's per-frame fields.
          const ex = exact.get(convKey(proto, c.a, c.b))!;
          expect(ab.frameBytes).toBe(ex.get(c.a)?.frameBytes ?? 0);
          expect(ba.frameBytes).toBe(ex.get(c.b)?.frameBytes ?? 0);
          expect(ab.ipBytes).toBe(ex.get(c.a)?.ipBytes ?? 0);
          expect(ba.ipBytes).toBe(ex.get(c.b)?.ipBytes ?? 0);
        }
      }
      // Records: at least one per conversation; their Zeek ip-byte counts add up to the per-5-tuple totals.
      const tcpUdp = records.filter((r) => r.proto === 'tcp' || r.proto === 'udp');
      expect(tcpUdp.length).toBeGreaterThanOrEqual(convs.size);
      const sum = new Map<string, number>();
      for (const r of tcpUdp) {
        const k = convKey(r.proto, ep(r.orig_h, r.orig_p), ep(r.resp_h, r.resp_p));
        sum.set(k, (sum.get(k) ?? 0) + r.orig_ip_bytes + r.resp_ip_bytes);
      }
      for (const [k, c] of convs) expect(sum.get(k), k).toBe(c.ab.ipBytes + c.ba.ipBytes);
    });
  }
});

const synscan = captures.find((c) => c.name === 'synscan.pcapng');

describe.skipIf(TSHARK === undefined || synscan === undefined)('FlowTable on synscan.pcapng: conn_state per Zeek from tshark flags', () => {
  it('SYN-only probes are S0 "S", RST answers REJ "Sr", SYN-ACK answers S1 "Sh" (README: 1,994 SYNs, 1,000 ports, 12 SYN-ACKs)', () => {
    const { records } = ours(synscan!.path);
    // Per 5-tuple flags seen by tshark, from the responder (the probe's destination).
    const seen = new Map<string, { synAcks: number; rst: boolean; syns: number }>();
    for (const [, src, dst, , , , , sp, dp, , , syn, ack, rst] of tsharkFrames(synscan!.path)) {
      if (sp === '' || sp === undefined) continue;
      const k = convKey('tcp', ep(src!, sp), ep(dst!, dp!));
      let v = seen.get(k);
      if (v === undefined) seen.set(k, (v = { synAcks: 0, rst: false, syns: 0 }));
      const isSyn = syn === 'True' || syn === '1';
      const isAck = ack === 'True' || ack === '1';
      if (isSyn && !isAck) v.syns++;
      if (isSyn && isAck) v.synAcks++;
      if ((rst === 'True' || rst === '1') && src === '64.13.134.52') v.rst = true;
    }
    const tcp = records.filter((r) => r.proto === 'tcp');
    expect(tcp.reduce((n, r) => n + r.orig_pkts, 0)).toBe(1994);
    expect(new Set(tcp.map((r) => r.resp_p)).size).toBe(1000);
    expect([...seen.values()].reduce((n, v) => n + v.synAcks, 0)).toBe(12);
    for (const r of tcp) {
      expect(r.orig_h).toBe('172.16.0.8');
      expect(r.resp_h).toBe('64.13.134.52');
      const v = seen.get(convKey('tcp', ep(r.orig_h, r.orig_p), ep(r.resp_h, r.resp_p)))!;
      const want = v.rst ? ['REJ', 'Sr'] : v.synAcks > 0 ? ['S1', 'Sh'] : ['S0', 'S'];
      expect([r.conn_state, r.history]).toEqual(want);
    }
  });
});

describe.skipIf(captures.length === 0)('FlowTable on mutated captures (bytes flipped, cut, inserted before decoding)', () => {
  it('never throws and accounts every tracked packet', () => {
    const sources = captures.filter((c) => ['http_google.pcapng', 'mqtt.pcap', 'wikipedia.pcap'].includes(c.name)).map((c) => new Uint8Array(readFileSync(c.path)));
    fc.assert(
      fc.property(fc.nat(sources.length - 1), fc.array(fc.tuple(fc.nat(), fc.nat(255), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 40 }), (which, muts) => {
        const records: ConnRecord[] = [];
        const t = new FlowTable({ onRecord: (r) => records.push(r), newUid: createUidGenerator(rngRandom32(createRng(2))), maxFlows: 8 });
        const p = newPacketInfo();
        let tracked = 0;
        readCaptureBuffer(
          sources[which]!,
          (r) => {
            // Mutate a copy of the packet's bytes (the reader's buffer stays intact for the next record).
            let bytes = r.data.slice(r.offset, r.offset + r.capLen);
            for (const [pos, v, kind] of muts) {
              const i = bytes.length === 0 ? 0 : pos % bytes.length;
              if (kind === 'flip' && bytes.length > 0) bytes[i] = bytes[i]! ^ (v | 1);
              else if (kind === 'cut') bytes = bytes.slice(0, i);
              else if (kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, i), v, ...bytes.subarray(i)]);
            }
            const rec = p.record;
            rec.data = bytes;
            rec.offset = 0;
            rec.capLen = bytes.length;
            rec.origLen = Math.max(r.origLen, bytes.length);
            rec.ts = r.ts;
            rec.linkType = r.linkType;
            decodePacket(p);
            if (t.update(p) >= 0) tracked++;
          },
        );
        t.flush();
        expect(records.reduce((n, r) => n + r.orig_pkts + r.resp_pkts, 0)).toBe(tracked);
      }),
      { numRuns: 60, seed: 13 },
    );
  });
});
