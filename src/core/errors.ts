/**
 * The one error catalogue of IPqSEC.
 *
 * Every error the code raises on purpose is an {@link IpqsecError} carrying a stable code from
 * {@link ERROR_CATALOGUE}. Codes are never reused or renumbered; a retired code stays in the table with
 * `retired: true`. `docs/errors.md` mirrors this table (a test keeps the two in step).
 *
 * Misuse of an API by a programmer (a wrong argument type, an out-of-range option passed in code) throws
 * `TypeError`/`RangeError` as in the standard library; `IpqsecError` is for conditions a user can cause and
 * fix: bad files, bad options on the command line, incompatible model files.
 */

/** One catalogue entry: a short title and what a user should do about it. */
export interface ErrorSpec {
  /** HTTP-ish class of the error: `input` (the user's data or options), `state` (files or models), `internal`. */
  readonly kind: 'input' | 'state' | 'internal';
  /** One line, present tense, what went wrong. */
  readonly title: string;
  /** What the user can do. */
  readonly hint: string;
  /** Exit code the CLI uses for it. */
  readonly exitCode: number;
  readonly retired?: boolean;
}

/** Stable error codes. Add new codes at the end of their group; never change or reuse one. */
export const ERROR_CATALOGUE = {
  // Data sets and CSV parsing: IPQ-D*
  'IPQ-D001': { kind: 'input', title: 'file not found or unreadable', hint: 'Check the path and its permissions (data sets are read from IPQSEC_DATA, default ../shared/data).', exitCode: 2 },
  'IPQ-D002': { kind: 'input', title: 'file is empty', hint: 'The file holds no bytes or no rows; check that the download completed.', exitCode: 2 },
  'IPQ-D003': { kind: 'input', title: 'malformed row: wrong column count', hint: 'Fix the row, or pass --skip-bad-rows to skip and count such rows.', exitCode: 2 },
  'IPQ-D004': { kind: 'input', title: 'malformed value: not a number', hint: 'Fix the value, declare the column categorical (--categorical), or pass --skip-bad-rows.', exitCode: 2 },
  'IPQ-D005': { kind: 'input', title: 'data set has no rows', hint: 'Every row was skipped or the file holds only a header.', exitCode: 2 },
  'IPQ-D006': { kind: 'input', title: 'label column has a single class', hint: 'A classifier needs at least two classes (normal and attack) in the training data.', exitCode: 2 },
  'IPQ-D007': { kind: 'input', title: 'column not found', hint: 'Check --label-column, --drop-columns and --categorical against the header.', exitCode: 2 },
  'IPQ-D008': { kind: 'input', title: 'CSV syntax error', hint: 'The file is not valid CSV at the position given (unclosed quote, stray quote).', exitCode: 2 },
  'IPQ-D009': { kind: 'input', title: 'header missing or duplicated column names', hint: 'A labelled CSV needs one header row with unique column names.', exitCode: 2 },
  'IPQ-D010': { kind: 'input', title: 'no time column for a time-ordered split or temporal features', hint: 'Use a data set with a time column (TON_IoT `ts`) or pass --time-column.', exitCode: 2 },
  'IPQ-D011': { kind: 'input', title: 'unknown data set', hint: 'Use one of nsl-kdd, unsw-nb15, ton-iot, csv.', exitCode: 2 },
  'IPQ-D012': { kind: 'input', title: 'invalid split', hint: 'Use --cv K with 2 <= K <= rows of the rarest class, or --split F with 0 < F < 1.', exitCode: 2 },
  'IPQ-D013': { kind: 'input', title: 'data set directory missing', hint: 'Set IPQSEC_DATA to the folder holding nsl-kdd/, unsw-nb15/, ton-iot/ (README: Data sets).', exitCode: 2 },
  'IPQ-D014': { kind: 'input', title: 'unknown label value', hint: 'The label column holds a value the data set does not define (e.g. a `label` other than 0/1); fix the row or pass --skip-bad-rows.', exitCode: 2 },
  // Models and model files: IPQ-M*
  'IPQ-M001': { kind: 'state', title: 'model file truncated or corrupt', hint: 'The file is shorter than its header says or its checksum fails; train or copy it again.', exitCode: 3 },
  'IPQ-M002': { kind: 'state', title: 'not an IPqSEC model file', hint: 'The file does not start with the IPqSEC model magic bytes.', exitCode: 3 },
  'IPQ-M003': { kind: 'state', title: 'unsupported model file version', hint: 'The file was written by another IPqSEC version; retrain with this one.', exitCode: 3 },
  'IPQ-M004': { kind: 'input', title: 'feature schema mismatch', hint: 'The data lacks columns the model was trained on, or their kinds differ; use data with the same columns.', exitCode: 2 },
  'IPQ-M005': { kind: 'input', title: 'unknown model kind', hint: 'Use one of gbdt, forest, logistic, iforest, hybrid.', exitCode: 2 },
  'IPQ-M006': { kind: 'input', title: 'invalid hyper-parameter', hint: 'A model option is out of its range; see `ipqsec train --help`.', exitCode: 2 },
  'IPQ-M007': { kind: 'input', title: 'model does not support this target', hint: 'The isolation forest and the hybrid detector are binary (normal vs attack) only.', exitCode: 2 },
  'IPQ-M008': { kind: 'state', title: 'streaming detector used before warm-up', hint: 'Call learnOne on warm-up data until isWarm() is true before trusting scoreOne.', exitCode: 3 },
  'IPQ-M009': { kind: 'state', title: 'model file not found or unreadable', hint: 'Check the path given to --model; train one with `ipqsec train`.', exitCode: 3 },
  // Command line: IPQ-C*
  'IPQ-C001': { kind: 'input', title: 'invalid command-line option', hint: 'See `ipqsec <command> --help`.', exitCode: 2 },
  // Events and the ingest API: IPQ-E*
  'IPQ-E001': { kind: 'input', title: 'event fails its schema', hint: 'Fix the fields named in the error (each with the event\'s index in the batch); nothing of the batch was stored.', exitCode: 2 },
  'IPQ-E002': { kind: 'input', title: 'batch or body too large', hint: 'Send at most 10,000 events and 16 MiB per request; split larger batches.', exitCode: 2 },
  'IPQ-E003': { kind: 'input', title: 'body is not valid JSON or NDJSON', hint: 'Send a JSON array of events, or one JSON event per line with Content-Type application/x-ndjson.', exitCode: 2 },
  'IPQ-E004': { kind: 'input', title: 'invalid request parameter or field', hint: 'Check the query, path and body fields named in the error against the OpenAPI description at /docs.', exitCode: 2 },
  'IPQ-E005': { kind: 'input', title: 'resource not found', hint: 'Check the id; list the collection to see what exists.', exitCode: 2 },
  'IPQ-E006': { kind: 'input', title: 'MQTT topic or payload invalid', hint: 'Publish to ipqsec/<site>/<device>/<kind> a JSON event (or array of events) of that kind.', exitCode: 2 },
  // Authentication: IPQ-A*
  'IPQ-A001': { kind: 'input', title: 'missing or unknown API token', hint: 'Send `Authorization: Bearer <token>`; the admin token is printed at first start or set with IPQSEC_ADMIN_TOKEN.', exitCode: 4 },
  'IPQ-A002': { kind: 'input', title: 'token lacks the required scope', hint: 'Use a token with the scope the route names (ingest, read or admin); an admin can create one with POST /api/v1/tokens.', exitCode: 4 },
  // Service state and configuration: IPQ-S*
  'IPQ-S001': { kind: 'state', title: 'store failure', hint: 'The database could not be opened, migrated or written; check --data-dir permissions and free disk space.', exitCode: 3 },
  'IPQ-S002': { kind: 'input', title: 'invalid service configuration', hint: 'Check --host, --port, --mqtt, --data-dir and the IPQSEC_* environment variables.', exitCode: 2 },
  'IPQ-S003': { kind: 'state', title: 'server unreachable or refused the request', hint: 'Check --server (or IPQSEC_SERVER) and --token (or IPQSEC_TOKEN); is `ipqsec serve` running?', exitCode: 3 },
  'IPQ-S004': { kind: 'state', title: 'webhook delivery failed', hint: 'The webhook endpoint kept failing after every retry; check its URL and that it answers 2xx.', exitCode: 3 },
  'IPQ-S005': { kind: 'state', title: 'service overloaded: ingest backlog or scan queue full', hint: 'Retry after the Retry-After delay (HTTP 503); send smaller or fewer concurrent batches, wait for queued scans to finish, or add capacity.', exitCode: 3 },
  // Post-quantum identities, channel and signed models: IPQ-P*
  'IPQ-P001': { kind: 'state', title: 'crypto back-end unavailable', hint: 'The native back-end needs Node >= 24 with OpenSSL 3.5; leave IPQSEC_PQC_BACKEND unset to use @noble/post-quantum.', exitCode: 3 },
  'IPQ-P002': { kind: 'state', title: 'key file invalid or corrupt', hint: 'The key file is not an IPqSEC key file or is damaged; restore it or generate a new key with `ipqsec keys gen`.', exitCode: 3 },
  'IPQ-P003': { kind: 'input', title: 'wrong passphrase for key file', hint: 'The key file is encrypted; give the right passphrase (IPQSEC_KEY_PASSPHRASE or --passphrase-file).', exitCode: 2 },
  'IPQ-P004': { kind: 'state', title: 'key file readable by others', hint: 'A secret key file must have mode 0600; run `chmod 600` on it.', exitCode: 3 },
  'IPQ-P005': { kind: 'input', title: 'envelope rejected', hint: 'The envelope is malformed, tampered, replayed or for an unknown session (the reason is named); open a new session.', exitCode: 2 },
  'IPQ-P006': { kind: 'input', title: 'device not allowed to open a session', hint: 'The device is unknown, pending approval or revoked, or its handshake signature fails; enroll it and have an operator approve it.', exitCode: 4 },
  'IPQ-P007': { kind: 'state', title: 'server key not authenticated', hint: 'The server KEM key is not signed by the pinned server identity; check the server identity key (ipqsec keys show).', exitCode: 3 },
  'IPQ-P008': { kind: 'state', title: 'model signature missing or invalid', hint: 'Sign the model with `ipqsec model sign`, trust its key with --model-key, or start with --allow-unsigned-model.', exitCode: 3 },
  'IPQ-P009': { kind: 'input', title: 'device enrollment conflict', hint: 'The device id is enrolled with another key; revoke it first or choose another device id.', exitCode: 2 },
  // Tamper-evident log: IPQ-L*
  'IPQ-L001': { kind: 'state', title: 'log verification failed', hint: 'An entry does not match the signed tree (the first bad index is named); the log was modified, truncated or reordered.', exitCode: 5 },
  'IPQ-L002': { kind: 'state', title: 'checkpoint signature invalid', hint: 'The checkpoint is not signed by the expected log key; check the key you verify with (ipqsec keys show).', exitCode: 5 },
  'IPQ-L003': { kind: 'state', title: 'checkpoint inconsistent with an earlier one', hint: 'The log was rewritten: the new tree does not extend the old one. Keep both checkpoints as evidence.', exitCode: 5 },
  'IPQ-L004': { kind: 'input', title: 'log bundle or note malformed', hint: 'The bundle, checkpoint note or cosignature is not in the documented format (docs/ledger.md).', exitCode: 2 },
  'IPQ-L005': { kind: 'input', title: 'log proof request out of range', hint: 'Ask for 0 <= index < size <= the current tree size (and 0 < old <= new for consistency).', exitCode: 2 },
  'IPQ-L006': { kind: 'input', title: 'cosignature rejected', hint: 'The witness key is not configured on the server, or its cosignature does not verify over a published checkpoint.', exitCode: 2 },
  // Network capture and sensor logs: IPQ-N*
  'IPQ-N001': { kind: 'input', title: 'capture truncated', hint: 'The capture ends inside a record or block at the byte offset given; the packets before it were read and reported. Copy the file again or let the writer finish.', exitCode: 2 },
  'IPQ-N002': { kind: 'input', title: 'capture corrupt or not a pcap/pcapng file', hint: 'A header, block length or record length is invalid at the byte offset given; the packets before it were read and reported.', exitCode: 2 },
  'IPQ-N003': { kind: 'input', title: 'unsupported link type', hint: 'IPqSEC decodes Ethernet (1), raw IP (101, 228, 229), Linux cooked SLL (113) and SLL2 (276); capture on such an interface.', exitCode: 2 },
  'IPQ-N004': { kind: 'input', title: 'malformed sensor log line', hint: 'A Zeek conn.log or Suricata eve.json line is not valid at the line given; lines before it were read.', exitCode: 2 },
  // Vulnerability scanning and the offline CVE database: IPQ-V*
  'IPQ-V001': { kind: 'input', title: 'malformed NVD CVE record', hint: 'The record or feed is not NVD CVE JSON 2.0 at the place given; an import skips and counts such records (see the import summary).', exitCode: 2 },
  'IPQ-V002': { kind: 'input', title: 'invalid CPE name', hint: 'Use a CPE 2.3 formatted string (cpe:2.3:a:vendor:product:version:...) or a CPE 2.2 URI (cpe:/a:vendor:product:version), NISTIR 7695.', exitCode: 2 },
  'IPQ-V003': { kind: 'input', title: 'malformed nmap XML', hint: 'nmap\'s XML output is not well formed or lacks the nmaprun element at the line and column given; the hosts parsed before it are kept. Re-run the scan (an interrupted nmap leaves truncated XML).', exitCode: 2 },
  'IPQ-V004': { kind: 'input', title: 'scan target outside the allowlist', hint: 'The target (or an address it resolves to) is not inside any CIDR of the scan allowlist (default: loopback only); add the network to `scan.allow` in the configuration or --allow, if you are authorised to scan it.', exitCode: 2 },
  'IPQ-V005': { kind: 'input', title: 'invalid scan target or port list', hint: 'A target must be an IPv4/IPv6 address, a CIDR or a host name (RFC 1123), never starting with "-"; ports are top-N or a list like 22,80,8000-8100 within 1..65535.', exitCode: 2 },
  'IPQ-V006': { kind: 'state', title: 'nmap not found', hint: 'Install nmap (Debian/Ubuntu: `apt-get install nmap`) or give its path with --nmap / scan.nmap_path.', exitCode: 3 },
  'IPQ-V007': { kind: 'state', title: 'nmap failed or timed out on a host', hint: 'The host\'s scan exited with an error or exceeded the per-host timeout; the other hosts\' results are kept. Raise --host-timeout or check nmap\'s message.', exitCode: 3 },
  'IPQ-V008': { kind: 'state', title: 'CVE database is empty', hint: 'Import NVD CVE JSON 2.0 files with `ipqsec cve import PATH…` (README: Vulnerability scanning); until then no CVEs are matched.', exitCode: 3 },
  // Internal: IPQ-X*
  'IPQ-X001': { kind: 'internal', title: 'worker thread failed', hint: 'A training worker exited abnormally; rerun with --threads 1 and report the error.', exitCode: 70 },
  'IPQ-X002': { kind: 'internal', title: 'internal error', hint: 'A bug: the request or command failed unexpectedly; the service log has the stack. Please report it.', exitCode: 70 },
} as const satisfies Record<string, ErrorSpec>;

