/**
 * Reads Zeek conn.log files — Zeek's ASCII (TSV) format and its JSON format — into flow events
 * ({@link FlowEventInput}, the wire form of src/core/events.ts), so a site that already runs Zeek can feed IPqSEC.
 *
 * TSV (src/logging/writers/ascii/Ascii.cc, src/threading/formatters/Ascii.cc in https://github.com/zeek/zeek):
 * - `#separator <escaped>` (value after one space, `\xNN` escapes) starts a header block; then `#key<sep>value`
 *   lines: `#set_separator`, `#empty_field`, `#unset_field` (escaped values), `#path`, `#open`, `#fields`,
 *   `#types`, `#close`. Several blocks may follow each other (rotated logs concatenated, `zeek-cut -C` output):
 *   each `#separator` resets the block, each `#fields` re-maps the columns.
 * - Columns are matched by name from `#fields`, in any order; columns we do not read are ignored; `#types`, when
 *   present, must have as many entries as `#fields` and name a compatible type for each column we read.
 * - Values: the `#unset_field` token (default `-`) is an unset field (omitted from the event; an unset `ts`,
 *   address, port or `proto` is an error); the `#empty_field` token (default `(empty)`) is an empty string;
 *   strings are unescaped (`\xNN` → byte, then UTF-8 decoded), as Zeek's `get_unescaped_string`.
 * JSON (src/threading/formatters/JSON.cc): one object per line with `id.orig_h`-style keys; also accepted are
 *   `id_orig_h` keys (`Log::default_scope_sep = "_"`) and a nested `id` object; `ts` as epoch seconds
 *   (`JSON::TS_EPOCH`), an ISO 8601 string (`JSON::TS_ISO8601`) or integer milliseconds (`JSON::TS_MILLIS`,
 *   recognised as an integer above 10^11); `null` values are unset. A file may mix TSV and JSON lines.
 *
 * Fields read (conn.log names, main.zeek `Conn::Info`): ts, uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p,
 * proto, service, duration, orig_bytes, resp_bytes, conn_state, history, orig_pkts, orig_ip_bytes, resp_pkts,
 * resp_ip_bytes, and any UNSW-NB15 feature column (`UNSW_FLOW_FIELDS`, as conn-log-writer's extension writes).
 * Addresses are put in one canonical text form ({@link canonicalIp}); an empty uid, service or history is
 * omitted. Other Zeek logs share ts, uid, id.* and proto with conn.log: a `#fields` line or JSON record with none
 * of conn.log's own columns (conn_state, duration, orig_bytes, … — Zeek always sets conn_state), or whose
 * `#path`/`_path` does not contain `conn`, is rejected as not a conn.log (IPQ-N004), so `cat *.log` cannot turn
 * dns.log records into flows.
 *
 * Every event returned passes `flowEventSchema`: it is built field by field under the schema's own rules (ranges,
 * enums, lengths, the history alphabet; addresses only in forms zod's ipv4/ipv6 accept), which the tests check
 * on every output (documentation examples, writer round trips, mutation fuzzing). `validate: true` re-checks
 * each event with zod as well; that doubles the read cost (zod ≈ 50% of a line's time, measured on 10^5 lines).
 * A line that does not give a valid event is IpqsecError IPQ-N004 with `location {file, line, column}` and
 * `details {field, value}`; events of earlier lines were already delivered (iterator or callback), and with
 * `skipBad` bad lines are skipped and counted instead.
 */
import { CONN_STATES, UNSW_FLOW_FIELDS, flowEventSchema, type FlowEventInput } from '../core/events.js';
import { IpqsecError } from '../core/errors.js';
import {
  newLogReadSummary,
  parseLogLines,
  parseTextWith,
  readLogWith,
  sourceLabel,
  type LineSource,
  type LogReadOptions,
  type LogReadSummary,
} from './line-reader.js';

/** Largest epoch-seconds value accepted (year 3000, as `flowEventSchema`). */
export const MAX_TS_SECONDS = 32_503_680_000;
/** An integer JSON `ts` above this is milliseconds (`JSON::TS_MILLIS`); 10^11 s is the year 5138. */
const MILLIS_THRESHOLD = 1e11;

