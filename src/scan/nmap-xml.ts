/**
 * nmap's XML output (`-oX`) read into hosts, ports and the services version detection (`-sV`) identified.
 *
 * SOURCE: nmap's XML output DTD `nmap.dtd` (xmloutputversion 1.05, nmap 7.93: `nmaprun` → `host` → `address`,
 * `hostnames/hostname`, `status`, `ports/port` → `state`, `service` → `cpe`), nmap(1) "OUTPUT" `-oX`; the elements
 * and attributes used were checked against XML captured from nmap 7.93 on this project's test machine
 * (src/scan/__fixtures__/). Parsing: fast-xml-parser (`XMLValidator` for well-formedness with line and column,
 * `XMLParser` for the tree); all attribute values are kept as strings (a version `7.0` must not become the number 7).
 *
 * Ignored: `extraports` (closed/filtered port counts), `script` output, OS detection, `times`, `hosthint` and
 * ports of protocol `ip` (`-sO`, never run by the scanner). A host's `timedout="true"` (nmap `--host-timeout`
 * reached: nmap 7.93 then reports no ports for it) is kept as {@link NmapHost.timedout}.
 *
 * Cost: linear in the XML (one validation pass, one parse pass, one scan for `<host`/`<port` positions on error).
 * Errors: {@link IpqsecError} `IPQ-V003` "… at line L, column C" (`details`: `source`, `line`, `column`, `reason`)
 * when the XML is not well formed (truncated output of a killed nmap, garbage), lacks the `nmaprun` element, or a
 * host/port lacks what the DTD requires (an address, a port number 1..65535, a protocol, a state).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { IpqsecError } from '../core/errors.js';

/** A port's `<service>`: what `-sV` identified. Absent attributes are null. */
export interface NmapService {
  /** nmap service name (`ssh`, `http`, `redis`; NSE version scripts may set it to text like `mosquitto version 2.0.11`). */
  name: string | null;
  product: string | null;
  /** As nmap prints it: a version (`7.0.15`), with packaging (`8.2p1 Ubuntu 4ubuntu0.5`) or a range (`9.6.0 or later`). */
  version: string | null;
  extrainfo: string | null;
  /** CPE 2.2 URIs as given (`cpe:/a:redislabs:redis:7.0.15`), in document order. */
  cpe: string[];
  /** `probed` (a probe's response matched) or `table` (guessed from the port number, nmap-services). */
  method: string | null;
  /** nmap's confidence 0..10 (3 for `table`, 10 for a probe match), null when absent. */
  conf: number | null;
}

/** One `<port>`. */
export interface NmapPort {
  /** 1..65535. */
  port: number;
  proto: 'tcp' | 'udp' | 'sctp';
  /** `open`, `closed`, `filtered`, `open|filtered`, `unfiltered`, `closed|filtered`. */
  state: string;
  service: NmapService | null;
}

/** One `<host>`. */
export interface NmapHost {
  /** The IPv4 or IPv6 address (the first `address` of type ipv4/ipv6; MAC addresses are skipped). */
  address: string;
  addrtype: 'ipv4' | 'ipv6';
  /** `hostname` names (user-given and PTR), in document order. */
  hostnames: string[];
  status: 'up' | 'down' | 'unknown';
  /** nmap stopped scanning the host at `--host-timeout` (`<host timedout="true">`): its ports are not reported. */
  timedout: boolean;
  ports: NmapPort[];
}

/** The whole document. */
export interface NmapRun {
  hosts: NmapHost[];
  /** The command line nmap records in `nmaprun@args`, null when absent. */
  args: string | null;
  /** nmap's version (`7.93`), null when absent. */
  version: string | null;
}

/** Elements that may repeat (always arrays in the parsed tree). */
const REPEATED = new Set(['host', 'address', 'hostname', 'port', 'cpe']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name: string, _jpath: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute && REPEATED.has(name),
});

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const nodes = (v: unknown): Node[] => (Array.isArray(v) ? v.filter(isNode) : isNode(v) ? [v] : []);

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** 1-based line and column of offset `i` in `text`. */
function lineCol(text: string, i: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = text.indexOf('\n'); k >= 0 && k < i; k = text.indexOf('\n', k + 1)) {
    line++;
    start = k + 1;
  }
  return { line, column: i - start + 1 };
}

function v003(source: string, reason: string, line: number, column: number): IpqsecError {
  return new IpqsecError('IPQ-V003', `${source}: ${reason} at line ${line}, column ${column}`, {
    details: { source, line, column, reason },
  });
}

/** Position of the n-th (0-based) opening tag `<name` in the raw text, for errors about that element. */
function elementPosition(xml: string, name: string, n: number): { line: number; column: number } {
  const re = new RegExp(`<${name}[\\s/>]`, 'g');
  let m: RegExpExecArray | null;
  let k = 0;
  while ((m = re.exec(xml)) !== null) {
    if (k === n) return lineCol(xml, m.index);
    k++;
  }
  return { line: 1, column: 1 };
}

