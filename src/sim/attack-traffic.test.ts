import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeMs, type FlowEventInput } from '../core/events.js';
import { createRng } from '../core/rng.js';
import type { Draft } from './_draft.js';
import { attackFlows } from './attack-traffic.js';
import { WEB_SERVERS } from './network-traffic.js';
import type { ScenarioKind, ScheduledInstance } from './scenarios.js';
import { simulate } from './simulator.js';
import { isSuspiciousPort, SUSPICIOUS_PORTS } from './suspicious-ports.js';

const START = Date.UTC(2025, 4, 1);
type Flow = FlowEventInput & { id: string };

function instance(kind: ScenarioKind, startMs: number, endMs: number, ordinal = 0): ScheduledInstance {
  return { index: 0, id: `${kind}-${ordinal + 1}`, kind, ordinal, entity: 'ip:203.0.113.7', start_ms: startMs, end_ms: endMs, target: -1, address: '203.0.113.7' };
}

function flowsOf(kind: ScenarioKind, seed: number, startMs = START, endMs = START + 5000, ordinal = 0): Flow[] {
  const out: Draft[] = [];
  attackFlows(instance(kind, startMs, endMs, ordinal), createRng(seed), out);
  expect(out.every((d) => d.instance === 0 && d.tsMs === eventTimeMs(d.event) && d.tsMs >= startMs && d.tsMs <= endMs)).toBe(true);
  expect(out.some((d) => d.tsMs === startMs)).toBe(true);
  return out.map((d) => d.event as Flow);
}

describe('attack flows', () => {
  it('port_scan: one source port, 30–100 distinct ports ≤ 1024 on one server, REJ/S0, no payload', () => {
    for (const seed of [1, 2, 3, 4]) {
      const f = flowsOf('port_scan', seed);
      expect(f.length).toBeGreaterThanOrEqual(30);
      expect(f.length).toBeLessThanOrEqual(100);
      expect(new Set(f.map((x) => x.resp_p)).size).toBe(f.length);
      expect(new Set(f.map((x) => x.resp_h)).size).toBe(1);
      expect(new Set(f.map((x) => x.orig_p)).size).toBe(1);
      expect(WEB_SERVERS).toContain(f[0].resp_h);
      expect(f.every((x) => x.resp_p >= 1 && x.resp_p <= 1024 && !isSuspiciousPort(x.resp_p))).toBe(true);
      expect(f.every((x) => (x.conn_state === 'REJ' || x.conn_state === 'S0') && x.orig_bytes === 0 && x.orig_pkts === 1)).toBe(true);
      expect(f.every((x) => x.orig_h === '203.0.113.7')).toBe(true);
    }
  });

  it('dos_burst: 200–600 flows to one service (port 80 of one server)', () => {
    for (const seed of [1, 2, 3]) {
      const f = flowsOf('dos_burst', seed, START, START + 3000);
      expect(f.length).toBeGreaterThanOrEqual(200);
      expect(f.length).toBeLessThanOrEqual(600);
      expect(new Set(f.map((x) => `${x.resp_h}:${x.resp_p}`))).toEqual(new Set([`${f[0].resp_h}:80`]));
      expect(f.every((x) => (x.orig_bytes as number) <= 200)).toBe(true);
    }
  });

  it('suspicious_port: 3–6 flows to the suspicious port picked by the ordinal', () => {
    SUSPICIOUS_PORTS.forEach((port, ordinal) => {
      const f = flowsOf('suspicious_port', ordinal + 10, START, START + 8000, ordinal);
      expect(f.length).toBeGreaterThanOrEqual(3);
      expect(f.length).toBeLessThanOrEqual(6);
      expect(f.every((x) => x.resp_p === port)).toBe(true);
    });
  });

  it('large_transfer: 2–4 uploads of 200 MB–2 GB, packets consistent with the bytes, minutes long', () => {
    for (const seed of [1, 2, 3]) {
      const f = flowsOf('large_transfer', seed, START, START + 10_000);
      expect(f.length).toBeGreaterThanOrEqual(2);
      expect(f.length).toBeLessThanOrEqual(4);
      for (const x of f) {
        expect(x.orig_bytes).toBeGreaterThanOrEqual(2e8);
        expect(x.orig_bytes).toBeLessThanOrEqual(2e9);
        expect(x.orig_pkts).toBe(Math.ceil((x.orig_bytes as number) / 1448));
        expect(x.duration).toBeGreaterThanOrEqual(60);
        expect((x.resp_bytes as number) * 1000).toBeLessThan(x.orig_bytes as number);
      }
    }
  });

  it('slow_and_low (property): REJ to a new port every 5–10 s over the whole window, < 15 distinct ports in any 60 s, no suspicious port', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 30_000, max: 600_000 }), (seed, lengthMs) => {
        const f = flowsOf('slow_and_low', seed, START, START + lengthMs);
        const times = f.map(eventTimeMs);
        if (new Set(f.map((x) => x.resp_p)).size !== f.length) return false;
        if (f.some((x) => isSuspiciousPort(x.resp_p) || x.conn_state !== 'REJ' || x.orig_bytes !== 0)) return false;
        for (let i = 1; i < times.length; i++) if (times[i] - times[i - 1] < 5000 || times[i] - times[i - 1] > 10_000) return false;
        if (START + lengthMs - times[times.length - 1] > 10_000) return false;
        // any closed 60 s window [a, a + 60 s]: the worst case starts at an event
        for (let i = 0; i < times.length; i++) {
          const ports = new Set<number>();
          for (let j = i; j < times.length && times[j] <= times[i] + 60_000; j++) ports.add(f[j].resp_p);
          if (ports.size > 14) return false;
        }
        return true;
      }),
      { numRuns: 100 },
    );
  });
});

describe('network scenarios in a full run', () => {
  const r = simulate({ seed: 3, startMs: START, durationS: 120, robots: 0, sensors: 0, flowsPerSecond: 20 });
  const byId = new Map(r.events.map((e) => [e.id, e as Flow]));
  const flows = (kind: ScenarioKind) => r.truth.scenarios.filter((s) => s.kind === kind).map((s) => ({ s, f: s.event_ids.map((id) => byId.get(id) as Flow) }));

  it('gives every instance its own attacker: external ones from RFC 5737 blocks, exfiltration from 192.168.250.0/23', () => {
    const net = r.truth.scenarios.filter((s) => s.entity.startsWith('ip:'));
    expect(new Set(net.map((s) => s.entity)).size).toBe(net.length);
    for (const s of net) {
      const ip = s.entity.slice(3);
      if (s.kind === 'large_transfer') expect(ip).toMatch(/^192\.168\.25[01]\./);
      else expect(ip).toMatch(/^(203\.0\.113|198\.51\.100)\./);
    }
  });

  it('packs port scans and bursts into seconds', () => {
    for (const { s, f } of flows('port_scan')) {
      expect(s.end_ms - s.start_ms).toBeLessThanOrEqual(8000);
      expect(new Set(f.map((x) => x.resp_p)).size).toBeGreaterThanOrEqual(30);
    }
    for (const { s, f } of flows('dos_burst')) {
      expect(s.end_ms - s.start_ms).toBeLessThanOrEqual(5000);
      expect(f.length).toBeGreaterThanOrEqual(200);
    }
  });

  it('runs slow-and-low probes for at least 60 s', () => {
    for (const { s, f } of flows('slow_and_low')) {
      expect(s.end_ms - s.start_ms).toBeGreaterThanOrEqual(60_000);
      expect(f.length).toBeGreaterThanOrEqual(6);
    }
  });
});
