/**
 * ARP cache poisoning (spoofing) from the ARP packets seen on the segment (RFC 826 fields: opcode, sender
 * hardware and protocol address, target protocol address).
 *
 * Evidence, as arpwatch ("changed ethernet address", "flip flop") and Ettercap's and arpspoof's known behaviour
 * suggest, each with the false positives it must survive:
 *
 * 1. Binding change: an IP's MAC changes while the old binding is still fresh (the old MAC was seen for that IP
 *    within `freshness`, default 300 s). A stale binding that changes is address reuse (DHCP gave the IP to
 *    another host) and is not reported. A change announced by a gratuitous ARP (sender IP = target IP, RFC 5227
 *    §3 announcements; VRRP/HSRP failover, a NIC swap) is only `low`.
 * 2. Flip-flop: the IP goes back to the MAC it had before within `flipWindow` (default 300 s): two MACs are
 *    fighting over the address, the signature of poisoning against a host that keeps answering.
 * 3. Unsolicited reply: an ARP reply claiming an IP that the reply's target never asked for within
 *    `solicitWindow` (default 5 s; RFC 1122 §2.3.2.1 retransmits about once a second). arpspoof and Ettercap poison
 *    with replies; hosts answer only requests. Gratuitous replies (sender IP = target IP) are announcements and
 *    not counted here. A sensor that misses the request (an asymmetric tap) can see benign ones: `low` alone.
 * 4. Owner lookup: a MAC that claimed IP X asks "who has X?" from another of its IPs. A legitimate host never
 *    resolves its own address from another one (duplicate-address probes use sender 0.0.0.0, RFC 5227 §2.1.1, and
 *    are ignored); a man in the middle must, to forward what it intercepts to X's real owner.
 * 5. One MAC claiming many IPs (≥ `manyIps`, default 8, within `freshness`): `low` (routers doing proxy ARP do it).
 *
 * | severity | evidence                                                                                     |
 * | -------- | -------------------------------------------------------------------------------------------- |
 * | high     | owner lookup (4); fresh binding change by an unsolicited reply or a flip-flop (1 + 3, 1 + 2); |
 * |          | any non-gratuitous change of a protected IP (`protectedIps`: gateways, servers)              |
 * | medium   | fresh binding change by a request or a solicited reply; gratuitous change of a protected IP   |
 * | low      | fresh binding change by a gratuitous ARP; unsolicited reply without a change; many IPs (5)    |
 *
 * On arppoison.pcapng (MAC 00:25:b3:bf:91:ee claims 172.16.0.1 with a unicast request and an unsolicited reply to
 * 172.16.0.107, then asks for 172.16.0.1 from 172.16.0.105) this gives `low` for the reply and `high` for the owner
 * lookup.
 *
 * The detection's `origH` is the suspect MAC's own IP when it has used one that nobody contests, else the
 * contested IP; `respH` is the contested IP; `mac` the suspect MAC (for a flip-flop: the MAC that took the
 * address over, not the one getting it back). De-duplication per (suspect MAC, contested IP).
 *
 * Memory: bounded tables ({@link GenerationalCache}, approximate LRU, so random sender addresses cannot make
 * eviction expensive) of bindings by IP (default 65,536), MAC states (65,536, each at most 16 IPs) and recent
 * requests by (requester IP, asked IP) (65,536): about 25 MiB in the worst case. ARP packets are rare (a few per
 * host per minute), so a call allocates its key strings freely. Cost O(1) (O(16) for the MAC's IPs).
 */
import type { Severity } from '../core/records.js';
import { techniquesFor } from './attack-mapping.js';
import { ALERT_GATE_DEFAULTS, AlertGate, type AlertGateOptions, GenerationalCache, isFiniteNumber, type PacketDetection, SEVERITY_RANK } from './packet-detection.js';

/** ARP opcodes (RFC 826; IANA "ARP Parameters" operation codes). */
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;

/** Options of {@link ArpSpoofDetector} (times in seconds of event time). */
export interface ArpSpoofOptions extends AlertGateOptions {
  /** A binding seen within this is fresh (> 0; default 300). */
  readonly freshness: number;
  /** A reply is solicited when its target asked for the sender IP within this (> 0; default 5). */
  readonly solicitWindow: number;
  /** A change back to the previous MAC within this is a flip-flop (> 0; default 300). */
  readonly flipWindow: number;
  /** Distinct IPs one MAC claims within `freshness` for the "many IPs" evidence (2..16; default 8). */
  readonly manyIps: number;
  /** IPs whose binding must not change (gateways, servers): see the severity table. Default none. */
  readonly protectedIps: Iterable<string>;
  /** Largest number of IP bindings, MAC states and remembered requests, each (default 65,536). */
  readonly maxEntries: number;
}

