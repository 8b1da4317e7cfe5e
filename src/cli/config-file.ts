/**
 * The service configuration file (`--config FILE`, JSON). Today it holds the `scan` section (scan/scan-config.ts:
 * allow/deny CIDRs, nmap path, parallelism, per-host timeout, default ports, schedules); other sections are
 * ignored, so one file can serve later parts too. Example: `{"scan": {"allow": ["10.20.0.0/24"], "schedules":
 * [{"targets": ["10.20.0.0/24"], "every_s": 86400}]}}`.
 */
import { readFile } from 'node:fs/promises';
import { IpqsecError } from '../core/errors.js';
import { parseScanConfig, type ScanConfig } from '../scan/scan-config.js';

/**
 * Reads the `scan` section of a JSON configuration file (`{"scan": {…}}`, see `scan/scan-config.ts`); the
 * defaults when `file` is undefined.
 * @throws IpqsecError IPQ-D001 (unreadable), IPQ-C001 (not JSON, or a field out of range, named by its path)
 */
export async function readScanConfig(file: string | undefined): Promise<ScanConfig> {
  if (file === undefined) return parseScanConfig({}, 'defaults');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new IpqsecError('IPQ-D001', `cannot read configuration ${file}: ${(e as Error).message}`, { details: { path: file }, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new IpqsecError('IPQ-C001', `configuration ${file} is not valid JSON: ${(e as Error).message}`, { details: { path: file } });
  }
  const section = typeof json === 'object' && json !== null && 'scan' in json ? (json as { scan: unknown }).scan : {};
  return parseScanConfig(section, file);
}
