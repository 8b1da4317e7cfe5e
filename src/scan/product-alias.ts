/**
 * From what nmap -sV reports (a CPE 2.2 `vendor:product` or, without a CPE, a product name, and a version
 * string) to the `vendor:product` names and version/update values NVD's CVE records use in `criteria`.
 *
 * SOURCE: the "CPE naming: nmap vs NVD" table of /work/shared/data/nvd/README.md (nmap-common 7.93
 * `nmap-service-probes` against the `criteria` of the NVD records there). Entries marked "not in the data" come
 * from NVD usage known outside that set and are not checked by a record here.
 *
 * Cost: a Map lookup and a few regular expressions per call; the table is constant.
 */

/** An NVD `vendor:product` pair (lowercase, as in a CPE 2.3 formatted string). */
export interface ProductKey {
  vendor: string;
  product: string;
}

/** nmap CPE `vendor:product` (lowercase) → the NVD pairs to try besides the input itself. */
const CPE_ALIASES: ReadonlyMap<string, readonly ProductKey[]> = new Map<string, readonly ProductKey[]>([
  // nmap `cpe:/a:igor_sysoev:nginx`; NVD: f5:nginx (CVE-2013-2028, -2025-23419), f5:nginx_open_source (CVE-2024-24990).
  ['igor_sysoev:nginx', [{ vendor: 'f5', product: 'nginx' }, { vendor: 'f5', product: 'nginx_open_source' }]],
  // NVD names nginx open source both ways (f5:nginx for CVE-2013-2028, CVE-2025-23419; f5:nginx_open_source for
  // CVE-2024-24990): a query under either tries the other.
  ['f5:nginx', [{ vendor: 'f5', product: 'nginx_open_source' }]],
  ['f5:nginx_open_source', [{ vendor: 'f5', product: 'nginx' }]],
  // nmap `cpe:/a:redislabs:redis` (no version in the probe); NVD redis:redis (11 records).
  ['redislabs:redis', [{ vendor: 'redis', product: 'redis' }]],
  // nmap `cpe:/a:vsftpd:vsftpd`; NVD vsftpd_project:vsftpd (CVE-2011-2523).
  ['vsftpd:vsftpd', [{ vendor: 'vsftpd_project', product: 'vsftpd' }]],
  // nmap `cpe:/a:matt_johnston:dropbear_ssh_server`; NVD dropbear_ssh_project:dropbear_ssh (CVE-2018-15599).
  ['matt_johnston:dropbear_ssh_server', [{ vendor: 'dropbear_ssh_project', product: 'dropbear_ssh' }]],
  // nmap `cpe:/a:pivotal_software:rabbitmq`; NVD vmware:rabbitmq (CVE-2023-46118); older records keep pivotal_software.
  ['pivotal_software:rabbitmq', [{ vendor: 'vmware', product: 'rabbitmq' }]],
  // nmap `cpe:/a:mysql:mysql`; NVD oracle:mysql since 2010 (not in the data).
  ['mysql:mysql', [{ vendor: 'oracle', product: 'mysql' }]],
]);

/** Product names nmap reports without a CPE (lowercase) → NVD pairs. */
const NAME_ALIASES: ReadonlyMap<string, readonly ProductKey[]> = new Map<string, readonly ProductKey[]>([
  ['mosquitto', [{ vendor: 'eclipse', product: 'mosquitto' }]],
  ['eclipse mosquitto', [{ vendor: 'eclipse', product: 'mosquitto' }]],
  ['mosquitto mqtt broker', [{ vendor: 'eclipse', product: 'mosquitto' }]],
  ['nats', [{ vendor: 'linuxfoundation', product: 'nats-server' }]],
  ['nats server', [{ vendor: 'linuxfoundation', product: 'nats-server' }]],
  ['nats-server', [{ vendor: 'linuxfoundation', product: 'nats-server' }]],
  ['nats.io gnatsd', [{ vendor: 'linuxfoundation', product: 'nats-server' }]],
  ['mysql', [{ vendor: 'oracle', product: 'mysql' }, { vendor: 'mysql', product: 'mysql' }]],
  ['mariadb', [{ vendor: 'mariadb', product: 'mariadb' }]],
  ['redis', [{ vendor: 'redis', product: 'redis' }]],
  ['redis key-value store', [{ vendor: 'redis', product: 'redis' }]],
  ['rabbitmq', [{ vendor: 'vmware', product: 'rabbitmq' }, { vendor: 'pivotal_software', product: 'rabbitmq' }]],
  ['nginx', [{ vendor: 'f5', product: 'nginx' }, { vendor: 'f5', product: 'nginx_open_source' }]],
]);

