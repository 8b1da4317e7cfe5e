import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataFile } from '../data/_test-data.js';
import { ModbusWriteDetector, type ModbusWriteOptions } from './modbus-writes.js';
import type { PacketDetection } from './packet-detection.js';

const TSHARK = '/usr/bin/tshark';
const hasTshark = existsSync(TSHARK);

const HMI = '10.0.0.10';
const PLC = '10.0.0.20';
const ROGUE = '10.0.0.66';

describe('ModbusWriteDetector (synthetic)', () => {
  it('without a baseline: the first write per (host, unit) is low, later writes are quiet, reads and responses never fire', () => {
    const d = new ModbusWriteDetector();
    expect(d.observe(1, HMI, PLC, 1, 3, true)).toBeNull(); // Read Holding Registers
    const w = d.observe(2, HMI, PLC, 1, 6, true, undefined, 'C1');
    expect(w).toMatchObject({ reason: 'Unauthorized Modbus Write', severity: 'low', origH: HMI, respH: PLC, uid: 'C1' });
    expect(w?.techniques.map((t) => t.id)).toEqual(['T0855', 'T0836']);
    expect(w?.detail).toContain('Write Single Register (FC 6)');
    for (let t = 3; t < 1000; t += 7) expect(d.observe(t, HMI, PLC, 1, 16, true)).toBeNull();
    expect(d.observe(5, HMI, PLC, 2, 5, true)?.severity).toBe('low'); // another unit
    expect(d.observe(6, PLC, HMI, 1, 6, false)).toBeNull(); // a response
  });

  it('with a learning period: writers seen during it are known; afterwards a new writer is medium, high where another writer is known, and repeats every re-alert interval', () => {
    const d = new ModbusWriteDetector({ learningPeriod: 3600, reAlertInterval: 300 });
    expect(d.observe(0, HMI, PLC, 1, 3, true)).toBeNull(); // starts the learning period
    expect(d.observe(100, HMI, PLC, 1, 16, true)).toBeNull(); // learned
    expect(d.observe(4000, HMI, PLC, 1, 16, true)).toBeNull(); // known
    const rogue = d.observe(4001, ROGUE, PLC, 1, 5, true);
    expect(rogue).toMatchObject({ severity: 'high', origH: ROGUE });
    expect(rogue?.detail).toContain('another known writer');
    expect(d.observe(4002, ROGUE, PLC, 1, 5, true)).toBeNull(); // gated
    expect(d.observe(4400, ROGUE, PLC, 1, 5, true)?.severity).toBe('high'); // not learned: again after 300 s
    expect(d.observe(4401, ROGUE, PLC, 7, 6, true)?.severity).toBe('medium'); // a unit nobody writes to
  });

  it('with knownWriters: listed hosts are quiet everywhere, others are reported', () => {
    const d = new ModbusWriteDetector({ knownWriters: [HMI] });
    expect(d.observe(1, HMI, PLC, 1, 15, true)).toBeNull();
    expect(d.observe(1, HMI, '10.0.0.21', 3, 23, true)).toBeNull();
    expect(d.observe(2, ROGUE, PLC, 1, 22, true)?.severity).toBe('medium');
  });

  it('diagnostics: FC 8 restart / listen-only are high from anyone (even known or learning), clear-counters medium, discovery low', () => {
    const opts: Partial<ModbusWriteOptions> = { learningPeriod: 3600 };
    const d = new ModbusWriteDetector(opts);
    const listenOnly = d.observe(1, HMI, PLC, 1, 8, true, 4);
    expect(listenOnly).toMatchObject({ reason: 'Modbus Diagnostics', severity: 'high' });
    expect(listenOnly?.techniques.map((t) => t.id)).toEqual(['T0855', 'T0814']);
    expect(listenOnly?.detail).toContain('Force Listen Only Mode');
    const restart = d.observe(2, ROGUE, PLC, 1, 8, true, 1);
    expect(restart?.techniques.map((t) => t.id)).toEqual(['T0855', 'T0816']);
    const e = new ModbusWriteDetector();
    const clear = e.observe(1, ROGUE, PLC, 1, 8, true, 10);
    expect(clear).toMatchObject({ severity: 'medium' });
    expect(clear?.techniques.map((t) => t.id)).toEqual(['T0855', 'T0872']);
    const devId = e.observe(2, '10.0.0.77', PLC, 1, 43, true, 14);
    expect(devId).toMatchObject({ reason: 'Modbus Diagnostics', severity: 'low' });
    expect(devId?.techniques.map((t) => t.id)).toEqual(['T0888']);
    expect(e.observe(3, '10.0.0.77', PLC, 1, 17, true)).toBeNull(); // already seen sending diagnostics there
    const baselined = new ModbusWriteDetector({ knownWriters: [HMI] });
    expect(baselined.observe(1, ROGUE, PLC, 1, 17, true)?.severity).toBe('medium'); // Report Server ID
  });

  it('ignores invalid input', () => {
    const d = new ModbusWriteDetector();
    expect(d.observe(Number.NaN, HMI, PLC, 1, 6, true)).toBeNull();
    expect(d.observe(1, HMI, PLC, 256, 6, true)).toBeNull();
    expect(d.observe(1, HMI, PLC, 1, 6.5, true)).toBeNull();
    expect(d.observe(1, HMI, PLC, 1, 300, true)).toBeNull();
    expect(() => new ModbusWriteDetector({ learningPeriod: -1 })).toThrow(RangeError);
  });

  it('property: never throws, and state stays bounded', () => {
    const d = new ModbusWriteDetector({ maxTargets: 16, maxKeys: 16 });
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.oneof(fc.double(), fc.nat(5000)), fc.string(), fc.string(), fc.integer({ min: -1, max: 300 }), fc.integer({ min: -1, max: 300 }), fc.boolean(), fc.option(fc.integer({ min: -1, max: 70000 }))),
          { maxLength: 200 },
        ),
        (events) => {
          for (const [ts, o, r, unit, fcode, req, sub] of events) d.observe(ts, o, r, unit, fcode, req, sub ?? undefined);
          expect(d.sizes.targets).toBeLessThanOrEqual(16);
          expect(d.sizes.alertKeys).toBeLessThanOrEqual(16);
        },
      ),
      { numRuns: 100 },
    );
  });
});

