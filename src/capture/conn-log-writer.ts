/**
 * Writes {@link ConnRecord}s as a Zeek conn.log: Zeek's ASCII (TSV) format with its `#` header block, or NDJSON as
 * Zeek's JSON writer (`LogAscii::use_json=T`) writes it, so tools that read Zeek logs (zeek-cut, Zeek's own input
 * framework, SIEM pipelines) read ours unchanged.
 *
 * Sources, all in the Zeek tree (https://github.com/zeek/zeek):
 * - columns and types: `Conn::Info` in scripts/base/protocols/conn/main.zeek; which fields are set when: its
 *   `set_conn()` (duration, orig_bytes and resp_bytes only when `c$duration > 0secs`; history only when non-empty;
 *   local_orig/local_resp only when `Site::local_nets` is configured);
 * - header block: `Ascii::WriteHeader` in src/logging/writers/ascii/Ascii.cc (`#separator \x09` with a space,
 *   then `#key<TAB>value` lines; `#open`/`#close` as `%Y-%m-%d-%H-%M-%S`);
 * - values: `Ascii::Describe` in src/threading/formatters/Ascii.cc (unset `-`, empty string or set `(empty)`,
 *   `T`/`F`, a string equal to `-` or `(empty)` gets its first byte hex-escaped); `time` and `interval` through
 *   `Formatter::Render(double)` = `modp_dtoa(d, buf, 6)` (src/modp_numtoa.c: six decimals, trailing zeros kept,
 *   its own round-half rule); `double` through `ODesc::Add(double, no_exp)` (up to six decimals, trailing zeros
 *   dropped, `.0` on integral values);
 * - escaping: `ODesc::AddBytes`/`FirstEscapeLoc` in src/Desc.cc with `LogAscii::enable_utf_8 = T` (the default
 *   since Zeek 6): the separator, `\`, and bytes that are not printable ASCII and not part of a valid UTF-8
 *   sequence become `\xNN` (lower-case hex); inside a set the set separator is escaped too;
 * - JSON: src/threading/formatters/JSON.cc (rapidjson): unset fields omitted, `time` as epoch seconds
 *   (`JSON::TS_EPOCH`), doubles in shortest round-trip form with `.0` on integral values (rapidjson `Prettify`),
 *   strings with `"` `\` and control characters escaped (`\u00XX` upper-case hex), sets as arrays.
 *
 * Columns are Zeek 3–7's standard conn.log columns, in Zeek's order: {@link CONN_LOG_FIELDS}. We do not compute
 * `local_orig`, `local_resp` (no site networks), `missed_bytes` (content gaps) or `tunnel_parents` (no tunnel
 * decapsulation): they are written unset (`-`) unless the row carries them ({@link ConnLogRow}). Deviations from
 * Zeek, on purpose: `#open`/`#close` are UTC (Zeek writes the sensor's local time) and come from an injected
 * clock; `time`/`interval` values of 2^31 s or more stay in fixed notation (modp_dtoa switches to `%e` there).
 *
 * UNSW-NB15 extension ({@link UNSW_CONN_COLUMNS}): the per-flow features of a ConnRecord as extra columns after
 * `tunnel_parents`, under their UNSW-NB15 names (Moustafa & Slay, MilCIS 2015, Table 6; units in
 * docs/flow-features.md). Off by default in TSV (the file is then column-for-column a Zeek conn.log), on by
 * default in NDJSON (JSON consumers ignore unknown keys). Zeek's readers and zeek-cut accept extra columns.
 *
 * Cost: one string per record (~20 small strings joined); no per-field escaping work for plain ASCII values.
 */
import type { ConnRecord } from './conn-record.js';

/** conn.log columns in Zeek's order (scripts/base/protocols/conn/main.zeek, `Conn::Info`). */
export const CONN_LOG_FIELDS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes',
  'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes',
  'resp_pkts', 'resp_ip_bytes', 'tunnel_parents',
] as const;

/** Zeek type names of {@link CONN_LOG_FIELDS}, as the `#types` line writes them. */
export const CONN_LOG_TYPES = [
  'time', 'string', 'addr', 'port', 'addr', 'port', 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool',
  'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]',
] as const;

/** A UNSW-NB15 per-flow feature of {@link ConnRecord} written by the extension: column name and Zeek type. */
export type UnswConnField =
  | 'sttl' | 'dttl' | 'sload' | 'dload' | 'sinpkt' | 'dinpkt' | 'sjit' | 'djit' | 'swin' | 'dwin' | 'synack'
  | 'ackdat' | 'tcprtt' | 'smean' | 'dmean' | 'sloss' | 'dloss';

