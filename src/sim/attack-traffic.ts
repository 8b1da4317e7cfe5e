/**
 * Flows of the network attack scenarios. Each scheduled instance has one attacker address (`address`) and a
 * window [start_ms, end_ms]; its first flow is at start_ms and every flow lies inside the window.
 *
 * - `port_scan`: a TCP SYN scan (nmap `-sS` style: one source port, randomised port order) of 30–100 distinct
 *   ports of 1–1024 (suspicious ports left out) on one web server; `conn_state` REJ (closed port, 70 %) or S0
 *   (filtered); no payload, one packet each way at most.
 * - `dos_burst`: 200–600 connections to one web server's port 80 within the window (2–5 s), new source port
 *   each; 60 % S0 (SYN flood), 40 % tiny complete HTTP requests.
 * - `suspicious_port`: 3–6 connections to one port of `SUSPICIOUS_PORTS` (the instance's ordinal picks which,
 *   so that every port occurs) on one web server; S0, REJ or short SF login attempts.
 * - `large_transfer`: 2–4 exfiltration-like uploads from an internal host (192.168.250.0/23) to an external
 *   address (192.0.2.0/24): 200 MB–2 GB `orig_bytes`, ⌈bytes/1448⌉ `orig_pkts`, 60–600 s long, tcp/443 ssl, SF.
 * - `slow_and_low`: one REJ connection to a new port (1–65535, distinct within the instance, no suspicious
 *   port) every 5–10 s from start_ms to end_ms: at most 13 ports in any 60 s, so a per-event scan threshold of
 *   15 distinct ports per 60 s is never reached; only the recurrence of the source gives it away.
 *
 * Memory: the flows of the instances under way (at most 600 per instance).
 */
import type { Rng } from '../core/rng.js';
import { intBetween, uniform, type Draft, type DraftSource } from './_draft.js';
import { ephemeralPort, flowEvent, MSS_BYTES, WEB_SERVERS } from './network-traffic.js';
import type { ScheduledInstance } from './scenarios.js';
import { isSuspiciousPort, SUSPICIOUS_PORTS } from './suspicious-ports.js';

/** Interval between two slow-and-low probes, ms (inclusive bounds). */
export const SLOW_AND_LOW_INTERVAL_MS = { min: 5000, max: 10_000 } as const;

const FLOW_KINDS = new Set(['port_scan', 'dos_burst', 'suspicious_port', 'large_transfer', 'slow_and_low']);

/** The attack flows as a {@link DraftSource}: an instance's flows are generated when the slice reaches its start. */
export class AttackTraffic implements DraftSource {
  private readonly instances: ScheduledInstance[];
  private next = 0;
  private pending: Draft[] = [];

  constructor(
    private readonly rng: Rng,
    instances: readonly ScheduledInstance[],
  ) {
    this.instances = instances.filter((s) => FLOW_KINDS.has(s.kind) && s.address !== null).sort((a, b) => a.start_ms - b.start_ms);
  }

  emit(untilMs: number, out: Draft[]): void {
    while (this.next < this.instances.length && this.instances[this.next].start_ms < untilMs) {
      attackFlows(this.instances[this.next++], this.rng, this.pending);
    }
    if (this.pending.length === 0) return;
    const keep: Draft[] = [];
    for (const d of this.pending) (d.tsMs < untilMs ? out : keep).push(d);
    this.pending = keep;
  }
}

