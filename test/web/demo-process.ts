/**
 * `ipqsec demo` as a real process for the end-to-end tests: the built CLI (`dist/src/cli/main.js`) on free
 * loopback ports with a temporary data directory and a known admin token (env `IPQSEC_ADMIN_TOKEN`, see
 * src/cli/serve-command.ts), ready once `GET /api/v1/health` answers 200. Stopped with SIGINT (the demo's clean
 * shutdown), SIGKILL after 15 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Path of the built CLI (`dist/src/cli/main.js`). */
  readonly cli: string;
  /** Simulated seconds per wall-clock second (`--speed`). */
  readonly speed: number;
  /** Simulated seconds per simulator round (`--round`, ≥ 20; attacks start a quarter into each round). */
  readonly round?: number;
  /** `--model` value (`none`: rules only, no first-start training); undefined: the demo's default. */
  readonly model?: string;
  /** Milliseconds to wait for the health route (default 120,000). */
  readonly readyTimeoutMs?: number;
  /**
   * Runs on the new, empty data directory before the demo is spawned (e.g. `ipqsec cve import` into it). When it
   * throws, the directory is removed and the error is rethrown; the demo is not started.
   */
  readonly prepare?: (dataDir: string) => Promise<void>;
}

/** A running demo. */
export interface Demo {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The admin token (IPQSEC_ADMIN_TOKEN of the process). */
  readonly token: string;
  readonly dataDir: string;
  /** Wall-clock milliseconds from spawn to the first 200 of /api/v1/health. */
  readonly startMs: number;
  /** Everything the process wrote so far (stdout and stderr, interleaved, last 64 KiB). */
  output(): string;
  /** SIGINT, then SIGKILL after 15 s; removes the data directory. Idempotent. */
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const OUTPUT_CAP = 64 * 1024;

/**
 * Creates the data directory D, runs `prepare(D)` when given, spawns `node <cli> demo --port P --mqtt-port M
 * --data-dir D --speed S [--round R] [--model X]` and waits for `/api/v1/health`.
 *
 * @throws Error when the process exits before it is ready, or is not ready in `readyTimeoutMs` (its output
 *   is in the message); whatever `prepare` threw
 */
export async function startDemo(o: DemoOptions): Promise<Demo> {
  const [port, mqttPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'ipqsec-e2e-demo-'));
  const token = `e2e-admin-${randomBytes(18).toString('hex')}`;
  if (o.prepare !== undefined) {
    try {
      await o.prepare(dataDir);
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }
  const args = [o.cli, 'demo', '--port', String(port), '--mqtt-port', String(mqttPort), '--data-dir', dataDir, '--speed', String(o.speed)];
  if (o.round !== undefined) args.push('--round', String(o.round));
  if (o.model !== undefined) args.push('--model', o.model);
  const t0 = Date.now();
  const proc: ChildProcess = spawn(process.execPath, args, { env: { ...process.env, IPQSEC_ADMIN_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_CAP) out = out.slice(out.length - OUTPUT_CAP);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGINT');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = t0 + (o.readyTimeoutMs ?? 120_000);
  let gone: number | null | undefined;
  void exited.then((c) => (gone = c));
  for (;;) {
    if (gone !== undefined) {
      await stop();
      throw new Error(`ipqsec demo exited with ${gone} before it was ready:\n${out}`);
    }
    try {
      const r = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ipqsec demo not ready in ${o.readyTimeoutMs ?? 120_000} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, token, dataDir, startMs: Date.now() - t0, output: () => out, stop };
}
