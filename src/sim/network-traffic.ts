/**
 * Simulated normal network traffic: `flow` events (Zeek conn.log fields) at a fixed mean rate from many
 * clients in 192.168.0.0/16 to a few servers. Each flow picks its client uniformly from 192.168.0.0–
 * 192.168.249.255 (hosts .1–.254), about 63,500 addresses, so any one client sends few flows (at 200 flows/s a
 * client sends about one flow per 5 minutes). 192.168.250.0/23 and up are left to the attack scenarios.
 *
 * Service mix (Zeek `service`): ssl 45 % (tcp/443), http 20 % (tcp/80 or 8080), dns 25 % (udp/53),
 * unidentified 10 % (tcp to a random port 1024–65535 on an application server; no `service` field, as Zeek's
 * JSON logs leave unset fields out). Sizes are log-normal around typical web and DNS exchanges; packets are
 * ⌈bytes / 1448⌉ plus the handshake packets. `conn_state` is SF for about 96 % of TCP flows (S0 1.5 %, RSTO
 * 1.5 %, REJ 0.5 %, S1 0.5 %) and 97 % of DNS (S0 otherwise). No normal flow uses a suspicious port.
 *
 * Memory: O(1) per slice beyond the emitted flows.
 */
import type { FlowEventInput } from '../core/events.js';
import type { Rng } from '../core/rng.js';
import { intBetween, NORMAL, uniform, type Draft, type DraftSource } from './_draft.js';
import { isSuspiciousPort } from './suspicious-ports.js';

/** Web servers (attack targets too): 10.0.0.10–10.0.0.17. */
export const WEB_SERVERS: readonly string[] = Array.from({ length: 8 }, (_, i) => `10.0.0.${10 + i}`);
/** DNS resolvers. */
export const DNS_SERVERS: readonly string[] = ['10.0.0.53', '10.0.0.54'];
/** Application servers taking unidentified TCP on high ports. */
export const APP_SERVERS: readonly string[] = ['10.0.1.10', '10.0.1.11', '10.0.1.12', '10.0.1.13'];
/** Site of flow events. */
export const FLOW_SITE = 'site-a';
/** Maximum-segment-size payload used to derive packet counts, bytes (Ethernet MTU 1500 − IP/TCP headers with timestamps). */
export const MSS_BYTES = 1448;

/** Draws an ephemeral source port (Linux default range 32768–60999). */
export function ephemeralPort(rng: Rng): number {
  return intBetween(rng, 32768, 60999);
}

/** Log-normal integer: round(exp(μ + σ·N(0,1))). */
function logNormal(rng: Rng, mu: number, sigma: number): number {
  return Math.round(Math.exp(mu + sigma * rng.normal()));
}

/** A flow event with Zeek field names: `ts` = `tsMs` / 1000, `duration` rounded to µs (Zeek's resolution), `id` empty. */
export function flowEvent(tsMs: number, f: Omit<FlowEventInput, 'type' | 'ts' | 'id' | 'site'>): FlowEventInput & { id: string } {
  const e: FlowEventInput & { id: string } = { type: 'flow', id: '', site: FLOW_SITE, ts: tsMs / 1000, ...f };
  if (e.duration !== undefined) e.duration = Math.round(e.duration * 1e6) / 1e6;
  return e;
}

/**
 * Normal flows as a {@link DraftSource}: ⌊rate · elapsed⌋ flows by any time (a fractional rate accumulates),
 * each at a uniform time inside the slice requested by `emit`.
 */
export class NormalTraffic implements DraftSource {
  private emitted = 0;
  private lastUntil: number;
  private readonly rate: number;

  /** @param flowsPerSecond mean rate (≥ 0) */
  constructor(
    private readonly startMs: number,
    flowsPerSecond: number,
    private readonly rng: Rng,
  ) {
    this.rate = flowsPerSecond / 1000;
    this.lastUntil = startMs;
  }

  emit(untilMs: number, out: Draft[]): void {
    const due = Math.floor((untilMs - this.startMs) * this.rate);
    const n = due - this.emitted;
    const from = this.lastUntil;
    this.lastUntil = Math.max(this.lastUntil, untilMs);
    if (n <= 0 || untilMs <= from) return;
    for (let i = 0; i < n; i++) {
      const t = from + this.rng.int(untilMs - from);
      out.push({ tsMs: t, instance: NORMAL, event: this.flow(t) });
    }
    this.emitted = due;
  }

  private flow(t: number): Draft['event'] {
    const rng = this.rng;
    const orig_h = `192.168.${rng.int(250)}.${1 + rng.int(254)}`;
    const orig_p = ephemeralPort(rng);
    const u = rng.next();
    if (u < 0.25) {
      // DNS query and answer.
      const ok = rng.next() < 0.97;
      return flowEvent(t, {
        orig_h,
        orig_p,
        resp_h: DNS_SERVERS[rng.int(DNS_SERVERS.length)],
        resp_p: 53,
        proto: 'udp',
        service: 'dns',
        duration: ok ? Math.exp(-4 + 0.5 * rng.normal()) : 0,
        orig_bytes: intBetween(rng, 28, 64),
        resp_bytes: ok ? intBetween(rng, 60, 300) : 0,
        orig_pkts: 1,
        resp_pkts: ok ? 1 : 0,
        conn_state: ok ? 'SF' : 'S0',
      });
    }
    let resp_h: string;
    let resp_p: number;
    let service: string | undefined;
    let mu = 7;
    let muResp = 9;
    if (u < 0.7) {
      resp_h = WEB_SERVERS[rng.int(WEB_SERVERS.length)];
      resp_p = 443;
      service = 'ssl';
    } else if (u < 0.9) {
      resp_h = WEB_SERVERS[rng.int(WEB_SERVERS.length)];
      resp_p = rng.next() < 0.8 ? 80 : 8080;
      service = 'http';
      mu = 6;
      muResp = 8.5;
    } else {
      resp_h = APP_SERVERS[rng.int(APP_SERVERS.length)];
      do resp_p = intBetween(rng, 1024, 65535);
      while (isSuspiciousPort(resp_p));
      service = undefined;
      mu = 5.5;
      muResp = 6;
    }
    const s = rng.next();
    const conn_state = s < 0.96 ? 'SF' : s < 0.975 ? 'S0' : s < 0.99 ? 'RSTO' : s < 0.995 ? 'REJ' : 'S1';
    let orig_bytes = 0;
    let resp_bytes = 0;
    let orig_pkts = 1;
    let resp_pkts = 0;
    let duration = 0;
    if (conn_state === 'REJ') {
      resp_pkts = 1;
      duration = Math.exp(-7 + 0.5 * rng.normal());
    } else if (conn_state === 'S0') {
      orig_pkts = intBetween(rng, 1, 3);
      duration = orig_pkts === 1 ? 0 : uniform(rng, 1, 3);
    } else {
      orig_bytes = Math.max(1, logNormal(rng, mu, 1));
      resp_bytes = conn_state === 'S1' ? 0 : Math.max(1, logNormal(rng, muResp, 1.2));
      orig_pkts = Math.ceil(orig_bytes / MSS_BYTES) + intBetween(rng, 2, 4);
      resp_pkts = Math.ceil(resp_bytes / MSS_BYTES) + intBetween(rng, 1, 3);
      duration = Math.exp(-2 + rng.normal());
    }
    const f = flowEvent(t, { orig_h, orig_p, resp_h, resp_p, proto: 'tcp', duration, orig_bytes, resp_bytes, orig_pkts, resp_pkts, conn_state });
    if (service !== undefined) f.service = service;
    return f;
  }
}