/** A stable error code from {@link ERROR_CATALOGUE}. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where in an input an error was found. All fields optional; present ones are printed. */
export interface ErrorLocation {
  /** File path as given by the user. */
  readonly file?: string;
  /** 1-based line number in the file. */
  readonly line?: number;
  /** Column name, or 1-based column number when the file has no header. */
  readonly column?: string | number;
  /** Byte offset in the file. */
  readonly offset?: number;
}

/**
 * An error a user can cause and fix. `message` starts with the code and the location, for example
 * `IPQ-D004 KDDTest+.txt:17 column src_bytes: not a number: "abc"`.
 */
export class IpqsecError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { location?: ErrorLocation; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(formatMessage(code, detail, options.location), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IpqsecError';
    this.code = code;
    this.location = options.location;
    this.details = options.details;
  }

  /** The catalogue entry of this error. */
  get spec(): ErrorSpec {
    return ERROR_CATALOGUE[this.code];
  }
}

function formatMessage(code: ErrorCode, detail: string, loc: ErrorLocation | undefined): string {
  const where: string[] = [];
  if (loc?.file !== undefined) where.push(loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file);
  else if (loc?.line !== undefined) where.push(`line ${loc.line}`);
  if (loc?.column !== undefined) where.push(`column ${loc.column}`);
  if (loc?.offset !== undefined) where.push(`byte ${loc.offset}`);
  const prefix = where.length > 0 ? `${code} ${where.join(' ')}: ` : `${code} `;
  return `${prefix}${ERROR_CATALOGUE[code].title}: ${detail}`;
}

