/**
 * Destination ports whose use by an IoT or robot-fleet device is suspicious on its own, and parsing of operator
 * port lists (`--suspicious-ports 23,2323,6660-6669`).
 *
 * The defaults are the ports of the robot-fleet design we replace, each a well-known attack or remote-control
 * channel. Port assignments: IANA Service Name and Transport Protocol Port Number Registry; malware defaults
 * as cited per entry.
 */

/** Default suspicious responder ports, ascending. */
export const DEFAULT_SUSPICIOUS_PORTS: readonly number[] = Object.freeze([
  23, // telnet (IANA): cleartext remote shell, the first thing IoT botnets try
  2323, // telnet alternate port, scanned and brute-forced by Mirai (Antonakakis et al., USENIX Security 2017)
  3389, // RDP, ms-wbt-server (IANA): remote desktop, a common ransomware entry point
  4444, // Metasploit's default reverse-shell (LPORT) port
  5900, // VNC, rfb (IANA, RFC 6143): remote framebuffer control
  6667, // IRC (IANA ircu): classic botnet command-and-control channel
  31337, // Back Orifice's default port ("eleet")
]);

/**
 * Parses a comma-separated port list: single ports (`23`) and inclusive ranges (`6660-6669`), whitespace around
 * tokens ignored. Returns the distinct ports in order of first appearance (ranges expanded ascending). Empty or
 * whitespace-only text is the empty list.
 *
 * @throws RangeError naming the bad token when a token is empty (`23,,24`, a trailing comma), not a decimal
 *   integer, outside [0, 65535], or a range whose start exceeds its end.
 */
export function parsePortList(text: string): number[] {
  if (text.trim() === '') return [];
  const out: number[] = [];
  const seen = new Set<number>();
  const add = (p: number): void => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const raw of text.split(',')) {
    const token = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(token);
    if (m === null) throw new RangeError(`port list: bad token "${token}" (expected a port 0-65535 or a range like 6660-6669)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65_535 || hi > 65_535) throw new RangeError(`port list: bad token "${token}" (ports are 0-65535)`);
    if (lo > hi) throw new RangeError(`port list: bad token "${token}" (range start exceeds its end)`);
    for (let p = lo; p <= hi; p++) add(p);
  }
  return out;
}

/**
 * The distinct elements of `ports` that are in `set`, in order of first appearance. O(ports × hits).
 */
export function suspiciousPortHits(ports: readonly number[], set: ReadonlySet<number>): number[] {
  const hits: number[] = [];
  for (const p of ports) {
    if (set.has(p) && !hits.includes(p)) hits.push(p);
  }
  return hits;
}
