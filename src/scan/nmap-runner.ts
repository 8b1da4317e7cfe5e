/**
 * Runs nmap version detection on each host of a scan, several hosts at a time, each in its own nmap process with
 * an argv array (never a shell) and a per-host deadline; collects the parsed hosts and, for the hosts that failed,
 * error entries, so one failing or hanging host never loses the others.
 *
 * SOURCE: nmap(1) (7.93) — "SERVICE AND VERSION DETECTION" (`-sV`, `--version-intensity`), "TIMING AND
 * PERFORMANCE" (`-T4`, `--max-retries`, `--host-timeout`, `--script-timeout`), "HOST DISCOVERY" (`-Pn`, `-n`),
 * "OUTPUT" (`-oX -`, `--noninteractive`), "MISCELLANEOUS OPTIONS"/`--datadir` (`--versiondb`), `-6`; nmap's
 * `nmap-service-probes` file format (nmap.org/book/vscan-fileformat.html: `Probe`, `totalwaitms`; a probe without
 * `totalwaitms` waits 5 000 ms; the NULL probe is every probe's fallback, so a banner that arrives late is still
 * matched by the next probe); the NSE script mqtt-subscribe's arguments (`topic`, `listen-msgs`, `listen-time`).
 *
 * The nmap command per host (the address last, after `--`, so nothing can be read as an option):
 *   nmap -sV --version-intensity 7 -T4 --max-retries 2 -Pn -n --noninteractive --host-timeout <T>ms
 *        --script-timeout 10s --script-args mqtt-subscribe.topic=$SYS/broker/version,… [--versiondb <tuned>]
 *        [-6] (-p <list> | --top-ports <N>) -oX - -- <address>
 * Why these flags (measured on the 2-core test machine, nmap 7.93, loopback services):
 * - nmap's default probe file makes every *silent* open port (PostgreSQL, HTTP, anything that waits for the client
 *   to speak) cost ≥ 6 s: the NULL probe waits `totalwaitms 6000` for a banner. `--version-intensity`, `-T4`/`-T5`
 *   and `--max-retries` do not change that (top-1000 on 127.0.0.1: 6.2–6.3 s with each). So a tuned copy of
 *   the probe file is written to a private temporary directory and passed with `--versiondb`: every probe's wait
 *   capped at {@link NmapRunOptions.probeWaitMs} (default 1 500 ms). Top-1000 on 127.0.0.1 (MariaDB and
 *   PostgreSQL found, same versions): 6.2–6.3 s → 1.78–1.80 s (three runs each). Unrecognised services run
 *   through every probe of the intensity, each waiting the cap: the 8 ports 1883…25672 (the RabbitMQ
 *   distribution port 25672 is unrecognised and silent) went from 134 s to 46 s (48.8 s through scanTargets
 *   with its version probes), all versions unchanged.
 * - `--version-intensity 7` (nmap's default) is kept: NSE version scripts (mqtt-subscribe for Mosquitto's version,
 *   the AMQP script for RabbitMQ's) only run at intensity ≥ 7; at 0–6 both versions were lost.
 * - mqtt-subscribe listens 5 s on `$SYS/#` and `#` by default (≈ 9 s per MQTT port); subscribing only to
 *   `$SYS/broker/version` and stopping at the first message gives the same version in ≈ 1.9 s.
 * - `-T4 --max-retries 2`: aggressive timing for LAN/loopback with two retransmissions, so a lossy link still
 *   finds its open ports; `--host-timeout` = the per-host budget, after which nmap 7.93 reports the host with
 *   `timedout="true"` and no ports; our own kill timer fires `killGraceMs` later in case nmap does not stop.
 * - `-Pn -n`: the host is scanned even if it ignores pings, and nmap does no DNS (names are resolved here, before
 *   the scope check, so nmap only ever receives addresses that passed it).
 *
 * Bounds: `parallel` nmap processes at once (1..64); per process ≤ 32 MiB of XML and the last 4 KiB of stderr kept;
 * at most `maxHosts` hosts per run; host-name resolution ≤ 30 s per name.
 * Errors: thrown before anything runs — `IPQ-V005` (bad target or port list, too many hosts, unresolvable name),
 * `IPQ-V004` (a target or a resolved address outside the scope), `IPQ-V006` (nmap not executable, naming
 * `apt-get install nmap`). Per host, in `errors[]`: `IPQ-V007` (nmap exited non-zero, was killed, timed out, or the
 * run was aborted), `IPQ-V003` (malformed XML).
 */
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { lookup } from 'node:dns/promises';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { parseNmapXml, type NmapHost } from './nmap-xml.js';
import type { ScanErrorEntry } from './scan-report.js';
import { checkInScope, expandAddresses, parsePortSpec, parseScanTarget, type PortSpec, type ScanScope } from './scan-target.js';

