/**
 * `ipqsec scan TARGET… [--ports top-1000|LIST] [--parallel N] [--json]`: runs nmap with version detection on each
 * target host (several at once, each under a per-host timeout; `scan/nmap-runner.ts`), names what runs on each open
 * port (`scan/service-identity.ts`, CPE 2.3) and matches it against the offline CVE database (`scan/cve-matcher.ts`).
 *
 * Scope: every target (and every address a host name resolves to) must lie inside the allowlist — `--allow CIDR…`
 * plus the configuration's `scan.allow`, default loopback only — and outside `--deny`/`scan.deny`; otherwise nothing
 * is scanned and the command fails with IPQ-V004 naming the rule.
 *
 * CVE data: `--nvd PATH…` reads NVD CVE JSON 2.0 files or folders directly; otherwise the database that
 * `ipqsec cve import` filled in `--data-dir`. With neither, hosts are scanned and no CVE is matched (a note says so).
 *
 * Output: a text table per host, or with `--json` one document `{"hosts": […], "errors": […]}` (`scan/scan-report.ts`).
 * Hosts that failed (nmap error or timeout) are listed under `errors` while the others are reported; the command then
 * exits with IPQ-V007's code (3).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { ERROR_CATALOGUE, IpqsecError } from '../core/errors.js';
import { CveIndex } from '../scan/cve-matcher.js';
import { listNvdFiles } from '../scan/cve-import.js';
import { readNvdFile } from '../scan/nvd-record.js';
import { scanTargets } from '../scan/scan-run.js';
import type { ScanReport } from '../scan/scan-report.js';
import { parsePortSpec, scanScope } from '../scan/scan-target.js';
import { CveDatabase } from '../service/cve-database.js';
import { DB_FILE_NAME, openSqliteStore } from '../store/index.js';
import { readScanConfig } from './config-file.js';
import { textTable } from './format.js';

/** Options of {@link runScan} (the command's, parsed). */
export interface ScanCommandOptions {
  readonly ports?: string;
  readonly parallel?: number;
  /** Per-host timeout, seconds. */
  readonly hostTimeout?: number;
  readonly json?: boolean;
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  readonly config?: string;
  readonly dataDir?: string;
  readonly nvd?: readonly string[];
  readonly nmap?: string;
  readonly probes?: boolean;
  readonly postgresUser?: string;
}

/** Where {@link runScan} writes. */
export interface ScanIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * The CVE index for a scan: from NVD files/folders when given, else from the store in `dataDir` (when it exists).
 * Returns the index and where it came from; `undefined` index when there is no CVE data at all.
 */
export async function loadCveIndex(o: { readonly nvd?: readonly string[]; readonly dataDir?: string }): Promise<{ index: CveIndex | undefined; source: string; skipped: number }> {
  if (o.nvd !== undefined && o.nvd.length > 0) {
    const index = new CveIndex();
    let skipped = 0;
    for (const file of await listNvdFiles(o.nvd)) {
      const doc = await readNvdFile(file);
      for (const r of doc.records) index.add(r);
      skipped += doc.skipped.length;
    }
    return { index, source: `${index.size} records from ${o.nvd.join(', ')}`, skipped };
  }
  const dir = resolve(o.dataDir ?? './ipqsec-data');
  if (!existsSync(join(dir, DB_FILE_NAME))) return { index: undefined, source: `no CVE database in ${dir}`, skipped: 0 };
  const store = await openSqliteStore({ dataDir: dir });
  try {
    const index = await new CveDatabase(store).current();
    if (index === undefined) return { index: undefined, source: `the CVE database in ${dir} is empty`, skipped: 0 };
    return { index, source: `${index.size} records from ${join(dir, DB_FILE_NAME)}`, skipped: 0 };
  } finally {
    await store.close();
  }
}

/**
 * Runs the command. Resolves to the report (also printed). Rejects before any scan with IPQ-V004 (out of scope),
 * IPQ-V005 (bad target or port list), IPQ-V006 (nmap missing), IPQ-C001/IPQ-D001 (configuration).
 */
