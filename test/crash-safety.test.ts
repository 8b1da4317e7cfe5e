/**
 * Crash safety of the live service, end to end against the compiled CLI (dist/, built by `npm test` before
 * vitest runs): `ipqsec serve` is killed with SIGKILL while ingest requests are in flight, restarted on the same
 * data directory, and must have kept
 * - every event of every batch it acknowledged with a 2xx (a 200 from `POST /events` promises durability),
 * - each batch whole or not at all (a batch is one transaction),
 * - the threat memory of a slow attacker (rejected connections, Zeek conn_state REJ) at least as the API
 *   showed it before the kill, and go on escalating it after the restart.
 *
 * Oracles are independent of the code under test: the ids we sent and the answers we got, and the threat-memory
 * decay law from its documentation (recurrence decays as 2^(−Δt/half-life), half-life 6 h; each suspicious
 * event adds 1), used only as a lower bound.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const hasCli = existsSync(cli);
if (!hasCli) console.warn(`skipping the crash-safety test: ${cli} is missing (run \`npm run build\`; npm test does)`);

const TOKEN = 'crash-safety-admin-token-0123456789';
/** Threat memory's default recurrence half-life (src/detect/threat-memory.ts: 6 h). */
const HALF_LIFE_MS = 6 * 3_600_000;
const ATTACKER = '203.0.113.66';
const T0_S = 1_700_000_000;
/** Event time of the attacker's k-th flow: one rejected connection a minute (slow: no scan or burst rule fires). */
const attackerTs = (k: number) => T0_S + 60 * k;

interface Server {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
}

interface EntityState {
  entity: string;
  events: number;
  recurrence: number;
  last_seen_ms: number;
  max_risk: number;
}

interface EventResult {
  id: string;
  risk: number;
  risk_class: string;
}

