/**
 * Test-only: a small node:http server speaking the log routes of docs/ledger.md over a log built with the ledger's
 * pure code. Tests change `log` between requests to simulate tampering (modified entries, forks, bad notes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCheckpoint } from '../ledger/checkpoint.js';
import type { MerkleTree } from '../ledger/merkle-tree.js';
import type { NoteVerifier } from '../ledger/note-signer.js';
import { appendSignatureLines, parseNote, parseSignatureLine, verifyNote } from '../ledger/signed-note.js';
import { mlDsaNoteKeyId } from '../ledger/note-signer.js';
import type { TestLog } from '../ledger/_test-log.js';

/** What the test server serves (mutable). */
export interface ServedLog {
  origin: string;
  vkey: string;
  publicKey: Uint8Array;
  keyId: string;
  /** Entries served by `GET /log/entries` (tests may modify, drop or reorder them). */
  entries: Uint8Array[];
  /** Tree used for proofs (tests may keep the honest one while serving tampered entries). */
  tree: MerkleTree;
  /** Issued checkpoint notes, ascending size. */
  checkpoints: { size: number; ts_ms: number; note: string }[];
  /** Witness keys accepted by `POST /log/cosignatures`. */
  witnesses: NoteVerifier[];
  /** Stored cosignature lines by size. */
  cosignatures: Map<number, string[]>;
  /** Token required by `GET /log/entries` (none when undefined). */
  token?: string;
  /** Largest page of `GET /log/checkpoints` (default 1000). */
  checkpointPage?: number;
  /** Requests seen, as "METHOD path". */
  requests: string[];
}

export interface RunningLogServer {
  readonly url: string;
  close(): Promise<void>;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(body) : String(body));
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message } });
}

function withCosignatures(log: ServedLog, size: number, note: string): string {
  const lines = log.cosignatures.get(size) ?? [];
  return lines.length === 0 ? note : appendSignatureLines(note, lines);
}

function handle(log: ServedLog, req: IncomingMessage, body: string, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = (k: string) => Number(url.searchParams.get(k));
  log.requests.push(`${req.method} ${url.pathname}${url.search}`);
  const p = url.pathname.replace(/^\/api\/v1/, '');
  try {
    if (req.method === 'GET' && p === '/log/key') return send(res, 200, { origin: log.origin, name: log.origin, public_key: b64(log.publicKey), key_id: log.keyId, vkey: log.vkey });
    if (req.method === 'GET' && p === '/log/checkpoint') {
      const last = log.checkpoints[log.checkpoints.length - 1];
      if (last === undefined) return error(res, 404, 'IPQ-E005', 'no checkpoint has been issued yet');
      return send(res, 200, withCosignatures(log, last.size, last.note), 'text/plain; charset=utf-8');
    }
    if (req.method === 'GET' && p === '/log/checkpoints') {
      const start = q('start');
      const limit = Math.min(q('limit') || 100, log.checkpointPage ?? 1000);
      const rows = log.checkpoints.filter((c) => c.size >= start);
      const kept = rows.slice(0, limit);
      return send(res, 200, {
        checkpoints: kept.map((c) => ({ size: c.size, ts_ms: c.ts_ms, note: withCosignatures(log, c.size, c.note) })),
        next_start: rows.length > limit ? rows[limit].size : null,
      });
    }
    if (req.method === 'GET' && p === '/log/entries') {
      if (log.token !== undefined && req.headers.authorization !== `Bearer ${log.token}`) return error(res, 401, 'IPQ-A001', 'missing or unknown API token');
      const start = q('start');
      const end = Math.min(q('end'), log.entries.length);
      const entries = [];
      for (let i = start; i < end; i++) entries.push({ index: i, data: b64(log.entries[i]) });
      return send(res, 200, { entries });
    }
    if (req.method === 'GET' && p === '/log/proof/consistency') {
      return send(res, 200, { old: q('old'), new: q('new'), proof: log.tree.consistencyProof(q('old'), q('new')).map(b64) });
    }
    if (req.method === 'GET' && p === '/log/proof/inclusion') {
      return send(res, 200, { index: q('index'), size: q('size'), leaf_hash: b64(log.tree.leafHash(q('index'))), proof: log.tree.inclusionProof(q('index'), q('size')).map(b64) });
    }
    if (req.method === 'POST' && p === '/log/cosignatures') {
      const { size, cosignature } = JSON.parse(body) as { size: number; cosignature: string };
      const cp = log.checkpoints.find((c) => c.size === size);
      if (cp === undefined) return error(res, 400, 'IPQ-L006', `no checkpoint of size ${size}`);
      const sig = parseSignatureLine(cosignature);
      const v = verifyNote({ text: parseNote(cp.note).text, signatures: [sig] }, log.witnesses);
      if (v.verified.length === 0) return error(res, 400, 'IPQ-L006', 'cosignature does not verify');
      log.cosignatures.set(size, [...(log.cosignatures.get(size) ?? []), cosignature]);
      res.writeHead(204);
      res.end();
      return;
    }
    return error(res, 404, 'IPQ-E005', `no route ${p}`);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'IPQ-X002';
    return error(res, code === 'IPQ-L005' ? 400 : 500, code, e instanceof Error ? e.message : String(e));
  }
}

/** Starts the server on a free port of 127.0.0.1. */
/**
 * The served form of a log built by `buildTestLog` (src/ledger/_test-log.ts): origin, keys, entries and tree from
 * the log, the rest (checkpoints, witnesses, token, paging) from `rest`.
 */
export function servedLogOf(log: TestLog, rest: Omit<ServedLog, 'origin' | 'vkey' | 'publicKey' | 'keyId' | 'entries' | 'tree'>): ServedLog {
  return {
    origin: log.origin,
    vkey: log.vkey,
    publicKey: log.key.publicKey,
    keyId: Buffer.from(mlDsaNoteKeyId(log.origin, log.key.publicKey)).toString('hex'),
    entries: log.entries,
    tree: log.tree,
    ...rest,
  };
}

export async function startLogServer(log: ServedLog): Promise<RunningLogServer> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => handle(log, req, body, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The size of a checkpoint note (for building `checkpoints` rows). */
export function noteSize(note: string): number {
  return parseCheckpoint(parseNote(note).text).size;
}