/**
 * The UNSW-NB15 extension columns, in the order written, with their Zeek types: counts for TTLs, windows and
 * losses; `interval` (seconds) for the handshake times; `double` for rates (bit/s), inter-packet times and jitter
 * (ms) and mean packet sizes (bytes).
 */
export const UNSW_CONN_COLUMNS: readonly (readonly [UnswConnField, 'count' | 'double' | 'interval'])[] = [
  ['sttl', 'count'], ['dttl', 'count'], ['sload', 'double'], ['dload', 'double'], ['sinpkt', 'double'],
  ['dinpkt', 'double'], ['sjit', 'double'], ['djit', 'double'], ['swin', 'count'], ['dwin', 'count'],
  ['synack', 'interval'], ['ackdat', 'interval'], ['tcprtt', 'interval'], ['smean', 'double'], ['dmean', 'double'],
  ['sloss', 'count'], ['dloss', 'count'],
];

/**
 * A record to write: a {@link ConnRecord}, optionally with the conn.log fields IPqSEC does not compute (written
 * unset when absent, as Zeek does when it has no value). Only the fields below and the ConnRecord's Zeek and
 * UNSW fields are written; `end_reason`, `last_ts` and `vlan` are not.
 */
export type ConnLogRow = ConnRecord & {
  /** Zeek `local_orig`/`local_resp` (set by Zeek only when `Site::local_nets` is configured). */
  readonly local_orig?: boolean;
  readonly local_resp?: boolean;
  /** Zeek `missed_bytes`: bytes lost in content gaps. */
  readonly missed_bytes?: number;
  /** Zeek `tunnel_parents`: uids of enclosing tunnel connections. */
  readonly tunnel_parents?: readonly string[];
};

/** Formatting options shared by TSV and NDJSON. */
export interface ConnLogFormatOptions {
  /** Append the UNSW-NB15 columns ({@link UNSW_CONN_COLUMNS}). Default: false for TSV, true for NDJSON. */
  readonly unsw?: boolean;
  /**
   * Zeek's `set_conn()` rule: when `duration` is 0, write duration, orig_bytes and resp_bytes unset, so the
   * line equals Zeek's for the same connection (default true). False writes them always (the byte counts of a
   * one-packet flow are then kept).
   */
  readonly zeekUnsetRule?: boolean;
}

// Zeek's LogAscii defaults (scripts/base/frameworks/logging/writers/ascii.zeek).
const SEP = '\t';
const SET_SEP = ',';
const EMPTY = '(empty)';
const UNSET = '-';

/**
 * `time`/`interval` as Zeek's TSV writes them: `modp_dtoa(v, buf, 6)` (src/modp_numtoa.c) — the integer part,
 * then exactly six decimals, the sixth rounded up when the remainder is over one half, or exactly one half and
 * the sixth digit is odd or zero (modp's rule).
 *
 * @throws RangeError for a negative or non-finite value (conn.log times and durations are ≥ 0).
 */
export function formatZeekTime(v: number): string {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`time/interval must be a finite number >= 0, got ${v}`);
  let whole = Math.trunc(v);
  const tmp = (v - whole) * 1e6;
  let frac = Math.trunc(tmp);
  const diff = tmp - frac;
  if (diff > 0.5 || (diff === 0.5 && (frac === 0 || (frac & 1) === 1))) frac++;
  if (frac >= 1e6) {
    frac = 0;
    whole++;
  }
  return `${whole}.${String(frac).padStart(6, '0')}`;
}

/**
 * A `double` as Zeek's TSV writes it (`ODesc::Add(d, no_exp = true)`, src/Desc.cc): rounded to six decimals as
 * {@link formatZeekTime}, trailing zeros dropped, and `.0` appended when the value is within 1e-9 of an integer.
 *
 * @throws RangeError for a non-finite value.
 */
export function formatZeekDouble(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`double must be finite, got ${v}`);
  const neg = v < 0;
  let s = formatZeekTime(neg ? -v : v);
  s = s.replace(/0+$/, '');
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (Math.abs(v - Math.round(v)) < 1e-9) s += '.0';
  return neg && s !== '0' && s !== '0.0' ? `-${s}` : s;
}

