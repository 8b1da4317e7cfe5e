/**
 * Destination ports whose use by an IoT device, robot or unknown host is suspicious on its own: remote shells,
 * remote desktops, backdoor and botnet command-and-control ports. The simulator's normal traffic never uses them;
 * its `suspicious_port`, `robot_suspicious_port` scenarios always do; its scans and slow-and-low probes avoid them
 * so that each scenario's alert reasons stay attributable to it.
 *
 * Sources: 23 telnet and 2323 (the ports Mirai brute-forces, Antonakakis et al., "Understanding the Mirai
 * Botnet", USENIX Security 2017), 3389 RDP, 4444 (Metasploit's default reverse-shell port), 5900 VNC, 6667 IRC
 * (classic botnet C2), 31337 (Back Orifice).
 */

/** The suspicious destination ports, ascending. */
export const SUSPICIOUS_PORTS: readonly number[] = [23, 2323, 3389, 4444, 5900, 6667, 31337];

const SET = new Set(SUSPICIOUS_PORTS);

/** True when `port` is one of {@link SUSPICIOUS_PORTS}. */
export function isSuspiciousPort(port: number): boolean {
  return SET.has(port);
}
