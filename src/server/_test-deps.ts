/**
 * Test dependencies of the HTTP server: the real pieces, wired as `startService` (cli/service-runtime.ts) wires
 * them minus the I/O the tests do not need. The SQLite store in memory (`openSqliteStore({ path: ':memory:' })`),
 * the service {@link Monitor} over a rules-only {@link DetectionEngine} (no ML model, so every outcome follows
 * from the engine's documented rules: src/detect/engine.ts, network-rules.ts, risk.ts, alert-builder.ts) and a
 * metrics registry without the process metrics. Tests assert only what is visible over HTTP, or through the
 * {@link Store} interface.
 *
 * Lifetime: everything created here is closed when the test that created it finishes (vitest `onTestFinished`,
 * run in reverse order of creation: the app, then the monitor, then the store), so a test need not close what it
 * opens; closing earlier (`app.close()`) is fine. Calling these helpers outside a running test throws.
 *
 * Fault injection goes through {@link interceptStore}, a thin wrapper that delegates every call to the real
 * store and lets a test throw (or count) before a method runs.
 */
import { onTestFinished } from 'vitest';
import { DetectionEngine } from '../detect/engine.js';
import { createMetrics, monitorMetricsHooks } from '../service/metrics.js';
import { Monitor } from '../service/monitor.js';
import { openSecurity, type Security, type WitnessKey } from '../service/security.js';
import { createPqcProvider } from '../pqc/select-provider.js';
import { xwingKeygen } from '../pqc/xwing.js';
import { openSqliteStore, type SqliteStore } from '../store/index.js';
import type { Scope, Store } from '../store/store.js';
import { buildApp, type AppDeps, type AppOptions } from './app.js';
import { ensureAdminToken } from './auth.js';
import type { LogFn } from './errors.js';

/** The admin secret {@link createTestDeps} installs (as IPQSEC_ADMIN_TOKEN would), as token `tok-admin`. */
export const TEST_ADMIN_TOKEN = 'ipq_test-admin-token-0123456789abcdef';