/**
 * A double in JSON as Zeek's JSON writer writes it (rapidjson `Writer::Double`): the shortest digits that read
 * back to the same double (ECMAScript Number::toString; rapidjson's Grisu2 gives the same digits except in rare
 * cases where it is one digit longer — both read back exactly), `.0` on integral values, exponents without `+`.
 *
 * @throws RangeError for a non-finite value (Zeek writes `null`, which a conn.log never needs).
 */
export function formatZeekJsonDouble(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`double must be finite, got ${v}`);
  const s = String(v);
  if (s.includes('e')) return s.replace('e+', 'e');
  return s.includes('.') ? s : `${s}.0`;
}

/** Whether a string holds a character a TSV field escapes: a control, DEL or `\` (the TAB separator is a control). */
function hasTsvSpecial(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c) return true;
  }
  return false;
}

/**
 * Escapes a string value for a Zeek TSV field (src/Desc.cc `ODesc::AddBytes` with UTF-8 enabled, then
 * src/threading/formatters/Ascii.cc): controls (0x00–0x1F, including the TAB separator), DEL and `\` become
 * `\xNN`; other characters, including non-ASCII (written as UTF-8), stay; `''` is `(empty)`; a value equal to `-`
 * or `(empty)` gets its first character escaped (`\x2d`, `\x28empty)`). With `setSep`, that separator is escaped
 * too (set elements).
 */
export function escapeZeekString(s: string, setSep?: string): string {
  if (s.length === 0) return EMPTY;
  if (s === UNSET) return '\\x2d';
  if (s === EMPTY) return '\\x28empty)';
  if (!hasTsvSpecial(s) && (setSep === undefined || !s.includes(setSep))) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c || (setSep !== undefined && s.startsWith(setSep, i))) {
      const n = setSep !== undefined && s.startsWith(setSep, i) ? setSep.length : 1;
      for (let k = 0; k < n; k++) out += `\\x${s.charCodeAt(i + k).toString(16).padStart(2, '0')}`;
      i += n - 1;
    } else {
      out += s[i];
    }
  }
  return out;
}

// rapidjson's escape table: `"`, `\` and 0x00–0x1F (short forms for \b \f \n \r \t, else \u00XX upper-case).
function hasJsonSpecial(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}
const JSON_SHORT: Readonly<Record<number, string>> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