/** What to scan and how. */
export interface NmapRunOptions {
  /** Addresses, CIDRs or host names (parseScanTarget); at least one. */
  targets: readonly string[];
  ports: PortSpec;
  scope: ScanScope;
  /** nmap processes at once, 1..64; default 4. */
  parallel?: number;
  /** Per-host budget, ms (nmap `--host-timeout`); default 120 000. */
  hostTimeoutMs?: number;
  /** Most hosts one run may scan (CIDRs expanded, names resolved); default 4 096. */
  maxHosts?: number;
  /** nmap executable, a path or a name looked up in PATH; default `nmap`. */
  nmapPath?: string;
  /** Host name → addresses; default `dns.lookup(name, { all: true })`. */
  resolve?: (name: string) => Promise<string[]>;
  /** Aborting stops running nmap processes and skips hosts not started (each gets an IPQ-V007 entry). */
  signal?: AbortSignal;
  /** Called as each host finishes successfully (must not throw: an exception aborts the run and is rethrown). */
  onHost?: (h: NmapHostResult) => void;
  /** nmap `--version-intensity`, 0..9; default 7 (nmap's; NSE version scripts need ≥ 7). */
  versionIntensity?: number;
  /** Cap on each version probe's wait, ms, written into a tuned probe file (see the module comment); default 1 500; 0 = nmap's file as is. */
  probeWaitMs?: number;
  /** Time after `hostTimeoutMs` before the process group is killed (SIGTERM, SIGKILL 2 s later), ms; default 5 000. */
  killGraceMs?: number;
}

/** One host scanned, with when its nmap process started and finished (epoch ms). */
export interface NmapHostResult {
  host: NmapHost;
  started_ms: number;
  finished_ms: number;
}

/** A host the run will scan: its address and the names (given targets) that led to it. */
export interface PlannedHost {
  address: string;
  family: 4 | 6;
  /** Host names given as targets that resolved to this address (empty for address/CIDR targets). */
  names: string[];
}