const MARIADB: ProductKey = { vendor: 'mariadb', product: 'mariadb' };

function pushUnique(out: ProductKey[], k: ProductKey): void {
  for (const o of out) if (o.vendor === k.vendor && o.product === k.product) return;
  out.push(k);
}

/**
 * The NVD `vendor:product` pairs to look up for what nmap reported, the input itself first (lowercased).
 * With a CPE: `vendor`/`product` are its attributes (`igor_sysoev`, `nginx` → igor_sysoev:nginx, f5:nginx,
 * f5:nginx_open_source). Without a CPE: pass `vendor` `''` (or `*`) and nmap's product name
 * (`Mosquitto` → `:mosquitto`, eclipse:mosquitto; `NATS` → `:nats`, linuxfoundation:nats-server); the input
 * `{vendor: '', product: name}` stays first, matching no NVD record.
 * @returns a fresh array of fresh objects, never empty, no duplicates.
 */
export function nvdProductsFor(vendor: string, product: string): ProductKey[] {
  const v = vendor.trim().toLowerCase();
  const p = product.trim().toLowerCase();
  const out: ProductKey[] = [{ vendor: v, product: p }];
  if (v === '' || v === '*') {
    for (const k of NAME_ALIASES.get(p.replace(/\s+/g, ' ')) ?? []) pushUnique(out, { ...k });
    return out;
  }
  for (const k of CPE_ALIASES.get(`${v}:${p}`) ?? []) pushUnique(out, { ...k });
  return out;
}

/** `5.5.5-10.11.6-MariaDB-0+deb12u1` (MySQL protocol greeting of MariaDB < 11) or `11.4.2-MariaDB-…`. */
const MARIADB_VERSION = /^(?:5\.5\.5-)?(\d+\.\d+\.\d+)-mariadb/i;
/** OpenSSH portable: `8.9p1` → NVD version `8.9`, update `p1` (README: openssh 8.3:p1 in CVE-2020-15778). */
const OPENSSH_PORTABLE = /^(\d+\.\d+(?:\.\d+)?)(p\d+)$/i;
/** Pre-release suffix: `7.2.0-rc1` → version `7.2.0`, update `rc1` (README: redis 7.2.0:rc1 in CVE-2023-41053). */
const PRE_RELEASE_SUFFIX = /^(\d+(?:\.\d+)+)[-._~]?((?:rc|beta|alpha)\d*)$/i;
/** ProFTPD letter releases: `1.3.5a` → `1.3.5` update `a` (NVD usage, not in the data). */
const PROFTPD_LETTER = /^(\d+\.\d+\.\d+)([a-z])$/i;

/**
 * Splits a detected version into NVD's version and update values and picks the NVD products
 * ({@link nvdProductsFor}). Only the first whitespace-separated word of `version` is used.
 * - MySQL/MariaDB greeting `5.5.5-10.11.6-MariaDB-0+deb12u1` (any vendor/product) → keys `[mariadb:mariadb]`,
 *   version `10.11.6`, update `*`.
 * - openbsd:openssh `8.9p1` → version `8.9`, update `p1`.
 * - any product, `7.2.0-rc1` / `7.2.0rc1` → version `7.2.0`, update `rc1` (lowercased).
 * - proftpd:proftpd `1.3.5a` → version `1.3.5`, update `a`.
 * - otherwise version as given, update `*`. An empty version gives version `''`: unknown, which a matcher
 *   must not treat as ANY (that would match every range).
 */
export function normalizeDetected(vendor: string, product: string, version: string): { keys: ProductKey[]; version: string; update: string } {
  const ver = version.trim().split(/\s+/)[0] ?? '';
  const maria = MARIADB_VERSION.exec(ver);
  if (maria !== null) return { keys: [{ ...MARIADB }], version: maria[1] as string, update: '*' };
  const keys = nvdProductsFor(vendor, product);
  const isOpenssh = keys.some((k) => k.vendor === 'openbsd' && k.product === 'openssh');
  const isProftpd = keys.some((k) => k.vendor === 'proftpd' && k.product === 'proftpd');
  const ssh = isOpenssh ? OPENSSH_PORTABLE.exec(ver) : null;
  if (ssh !== null) return { keys, version: ssh[1] as string, update: (ssh[2] as string).toLowerCase() };
  const pre = PRE_RELEASE_SUFFIX.exec(ver);
  if (pre !== null) return { keys, version: pre[1] as string, update: (pre[2] as string).toLowerCase() };
  const letter = isProftpd ? PROFTPD_LETTER.exec(ver) : null;
  if (letter !== null) return { keys, version: letter[1] as string, update: (letter[2] as string).toLowerCase() };
  return { keys, version: ver, update: '*' };
}