/** A JSON string literal as rapidjson writes it (see the file comment). */
export function zeekJsonString(s: string): string {
  if (!hasJsonSpecial(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = JSON_SHORT[c];
    if (short !== undefined) out += short;
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** `#open`/`#close` value: `%Y-%m-%d-%H-%M-%S` of an epoch-seconds time, in UTC. */
export function formatZeekLogTime(epochSeconds: number): string {
  const d = new Date(Math.floor(epochSeconds) * 1000);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time ${epochSeconds}`);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** Column names written with these options. */
export function connLogFields(unsw: boolean): string[] {
  return unsw ? [...CONN_LOG_FIELDS, ...UNSW_CONN_COLUMNS.map(([n]) => n)] : [...CONN_LOG_FIELDS];
}

/**
 * The TSV header block (each line ending in LF): `#separator`, `#set_separator`, `#empty_field`,
 * `#unset_field`, `#path`, `#open`, `#fields`, `#types`, as `Ascii::WriteHeader`.
 *
 * @param openTime epoch seconds written as `#open` (UTC)
 * @param unsw whether the UNSW-NB15 columns follow the Zeek ones (default false)
 * @param path the `#path` value (default `conn`)
 */
export function zeekTsvHeader(openTime: number, unsw = false, path = 'conn'): string {
  const types = unsw ? [...CONN_LOG_TYPES, ...UNSW_CONN_COLUMNS.map(([, t]) => t)] : [...CONN_LOG_TYPES];
  return (
    '#separator \\x09\n' +
    `#set_separator${SEP}${SET_SEP}\n` +
    `#empty_field${SEP}${EMPTY}\n` +
    `#unset_field${SEP}${UNSET}\n` +
    `#path${SEP}${escapeZeekString(path)}\n` +
    `#open${SEP}${formatZeekLogTime(openTime)}\n` +
    `#fields${SEP}${connLogFields(unsw).join(SEP)}\n` +
    `#types${SEP}${types.join(SEP)}\n`
  );
}

/** The TSV trailer line (`#close<TAB>%Y-%m-%d-%H-%M-%S` and LF), as `Ascii::CloseFile`. */
export function zeekTsvFooter(closeTime: number): string {
  return `#close${SEP}${formatZeekLogTime(closeTime)}\n`;
}

function count(v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${field} must be a non-negative safe integer, got ${v}`);
  return v;
}

function port(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${field} must be a port 0..65535, got ${v}`);
  return v;
}

/** Whether duration, orig_bytes and resp_bytes are written for this record (Zeek's `set_conn()` rule). */
function durationSet(r: ConnLogRow, opts: ConnLogFormatOptions): boolean {
  return opts.zeekUnsetRule === false || r.duration > 0;
}

/**
 * One TSV data line (without LF) for a record, columns as {@link connLogFields}.
 *
 * @throws RangeError when a field is out of its type's range (negative count, port > 65535, non-finite time):
 *   a bug in the producer, not bad input.
 */
export function formatConnTsvLine(r: ConnLogRow, opts: ConnLogFormatOptions = {}): string {
  const dur = durationSet(r, opts);
  const cols: string[] = [
    formatZeekTime(r.ts),
    escapeZeekString(r.uid),
    escapeZeekString(r.orig_h),
    String(port(r.orig_p, 'orig_p')),
    escapeZeekString(r.resp_h),
    String(port(r.resp_p, 'resp_p')),
    escapeZeekString(r.proto),
    r.service === null ? UNSET : escapeZeekString(r.service),
    dur ? formatZeekTime(r.duration) : UNSET,
    dur ? String(count(r.orig_bytes, 'orig_bytes')) : UNSET,
    dur ? String(count(r.resp_bytes, 'resp_bytes')) : UNSET,
    escapeZeekString(r.conn_state),
    r.local_orig === undefined ? UNSET : r.local_orig ? 'T' : 'F',
    r.local_resp === undefined ? UNSET : r.local_resp ? 'T' : 'F',
    r.missed_bytes === undefined ? UNSET : String(count(r.missed_bytes, 'missed_bytes')),
    r.history === '' ? UNSET : escapeZeekString(r.history),
    String(count(r.orig_pkts, 'orig_pkts')),
    String(count(r.orig_ip_bytes, 'orig_ip_bytes')),
    String(count(r.resp_pkts, 'resp_pkts')),
    String(count(r.resp_ip_bytes, 'resp_ip_bytes')),
    r.tunnel_parents === undefined
      ? UNSET
      : r.tunnel_parents.length === 0
        ? EMPTY
        : r.tunnel_parents.map((u) => escapeZeekString(u, SET_SEP)).join(SET_SEP),
  ];
  if (opts.unsw === true) {
    for (const [name, type] of UNSW_CONN_COLUMNS) {
      const v = r[name];
      cols.push(type === 'count' ? String(count(v, name)) : type === 'interval' ? formatZeekTime(v) : formatZeekDouble(v));
    }
  }
  return cols.join(SEP);
}

/**
 * One NDJSON line (without LF) for a record, as Zeek's JSON writer: keys in column order, unset fields omitted.
 * The UNSW-NB15 keys are included unless `opts.unsw === false`.
 *
 * @throws RangeError as {@link formatConnTsvLine}.
 */
export function formatConnJsonLine(r: ConnLogRow, opts: ConnLogFormatOptions = {}): string {
  const dur = durationSet(r, opts);
  let s =
    `{"ts":${formatZeekJsonDouble(tsCheck(r.ts))},"uid":${zeekJsonString(r.uid)},` +
    `"id.orig_h":${zeekJsonString(r.orig_h)},"id.orig_p":${port(r.orig_p, 'orig_p')},` +
    `"id.resp_h":${zeekJsonString(r.resp_h)},"id.resp_p":${port(r.resp_p, 'resp_p')},"proto":${zeekJsonString(r.proto)}`;
  if (r.service !== null) s += `,"service":${zeekJsonString(r.service)}`;
  if (dur) {
    s += `,"duration":${formatZeekJsonDouble(tsCheck(r.duration))},"orig_bytes":${count(r.orig_bytes, 'orig_bytes')},"resp_bytes":${count(r.resp_bytes, 'resp_bytes')}`;
  }
  s += `,"conn_state":${zeekJsonString(r.conn_state)}`;
  if (r.local_orig !== undefined) s += `,"local_orig":${r.local_orig}`;
  if (r.local_resp !== undefined) s += `,"local_resp":${r.local_resp}`;
  if (r.missed_bytes !== undefined) s += `,"missed_bytes":${count(r.missed_bytes, 'missed_bytes')}`;
  if (r.history !== '') s += `,"history":${zeekJsonString(r.history)}`;
  s +=
    `,"orig_pkts":${count(r.orig_pkts, 'orig_pkts')},"orig_ip_bytes":${count(r.orig_ip_bytes, 'orig_ip_bytes')}` +
    `,"resp_pkts":${count(r.resp_pkts, 'resp_pkts')},"resp_ip_bytes":${count(r.resp_ip_bytes, 'resp_ip_bytes')}`;
  if (r.tunnel_parents !== undefined) s += `,"tunnel_parents":[${r.tunnel_parents.map(zeekJsonString).join(',')}]`;
  if (opts.unsw !== false) {
    for (const [name, type] of UNSW_CONN_COLUMNS) {
      const v = r[name];
      s += `,"${name}":${type === 'count' ? count(v, name) : formatZeekJsonDouble(type === 'interval' ? tsCheck(v) : v)}`;
    }
  }
  return `${s}}`;
}

function tsCheck(v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`time/interval must be a finite number >= 0, got ${v}`);
  return v;
}

/** Where the writer puts its text: a Node `Writable`, a file handle wrapper, an array collector, … */
export interface TextSink {
  /** Returns false when the sink wants the caller to wait for `'drain'` (Node streams), like `Writable#write`. */
  write(chunk: string): unknown;
}

/** Options of {@link ConnLogWriter}. */
export interface ConnLogWriterOptions extends ConnLogFormatOptions {
  /** `tsv`: Zeek ASCII with header block; `ndjson`: one Zeek-JSON object per line. */
  readonly format: 'tsv' | 'ndjson';
  /** Clock for `#open`/`#close`, epoch seconds (default: the wall clock). Inject a fixed one in tests. */
  readonly now?: () => number;
  /** `#path` value (default `conn`). */
  readonly path?: string;
}

/**
 * Streams records to a sink as a conn.log. TSV: the header block is written with the first record (as Zeek,
 * which opens a log file on its first write) and `#close` by {@link close}; NDJSON has no header. Holds no
 * records: memory is constant.
 */
export class ConnLogWriter {
  private readonly sink: TextSink;
  private readonly opts: ConnLogWriterOptions;
  private readonly now: () => number;
  private opened = false;
  private closed = false;
  /** Records written so far. */
  records = 0;

  constructor(sink: TextSink, opts: ConnLogWriterOptions) {
    if (opts.format !== 'tsv' && opts.format !== 'ndjson') throw new TypeError(`format must be 'tsv' or 'ndjson', got ${String(opts.format)}`);
    this.sink = sink;
    this.opts = opts;
    this.now = opts.now ?? (() => Date.now() / 1000);
  }

  /**
   * Writes one record (and, for the first TSV record, the header block before it). Returns what the sink's
   * `write` returned for the record's line when that is a boolean (false: wait for `'drain'`), else true.
   *
   * @throws RangeError for out-of-range fields (see {@link formatConnTsvLine}); TypeError after {@link close}.
   */
  write(r: ConnLogRow): boolean {
    if (this.closed) throw new TypeError('ConnLogWriter: write after close');
    let text: string;
    if (this.opts.format === 'tsv') {
      text = `${formatConnTsvLine(r, this.opts)}\n`;
      if (!this.opened) text = zeekTsvHeader(this.now(), this.opts.unsw === true, this.opts.path ?? 'conn') + text;
    } else {
      text = `${formatConnJsonLine(r, this.opts)}\n`;
    }
    this.opened = true;
    this.records++;
    const ok = this.sink.write(text);
    return typeof ok === 'boolean' ? ok : true;
  }

  /** Ends the log: writes `#close` for a TSV log that was opened. Idempotent; does not end the sink itself. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.opts.format === 'tsv' && this.opened) this.sink.write(zeekTsvFooter(this.now()));
  }
}

/**
 * A whole conn.log as one string (header, records, `#close` for TSV): for tests and small outputs. An empty
 * `records` gives an empty string (no file, as Zeek).
 */
export function formatConnLog(records: Iterable<ConnLogRow>, opts: ConnLogWriterOptions): string {
  const parts: string[] = [];
  const w = new ConnLogWriter({ write: (s: string) => parts.push(s) }, opts);
  for (const r of records) w.write(r);
  w.close();
  return parts.join('');
}
