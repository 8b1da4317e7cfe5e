/**
 * The `scan` section of the service configuration file (JSON): where scans may go, how nmap runs and which scans
 * run on a schedule. Validated with zod; every field has a default, so an absent section is the default
 * configuration (loopback only, top 1,000 ports, no schedules).
 *
 * Shape (snake_case as in the file):
 *   { "allow": ["127.0.0.0/8", "::1/128"], "deny": [], "nmap_path": "nmap", "parallel": 4, "host_timeout_s": 120,
 *     "ports": "top-1000", "postgres_user": "postgres",
 *     "schedules": [ { "targets": ["127.0.0.1"], "ports": "22,80", "every_s": 3600 } ] }
 *
 * Checks beyond the shape, so that a bad configuration fails at start and not at the first scheduled run:
 * `allow`/`deny` entries are CIDRs or addresses (scan-target.ts `parseCidr`), `ports` port specifications
 * (`parsePortSpec`), schedule targets valid targets (`parseScanTarget`), and schedule targets that are addresses
 * or CIDRs inside the scope (`checkInScope`: allowlist minus denylist; host names are resolved, and checked, when
 * the scan runs). Unknown keys are refused (a typo such as `alow` would otherwise silently keep the default).
 *
 * Errors: one `IpqsecError` `IPQ-C001` listing every problem as `scan.<path>: <message>` (e.g.
 * `scan.schedules[0].every_s: Too small: expected number to be >=60`), with the same list in `details.issues`
 * (`{ path, message }`) and the file in `location.file`.
 */
import { z } from 'zod';
import { IpqsecError, isIpqsecError } from '../core/errors.js';
import { DEFAULT_SCAN_ALLOW, checkInScope, parseCidr, parsePortSpec, parseScanTarget, scanScope } from './scan-target.js';

/** One scheduled scan: `targets` every `every_s` seconds. */
export interface ScanSchedule {
  /** Addresses, CIDRs or host names (1..64). */
  readonly targets: string[];
  /** Port specification; absent: the section's `ports`. */
  readonly ports?: string;
  /** Period in seconds, an integer from 60 (one minute) to 2,678,400 (31 days). */
  readonly every_s: number;
}

/** The validated `scan` section. */
export interface ScanConfig {
  /** CIDRs (or addresses) scans may reach; default loopback only (`127.0.0.0/8`, `::1/128`). At most 1,024. */
  readonly allow: string[];
  /** CIDRs (or addresses) never scanned, even inside `allow`. At most 1,024. Default none. */
  readonly deny: string[];
  /** nmap executable (name looked up in PATH, or a path); default `nmap`. */
  readonly nmap_path: string;
  /** Hosts scanned at once, 1..64; default 4. */
  readonly parallel: number;
  /** Per-host time limit in seconds, 1..86,400; default 120. */
  readonly host_timeout_s: number;
  /** Default port specification (`top-N`, or a list like `22,80,8000-8100`); default `top-1000`. */
  readonly ports: string;
  /** PostgreSQL user of the version probe (trust auth only; never a password); default `postgres`. */
  readonly postgres_user: string;
  /** Scheduled scans (at most 64); default none. */
  readonly schedules: ScanSchedule[];
}

/** Most entries of `allow`, `deny`. */
export const MAX_SCOPE_ENTRIES = 1024;
/** Most schedules. */
export const MAX_SCHEDULES = 64;
/** Most targets of one scan (schedule or API request). */
export const MAX_SCAN_TARGETS = 64;
/** Shortest schedule period, seconds. */
export const MIN_SCHEDULE_S = 60;
/** Longest schedule period, seconds (31 days; also keeps the timer below setInterval's 2^31 − 1 ms limit). */
export const MAX_SCHEDULE_S = 31 * 86_400;

/** Runs a scan-target.ts parser as a zod refinement: its IpqsecError message becomes the issue. */
function checked(parse: (s: string) => unknown) {
  return (s: string, ctx: z.RefinementCtx): void => {
    try {
      parse(s);
    } catch (e) {
      if (!isIpqsecError(e)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message });
    }
  };
}

const text = (max: number) => z.string().min(1).max(max).regex(/^\P{Cc}*$/u, 'must not hold control characters');
const cidrList = z.array(text(64).superRefine(checked(parseCidr))).max(MAX_SCOPE_ENTRIES);
const portSpec = text(1024).superRefine(checked(parsePortSpec));

const scheduleSchema = z.strictObject({
  targets: z.array(text(253).superRefine(checked(parseScanTarget))).min(1).max(MAX_SCAN_TARGETS),
  ports: portSpec.optional(),
  every_s: z.number().int().min(MIN_SCHEDULE_S).max(MAX_SCHEDULE_S),
});

const configSchema = z
  .strictObject({
    allow: cidrList.default([...DEFAULT_SCAN_ALLOW]),
    deny: cidrList.default([]),
    nmap_path: text(4096).default('nmap'),
    parallel: z.number().int().min(1).max(64).default(4),
    host_timeout_s: z.number().int().min(1).max(86_400).default(120),
    ports: portSpec.default('top-1000'),
    // PostgreSQL identifiers hold at most NAMEDATALEN − 1 = 63 bytes.
    postgres_user: text(63).default('postgres'),
    schedules: z.array(scheduleSchema).max(MAX_SCHEDULES).default([]),
  })
  .superRefine((c, ctx) => {
    let scope;
    try {
      scope = scanScope(c.allow, c.deny);
    } catch (e) {
      if (!isIpqsecError(e)) throw e;
      return; // the entries' own issues name the bad one
    }
    c.schedules.forEach((s, i) => {
      s.targets.forEach((t, j) => {
        try {
          const target = parseScanTarget(t);
          if (target.kind === 'hostname') return;
          checkInScope(target.kind === 'cidr' ? target.cidr.text : target.address, scope);
        } catch (e) {
          if (!isIpqsecError(e)) throw e;
          ctx.addIssue({ code: 'custom', path: ['schedules', i, 'targets', j], message: e.message });
        }
      });
    });
  });

/** `scan.schedules[0].every_s` from zod's path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = 'scan';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return out;
}

/**
 * Validates the `scan` section (`json` is the section's value; `undefined` or `null` means absent: every default) and fills
 * the defaults. `where` names the configuration file in errors.
 * @throws IpqsecError IPQ-C001 listing every invalid field by path (see the file comment)
 */
export function parseScanConfig(json: unknown, where: string): ScanConfig {
  const r = configSchema.safeParse(json ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.slice(0, 100).map((i) => ({ path: formatPath(i.path), message: i.message }));
  throw new IpqsecError('IPQ-C001', `invalid scan configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, {
    location: { file: where },
    details: { issues },
  });
}
