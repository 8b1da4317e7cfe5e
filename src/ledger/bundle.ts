/**
 * The log export bundle: everything an offline auditor needs, in one JSON document.
 *
 * ```json
 * { "format": "ipqsec-log-bundle", "version": 1, "origin": "<log origin>", "vkey": "<log verifier key>",
 *   "entries": ["<base64 canonical entry bytes>", ...], "checkpoints": ["<signed checkpoint note>", ...] }
 * ```
 * Entries are in index order; checkpoints ascending by size, each with its witness cosignature lines.
 * The vkey in a bundle is only a hint (a bundle can be forged whole): pin the log key out of band
 * (`ipqsec log verify --key`).
 */
import { IpqsecError } from '../core/errors.js';
import { fromBase64, toBase64 } from './_bytes.js';
import { isValidKeyName } from './signed-note.js';

/** Format name of a bundle. */
export const LOG_BUNDLE_FORMAT = 'ipqsec-log-bundle';
/** Version of the bundle format this code writes and reads. */
export const LOG_BUNDLE_VERSION = 1;

/** A log bundle in memory. */
export interface LogBundle {
  readonly origin: string;
  readonly vkey: string;
  /** Canonical entry bytes, index order. */
  readonly entries: readonly Uint8Array[];
  /** Signed checkpoint notes. */
  readonly checkpoints: readonly string[];
}

/** The bundle as JSON text (one line, keys in the documented order, ending in a newline). */
export function formatLogBundle(b: LogBundle): string {
  return `${JSON.stringify({
    format: LOG_BUNDLE_FORMAT,
    version: LOG_BUNDLE_VERSION,
    origin: b.origin,
    vkey: b.vkey,
    entries: b.entries.map(toBase64),
    checkpoints: b.checkpoints,
  })}\n`;
}

function bad(where: string, why: string): IpqsecError {
  return new IpqsecError('IPQ-L004', `log bundle ${where}: ${why}`);
}

/**
 * Parses bundle JSON text.
 * @param file named in error messages
 * @throws IpqsecError `IPQ-L004` naming the field (e.g. `entries[17]`); never anything else
 */
export function parseLogBundle(text: string, file = 'bundle'): LogBundle {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(file, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(file, 'not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== LOG_BUNDLE_FORMAT) throw bad(`${file} format`, `expected "${LOG_BUNDLE_FORMAT}", got ${JSON.stringify(o.format)?.slice(0, 60)}`);
  if (o.version !== LOG_BUNDLE_VERSION) throw bad(`${file} version`, `unsupported version ${JSON.stringify(o.version)?.slice(0, 20)} (this IPqSEC reads ${LOG_BUNDLE_VERSION})`);
  if (typeof o.origin !== 'string' || !isValidKeyName(o.origin)) throw bad(`${file} origin`, 'must be a non-empty string without spaces or "+"');
  if (typeof o.vkey !== 'string' || o.vkey.length === 0) throw bad(`${file} vkey`, 'must be a verifier key string');
  if (!Array.isArray(o.entries)) throw bad(`${file} entries`, 'must be an array of base64 strings');
  if (!Array.isArray(o.checkpoints)) throw bad(`${file} checkpoints`, 'must be an array of signed notes');
  const entries = o.entries.map((e: unknown, i: number) => {
    const b = typeof e === 'string' ? fromBase64(e) : undefined;
    if (b === undefined) throw bad(`${file} entries[${i}]`, 'not a base64 string (RFC 4648 §4, padded)');
    return b;
  });
  const checkpoints = o.checkpoints.map((c: unknown, i: number) => {
    if (typeof c !== 'string') throw bad(`${file} checkpoints[${i}]`, 'not a string');
    return c;
  });
  return { origin: o.origin, vkey: o.vkey, entries, checkpoints };
}