function parseService(s: Node | undefined): NmapService | null {
  if (s === undefined) return null;
  const conf = str(s.conf);
  const confN = conf !== null && /^[0-9]{1,2}$/.test(conf) ? Number(conf) : null;
  return {
    name: str(s.name),
    product: str(s.product),
    version: str(s.version),
    extrainfo: str(s.extrainfo),
    cpe: (Array.isArray(s.cpe) ? s.cpe : []).map(str).filter((c): c is string => c !== null && c.length > 0),
    method: str(s.method),
    conf: confN,
  };
}

/**
 * Parses nmap's XML output.
 * @param where.source names the output in error messages (e.g. `nmap 127.0.0.1`); default `nmap XML`.
 * @returns hosts in document order with their ports in document order.
 * @throws IpqsecError `IPQ-V003` "… at line L, column C" for XML that is not well formed (for a truncated document,
 *   also where it ends), has no `nmaprun` root, or a host/port missing required data.
 */
export function parseNmapXml(xml: string, where: { source?: string } = {}): NmapRun {
  if (typeof xml !== 'string') throw new TypeError('parseNmapXml: expected a string');
  const source = where.source ?? 'nmap XML';
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // fast-xml-parser reports elements left open at the end as "Invalid '[names]' found." at 1:1: report where the
    // document ends instead (nmap killed mid-output).
    const open = /^Invalid '\[(.*)\]' found\.$/s.exec(msg);
    if (open !== null) {
      const names = [...(open[1] as string).matchAll(/"([^"]+)"/g)].map((m) => `<${m[1] as string}>`);
      const end = lineCol(xml, xml.length);
      throw v003(source, `the document ends with ${names.join(', ')} still open (truncated output?)`, end.line, end.column);
    }
    let reason = msg;
    if (/^Unclosed tag/.test(msg) || msg === 'Start tag expected.') {
      const end = lineCol(xml, xml.length);
      reason = `${msg} (the document ends at line ${end.line}, column ${end.column}: truncated output?)`;
    }
    throw v003(source, reason, typeof line === 'number' ? line : 1, typeof col === 'number' ? col : 1);
  }
  let tree: unknown;
  try {
    tree = parser.parse(xml);
  } catch (e) {
    throw v003(source, `not parsable: ${(e as Error).message}`, 1, 1);
  }
  const run = isNode(tree) ? tree.nmaprun : undefined;
  if (!isNode(run)) throw v003(source, 'no nmaprun element (not nmap XML output)', 1, 1);

  const hosts: NmapHost[] = [];
  let hostIndex = -1;
  let portIndex = -1;
  for (const h of nodes(run.host)) {
    hostIndex++;
    const addr = nodes(h.address).find((a) => a.addrtype === 'ipv4' || a.addrtype === 'ipv6');
    const address = addr === undefined ? null : str(addr.addr);
    if (addr === undefined || address === null || address === '') {
      const p = elementPosition(xml, 'host', hostIndex);
      throw v003(source, `host #${hostIndex + 1} has no IPv4/IPv6 address`, p.line, p.column);
    }
    const hostnames = nodes(isNode(h.hostnames) ? h.hostnames.hostname : undefined)
      .map((n) => str(n.name))
      .filter((n): n is string => n !== null && n !== '');
    const st = isNode(h.status) ? str(h.status.state) : null;
    const status: NmapHost['status'] = st === 'up' || st === 'down' ? st : 'unknown';
    const ports: NmapPort[] = [];
    for (const p of nodes(isNode(h.ports) ? h.ports.port : undefined)) {
      portIndex++;
      const bad = (reason: string): IpqsecError => {
        const pos = elementPosition(xml, 'port', portIndex);
        return v003(source, `host ${address} port #${portIndex + 1}: ${reason}`, pos.line, pos.column);
      };
      const proto = str(p.protocol);
      if (proto === 'ip') continue;
      if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw bad(`protocol ${JSON.stringify(proto)} is not tcp, udp or sctp`);
      const id = str(p.portid);
      if (id === null || !/^[0-9]{1,5}$/.test(id) || Number(id) < 1 || Number(id) > 65535) throw bad(`portid ${JSON.stringify(id)} is not 1..65535`);
      const state = isNode(p.state) ? str(p.state.state) : null;
      if (state === null || state === '') throw bad('no state');
      ports.push({ port: Number(id), proto, state, service: parseService(isNode(p.service) ? p.service : undefined) });
    }
    hosts.push({ address, addrtype: addr.addrtype as 'ipv4' | 'ipv6', hostnames, status, timedout: h.timedout === 'true', ports });
  }
  return { hosts, args: str(run.args), version: str(run.version) };
}
