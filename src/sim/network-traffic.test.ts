import { describe, expect, it } from 'vitest';
import { eventTimeMs, type FlowEventInput } from '../core/events.js';
import { APP_SERVERS, DNS_SERVERS, WEB_SERVERS } from './network-traffic.js';
import { simulate } from './simulator.js';
import { isSuspiciousPort } from './suspicious-ports.js';

const START = Date.UTC(2025, 3, 1);
type Flow = FlowEventInput & { id: string };

describe('NormalTraffic (through simulate)', () => {
  const flows = simulate({ seed: 21, startMs: START, durationS: 60, robots: 0, sensors: 0, flowsPerSecond: 200, scenarios: [] }).events as Flow[];

  it('emits the configured rate, uniformly over time', () => {
    expect(flows.length).toBe(200 * 60);
    const perSecond = new Array<number>(60).fill(0);
    for (const f of flows) perSecond[Math.floor((eventTimeMs(f) - START) / 1000)]++;
    expect(perSecond.every((n) => n === 200)).toBe(true);
  });

  it('comes from many clients in 192.168.0.0–192.168.249.255, each sending few flows', () => {
    const per = new Map<string, number>();
    for (const f of flows) {
      const [a, b, c, d] = f.orig_h.split('.').map(Number);
      expect(a === 192 && b === 168 && c <= 249 && d >= 1 && d <= 254).toBe(true);
      per.set(f.orig_h, (per.get(f.orig_h) ?? 0) + 1);
    }
    expect(per.size).toBeGreaterThan(10_000);
    expect(Math.max(...per.values())).toBeLessThanOrEqual(5);
  });

  it('goes to the servers on their service ports, never to a suspicious port, mostly SF', () => {
    const servers = new Set([...WEB_SERVERS, ...DNS_SERVERS, ...APP_SERVERS]);
    const bad = flows.filter((f) => !servers.has(f.resp_h) || isSuspiciousPort(f.resp_p) || f.orig_p < 32768 || f.orig_p > 60999);
    expect(bad).toEqual([]);
    const share = (p: (f: Flow) => boolean) => flows.filter(p).length / flows.length;
    expect(share((f) => f.conn_state === 'SF')).toBeGreaterThan(0.93);
    expect(share((f) => f.service === 'ssl')).toBeCloseTo(0.45, 1);
    expect(share((f) => f.service === 'dns')).toBeCloseTo(0.25, 1);
    expect(flows.filter((f) => f.service === 'dns').every((f) => f.proto === 'udp' && f.resp_p === 53)).toBe(true);
    expect(flows.filter((f) => f.service === 'ssl').every((f) => f.proto === 'tcp' && f.resp_p === 443)).toBe(true);
    expect(flows.filter((f) => f.service === undefined).every((f) => f.resp_p >= 1024 && APP_SERVERS.includes(f.resp_h))).toBe(true);
  });

  it('has plausible sizes: small requests, packets consistent with bytes, short durations', () => {
    const sf = flows.filter((f) => f.conn_state === 'SF');
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    expect(median(sf.map((f) => f.orig_bytes as number))).toBeGreaterThan(30);
    expect(median(sf.map((f) => f.orig_bytes as number))).toBeLessThan(3000);
    expect(median(sf.map((f) => f.duration as number))).toBeLessThan(1);
    const bad = sf.filter((f) => (f.orig_pkts as number) < Math.ceil((f.orig_bytes as number) / 1448) || (f.orig_bytes as number) > 5e7);
    expect(bad).toEqual([]);
    const rej = flows.filter((f) => f.conn_state === 'REJ');
    expect(rej.every((f) => f.orig_bytes === 0 && f.resp_pkts === 1)).toBe(true);
  });
});