const big = dataFile('pcaps', 'modbus_modbusBig.pcap');
const skipMsg = !hasTshark ? ' (SKIPPED: /usr/bin/tshark missing)' : !big.exists ? ' (SKIPPED: capture missing; set IPQSEC_DATA)' : '';

describe.skipIf(!hasTshark || !big.exists)(`ModbusWriteDetector on modbus_modbusBig.pcap, PDUs from tshark${skipMsg}`, () => {
  let cache: { ts: number; src: string; dst: string; isRequest: boolean; unit: number; f: number }[] | undefined;
  const pdus = () =>
    (cache ??= execFileSync(TSHARK, ['-r', big.path, '-Y', 'modbus', '-T', 'fields', '-E', 'separator=,', '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'tcp.dstport', '-e', 'mbtcp.unit_id', '-e', 'modbus.func_code'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1 << 26,
    })
      .toString()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [ts, src, dst, dport, unit, f] = l.split(',');
        return { ts: Number(ts), src, dst, isRequest: dport === '502', unit: Number(unit), f: Number(f) };
      }));
  const run = (opts: Partial<ModbusWriteOptions>): PacketDetection[] => {
    const d = new ModbusWriteDetector(opts);
    return pdus()
      .map((p) => d.observe(p.ts, p.src, p.dst, p.unit, p.f, p.isRequest))
      .filter((x): x is PacketDetection => x !== null);
  };

  it('1,387 Write Single Coil requests from 10.235.149.240 (the client, port 49226 → 502): one low detection without a baseline, none when it is known', () => {
    const writes = pdus().filter((p) => p.isRequest && p.f === 5);
    expect(writes).toHaveLength(1387); // tshark's count
    const none = run({});
    expect(none.map((x) => [x.reason, x.severity, x.origH, x.respH])).toEqual([['Unauthorized Modbus Write', 'low', '10.235.149.240', '10.235.149.243']]);
    expect(run({ learningPeriod: 10 })).toEqual([]);
    expect(run({ knownWriters: ['10.235.149.240'] })).toEqual([]);
  });

  it('with a baseline that does not list it, the writer is reported (medium), once within the re-alert interval', () => {
    const got = run({ knownWriters: ['10.0.0.1'] });
    expect(got.map((x) => x.severity)).toEqual(['medium']);
  });
});