const DEFAULTS = { parallel: 4, hostTimeoutMs: 120_000, maxHosts: 4096, nmapPath: 'nmap', versionIntensity: 7, probeWaitMs: 1500, killGraceMs: 5000 };
/** nmap's wait for a probe without `totalwaitms` (service_scan.cc DEFAULT_SERVICEWAITMS). */
const NMAP_DEFAULT_PROBE_WAIT_MS = 5000;
const MAX_STDOUT = 32 * 1024 * 1024;
const MAX_STDERR = 4096;
const MAX_PROBE_FILE = 16 * 1024 * 1024;
const RESOLVE_TIMEOUT_MS = 30_000;
const SIGKILL_AFTER_MS = 2000;
const MQTT_SCRIPT_ARGS = 'mqtt-subscribe.topic=$SYS/broker/version,mqtt-subscribe.listen-msgs=1,mqtt-subscribe.listen-time=2s';

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`runNmap: ${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

const defaultResolve = async (name: string): Promise<string[]> => (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);

async function resolveName(name: string, resolve: (n: string) => Promise<string[]>): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const addrs = await Promise.race([
      resolve(name),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${RESOLVE_TIMEOUT_MS} ms`)), RESOLVE_TIMEOUT_MS);
      }),
    ]);
    if (!Array.isArray(addrs) || addrs.length === 0) throw new Error('no addresses');
    return addrs;
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new IpqsecError('IPQ-V005', `host name ${name} does not resolve (${why})`, { details: { input: name, reason: 'does not resolve' }, cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Validates and expands the targets of a scan without running anything: parses each target, resolves host names,
 * checks every address/CIDR against the scope and expands CIDRs. Duplicates are merged (first occurrence order).
 * @throws IpqsecError `IPQ-V005` (invalid target, no targets, an unresolvable name, more than `maxHosts` hosts),
 *   `IPQ-V004` (a target or resolved address outside the scope, naming the rule).
 */
export async function resolveScanTargets(o: {
  targets: readonly string[];
  scope: ScanScope;
  maxHosts?: number;
  resolve?: (name: string) => Promise<string[]>;
}): Promise<PlannedHost[]> {
  const maxHosts = o.maxHosts ?? DEFAULTS.maxHosts;
  if (o.targets.length === 0) throw new IpqsecError('IPQ-V005', 'no scan targets given', { details: { input: '', reason: 'no targets' } });
  const parsed = o.targets.map(parseScanTarget); // every target validated before any resolution
  const byAddress = new Map<string, PlannedHost>();
  const add = (address: string, family: 4 | 6, name: string | null): void => {
    let h = byAddress.get(address);
    if (h === undefined) {
      if (byAddress.size >= maxHosts) {
        throw new IpqsecError('IPQ-V005', `more than ${maxHosts} hosts in one scan`, { details: { input: address, reason: 'too many hosts' } });
      }
      h = { address, family, names: [] };
      byAddress.set(address, h);
    }
    if (name !== null && !h.names.includes(name)) h.names.push(name);
  };
  for (const t of parsed) {
    if (t.kind === 'address') {
      checkInScope(t.address, o.scope);
      add(t.address, t.family, null);
    } else if (t.kind === 'cidr') {
      checkInScope(t.cidr.text, o.scope);
      for (const a of expandAddresses(t, maxHosts)) add(a, t.cidr.family, null); // add() bounds the total
    } else {
      const addrs = await resolveName(t.name, o.resolve ?? defaultResolve);
      const resolved = addrs.map((a) => {
        const r = parseScanTarget(String(a));
        if (r.kind !== 'address') throw new IpqsecError('IPQ-V005', `host name ${t.name} resolved to ${JSON.stringify(a)}, not an address`, { details: { input: t.name, reason: 'bad resolution' } });
        return r;
      });
      for (const r of resolved) checkInScope(r.address, o.scope); // every address must be in scope
      for (const r of resolved) add(r.address, r.family, t.name);
    }
  }
  return [...byAddress.values()];
}

/** The executable nmapPath names (a path, or a name searched in PATH), or null when none is executable. */
async function findExecutable(p: string): Promise<string | null> {
  const candidates = p.includes('/') ? [p] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, p));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      if ((await stat(c)).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

function nmapMissing(p: string, why: string): IpqsecError {
  return new IpqsecError('IPQ-V006', `${p} is not an executable nmap (${why}); install it (Debian/Ubuntu: apt-get install nmap) or give its path`, {
    details: { nmapPath: p, reason: why },
  });
}

/**
 * nmap's probe file with every probe's wait (`totalwaitms`, 5 000 ms when absent) capped at `waitMs`
 * (nmap-service-probes format: each `Probe` line starts a probe; its `totalwaitms` directive sets the wait).
 * Every other line is kept byte for byte. Pure.
 */
export function tuneServiceProbes(text: string, waitMs: number): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let slot = -1;
  let wait = NMAP_DEFAULT_PROBE_WAIT_MS;
  const flush = (): void => {
    if (slot >= 0) out[slot] = `totalwaitms ${Math.min(wait, waitMs)}`;
  };
  for (const line of lines) {
    if (line.startsWith('Probe ')) {
      flush();
      out.push(line);
      slot = out.length;
      out.push('');
      wait = NMAP_DEFAULT_PROBE_WAIT_MS;
      continue;
    }
    const m = slot >= 0 ? /^totalwaitms\s+([0-9]+)\s*$/.exec(line) : null;
    if (m !== null) {
      wait = Number(m[1]);
      continue;
    }
    out.push(line);
  }
  flush();
  return out.join('\n');
}

/** nmap's own search order for its data files (nmap(1) `--datadir`), for `nmap-service-probes`. */
async function findProbeFile(exe: string): Promise<string | null> {
  const dirs: string[] = [];
  if (process.env.NMAPDIR !== undefined && process.env.NMAPDIR !== '') dirs.push(process.env.NMAPDIR);
  dirs.push(join(homedir(), '.nmap'));
  try {
    const d = dirname(await realpath(exe));
    dirs.push(d, join(d, '..', 'share', 'nmap'));
  } catch {
    // keep the fixed locations
  }
  dirs.push('/usr/share/nmap', '/usr/local/share/nmap');
  for (const d of dirs) {
    const f = join(d, 'nmap-service-probes');
    try {
      const s = await stat(f);
      if (s.isFile() && s.size <= MAX_PROBE_FILE) return f;
    } catch {
      // not here
    }
  }
  return null;
}

/** Writes the tuned probe file into a fresh private directory; null (nmap's file used as is) when it cannot. */
async function writeTunedProbes(exe: string, waitMs: number): Promise<{ dir: string; file: string } | null> {
  const src = await findProbeFile(exe);
  if (src === null) return null;
  let dir: string | null = null;
  try {
    const text = await readFile(src, 'utf8');
    if (!/^Probe TCP NULL /m.test(text)) return null;
    dir = await mkdtemp(join(tmpdir(), 'ipqsec-nmap-'));
    const file = join(dir, 'nmap-service-probes');
    await writeFile(file, tuneServiceProbes(text, waitMs), { mode: 0o600 });
    return { dir, file };
  } catch {
    if (dir !== null) await rm(dir, { recursive: true, force: true }).catch(() => {});
    return null;
  }
}

/** The argv (without the executable) for one host. The address comes last, after `--`. */
export function nmapArgv(
  address: string,
  family: 4 | 6,
  ports: PortSpec,
  o: { hostTimeoutMs: number; versionIntensity: number; versionDb: string | null },
): string[] {
  return [
    '-sV', '--version-intensity', String(o.versionIntensity),
    '-T4', '--max-retries', '2',
    '-Pn', '-n', '--noninteractive',
    '--host-timeout', `${o.hostTimeoutMs}ms`,
    '--script-timeout', '10s',
    '--script-args', MQTT_SCRIPT_ARGS,
    ...(o.versionDb === null ? [] : ['--versiondb', o.versionDb]),
    ...(family === 6 ? ['-6'] : []),
    ...(ports.kind === 'top' ? ['--top-ports', String(ports.n)] : ['-p', ports.text]),
    '-oX', '-',
    '--', address,
  ];
}

interface ProcessOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  overflow: boolean;
  spawnError: NodeJS.ErrnoException | null;
}