/** A method name of the {@link Store} interface. */
export type StoreMethod = { [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never }[keyof Store];

/**
 * A {@link Store} that delegates every call to `real`, calling `before(method)` first: a throw from `before`
 * becomes the call's rejection and `real` is not called. For fault injection on the real store (throw
 * `IpqsecError('IPQ-S001', …)` while a flag is set) and for counting calls. One closure per call (tests only).
 */
export function interceptStore(real: Store, before: (method: StoreMethod) => void): Store {
  return new Proxy(real, {
    get(target, prop) {
      // Read and call on the target itself: the SQLite store keeps its state in #private fields.
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]): Promise<unknown> => {
        before(prop as StoreMethod);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A fresh SQLite store in memory (migrated), closed when the current test finishes. */
export async function openTestStore(): Promise<SqliteStore> {
  const store = await openSqliteStore({ path: ':memory:' });
  onTestFinished(() => store.close());
  return store;
}

/**
 * The Monitor's metrics hooks as `startService` installs them (cli/service-runtime.ts): committed batches count
 * events by type and source, alerts by severity, the batch time, and the threat-memory size.
 */
/** Options of {@link createTestDeps}. */
export interface TestDepsOptions {
  /** Wraps the real store (e.g. with {@link interceptStore}); the wrapper is what the monitor and server use. */
  readonly store?: (real: SqliteStore) => Store;
  /** Where the server logs faults (`AppDeps.log`). */
  readonly log?: LogFn;
  /**
   * Also open the post-quantum side (log, devices, channel; `openSecurity` as `startService` does) with the noble
   * back-end and fixed keys ({@link TEST_IDENTITY_SEED}, {@link TEST_KEM_SEED}). Checkpoints are issued only when a
   * test calls `security.audit.checkpointNow()` (interval one hour), unless `checkpointIntervalMs` is given.
   */
  readonly security?: { readonly witnesses?: readonly WitnessKey[]; readonly checkpointIntervalMs?: number; readonly nowMs?: () => number };
}

/** Seed of the test server identity (ML-DSA-65). */
export const TEST_IDENTITY_SEED = new Uint8Array(32).fill(0x11);
/** Seed of the test server KEM key (X-Wing). */
export const TEST_KEM_SEED = new Uint8Array(32).fill(0x22);

/** What {@link createTestDeps} returns: `buildApp`'s deps with the concrete monitor. */
export interface TestDeps extends AppDeps {
  readonly store: Store;
  readonly monitor: Monitor;
  /** Present when `security` was asked for. */
  readonly security?: Security;
  /** Closes the monitor, then the store. Idempotent; also runs when the test finishes. */
  close(): Promise<void>;
}

/**
 * Deps for `buildApp`: a migrated in-memory SQLite store holding {@link TEST_ADMIN_TOKEN} as admin token
 * `tok-admin` (created at time 0), a Monitor over `new DetectionEngine({}, { newId })` with the default engine
 * config and no flow model, alert ids `alert-000001`, `alert-000002`, …, and metrics without process metrics.
 */
export async function createTestDeps(opts: TestDepsOptions = {}): Promise<TestDeps> {
  const real = await openSqliteStore({ path: ':memory:' });
  onTestFinished(() => real.close()); // runs last; also when the setup below throws
  const store = opts.store === undefined ? real : opts.store(real);
  await ensureAdminToken(store, TEST_ADMIN_TOKEN, { newId: () => 'tok-admin', nowMs: () => 0 });
  const metrics = createMetrics({ defaultMetrics: false });
  let n = 0;
  const engine = new DetectionEngine({}, { newId: () => `alert-${String(++n).padStart(6, '0')}` });
  let security: Security | undefined;
  if (opts.security !== undefined) {
    const provider = createPqcProvider('noble');
    security = await openSecurity({
      store,
      provider,
      identity: provider.mlDsaKeygen(TEST_IDENTITY_SEED),
      kem: xwingKeygen(provider, TEST_KEM_SEED),
      origin: 'ipqsec.test/log',
      witnesses: opts.security.witnesses ?? [],
      checkpointIntervalMs: opts.security.checkpointIntervalMs ?? 3_600_000,
      ...(opts.security.nowMs === undefined ? {} : { nowMs: opts.security.nowMs }),
    });
    metrics.registerChannel(security.channel);
  }
  const monitor = await Monitor.open({ store, engine, hooks: monitorMetricsHooks(metrics, () => engine.memory.size), ...(security === undefined ? {} : { audit: security.audit }) });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await monitor.close();
        await security?.close();
      } finally {
        await real.close();
      }
    })());
  onTestFinished(close);
  return { store, monitor, metrics, close, ...(opts.log === undefined ? {} : { log: opts.log }), ...(security === undefined ? {} : { security }) };
}

/** `Authorization` header for a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * A built app over {@link createTestDeps} with deterministic ids (`id-000001`, …) and helpers: `admin` is the
 * admin's header; `tokenWith(scopes)` creates a token through the API and returns its secret. Closing the app
 * closes its monitor and store; all three are closed when the test finishes.
 */
export async function createTestApp(opts: AppOptions = {}, depsOpts: TestDepsOptions = {}) {
  const deps = await createTestDeps(depsOpts);
  let n = 0;
  const app = await buildApp(deps, { newId: () => `id-${String(++n).padStart(6, '0')}`, version: '0.0.0-test', ...opts });
  app.addHook('onClose', async () => deps.close());
  onTestFinished(() => app.close()); // a second close (after the test's own) resolves at once
  const admin = bearer(TEST_ADMIN_TOKEN);
  const tokenWith = async (scopes: readonly Scope[]): Promise<string> => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: admin, payload: { name: `test ${scopes.join('+')}`, scopes } });
    if (r.statusCode !== 201) throw new Error(`token creation failed: ${r.statusCode} ${r.body}`);
    return (r.json() as { token: string }).token;
  };
  return { app, deps, admin, tokenWith };
}
