/**
 * The vulnerability scanner's public surface (`ipqsec.scan`): CPE names, the version comparator, NVD records and
 * their import, the offline CVE index, scan targets and scope, the nmap runner and its XML, service identity, the
 * whole scan (`scanTargets`), its report, per-host diffs, scan alerts and host exposure. See docs/scan.md.
 */
export { parseCpe, parseCpe22, parseCpe23, formatCpe23, cpe22to23, type Cpe, type CpePart } from './cpe.js';
export { compareVersions } from './version-compare.js';
export { normalizeDetected, nvdProductsFor, type ProductKey } from './product-alias.js';
export { parseNvdDocument, readNvdFile, type CveRecord, type NvdDocument } from './nvd-record.js';
export { importNvdPaths, listNvdFiles, type CveSink, type ImportSummary } from './cve-import.js';
export { CveIndex, type CveMatch, type CveQuery } from './cve-matcher.js';
export { DEFAULT_SCAN_ALLOW, checkInScope, expandAddresses, parseCidr, parsePortSpec, parseScanTarget, scanScope, type Cidr, type PortSpec, type ScanScope, type ScanTarget } from './scan-target.js';
export { parseNmapXml, type NmapHost, type NmapPort, type NmapRun, type NmapService } from './nmap-xml.js';
export { identifyService, type ServiceIdentity } from './service-identity.js';
export { runNmap, type NmapHostResult, type NmapRunOptions } from './nmap-runner.js';
export { scanTargets, type ScanOptions } from './scan-run.js';
export type { CveFinding, HostReport, PortFinding, ScanErrorEntry, ScanReport } from './scan-report.js';
export { diffHost, type HostDiff } from './scan-diff.js';
export { exposureOf } from './exposure.js';
export { scanAlerts } from './scan-alerts.js';
export { parseScanConfig, type ScanConfig } from './scan-config.js';