const servers: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(() => {
  for (const p of servers) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function start(dataDir: string): Promise<Server> {
  const proc = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--port', '0', '--no-mqtt', '--model', 'none', '--alert-log', 'none'], {
    env: { ...process.env, IPQSEC_ADMIN_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.push(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve not ready in 20 s: ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /IPqSEC listening on (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], exited });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function post(s: Server, events: object[]): Promise<EventResult[]> {
  const r = await fetch(`${s.url}/api/v1/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(events) });
  if (r.status !== 200) throw new Error(`POST /events answered ${r.status}: ${await r.text()}`);
  return ((await r.json()) as { results: EventResult[] }).results;
}

async function entity(s: Server, id: string): Promise<EntityState> {
  const r = await fetch(`${s.url}/api/v1/entities/${encodeURIComponent(id)}`, { headers: auth });
  if (r.status !== 200) throw new Error(`GET /entities/${id} answered ${r.status}`);
  return (await r.json()) as EntityState;
}

async function storedIds(s: Server): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const r = await fetch(`${s.url}/api/v1/events?limit=1000${q}`, { headers: auth });
    expect(r.status).toBe(200);
    const page = (await r.json()) as { items: { id: string }[]; next_cursor: string | null };
    for (const e of page.items) ids.add(e.id);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return ids;
}

/** The attacker's k-th flow: a rejected connection attempt to SSH. */
function attackerFlow(k: number): object {
  return { type: 'flow', id: `atk-${k}`, ts: attackerTs(k), orig_h: ATTACKER, orig_p: 40000 + k, resp_h: '10.9.0.1', resp_p: 22, proto: 'tcp', conn_state: 'REJ', orig_pkts: 1, resp_pkts: 1, orig_bytes: 0, resp_bytes: 0 };
}

/** Batch `b`: the attacker's flow `k` plus `n − 1` benign events (flows from 50 hosts, sensor readings). */
function batch(b: number, k: number, n: number): object[] {
  const evs: object[] = [attackerFlow(k)];
  const ts = attackerTs(k);
  for (let i = 1; i < n; i++) {
    const id = `b${b}-${i}`;
    evs.push(
      i % 10 === 0
        ? { type: 'sensor', id, ts, site: 'plant-1', sensor_id: `t-${i % 7}`, kind: 'temperature', value: 21 + (i % 3) * 0.1, unit: 'C' }
        : { type: 'flow', id, ts: ts + i / 1000, orig_h: `10.0.1.${1 + (i % 50)}`, orig_p: 30000 + i, resp_h: '10.9.0.2', resp_p: 443, proto: 'tcp', conn_state: 'SF', orig_bytes: 500, resp_bytes: 4000, orig_pkts: 6, resp_pkts: 5, duration: 0.3 },
    );
  }
  return evs;
}

const idsOf = (evs: object[]) => evs.map((e) => (e as { id: string }).id);

describe.skipIf(!hasCli)('crash safety of ipqsec serve (SIGKILL during ingest)', () => {
  it(
    'keeps every acknowledged batch whole and the threat memory of a slow attacker, which keeps escalating after restart',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ipqsec-crash-'));
      dirs.push(dir);
      let s = await start(dir);

      // Phase 1: ten sequential batches of 100; the attacker sends one rejected connection per batch.
      let k = 0;
      let b = 0;
      const acked: string[][] = [];
      const riskOf = new Map<number, number>();
      for (; b < 10; b++, k++) {
        const evs = batch(b, k, 100);
        const results = await post(s, evs);
        expect(results.map((r) => r.id)).toEqual(idsOf(evs));
        riskOf.set(k, results[0].risk);
        acked.push(idsOf(evs));
      }
      // A rejected connection is suspicious on its own (Medium), so every one of them counts as a recurrence.
      expect(riskOf.get(0)).toBeGreaterThanOrEqual(0.4);
      const before = await entity(s, `ip:${ATTACKER}`);
      expect(before.events).toBe(10);
      // Ten suspicious events a minute apart, each decayed to the last one's time: Σ 2^(−(9 − j) min / 6 h) ≈ 9.985.
      let expected = 0;
      for (let j = 0; j < 10; j++) expected += 2 ** (-((9 - j) * 60_000) / HALF_LIFE_MS);
      expect(before.recurrence).toBeCloseTo(expected, 6);

      // Phase 2: four concurrent writers of 500-event batches; SIGKILL right after the 12th answer.
      const sent = new Map<number, { ids: string[]; k: number }>();
      const ackedK: number[] = [];
      let inFlight = 0;
      let inFlightAtKill = -1;
      let killed = false;
      let lastApi: EntityState = before;
      const poller = (async () => {
        while (!killed) {
          try {
            const e = await entity(s, `ip:${ATTACKER}`);
            if (!killed) lastApi = e;
          } catch {
            // the server died: the last answer stands
          }
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const writer = async () => {
        while (!killed) {
          const myB = b++;
          const myK = k++;
          const evs = batch(myB, myK, 500);
          sent.set(myB, { ids: idsOf(evs), k: myK });
          inFlight++;
          try {
            await post(s, evs);
          } catch {
            return; // connection reset by the kill: not acknowledged
          } finally {
            inFlight--;
          }
          if (killed) return;
          acked.push(idsOf(evs));
          ackedK.push(myK);
          if (ackedK.length >= 12) {
            killed = true;
            inFlightAtKill = inFlight;
            s.proc.kill('SIGKILL');
          }
        }
      };
      await Promise.all([writer(), writer(), writer(), writer(), poller]);
      await s.exited;
      expect(inFlightAtKill).toBeGreaterThanOrEqual(1); // the kill really hit requests in flight
      expect(lastApi.events).toBeGreaterThanOrEqual(before.events);

      // Restart on the same data directory.
      s = await start(dir);
      const stored = await storedIds(s);
      for (const ids of acked) for (const id of ids) expect(stored.has(id), `acknowledged event ${id} lost`).toBe(true);
      // Every batch is whole or absent, the acknowledged ones and those cut off by the kill alike.
      for (const [bb, { ids }] of sent) {
        const n = ids.filter((id) => stored.has(id)).length;
        expect([0, ids.length], `batch ${bb}: ${n} of ${ids.length} events stored`).toContain(n);
      }

      // Threat memory: at least what the API showed before the kill, and at least every acknowledged attack.
      const after = await entity(s, `ip:${ATTACKER}`);
      const decay = (fromMs: number) => 2 ** (-(after.last_seen_ms - fromMs) / HALF_LIFE_MS);
      expect(after.events).toBeGreaterThanOrEqual(lastApi.events);
      expect(after.events).toBeGreaterThanOrEqual(10 + ackedK.length);
      expect(after.last_seen_ms).toBeGreaterThanOrEqual(lastApi.last_seen_ms);
      expect(after.recurrence).toBeGreaterThanOrEqual(lastApi.recurrence * decay(lastApi.last_seen_ms) - 1e-9);
      const ackedBound = before.recurrence * decay(before.last_seen_ms) + ackedK.reduce((sum, kk) => sum + decay(attackerTs(kk) * 1000), 0);
      expect(after.recurrence).toBeGreaterThanOrEqual(ackedBound - 1e-9);

      // Escalation across the restart: the attacker's next rejected connections score far above a newcomer's
      // identical one, and the recurrence keeps growing by one per event (less the decay since the last one).
      const fresh = await post(s, [{ ...attackerFlow(k + 1000), id: 'newcomer-1', orig_h: '198.51.100.7' }]);
      let last = after;
      for (let i = 0; i < 3; i++, k++) {
        const [r] = await post(s, [attackerFlow(k)]);
        expect(r.risk).toBeGreaterThan(fresh[0].risk + 0.2);
        expect(r.risk).toBeGreaterThanOrEqual(riskOf.get(9)!);
        const now = await entity(s, `ip:${ATTACKER}`);
        expect(now.events).toBe(last.events + 1);
        // Documented law: the stored recurrence decays to the new event's time, then the suspicious event adds 1.
        expect(now.recurrence).toBeCloseTo(last.recurrence * 2 ** (-(now.last_seen_ms - last.last_seen_ms) / HALF_LIFE_MS) + 1, 6);
        last = now;
      }
      s.proc.kill('SIGINT');
      await s.exited;
    },
    60_000,
  );
});
