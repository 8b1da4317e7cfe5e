/**
 * The vulnerability-scan part of the dashboard's end-to-end run (issue 7 in the issue 6 dashboard): where the
 * shared NVD records are, whether a real scan can run here, loading the records into the demo's store with the
 * built CLI (`ipqsec cve import PATH --data-dir DIR --json`, src/cli/cve-command.ts) before the demo starts, and
 * the CVE ids the records hold, read independently of the importer (the oracle for "every CVE shown comes from
 * the records").
 *
 * Shapes: the scan record of `GET /api/v1/scans/:id` (src/server/scans.ts `scanRecordSchema`, the fields the test
 * reads) and the import summary the CLI prints with `--json` (src/scan/cve-import.ts `ImportSummary`).
 * Record format: NVD CVE API 2.0 JSON (https://nvd.nist.gov/developers/vulnerabilities): a single record
 * `{ cve: { id } }`, a bare `{ id }`, or a feed `{ vulnerabilities: [{ cve: { id } }] }`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The nmap of the Debian package (the scanner runs `nmap` from PATH; the test requires this one). */
export const NMAP_PATH = '/usr/bin/nmap';

/** Longest wait for the CLI's import (ms): 43 records take about 0.5 s. */
const IMPORT_TIMEOUT_MS = 60_000;
/** Most output kept from the import process (characters), for error messages. */
const OUTPUT_CAP = 64 * 1024;

/** `$IPQSEC_DATA/nvd/records` (IPQSEC_DATA default `../shared/data`, both relative to the repository root). */
export function nvdRecordsDir(root: string): string {
  return join(resolve(root, process.env.IPQSEC_DATA ?? '../shared/data'), 'nvd', 'records');
}

/** Why the scan test cannot run here (nmap or the records missing), or null when it can. */
export function scanSkipReason(records: string): string | null {
  if (!existsSync(NMAP_PATH)) return `${NMAP_PATH} not found (apt-get install nmap)`;
  if (!existsSync(records)) return `${records} not found (set IPQSEC_DATA; README "Data sets")`;
  return null;
}

/** `ipqsec cve import --json` summary (the fields the test reads). */
export interface CveImportSummary {
  readonly files: number;
  readonly records: number;
  readonly inserted: number;
  readonly skipped: number;
  readonly errors: readonly { file: string; code: string; message: string }[];
}

/**
 * Runs `node <cli> cve import <records> --data-dir <dataDir> --json` and returns its summary.
 *
 * @throws Error when the process fails, exits non-zero (a file could not be read), prints no JSON summary, or
 *   imported no record (its output is in the message); when it runs longer than 60 s (it is killed)
 */
export function importCves(cli: string, dataDir: string, records: string): Promise<CveImportSummary> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'cve', 'import', records, '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const cap = (s: string) => (s.length > OUTPUT_CAP ? s.slice(s.length - OUTPUT_CAP) : s);
    child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout + d.toString())));
    child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr + d.toString())));
    const timer = setTimeout(() => child.kill('SIGKILL'), IMPORT_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const what = `ipqsec cve import ${records} --data-dir ${dataDir}`;
      if (code !== 0) return reject(new Error(`${what} exited with ${code ?? signal}:\n${stdout}${stderr}`));
      let summary: CveImportSummary;
      try {
        summary = JSON.parse(stdout) as CveImportSummary;
      } catch {
        return reject(new Error(`${what} printed no JSON summary:\n${stdout}${stderr}`));
      }
      if (!(summary.records > 0)) return reject(new Error(`${what} imported no record:\n${stdout}${stderr}`));
      resolvePromise(summary);
    });
  });
}

/** The CVE ids of every `.json` record file under `dir` (recursively), read as plain JSON (not by the importer). */
export function recordIds(dir: string): Set<string> {
  const ids = new Set<string>();
  const add = (x: unknown) => {
    const o = x as { id?: unknown; cve?: { id?: unknown } } | null;
    const id = o?.cve?.id ?? o?.id;
    if (typeof id === 'string') ids.add(id);
  };
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    const doc = JSON.parse(readFileSync(join(e.parentPath, e.name), 'utf8')) as { vulnerabilities?: unknown[] };
    if (Array.isArray(doc.vulnerabilities)) doc.vulnerabilities.forEach(add);
    else add(doc);
  }
  return ids;
}

/** A CVE matched to a port (src/scan/scan-report.ts `CveFinding`). */
export interface ScanCve {
  readonly id: string;
  readonly score: number | null;
  readonly severity: string | null;
  readonly kev: boolean;
  readonly confidence: string;
}
/** A port of a scanned host (src/scan/scan-report.ts `PortFinding`). */
export interface ScanPort {
  readonly port: number;
  readonly proto: string;
  readonly state: string;
  readonly service: string | null;
  readonly product: string | null;
  readonly version: string | null;
  readonly cpe: readonly string[];
  readonly cves: readonly ScanCve[];
}
/** `GET /api/v1/scans/:id` (the fields the test reads). */
export interface ScanRecord {
  readonly id: string;
  readonly status: 'queued' | 'running' | 'done' | 'failed';
  readonly targets: readonly string[];
  readonly ports: string;
  readonly error: string | null;
  readonly report: {
    readonly hosts: readonly { readonly address: string; readonly status: string; readonly ports: readonly ScanPort[] }[];
    readonly errors: readonly { target: string; code: string; message: string }[];
  } | null;
}