/** Runs one nmap process to completion (or kill), collecting bounded output. Never rejects. */
function runProcess(exe: string, argv: string[], deadlineMs: number, signal: AbortSignal): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const o: ProcessOutcome = { code: null, signal: null, stdout: '', stderr: '', timedOut: false, aborted: false, overflow: false, spawnError: null };
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(exe, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        child.kill(sig);
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), SIGKILL_AFTER_MS);
    };
    const deadline = setTimeout(() => {
      o.timedOut = true;
      stop();
    }, deadlineMs);
    const onAbort = (): void => {
      o.aborted = true;
      stop();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      o.stdout = Buffer.concat(out).toString('utf8');
      o.stderr = err;
      resolve(o);
    };
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > MAX_STDOUT) {
        if (!o.overflow) {
          o.overflow = true;
          stop();
        }
        return;
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      err = (err + d.toString('utf8')).slice(-MAX_STDERR);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      o.spawnError = e;
      finish();
    });
    child.on('close', (code, sig) => {
      o.code = code;
      o.signal = sig;
      finish();
    });
    if (signal.aborted) onAbort();
  });
}

const entry = (target: string, e: IpqsecError): ScanErrorEntry => ({ target, code: e.code, message: e.message });

function v007(address: string, detail: string): ScanErrorEntry {
  return entry(address, new IpqsecError('IPQ-V007', `${address}: ${detail}`, { details: { address } }));
}

function lastLines(s: string): string {
  const t = s.trim().split('\n').slice(-3).join(' | ');
  return t === '' ? 'no message on stderr' : t;
}

/**
 * Scans every host of the targets with nmap, `parallel` at a time.
 * @returns the hosts scanned (in target order) and an error entry for each host that failed (nmap failed, timed out,
 *   was killed, gave malformed XML, or the run was aborted); the other hosts are kept.
 * @throws before running anything: IpqsecError `IPQ-V005`, `IPQ-V004`, `IPQ-V006` (see the module comment);
 *   RangeError for out-of-range numeric options; whatever `onHost` throws (after stopping the other hosts).
 */
