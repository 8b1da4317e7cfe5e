/**
 * The secure channel on one back-end (docs/envelope.md): server-side handshakes per second (`ChannelServer.acceptHello`:
 * ML-DSA-65 verify of the device's transcript signature, X-Wing decapsulation, HKDF key schedule, ACCEPT sealing)
 * and envelope seal + open pairs per second at 256 bytes of plaintext (AES-256-GCM, counters, replay window).
 * `bench/pqc.ts` runs it in-process for `noble` and as a child process under Node 24 for `native`.
 *
 * Handshakes: HELLOs of 64 enrolled devices are made beforehand (client work is not timed; each device may hold 4
 * sessions, so the server's LRU evicts as a busy server does), then the server accepts them one after another for
 * each round. Envelopes: one client session seals and the server opens, in a loop. Rates are medians of 5 rounds.
 *
 * Usage: node dist/bench/pqc-channel.js [--backend native|noble] [--seconds S] [--json]
 */
import { pathToFileURL } from 'node:url';
import { ChannelClient } from '../src/pqc/channel-client.js';
import { ChannelServer } from '../src/pqc/channel-server.js';
import { randomBytes } from '../src/pqc/classical.js';
import type { MlDsaKeyPair, PqcBackendName, PqcProvider } from '../src/pqc/provider.js';
import { createPqcProvider } from '../src/pqc/select-provider.js';
import { signServerKeys, verifyServerKeys } from '../src/pqc/server-keys.js';
import { xwingKeygen } from '../src/pqc/xwing.js';

const ROUNDS = 5;
const DEVICES = 64;

/** Results of {@link benchChannel}: operations per second, medians of 5 rounds. */
export interface ChannelBench {
  readonly handshakes_per_s: number;
  readonly envelope_seal_open_per_s: number;
  readonly plaintext_bytes: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Measures handshakes and envelope round trips on `p`.
 * @param opts.seconds time per measure (split in 5 rounds)
 */
export async function benchChannel(p: PqcProvider, opts: { seconds: number }): Promise<ChannelBench> {
  const now = Date.now();
  const serverIdentity = p.mlDsaKeygen();
  const kem = xwingKeygen(p);
  const signed = signServerKeys(p, serverIdentity, { name: 'bench', kemPublicKey: kem.publicKey, createdMs: now - 1000, notAfterMs: now + 86_400_000 });
  const keys = verifyServerKeys(p, serverIdentity.publicKey, signed.statement, signed.signature, now);
  const devices = new Map<string, MlDsaKeyPair>();
  for (let i = 0; i < DEVICES; i++) devices.set(`dev-${i}`, p.mlDsaKeygen());
  const server = new ChannelServer({
    provider: p,
    kemKeyPair: kem,
    maxHelloCache: 1_000_000,
    lookupDevice: async (id) => {
      const k = devices.get(id);
      return k === undefined ? undefined : { publicKey: k.publicKey, status: 'approved' };
    },
  });
  const roundMs = (opts.seconds * 1000) / ROUNDS;

  // Handshakes: enough HELLOs prepared for a round at a generous rate; fresh ones each round (replay cache).
  const hs: number[] = [];
  let perRound = 64;
  for (let r = 0; r < ROUNDS + 1; r++) {
    const hellos: Uint8Array[] = [];
    for (let i = 0; i < perRound; i++) {
      const id = `dev-${i % DEVICES}`;
      hellos.push(new ChannelClient({ provider: p, deviceId: id, identity: devices.get(id)!, serverKeys: keys }).hello());
    }
    const t0 = performance.now();
    for (const h of hellos) await server.acceptHello(h);
    const rate = (hellos.length * 1000) / (performance.now() - t0);
    if (r > 0) hs.push(rate); // round 0 is warm-up
    perRound = Math.max(16, Math.ceil((rate * roundMs) / 1000));
  }

  // Envelopes: one session, 256-byte plaintext, seal (client) + open (server).
  const id = 'dev-0';
  const client = new ChannelClient({ provider: p, deviceId: id, identity: devices.get(id)!, serverKeys: keys });
  client.accept((await server.acceptHello(client.hello())).reply);
  const plaintext = randomBytes(256);
  const env: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      for (let k = 0; k < 64; k++) server.open(client.seal(plaintext));
      n += 64;
      t = performance.now();
    } while (t - t0 < roundMs);
    if (r > 0) env.push((n * 1000) / (t - t0));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { handshakes_per_s: median(hs), envelope_seal_open_per_s: median(env), plaintext_bytes: plaintext.length };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const p = createPqcProvider(arg('backend') as PqcBackendName | undefined);
  const seconds = Number(arg('seconds') ?? '2');
  const r = await benchChannel(p, { seconds });
  if (process.argv.includes('--json')) console.log(JSON.stringify({ backend: p.backend, node: process.version, seconds, ...r }));
  else console.log(`${p.backend} (Node ${process.version}): ${r.handshakes_per_s.toFixed(0)} handshakes/s; ${r.envelope_seal_open_per_s.toFixed(0)} envelope seal+open/s at ${r.plaintext_bytes} B`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