export async function runScan(targets: readonly string[], o: ScanCommandOptions, io: ScanIo): Promise<ScanReport> {
  const cfg = await readScanConfig(o.config);
  const scope = scanScope([...cfg.allow, ...(o.allow ?? [])], [...cfg.deny, ...(o.deny ?? [])]);
  const ports = parsePortSpec(o.ports ?? cfg.ports);
  const parallel = o.parallel ?? cfg.parallel;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) throw new IpqsecError('IPQ-C001', `--parallel must be an integer in 1..64, got ${String(o.parallel)}`);
  const hostTimeoutS = o.hostTimeout ?? cfg.host_timeout_s;
  if (!(hostTimeoutS > 0 && hostTimeoutS <= 3600)) throw new IpqsecError('IPQ-C001', `--host-timeout must be in (0, 3600] seconds, got ${String(o.hostTimeout)}`);
  const cves = await loadCveIndex({ ...(o.nvd === undefined ? {} : { nvd: o.nvd }), ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }) });
  if (cves.index === undefined) io.err(`note (IPQ-V008): ${cves.source}: no CVEs will be matched. ${ERROR_CATALOGUE['IPQ-V008'].hint}\n`);
  const report = await scanTargets({
    targets,
    ports,
    scope,
    parallel,
    hostTimeoutMs: Math.round(hostTimeoutS * 1000),
    nmapPath: o.nmap ?? cfg.nmap_path,
    probes: o.probes ?? true,
    postgresUser: o.postgresUser ?? cfg.postgres_user,
    ...(cves.index === undefined ? {} : { cves: cves.index }),
  });
  if (o.json === true) io.out(`${JSON.stringify(report)}\n`);
  else io.out(scanText(report, cves.index === undefined ? undefined : cves.source));
  for (const e of report.errors) io.err(`error: ${e.target}: ${e.code} ${e.message}\n`);
  return report;
}

/** Terminal rendering: one table of open ports per host, CVEs listed under each port. */
export function scanText(r: ScanReport, cveSource?: string): string {
  const out: string[] = [];
  if (cveSource !== undefined) out.push(`CVE database: ${cveSource}`, '');
  for (const h of r.hosts) {
    const names = h.hostnames.length > 0 ? ` (${h.hostnames.join(', ')})` : '';
    out.push(`${h.address}${names}: ${h.status}, ${h.ports.length} open port(s), ${((h.finished_ms - h.started_ms) / 1000).toFixed(1)} s`);
    if (h.ports.length > 0) {
      const rows = h.ports.map((p) => [
        `${p.port}/${p.proto}`,
        p.state,
        p.service ?? '-',
        [p.product, p.version].filter((x) => x !== null).join(' ') || '-',
        p.cves.length === 0 ? '-' : p.cves.map((c) => `${c.id}${c.kev ? ' (KEV)' : ''} ${c.score ?? '-'}${c.confidence === 'affected' ? ' (affected)' : ''}`).join(', '),
      ]);
      out.push(textTable(['port', 'state', 'service', 'product', 'CVEs'], rows));
    }
    out.push('');
  }
  if (r.errors.length > 0) out.push(`${r.errors.length} target(s) failed (see errors below)`);
  return `${out.join('\n')}\n`;
}

const intOpt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new IpqsecError('IPQ-C001', `${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
};
const numOpt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new IpqsecError('IPQ-C001', `${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
};

/** The `scan` command. */
export function scanCommand(): Command {
  return new Command('scan')
    .description('scan hosts with nmap (version detection) and match their services against the offline CVE database')
    .argument('<targets...>', 'IP addresses, CIDRs or host names; each must be inside the allowlist (default: loopback only)')
    .option('--ports <spec>', 'top-N (e.g. top-1000) or a list like 22,80,8000-8100 (default top-1000 or scan.ports)')
    .option('--parallel <n>', 'hosts scanned at once, 1..64 (default 4 or scan.parallel)', intOpt('--parallel'))
    .option('--host-timeout <seconds>', 'per-host time limit (default 120 or scan.host_timeout_s)', numOpt('--host-timeout'))
    .option('--json', 'print one JSON document {"hosts": [...], "errors": [...]}')
    .option('--allow <cidr...>', 'also allow these networks (you must be authorised to scan them)')
    .option('--deny <cidr...>', 'never scan these networks (wins over --allow)')
    .option('--config <file>', 'JSON configuration with a "scan" section (allow, deny, nmap_path, parallel, host_timeout_s, ports)')
    .option('--data-dir <dir>', 'data directory holding the CVE database (ipqsec cve import)', './ipqsec-data')
    .option('--nvd <paths...>', 'read CVE records from these NVD JSON 2.0 files or folders instead of the database')
    .option('--nmap <path>', 'nmap executable (default: nmap on PATH)')
    .option('--no-probes', 'do not complete versions nmap leaves open (PostgreSQL server_version, NATS INFO)')
    .option('--postgres-user <user>', 'user for the PostgreSQL version probe (trust authentication only; default postgres)')
    .action(async (targets: string[], v: ScanCommandOptions) => {
      const report = await runScan(targets, v, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
      if (report.errors.length > 0) process.exitCode = ERROR_CATALOGUE['IPQ-V007'].exitCode;
    });
}
