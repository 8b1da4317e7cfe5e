/**
 * `ipqsec serve`: the live monitoring service (HTTP API, MQTT telemetry, detection, store) until SIGINT/SIGTERM,
 * then a clean shutdown (MQTT and HTTP drained, the monitor flushed, the database closed).
 */
import { Command, Option } from 'commander';
import { IpqsecError } from '../core/errors.js';
import { parsePortList } from '../detect/suspicious-ports.js';
import type { EngineConfig } from '../detect/engine.js';
import { RISK_DEFAULTS } from '../detect/risk.js';
import { startService, type MqttMode, type RunningService, type ServiceOptions } from './service-runtime.js';

/** Options shared by `serve` and `demo`. */
export interface ServeValues {
  host: string;
  port?: string;
  dataDir: string;
  mqtt?: string | boolean;
  mqttPort: string;
  model?: string;
  webhook?: string[];
  webhookSecret?: string;
  alertLog?: string;
  suspiciousPorts?: string;
  modulation?: string;
  allowUnsignedModel?: boolean;
  modelKey?: string[];
  witnessKey?: string[];
  config?: string;
  scan?: boolean;
}

/** Adds the service options to a command. */
export function addServiceOptions(c: Command): Command {
  return c
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'HTTP port (env IPQSEC_PORT, default 8080)')
    .option('--data-dir <dir>', 'where the database, the flow model and the alert log live', './ipqsec-data')
    .option('--mqtt <url>', 'use this external MQTT broker (e.g. mqtt://127.0.0.1:1883) instead of the embedded one')
    .option('--no-mqtt', 'no MQTT ingest at all')
    .option('--mqtt-port <port>', 'port of the embedded MQTT broker (MQTT 3.1.1)', '1884')
    .option('--config <file>', 'JSON configuration file; its "scan" section sets the scan allowlist, denylist, nmap and schedules')
    .option('--no-scan', 'no vulnerability scanning (the /scans routes are not served)')
    .option('--model <file>', 'flow model file (ipqsec train), or "none" for rules only (default: <data-dir>/flow-model.ipqm, trained at first start)')
    .option('--webhook <url...>', 'POST every alert as JSON to this URL (repeatable; signed with HMAC-SHA-256)')
    .option('--webhook-secret <secret>', 'webhook signing key (env IPQSEC_WEBHOOK_SECRET)')
    .option('--alert-log <file>', 'NDJSON alert log with ECS field names, or "none" (default <data-dir>/alerts.ndjson)')
    .option('--suspicious-ports <list>', 'ports whose access raises "Suspicious Port Access" (default 23,2323,3389,4444,5900,6667,31337)')
    .addOption(new Option('--modulation <kind>', 'rule-risk modulation (docs/detection.md, ablation)').choices(['identity', 'sine']))
    .option('--allow-unsigned-model', 'accept a flow model that is unsigned or not signed by a trusted key (logged as a warning)')
    .option('--model-key <file...>', 'also trust models signed by this ML-DSA-65 public key (key file, `keys show --json` output or base64; repeatable)')
    .option('--witness-key <vkey...>', 'accept and publish log cosignatures of this witness (its verifier key, printed by `ipqsec witness`; repeatable)');
}

function port(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new IpqsecError('IPQ-S002', `${name} must be an integer port 0..65535, got "${v}"`);
  return n;
}

/** Turns parsed options and the environment into {@link ServiceOptions}. */
export function serviceOptions(v: ServeValues, env: Readonly<Record<string, string | undefined>>, log: (m: string) => void): ServiceOptions {
  const httpPort = port('--port', v.port ?? env.IPQSEC_PORT ?? '8080');
  let mqtt: MqttMode;
  if (v.mqtt === false) mqtt = { mode: 'off' };
  else if (typeof v.mqtt === 'string') {
    if (!/^mqtts?:\/\//.test(v.mqtt)) throw new IpqsecError('IPQ-S002', `--mqtt must be an mqtt:// or mqtts:// URL, got "${v.mqtt}"`);
    mqtt = { mode: 'external', url: v.mqtt };
  } else mqtt = { mode: 'embedded', host: v.host, port: port('--mqtt-port', v.mqttPort) };
  const engine: Partial<EngineConfig> = {};
  if (v.suspiciousPorts !== undefined) {
    try {
      (engine as { suspiciousPorts?: number[] }).suspiciousPorts = parsePortList(v.suspiciousPorts);
    } catch (e) {
      throw new IpqsecError('IPQ-S002', `--suspicious-ports: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (v.modulation !== undefined) (engine as { risk?: EngineConfig['risk'] }).risk = { ...RISK_DEFAULTS, modulation: v.modulation as 'sine' | 'identity' };
  return {
    host: v.host,
    port: httpPort,
    dataDir: v.dataDir,
    mqtt,
    ...(v.model === undefined ? {} : { model: v.model }),
    webhooks: v.webhook ?? [],
    ...(v.webhookSecret ?? env.IPQSEC_WEBHOOK_SECRET ? { webhookSecret: v.webhookSecret ?? env.IPQSEC_WEBHOOK_SECRET } : {}),
    alertLog: v.alertLog === 'none' ? null : v.alertLog,
    engine,
    ...(env.IPQSEC_ADMIN_TOKEN === undefined ? {} : { adminToken: env.IPQSEC_ADMIN_TOKEN }),
    ...(env.IPQSEC_KEY_PASSPHRASE === undefined || env.IPQSEC_KEY_PASSPHRASE === '' ? {} : { keyPassphrase: env.IPQSEC_KEY_PASSPHRASE }),
    allowUnsignedModel: v.allowUnsignedModel === true,
    modelKeys: v.modelKey ?? [],
    witnessKeys: v.witnessKey ?? [],
    ...(v.config === undefined ? {} : { configFile: v.config }),
    scan: v.scan !== false,
    log,
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Prints where the service listens and, when generated now, the admin token. */
export function printBanner(s: RunningService, out: (line: string) => void): void {
  out(`IPqSEC listening on ${s.url}  (API ${s.url}/api/v1, OpenAPI ${s.url}/docs)`);
  if (s.mqttPort !== null) out(`embedded MQTT broker on port ${s.mqttPort} (topics ipqsec/<site>/<device>/<kind>, password: an API token with the ingest scope)`);
  if (s.generatedAdminToken !== null) out(`admin token (shown once, stored only as a hash): ${s.generatedAdminToken}`);
}

/** Builds the `serve` command. */
export function serveCommand(): Command {
  return addServiceOptions(new Command('serve').description('run the live monitoring service: HTTP API, MQTT telemetry, detection, alerts')).action(
    async (v: ServeValues) => {
      const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
      const s = await startService(serviceOptions(v, process.env, log));
      printBanner(s, (l) => process.stdout.write(`${l}\n`));
      const sig = await untilSignal();
      log(`${sig}: shutting down`);
      await s.close();
      log('stopped');
    },
  );
}