/** Appends the flows of one network attack instance to `out` (any order). */
export function attackFlows(s: ScheduledInstance, rng: Rng, out: Draft[]): void {
  const orig_h = s.address as string;
  const span = s.end_ms - s.start_ms;
  const at = (i: number): number => (i === 0 ? s.start_ms : s.start_ms + rng.int(span + 1));
  const push = (t: number, f: Parameters<typeof flowEvent>[1]): void => {
    out.push({ tsMs: t, instance: s.index, event: flowEvent(t, f) });
  };
  const server = WEB_SERVERS[rng.int(WEB_SERVERS.length)];
  switch (s.kind) {
    case 'port_scan': {
      const n = intBetween(rng, 30, 100);
      const ports = distinctPorts(rng, n, 1, 1024);
      const orig_p = ephemeralPort(rng);
      for (let i = 0; i < n; i++) {
        const rej = rng.next() < 0.7;
        push(
          at(i),
          {
            orig_h,
            orig_p,
            resp_h: server,
            resp_p: ports[i],
            proto: 'tcp',
            duration: rej ? Math.exp(-7 + 0.5 * rng.normal()) : 0,
            orig_bytes: 0,
            resp_bytes: 0,
            orig_pkts: 1,
            resp_pkts: rej ? 1 : 0,
            conn_state: rej ? 'REJ' : 'S0',
          },
        );
      }
      break;
    }
    case 'dos_burst': {
      const n = intBetween(rng, 200, 600);
      for (let i = 0; i < n; i++) {
        const syn = rng.next() < 0.6;
        const ob = syn ? 0 : intBetween(rng, 60, 200);
        const rb = syn ? 0 : intBetween(rng, 200, 1000);
        push(
          at(i),
          {
            orig_h,
            orig_p: ephemeralPort(rng),
            resp_h: server,
            resp_p: 80,
            proto: 'tcp',
            service: 'http',
            duration: syn ? 0 : Math.exp(-5 + 0.5 * rng.normal()),
            orig_bytes: ob,
            resp_bytes: rb,
            orig_pkts: syn ? 1 : 3 + rng.int(3),
            resp_pkts: syn ? 0 : 2 + rng.int(3),
            conn_state: syn ? 'S0' : 'SF',
          },
        );
      }
      break;
    }
    case 'suspicious_port': {
      const port = SUSPICIOUS_PORTS[s.ordinal % SUSPICIOUS_PORTS.length];
      const n = intBetween(rng, 3, 6);
      for (let i = 0; i < n; i++) {
        const u = rng.next();
        const state = u < 0.4 ? 'S0' : u < 0.6 ? 'REJ' : 'SF';
        const ob = state === 'SF' ? intBetween(rng, 20, 200) : 0;
        const rb = state === 'SF' ? intBetween(rng, 20, 400) : 0;
        push(
          at(i),
          {
            orig_h,
            orig_p: ephemeralPort(rng),
            resp_h: server,
            resp_p: port,
            proto: 'tcp',
            duration: state === 'SF' ? uniform(rng, 0.5, 5) : 0,
            orig_bytes: ob,
            resp_bytes: rb,
            orig_pkts: state === 'SF' ? 3 + Math.ceil(ob / MSS_BYTES) + rng.int(4) : 1,
            resp_pkts: state === 'S0' ? 0 : state === 'REJ' ? 1 : 2 + Math.ceil(rb / MSS_BYTES) + rng.int(4),
            conn_state: state,
          },
        );
      }
      break;
    }
    case 'large_transfer': {
      const n = intBetween(rng, 2, 4);
      const sink = `192.0.2.${1 + rng.int(254)}`;
      for (let i = 0; i < n; i++) {
        const ob = Math.round(uniform(rng, 2e8, 2e9));
        const op = Math.ceil(ob / MSS_BYTES);
        push(
          at(i),
          {
            orig_h,
            orig_p: ephemeralPort(rng),
            resp_h: sink,
            resp_p: 443,
            proto: 'tcp',
            service: 'ssl',
            duration: uniform(rng, 60, 600),
            orig_bytes: ob,
            resp_bytes: intBetween(rng, 2000, 20_000),
            orig_pkts: op,
            resp_pkts: Math.ceil(op / 2),
            conn_state: 'SF',
          },
        );
      }
      break;
    }
    case 'slow_and_low': {
      const used = new Set<number>();
      const orig_p = ephemeralPort(rng);
      for (let t = s.start_ms; t <= s.end_ms; t += intBetween(rng, SLOW_AND_LOW_INTERVAL_MS.min, SLOW_AND_LOW_INTERVAL_MS.max)) {
        let port: number;
        do port = 1 + rng.int(65535);
        while (used.has(port) || isSuspiciousPort(port));
        used.add(port);
        push(
          t,
          {
            orig_h,
            orig_p,
            resp_h: server,
            resp_p: port,
            proto: 'tcp',
            duration: Math.exp(-7 + 0.5 * rng.normal()),
            orig_bytes: 0,
            resp_bytes: 0,
            orig_pkts: 1,
            resp_pkts: 1,
            conn_state: 'REJ',
          },
        );
      }
      break;
    }
    default:
      return;
  }
}

/** `n` distinct ports of [lo, hi] without suspicious ports, in random order (partial Fisher–Yates). */
function distinctPorts(rng: Rng, n: number, lo: number, hi: number): number[] {
  const all: number[] = [];
  for (let p = lo; p <= hi; p++) if (!isSuspiciousPort(p)) all.push(p);
  const k = Math.min(n, all.length);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(all.length - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, k);
}