/** Where a line is, for error locations. */
export interface LineContext {
  readonly file: string | undefined;
  readonly line: number;
}

/** IPQ-N004 at a line, naming the field and (truncated) value. */
export function malformedLine(ctx: LineContext, message: string, field?: string, value?: unknown): IpqsecError {
  const details: Record<string, unknown> = {};
  if (field !== undefined) details.field = field;
  if (value !== undefined) {
    const v = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
    details.value = v.length > 200 ? `${v.slice(0, 200)}…` : v;
  }
  return new IpqsecError('IPQ-N004', message, {
    location: { ...(ctx.file === undefined ? {} : { file: ctx.file }), line: ctx.line, ...(field === undefined ? {} : { column: field }) },
    details,
  });
}

/**
 * Checks a built event with `flowEventSchema` and returns it typed, or throws IPQ-N004 naming the first failing
 * field. The readers build events that pass by construction; this is the optional guard (`validate: true`).
 * Cost: one zod parse (a few µs).
 */
export function checkFlowEvent(ev: Record<string, unknown>, ctx: LineContext): FlowEventInput {
  const r = flowEventSchema.safeParse(ev);
  if (r.success) return ev as FlowEventInput;
  const issue = r.error.issues[0];
  const path = issue === undefined ? '(event)' : issue.path.map(String).join('.') || '(event)';
  let value: unknown = ev;
  if (issue !== undefined) for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
  throw malformedLine(ctx, `${path}: ${issue?.message ?? 'invalid flow event'}`, path, value);
}

// RFC 791 dotted quad, no leading zeros (what zod's ipv4 accepts and Zeek writes).
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEX16 = /^[0-9a-fA-F]{1,4}$/;

/**
 * An IP address in one canonical text form, or null when `s` is not an address: IPv4 dotted quad (no leading
 * zeros); IPv6 as RFC 5952 §4 (lower-case, no leading zeros, the longest run of two or more zero groups — the
 * first on a tie — as `::`), IPv4-mapped addresses (RFC 4291 §2.5.5.2) as `::ffff:a.b.c.d` (RFC 5952 §5). This is
 * the form ip-format.ts `formatIPv6` gives the pcap sensor's flows, so Suricata's fully expanded IPv6
 * (`0000:…:0001`), Zeek's compressed form and our own give one string per address. Zone ids (`%eth0`) are not
 * addresses here.
 */