export async function runNmap(o: NmapRunOptions): Promise<{ hosts: NmapHostResult[]; errors: ScanErrorEntry[] }> {
  const parallel = intIn('parallel', o.parallel ?? DEFAULTS.parallel, 1, 64);
  const hostTimeoutMs = intIn('hostTimeoutMs', o.hostTimeoutMs ?? DEFAULTS.hostTimeoutMs, 1, 86_400_000);
  const versionIntensity = intIn('versionIntensity', o.versionIntensity ?? DEFAULTS.versionIntensity, 0, 9);
  const probeWaitMs = intIn('probeWaitMs', o.probeWaitMs ?? DEFAULTS.probeWaitMs, 0, 60_000);
  const killGraceMs = intIn('killGraceMs', o.killGraceMs ?? DEFAULTS.killGraceMs, 0, 600_000);
  intIn('maxHosts', o.maxHosts ?? DEFAULTS.maxHosts, 1, 1 << 24);
  // The port spec is re-read from its text form, so a hand-made PortSpec is held to the same rules.
  const ports = parsePortSpec(o.ports.kind === 'top' ? `top-${o.ports.n}` : o.ports.text);
  const hosts = await resolveScanTargets(o);
  const nmapPath = o.nmapPath ?? DEFAULTS.nmapPath;
  const exe = await findExecutable(nmapPath);
  if (exe === null) throw nmapMissing(nmapPath, 'not found or not executable');

  const internal = new AbortController();
  // One abort listener per running nmap process: `parallel` at most (Node warns from 11 on by default).
  setMaxListeners(parallel + 1, internal.signal);
  const onOuterAbort = (): void => internal.abort();
  o.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (o.signal?.aborted === true) internal.abort();
  let callbackError: { e: unknown } | null = null;
  const tuned = probeWaitMs > 0 && !internal.signal.aborted ? await writeTunedProbes(exe, probeWaitMs) : null;
  const results: (NmapHostResult | ScanErrorEntry)[] = new Array(hosts.length);

  const scanHost = async (h: PlannedHost): Promise<NmapHostResult | ScanErrorEntry> => {
    if (internal.signal.aborted) return v007(h.address, 'scan aborted before this host was scanned');
    const argv = nmapArgv(h.address, h.family, ports, { hostTimeoutMs, versionIntensity, versionDb: tuned?.file ?? null });
    const started = Date.now();
    const r = await runProcess(exe, argv, hostTimeoutMs + killGraceMs, internal.signal);
    const finished = Date.now();
    if (r.spawnError !== null) {
      const code = r.spawnError.code ?? 'spawn failed';
      if (code === 'ENOENT' || code === 'EACCES') return entry(h.address, nmapMissing(nmapPath, code));
      return v007(h.address, `nmap could not start (${code})`);
    }
    if (r.aborted) return v007(h.address, 'scan aborted while nmap was running');
    if (r.timedOut) return v007(h.address, `nmap did not finish within ${hostTimeoutMs + killGraceMs} ms and was killed`);
    if (r.overflow) return v007(h.address, `nmap wrote more than ${MAX_STDOUT} bytes of XML and was killed`);
    if (r.code !== 0) {
      const how = r.signal !== null ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
      return v007(h.address, `nmap ${how}: ${lastLines(r.stderr)}`);
    }
    let host: NmapHost | undefined;
    try {
      const run = parseNmapXml(r.stdout, { source: `nmap output for ${h.address}` });
      host = run.hosts.find((x) => x.address === h.address) ?? run.hosts[0];
    } catch (e) {
      if (isIpqsecError(e)) return entry(h.address, e);
      throw e;
    }
    if (host === undefined) return v007(h.address, `nmap reported no host (${lastLines(r.stderr)})`);
    if (host.timedout) return v007(h.address, `nmap --host-timeout of ${hostTimeoutMs} ms reached; nmap reports no ports for a timed-out host`);
    const hostnames = [...h.names];
    for (const n of host.hostnames) if (!hostnames.includes(n)) hostnames.push(n);
    const res: NmapHostResult = { host: { ...host, hostnames }, started_ms: started, finished_ms: finished };
    if (o.onHost !== undefined) {
      try {
        o.onHost(res);
      } catch (e) {
        callbackError ??= { e };
        internal.abort();
      }
    }
    return res;
  };

  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < hosts.length) {
        const i = next++;
        results[i] = await scanHost(hosts[i] as PlannedHost);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, hosts.length) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onOuterAbort);
    if (tuned !== null) await rm(tuned.dir, { recursive: true, force: true }).catch(() => {});
  }
  if (callbackError !== null) throw (callbackError as { e: unknown }).e;
  const out = { hosts: [] as NmapHostResult[], errors: [] as ScanErrorEntry[] };
  for (const r of results) {
    if ('host' in r) out.hosts.push(r);
    else out.errors.push(r);
  }
  return out;
}