/**
 * True when `e` is an {@link IpqsecError}, optionally with the given code. Recognises one made by another copy of
 * this module too (same name and a catalogue code), as when the compiled package and the sources meet in a test.
 */
export function isIpqsecError(e: unknown, code?: ErrorCode): e is IpqsecError {
  const ours =
    e instanceof IpqsecError ||
    (e instanceof Error && e.name === 'IpqsecError' && typeof (e as { code?: unknown }).code === 'string' && Object.hasOwn(ERROR_CATALOGUE, (e as unknown as { code: string }).code));
  return ours && (code === undefined || (e as IpqsecError).code === code);
}

/** The catalogue as a Markdown table (the source of `docs/errors.md`). */
export function errorCatalogueMarkdown(): string {
  const lines = [
    '# Error catalogue',
    '',
    'Generated from `src/core/errors.ts` by `npm run docs:errors`; a test fails when the two differ.',
    'Codes are stable: a retired code is never reused.',
    '',
    '| code | kind | exit | what went wrong | what to do |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [code, spec] of Object.entries(ERROR_CATALOGUE) as [ErrorCode, ErrorSpec][]) {
    lines.push(`| ${code} | ${spec.kind} | ${spec.exitCode} | ${spec.title}${spec.retired ? ' (retired)' : ''} | ${spec.hint} |`);
  }
  return `${lines.join('\n')}\n`;
}