export function canonicalIp(s: string): string | null {
  if (!s.includes(':')) return IPV4.test(s) ? s : null;
  if (s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl < 0 ? s.split(':') : dbl === 0 ? [] : s.slice(0, dbl).split(':');
  const tail = dbl < 0 ? [] : dbl + 2 === s.length ? [] : s.slice(dbl + 2).split(':');
  const words: number[] = [];
  const parse = (groups: string[], last: boolean): number[] | null => {
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i];
      if (last && i === groups.length - 1 && g.includes('.')) {
        if (!IPV4.test(g)) return null;
        const [a, b, c, d] = g.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else if (HEX16.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const h = parse(head, dbl < 0);
  const t = parse(tail, true);
  if (h === null || t === null) return null;
  if (dbl < 0) {
    if (h.length !== 8) return null;
    words.push(...h);
  } else {
    const zeros = 8 - h.length - t.length;
    if (zeros < 1) return null;
    words.push(...h, ...new Array<number>(zeros).fill(0), ...t);
  }
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return words.map((w) => w.toString(16)).join(':');
  const left = words.slice(0, bestStart).map((w) => w.toString(16)).join(':');
  const right = words.slice(bestStart + bestLen).map((w) => w.toString(16)).join(':');
  return `${left}::${right}`;
}

const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level date algorithms"). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Epoch seconds of an ISO 8601 / RFC 3339 date-time, or null when it is not one: `YYYY-MM-DDTHH:MM:SS`, an
 * optional fraction of up to 9 digits, and an optional offset `Z`, `±HH`, `±HHMM` (Suricata writes
 * `+0100`, without the colon RFC 3339 §5.6 requires) or `±HH:MM`. No offset means UTC (old Suricata versions
 * wrote local time without one; it cannot be recovered). The fraction is kept exactly as written: the result is
 * the double nearest to `<whole seconds>.<fraction>`.
 */
export function parseIsoTime(s: string): number | null {
  const m = ISO_TIME.exec(s);
  if (m === null) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, off] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs);
  const mi = Number(mis);
  const sec = Number(ss);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const mdays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) return null;
  let offset = 0;
  if (off !== undefined && off !== 'Z') {
    const oh = Number(off.slice(1, 3));
    const om = off.length > 3 ? Number(off.slice(-2)) : 0;
    if (oh > 23 || om > 59) return null;
    offset = (off[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const whole = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  if (frac === undefined || /^0+$/.test(frac)) return whole;
  // Decimal parsing gives the double nearest the written value (adding two doubles could be one ulp off).
  return whole >= 0 ? Number(`${whole}.${frac}`) : whole + Number(`0.${frac}`);
}

/** Zeek string unescaping (`util::get_unescaped_string`): `\xNN` → that byte; the bytes are then read as UTF-8. */
export function unescapeZeek(s: string): string {
  if (!s.includes('\\x')) return s;
  const parts: Buffer[] = [];
  let last = 0;
  const re = /\\x([0-9a-fA-F]{2})/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m.index > last) parts.push(Buffer.from(s.slice(last, m.index), 'utf8'));
    parts.push(Buffer.of(parseInt(m[1], 16)));
    last = m.index + 4;
  }
  if (last < s.length) parts.push(Buffer.from(s.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

type Kind = 'time' | 'interval' | 'count' | 'port' | 'addr' | 'proto' | 'uid' | 'service' | 'conn_state' | 'history' | 'number';

/** How one conn.log column becomes one event field. */
interface Target {
  /** Event field name. */
  readonly out: string;
  readonly kind: Kind;
  /** Missing or unset is an error. */
  readonly required: boolean;
  /** Zeek `#types` names accepted for the column. */
  readonly types: readonly string[];
}

const NUMERIC_TYPES = ['count', 'int', 'double', 'interval', 'time'] as const;
const COUNT_TYPES = ['count', 'int'] as const;

/** conn.log column → event field (main.zeek `Conn::Info` names and types). */
const TARGETS: ReadonlyMap<string, Target> = new Map<string, Target>([
  ['ts', { out: 'ts', kind: 'time', required: true, types: ['time'] }],
  ['uid', { out: 'uid', kind: 'uid', required: false, types: ['string'] }],
  ['id.orig_h', { out: 'orig_h', kind: 'addr', required: true, types: ['addr'] }],
  ['id.orig_p', { out: 'orig_p', kind: 'port', required: true, types: ['port', 'count'] }],
  ['id.resp_h', { out: 'resp_h', kind: 'addr', required: true, types: ['addr'] }],
  ['id.resp_p', { out: 'resp_p', kind: 'port', required: true, types: ['port', 'count'] }],
  ['proto', { out: 'proto', kind: 'proto', required: true, types: ['enum', 'string'] }],
  ['service', { out: 'service', kind: 'service', required: false, types: ['string'] }],
  ['duration', { out: 'duration', kind: 'interval', required: false, types: ['interval', 'double'] }],
  ['orig_bytes', { out: 'orig_bytes', kind: 'count', required: false, types: COUNT_TYPES }],
  ['resp_bytes', { out: 'resp_bytes', kind: 'count', required: false, types: COUNT_TYPES }],
  ['conn_state', { out: 'conn_state', kind: 'conn_state', required: false, types: ['string', 'enum'] }],
  ['history', { out: 'history', kind: 'history', required: false, types: ['string'] }],
  ['orig_pkts', { out: 'orig_pkts', kind: 'count', required: false, types: COUNT_TYPES }],
  ['orig_ip_bytes', { out: 'orig_ip_bytes', kind: 'count', required: false, types: COUNT_TYPES }],
  ['resp_pkts', { out: 'resp_pkts', kind: 'count', required: false, types: COUNT_TYPES }],
  ['resp_ip_bytes', { out: 'resp_ip_bytes', kind: 'count', required: false, types: COUNT_TYPES }],
  ...UNSW_FLOW_FIELDS.map((f): [string, Target] => [f, { out: f, kind: 'number', required: false, types: NUMERIC_TYPES }]),
]);
const REQUIRED_COLUMNS = [...TARGETS].filter(([, t]) => t.required).map(([name]) => name);
/**
 * Columns only conn.log has among Zeek's standard logs (dns.log, http.log, ssl.log… also carry ts, uid, id.* and
 * proto): a record or `#fields` with none of them is another log, not a flow. Zeek always sets conn_state.
 */
const CONN_ONLY_COLUMNS = ['conn_state', 'duration', 'orig_bytes', 'resp_bytes', 'orig_pkts', 'resp_pkts', 'orig_ip_bytes', 'resp_ip_bytes', 'history', 'missed_bytes'];
/** A log path (`#path`, JSON `_path`) names a conn log when it contains `conn` (`conn`, `conn-local`, …). */
const CONN_PATH = /conn/i;

const PROTOS: ReadonlySet<string> = new Set(['tcp', 'udp', 'icmp', 'unknown_transport']);
const STATES: ReadonlySet<string> = new Set(CONN_STATES);
const HISTORY = /^[ShADadFfRrCcTtWwIiQqGgNn^]*$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DIGITS = /^\d{1,16}$/;

/** A string field (uid, service, history, …) checked and normalised; undefined when it is to be omitted. */
function stringField(t: Target, s: string, ctx: LineContext, name: string): string | undefined {
  switch (t.kind) {
    case 'proto':
      if (!PROTOS.has(s)) throw malformedLine(ctx, `${name}: not a transport (tcp, udp, icmp, unknown_transport)`, name, s);
      return s;
    case 'conn_state':
      if (s === '') return undefined;
      if (!STATES.has(s)) throw malformedLine(ctx, `${name}: not a Zeek conn_state`, name, s);
      return s;
    case 'history':
      if (s === '') return undefined;
      if (s.length > 64 || !HISTORY.test(s)) throw malformedLine(ctx, `${name}: not a Zeek history (ShADadFfRrCcTtWwIiQqGgNn^, at most 64)`, name, s);
      return s;
    default: // uid, service
      if (s === '') return undefined;
      if (s.length > 64) throw malformedLine(ctx, `${name}: longer than 64 characters`, name, s);
      return s;
  }
}

function numberField(t: Target, v: number, ctx: LineContext, name: string, raw: unknown): number {
  if (!Number.isFinite(v)) throw malformedLine(ctx, `${name}: not a finite number`, name, raw);
  switch (t.kind) {
    case 'time':
      if (v < 0 || v > MAX_TS_SECONDS) throw malformedLine(ctx, `${name}: epoch seconds out of range 0..${MAX_TS_SECONDS}`, name, raw);
      return v;
    case 'interval':
      if (v < 0) throw malformedLine(ctx, `${name}: negative duration`, name, raw);
      return v;
    case 'count':
      if (!Number.isSafeInteger(v) || v < 0) throw malformedLine(ctx, `${name}: not a count (integer 0..2^53-1)`, name, raw);
      return v;
    case 'port':
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw malformedLine(ctx, `${name}: not a port (0..65535)`, name, raw);
      return v;
    default:
      return v;
  }
}

/** A TSV field's text as an event value (the unset token was handled by the caller). */
function fromText(t: Target, raw: string, empty: string, ctx: LineContext, name: string): unknown {
  switch (t.kind) {
    case 'time':
    case 'interval':
    case 'number':
      if (!DECIMAL.test(raw)) throw malformedLine(ctx, `${name}: not a number`, name, raw);
      return numberField(t, Number(raw), ctx, name, raw);
    case 'count':
    case 'port':
      if (!DIGITS.test(raw)) throw malformedLine(ctx, `${name}: not an unsigned integer`, name, raw);
      return numberField(t, Number(raw), ctx, name, raw);
    case 'addr': {
      const a = canonicalIp(unescapeZeek(raw));
      if (a === null) throw malformedLine(ctx, `${name}: not an IP address`, name, raw);
      return a;
    }
    default:
      return stringField(t, raw === empty ? '' : unescapeZeek(raw), ctx, name);
  }
}

/** A JSON value as an event value; undefined: omit (null is unset). */
function fromJson(t: Target, v: unknown, ctx: LineContext, name: string): unknown {
  if (v === null || v === undefined) {
    if (t.required) throw malformedLine(ctx, `required field ${name} is missing`, name, v ?? null);
    return undefined;
  }
  switch (t.kind) {
    case 'time':
      if (typeof v === 'string') {
        const s = parseIsoTime(v);
        if (s === null) throw malformedLine(ctx, `${name}: not an ISO 8601 time or epoch seconds`, name, v);
        return numberField(t, s, ctx, name, v);
      }
      if (typeof v !== 'number') throw malformedLine(ctx, `${name}: not a number`, name, v);
      return numberField(t, Number.isInteger(v) && v > MILLIS_THRESHOLD ? v / 1000 : v, ctx, name, v);
    case 'interval':
    case 'number':
    case 'count':
    case 'port':
      if (typeof v !== 'number') throw malformedLine(ctx, `${name}: not a number`, name, v);
      return numberField(t, v, ctx, name, v);
    case 'addr': {
      const a = typeof v === 'string' ? canonicalIp(v) : null;
      if (a === null) throw malformedLine(ctx, `${name}: not an IP address`, name, v);
      return a;
    }
    default:
      if (typeof v !== 'string') throw malformedLine(ctx, `${name}: not a string`, name, v);
      return stringField(t, v, ctx, name);
  }
}

/** One conn.log column to read: its index in `#fields` and what it becomes. */
interface ColumnPlan {
  readonly index: number;
  readonly name: string;
  readonly target: Target;
}

/** The state of the current TSV header block. */
interface TsvBlock {
  sep: string;
  setSep: string;
  empty: string;
  unset: string;
  path: string | undefined;
  fields: string[] | null;
  types: string[] | null;
  /** Columns to read, or null until a valid `#fields` (and matching `#types`) was seen. */
  plan: ColumnPlan[] | null;
}

function newBlock(sep = '\t'): TsvBlock {
  return { sep, setSep: ',', empty: '(empty)', unset: '-', path: undefined, fields: null, types: null, plan: null };
}

/** Options of the Zeek conn.log reader. */
export interface ZeekConnReadOptions extends LogReadOptions {
  /** `site` to set on every event (1–64 characters), e.g. the sensor's site name. */
  readonly site?: string;
  /** Re-check every event with `flowEventSchema` (zod) before returning it (default false; see the file comment). */
  readonly validate?: boolean;
}

/** What a conn.log read did. */
export interface ZeekConnSummary extends LogReadSummary {
  /** TSV header blocks seen (`#separator` lines). */
  headerBlocks: number;
  /** Formats of the data lines seen. */
  format: 'tsv' | 'json' | 'mixed' | undefined;
}

/**
 * Parses conn.log lines into flow events. Keeps the TSV header state between lines (so lines must come in file
 * order); bounded: the state is one header block.
 */
export class ZeekConnReader {
  /** Counters of the lines parsed so far (see {@link ZeekConnSummary}). */
  readonly summary: ZeekConnSummary;
  private readonly opts: ZeekConnReadOptions;
  private file: string | undefined;
  private block: TsvBlock = newBlock();

  constructor(opts: ZeekConnReadOptions = {}) {
    if (opts.site !== undefined && (typeof opts.site !== 'string' || opts.site.length < 1 || opts.site.length > 64)) {
      throw new RangeError('site must be a string of 1 to 64 characters');
    }
    this.opts = opts;
    this.file = opts.file;
    this.summary = { ...newLogReadSummary(), headerBlocks: 0, format: undefined };
  }

  /**
   * Parses one line (without its LF). Returns the flow event of a data line, or null for a header, comment or
   * blank line. Lines must be given in order (TSV headers apply to the lines after them).
   *
   * @param line 1-based line number, for error locations
   * @throws IpqsecError IPQ-N004 when the line is malformed (see the file comment)
   */
  parseLine(text: string, line: number): FlowEventInput | null {
    const ctx: LineContext = { file: this.file, line };
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length === 0) return null;
    const c0 = text.charCodeAt(0);
    if (c0 === 0x23 /* # */) {
      this.header(text, ctx);
      return null;
    }
    const trimmed = text.trimStart();
    if (trimmed.length === 0) return null;
    let ev: Record<string, unknown>;
    if (trimmed.charCodeAt(0) === 0x7b /* { */) {
      this.noteFormat('json');
      ev = this.jsonLine(trimmed, ctx);
    } else {
      this.noteFormat('tsv');
      ev = this.tsvLine(text, ctx);
    }
    if (this.opts.site !== undefined) ev.site = this.opts.site;
    return this.opts.validate === true ? checkFlowEvent(ev, ctx) : (ev as FlowEventInput);
  }

  /**
   * Streams the events of a file (`-`: stdin) or of byte/string chunks. Reading stops at the first malformed
   * line with IPQ-N004 unless `skipBad`; the events before it were already yielded. {@link summary} has the
   * counters.
   */
  read(source: LineSource): AsyncGenerator<FlowEventInput> {
    this.file = sourceLabel(source, this.opts.file);
    return parseLogLines(source, (t, l) => this.parseLine(t, l), { ...this.opts, file: this.file }, this.summary);
  }

  private noteFormat(f: 'tsv' | 'json'): void {
    const s = this.summary;
    if (s.format === undefined) s.format = f;
    else if (s.format !== f) s.format = 'mixed';
  }

  private header(text: string, ctx: LineContext): void {
    if (text.startsWith('#separator')) {
      const rest = text.slice('#separator'.length);
      const sep = rest.length > 1 && (rest[0] === ' ' || rest[0] === '\t') ? unescapeZeek(rest.slice(1)) : '';
      if (sep.length === 0) throw malformedLine(ctx, '#separator: no separator given', '#separator', text);
      this.block = newBlock(sep);
      this.summary.headerBlocks++;
      return;
    }
    const b = this.block;
    const parts = text.slice(1).split(b.sep);
    const value = () => unescapeZeek(parts.slice(1).join(b.sep));
    switch (parts[0]) {
      case 'set_separator':
        b.setSep = value();
        return;
      case 'empty_field':
        b.empty = value();
        return;
      case 'unset_field':
        b.unset = value();
        return;
      case 'path':
        b.path = value();
        return;
      case 'fields':
        b.fields = parts.slice(1);
        b.plan = null;
        b.plan = this.plan(ctx);
        return;
      case 'types':
        b.types = parts.slice(1);
        if (b.fields !== null) {
          b.plan = null;
          b.plan = this.plan(ctx);
        }
        return;
      default:
        return; // #open, #close and other comments
    }
  }

  /** Maps `#fields` (checked against `#types` when present) to the columns to read; throws IPQ-N004. */
  private plan(ctx: LineContext): ColumnPlan[] {
    const { fields, types } = this.block;
    if (fields === null) throw malformedLine(ctx, '#types before #fields');
    if (types !== null && types.length !== fields.length) {
      throw malformedLine(ctx, `#types has ${types.length} entries, #fields has ${fields.length}`, '#types');
    }
    const plan: ColumnPlan[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i];
      if (seen.has(name)) throw malformedLine(ctx, `column ${name} appears twice in #fields`, '#fields', name);
      seen.add(name);
      const target = TARGETS.get(name);
      if (target === undefined) continue;
      if (types !== null && !target.types.includes(types[i])) {
        throw malformedLine(ctx, `column ${name} has type ${types[i]}, expected ${target.types.join(' or ')}`, '#types', types[i]);
      }
      plan.push({ index: i, name, target });
    }
    const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
    if (missing.length > 0) throw malformedLine(ctx, `not a conn.log: #fields lacks ${missing.join(', ')}`, '#fields', fields.join(' '));
    if (!CONN_ONLY_COLUMNS.some((c) => seen.has(c))) {
      throw malformedLine(ctx, `not a conn.log: #fields has none of ${CONN_ONLY_COLUMNS.join(', ')}`, '#fields', fields.join(' '));
    }
    const path = this.block.path;
    if (path !== undefined && !CONN_PATH.test(path)) throw malformedLine(ctx, `not a conn.log: #path is ${path}`, '#path', path);
    return plan;
  }

  private tsvLine(text: string, ctx: LineContext): Record<string, unknown> {
    const b = this.block;
    if (b.plan === null || b.fields === null) throw malformedLine(ctx, 'data line without a valid #fields header before it');
    const parts = text.split(b.sep);
    if (parts.length !== b.fields.length) {
      throw malformedLine(ctx, `${parts.length} fields, #fields has ${b.fields.length}`, undefined, text);
    }
    const ev: Record<string, unknown> = { type: 'flow' };
    for (const p of b.plan) {
      const raw = parts[p.index];
      if (raw === b.unset) {
        if (p.target.required) throw malformedLine(ctx, `required field ${p.name} is unset`, p.name, raw);
        continue;
      }
      const v = fromText(p.target, raw, b.empty, ctx, p.name);
      if (v !== undefined) ev[p.target.out] = v;
    }
    return ev;
  }

  private jsonLine(text: string, ctx: LineContext): Record<string, unknown> {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw malformedLine(ctx, `not valid JSON: ${(e as Error).message}`, undefined, text);
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw malformedLine(ctx, 'JSON line is not an object', undefined, text);
    const obj = o as Record<string, unknown>;
    const path = Object.hasOwn(obj, '_path') ? obj._path : undefined;
    if (typeof path === 'string' && !CONN_PATH.test(path)) throw malformedLine(ctx, `not a conn.log record: _path is ${path}`, '_path', path);
    if (!CONN_ONLY_COLUMNS.some((c) => Object.hasOwn(obj, c))) {
      throw malformedLine(ctx, `not a conn.log record: none of ${CONN_ONLY_COLUMNS.join(', ')}`, undefined, text);
    }
    const ev: Record<string, unknown> = { type: 'flow' };
    for (const [name, target] of TARGETS) {
      const v = fromJson(target, jsonValue(obj, name), ctx, name);
      if (v !== undefined) ev[target.out] = v;
    }
    return ev;
  }
}

/** `obj[name]`, also as `id_orig_h` or `obj.id.orig_h` for the `id.*` columns; own properties only. */
function jsonValue(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  if (!name.startsWith('id.')) return undefined;
  const rest = name.slice(3);
  const flat = `id_${rest}`;
  if (Object.hasOwn(obj, flat)) return obj[flat];
  const id = Object.hasOwn(obj, 'id') ? obj.id : undefined;
  if (typeof id === 'object' && id !== null && !Array.isArray(id) && Object.hasOwn(id, rest)) return (id as Record<string, unknown>)[rest];
  return undefined;
}

/**
 * Reads a conn.log file (`-`: stdin), calling `onEvent` for each flow event in file order. On IPQ-N004 (without
 * `skipBad`) the events before the bad line were delivered; the error is thrown after them.
 *
 * @throws IpqsecError IPQ-N004 (malformed line), IPQ-D001 (file unreadable)
 */
export async function readZeekConnFile(
  path: string,
  onEvent: (e: FlowEventInput) => void,
  opts: ZeekConnReadOptions = {},
): Promise<ZeekConnSummary> {
  return readLogWith(new ZeekConnReader(opts), path, onEvent);
}

/** Parses conn.log text already in memory, calling `onEvent` per event (same rules as {@link readZeekConnFile}). */
export function parseZeekConnText(text: string, onEvent: (e: FlowEventInput) => void, opts: ZeekConnReadOptions = {}): ZeekConnSummary {
  return parseTextWith(new ZeekConnReader(opts), text, onEvent, opts);
}