/** Defaults (module comment). */
export const ARP_SPOOF_DEFAULTS: Readonly<ArpSpoofOptions> = Object.freeze({
  ...ALERT_GATE_DEFAULTS,
  freshness: 300,
  solicitWindow: 5,
  flipWindow: 300,
  manyIps: 8,
  protectedIps: Object.freeze([]) as readonly string[],
  maxEntries: 65_536,
});

const MAX_IPS_PER_MAC = 16;

interface Binding {
  mac: string;
  lastSeen: number;
  /** MAC before the last change ('' when none). */
  prevMac: string;
  lastChange: number;
  /** Number of changes seen. */
  changes: number;
}

/** A candidate detection before the gate. */
interface Finding {
  severity: Severity;
  suspect: string;
  contested: string;
  detail: string;
  /** The suspect's own IP when the evidence itself shows it (owner lookup). */
  ownIp?: string;
}

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

/** True for a well-formed unicast MAC (`aa:bb:cc:dd:ee:ff`, lower case) that is not all zeros: a valid sender. */
function isUnicastMac(mac: string): boolean {
  // I/G bit (IEEE 802 §8.2): the least significant bit of the first octet is 1 for group addresses.
  return MAC_RE.test(mac) && (parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== '00:00:00:00:00:00';
}

/**
 * ARP spoofing detector (module comment: evidence, severity table, memory). Call {@link observeArp} for every ARP
 * packet (Ethernet type 0x0806, IPv4 over Ethernet).
 */
export class ArpSpoofDetector {
  readonly #o: ArpSpoofOptions;
  readonly #protected: ReadonlySet<string>;
  readonly #bindings: GenerationalCache<string, Binding>;
  readonly #macs: GenerationalCache<string, Map<string, number>>;
  readonly #requests: GenerationalCache<string, number>;
  readonly #gate: AlertGate;

  /** @throws RangeError on an invalid option. */
  constructor(options: Partial<ArpSpoofOptions> = {}) {
    const o: ArpSpoofOptions = { ...ARP_SPOOF_DEFAULTS, ...options };
    for (const k of ['freshness', 'solicitWindow', 'flipWindow'] as const) {
      if (!(o[k] > 0) || !Number.isFinite(o[k])) throw new RangeError(`${k} must be a positive finite number of seconds, got ${o[k]}`);
    }
    if (!Number.isInteger(o.manyIps) || o.manyIps < 2 || o.manyIps > MAX_IPS_PER_MAC) throw new RangeError(`manyIps must be an integer in 2..${MAX_IPS_PER_MAC}, got ${o.manyIps}`);
    this.#o = o;
    this.#protected = new Set(o.protectedIps);
    this.#bindings = new GenerationalCache(o.maxEntries);
    this.#macs = new GenerationalCache(o.maxEntries);
    this.#requests = new GenerationalCache(o.maxEntries);
    this.#gate = new AlertGate(o);
  }

  /** Entries held per table (each ≤ `maxEntries`). */
  get sizes(): { bindings: number; macs: number; requests: number; alertKeys: number } {
    return { bindings: this.#bindings.size, macs: this.#macs.size, requests: this.#requests.size, alertKeys: this.#gate.size };
  }

  /** The MAC currently bound to `ip` (for tests and the sensor's diagnostics), or undefined. */
  macOf(ip: string): string | undefined {
    return this.#bindings.peek(ip)?.mac;
  }

  /**
   * One ARP packet. Returns an ARP Spoofing detection for the strongest evidence it adds (gate permitting), else
   * null. Ignored (null): non-finite `ts`, opcodes other than request (1) and reply (2), a sender MAC that is not
   * a unicast `aa:bb:cc:dd:ee:ff` (case-insensitive), sender IP `0.0.0.0` or empty (RFC 5227 probes).
   * @param ts packet time, epoch seconds.
   * @param senderMac ARP sender hardware address.
   * @param senderIp ARP sender protocol address (dotted quad).
   * @param targetIp ARP target protocol address.
   */
  observeArp(ts: number, op: number, senderMac: string, senderIp: string, targetIp: string): PacketDetection | null {
    if (!isFiniteNumber(ts) || (op !== ARP_REQUEST && op !== ARP_REPLY)) return null;
    if (typeof senderMac !== 'string' || typeof senderIp !== 'string' || typeof targetIp !== 'string') return null;
    const mac = senderMac.toLowerCase();
    if (!isUnicastMac(mac) || senderIp === '' || senderIp === '0.0.0.0') return null;
    const o = this.#o;
    const gratuitous = senderIp === targetIp;
    let best: Finding | null = null;
    const consider = (f: Finding): void => {
      if (best === null || SEVERITY_RANK[f.severity] > SEVERITY_RANK[best.severity]) best = f;
    };

    // 4. Owner lookup: this MAC asks for an IP it holds itself, from another IP.
    if (op === ARP_REQUEST && !gratuitous) {
      this.#requests.set(`${senderIp}>${targetIp}`, ts);
      const tb = this.#bindings.peek(targetIp);
      if (tb !== undefined && tb.mac === mac && ts - tb.lastSeen <= o.freshness) {
        consider({
          severity: 'high',
          suspect: mac,
          contested: targetIp,
          ownIp: senderIp,
          detail: `${mac} claims ${targetIp} and asks who has ${targetIp} from ${senderIp}: a man in the middle looking up the real owner`,
        });
      }
    }

    // 3. Unsolicited reply.
    let unsolicited = false;
    if (op === ARP_REPLY && !gratuitous) {
      const asked = this.#requests.peek(`${targetIp}>${senderIp}`);
      unsolicited = asked === undefined || Math.abs(ts - asked) > o.solicitWindow;
    }

    // 1, 2. Binding of the sender IP.
    const b = this.#bindings.get(senderIp);
    let changed = false;
    if (b === undefined) {
      this.#bindings.set(senderIp, { mac, lastSeen: ts, prevMac: '', lastChange: -Infinity, changes: 0 });
    } else if (b.mac === mac) {
      if (ts > b.lastSeen) b.lastSeen = ts;
    } else {
      changed = true;
      const fresh = ts - b.lastSeen <= o.freshness;
      const isProtected = this.#protected.has(senderIp);
      const flip = b.prevMac === mac && ts - b.lastChange <= o.flipWindow;
      if (fresh || isProtected || flip) {
        let severity: Severity = flip || unsolicited ? 'high' : gratuitous ? 'low' : 'medium';
        if (isProtected && severity !== 'high') severity = gratuitous ? 'medium' : 'high';
        const how = flip ? 'flip-flop' : unsolicited ? 'unsolicited reply' : gratuitous ? 'gratuitous ARP' : op === ARP_REQUEST ? 'request' : 'reply';
        const age = Math.max(0, ts - b.lastSeen).toFixed(1);
        consider({
          severity,
          // In a flip-flop the address returns to its earlier MAC: the suspect is the one that took it over.
          suspect: flip ? b.mac : mac,
          contested: senderIp,
          detail: `${senderIp} moved from ${b.mac} (seen ${age} s before) to ${mac} by ${how}${isProtected ? ' (protected IP)' : ''}${b.changes > 0 ? `, change ${b.changes + 1}` : ''}`,
        });
      }
      b.prevMac = b.mac;
      b.mac = mac;
      b.lastSeen = ts;
      b.lastChange = ts;
      b.changes++;
    }
    if (unsolicited && !changed) {
      consider({ severity: 'low', suspect: mac, contested: senderIp, detail: `${mac} claims ${senderIp} in an unsolicited ARP reply to ${targetIp}` });
    }

    // 5. IPs claimed by this MAC.
    let ips = this.#macs.get(mac);
    if (ips === undefined) {
      ips = new Map();
      this.#macs.set(mac, ips);
    }
    ips.delete(senderIp);
    ips.set(senderIp, ts);
    if (ips.size > MAX_IPS_PER_MAC) ips.delete(ips.keys().next().value as string);
    let recent = 0;
    for (const seen of ips.values()) if (ts - seen <= o.freshness) recent++;
    if (recent >= o.manyIps) {
      consider({ severity: 'low', suspect: mac, contested: '*', detail: `${mac} claimed ${recent} IPs within ${o.freshness} s (proxy ARP, or poisoning many hosts)` });
    }

    const f = best as Finding | null;
    if (f === null || !this.#gate.admit(`ARP Spoofing|${f.suspect}|${f.contested}`, ts, f.severity)) return null;
    const origH = f.ownIp ?? this.#ownIp(f.suspect, f.contested) ?? (f.contested === '*' ? senderIp : f.contested);
    return {
      ts,
      reason: 'ARP Spoofing',
      severity: f.severity,
      origH,
      ...(f.contested === '*' ? {} : { respH: f.contested }),
      mac: f.suspect,
      detail: f.detail,
      techniques: techniquesFor('ARP Spoofing', { eventType: 'flow' }),
    };
  }

  /** An IP `mac` uses that is currently bound to it and never contested, other than `except`; newest first. */
  #ownIp(mac: string, except: string): string | undefined {
    const ips = this.#macs.peek(mac);
    if (ips === undefined) return undefined;
    let found: string | undefined;
    for (const ip of ips.keys()) {
      if (ip === except) continue;
      const b = this.#bindings.peek(ip);
      if (b !== undefined && b.mac === mac && b.changes === 0) found = ip;
    }
    return found;
  }
}
