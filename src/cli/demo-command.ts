/**
 * `ipqsec demo` (what `npm start` runs): the live service on its embedded defaults (SQLite under
 * ./ipqsec-data, embedded MQTT broker, in-process detection) plus the built-in simulator feeding it a robot
 * fleet, 100 temperature sensors and network traffic with scheduled attacks, paced in real time. Prints the URL
 * and an admin token, then a line per simulated round with its alerts; Ctrl-C shuts everything down cleanly.
 */
import { Command } from 'commander';
import { hashToken, generateToken } from '../server/auth.js';
import { runSimulate, DEFAULT_SERVER } from './simulate-command.js';
import { addServiceOptions, printBanner, serviceOptions, untilSignal, type ServeValues } from './serve-command.js';
import { startService } from './service-runtime.js';
import { fmt } from './format.js';
import { SIM_DEFAULTS } from '../sim/index.js';

interface DemoValues extends ServeValues {
  round: string;
  duration?: string;
  speed: string;
}

class Stopped extends Error {}

/** Builds the `demo` command. */
export function demoCommand(): Command {
  return addServiceOptions(new Command('demo').description('the service plus the built-in simulator (robots, sensors, attacks) in one process: what npm start runs'))
    .option('--round <s>', 'simulated seconds per simulator round (each round: new seed, attacks after the first quarter)', '300')
    .option('--speed <x>', 'simulated seconds per wall-clock second', '1')
    .option('--duration <s>', 'stop after this many wall-clock seconds (default: run until Ctrl-C)')
    .action(async (v: DemoValues) => {
      const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
      const s = await startService(serviceOptions(v, process.env, log));
      const out = (l: string) => process.stdout.write(`${l}\n`);
      printBanner(s, out);
      // A token for the simulator, and one for the operator of this session (the admin token of the first start is
      // only ever shown once; a demo session always gets one it can print).
      const simToken = generateToken();
      await s.store.createToken({ id: `demo-sim-${Date.now()}`, name: 'demo simulator', hash: hashToken(simToken), scopes: ['ingest'], created_ms: Date.now(), revoked: false });
      if (s.generatedAdminToken === null && process.env.IPQSEC_ADMIN_TOKEN === undefined) {
        const t = generateToken();
        await s.store.createToken({ id: `demo-admin-${Date.now()}`, name: 'demo session admin', hash: hashToken(t), scopes: ['admin'], created_ms: Date.now(), revoked: false });
        out(`admin token for this demo session: ${t}`);
      }
      out(`try: curl -H "Authorization: Bearer <token>" ${s.url}/api/v1/alerts   (Ctrl-C stops)`);
      let stopping = false;
      const sleep = (ms: number) =>
        new Promise<void>((resolve, reject) => {
          if (stopping) return reject(new Stopped());
          const t = setTimeout(() => (stopping ? reject(new Stopped()) : resolve()), ms);
          t.unref();
        });
      const stop = untilSignal().then((sig) => {
        stopping = true;
        log(`${sig}: shutting down`);
      });
      const timer = v.duration === undefined ? undefined : setTimeout(() => process.kill(process.pid, 'SIGINT'), Number(v.duration) * 1000);
      const round = Math.max(20, Number(v.round));
      const speed = Math.max(0.01, Number(v.speed));
      const perSecond = SIM_DEFAULTS.flowsPerSecond + SIM_DEFAULTS.robots / 2 + SIM_DEFAULTS.sensors;
      // One continuous simulated timeline: round r starts where round r−1 ended (detection runs on event time,
      // so rounds that overlapped in time would look like traffic arriving out of order).
      let startMs = Math.floor(Date.now() / 1000) * 1000;
      const sim = (async () => {
        for (let r = 1; !stopping; r++, startMs += round * 1000) {
          try {
            const summary = await runSimulate(
              {
                seed: r,
                startMs,
                durationS: round,
                robots: SIM_DEFAULTS.robots,
                sensors: SIM_DEFAULTS.sensors,
                flowsPerSecond: SIM_DEFAULTS.flowsPerSecond,
                server: s.url.startsWith('http') ? s.url : DEFAULT_SERVER,
                token: simToken,
                batch: 500,
                rate: perSecond * speed,
                truthFile: `${v.dataDir}/sim-truth-round-${r}.json`,
                score: true,
                // Every robot and sensor speaks through the post-quantum channel with its own enrolled identity; the
                // demo's operator (this process) approves them.
                secure: true,
                serverIdentityPublicKey: s.security.identityPublicKey,
                approveDevices: async (ids) => {
                  for (const id of ids) await s.security.devices.approve(id, 'demo operator');
                },
              },
              { fetch: globalThis.fetch, sleep, now: () => performance.now(), warn: (l) => log(`simulator: ${l}`) },
            );
            const scores = (summary.scores ?? []).filter((x) => x.kind !== 'events');
            const recall = scores.filter((x) => x.instances > 0);
            out(
              `round ${r}: ${summary.events} events, ${summary.alerts ?? 0} alerts; attack instances detected ` +
                `${recall.reduce((a, x) => a + x.detected, 0)}/${recall.reduce((a, x) => a + x.instances, 0)} ` +
                `(${recall.map((x) => `${x.kind} ${fmt(x.recall ?? 0, 2)}`).join(', ')})`,
            );
          } catch (e) {
            if (e instanceof Stopped || stopping) break;
            log(`simulator round ${r} failed: ${e instanceof Error ? e.message : String(e)}`);
            await sleep(2000).catch(() => undefined);
          }
        }
      })();
      await stop;
      if (timer !== undefined) clearTimeout(timer);
      await sim;
      await s.close();
      log('stopped');
    });
}
