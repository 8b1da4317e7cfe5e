/**
 * `ipqsec devices list|approve|revoke|enroll`: device identities on a running server (issue 4 §2), over the API
 * (`/api/v1/devices`). `list` needs a token with scope `read`, `approve` and `revoke` scope `admin`; `enroll` is
 * the device's side: it presents the ML-DSA-65 public key of a key file (`ipqsec keys gen`) with its proof of
 * possession, using a provisioning token of scope `ingest`.
 */
import { Command } from 'commander';
import { ERROR_CATALOGUE, IpqsecError, type ErrorCode } from '../core/errors.js';
import { SecureUplink } from '../agent/secure-uplink.js';
import { defaultPqcProvider } from '../pqc/select-provider.js';
import { readKeyFile, resolvePassphrase } from './key-files.js';

/** Default server when neither `--server` nor `IPQSEC_SERVER` is given. */
const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** A device as `GET /api/v1/devices` lists it. */
interface DeviceRow {
  readonly device_id: string;
  readonly status: string;
  readonly key_id: string;
  readonly created_ms: number;
  readonly updated_ms: number;
  readonly decided_by: string | null;
}

/** Injection points (tests): every field has a production default. */
export interface DevicesCommandDeps {
  readonly fetch?: typeof fetch;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly out?: (text: string) => void;
}

interface Common {
  server?: string;
  token?: string;
  json?: boolean;
}

/**
 * Calls the API and returns the JSON answer.
 * @throws IpqsecError with the server's catalogue code when it answers one (e.g. IPQ-E005 unknown device, IPQ-A002
 *   wrong scope), IPQ-S003 when it is unreachable or answers something else
 */
async function call(f: typeof fetch, method: string, url: string, token: string | undefined): Promise<unknown> {
  let res: Response;
  try {
    res = await f(url, { method, headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new IpqsecError('IPQ-S003', `${method} ${url}: ${e instanceof Error ? e.message : String(e)}`, { details: { url }, cause: e });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new IpqsecError('IPQ-S003', `${method} ${url} answered ${res.status} with a body that is not JSON`, { details: { url } });
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof err?.code === 'string' && Object.hasOwn(ERROR_CATALOGUE, err.code) ? (err.code as ErrorCode) : 'IPQ-S003';
    throw new IpqsecError(code, `${method} ${url} answered ${res.status}: ${typeof err?.message === 'string' ? err.message : text.slice(0, 500)}`, { details: { url, status: res.status } });
  }
  return body;
}

function row(d: DeviceRow): string {
  return `${d.device_id.padEnd(24)} ${d.status.padEnd(9)} key ${d.key_id}  enrolled ${new Date(d.created_ms).toISOString()}${d.decided_by === null ? '' : `  by ${d.decided_by}`}`;
}

/** Builds the `devices` command group. */
export function devicesCommand(deps: DevicesCommandDeps = {}): Command {
  const f = deps.fetch ?? fetch;
  const env = deps.env ?? process.env;
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const base = (v: Common) => `${(v.server ?? env.IPQSEC_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '')}/api/v1`;
  const token = (v: Common) => v.token ?? env.IPQSEC_TOKEN;
  const common = (c: Command) =>
    c
      .option('--server <url>', `server base URL (env IPQSEC_SERVER, default ${DEFAULT_SERVER})`)
      .option('--token <t>', 'API token (env IPQSEC_TOKEN)')
      .option('--json', 'print JSON');

  const cmd = new Command('devices').description('device identities on a server: list, approve, revoke, enroll');

  common(cmd.command('list').description('enrolled devices, oldest first (scope read)')).action(async (v: Common) => {
    const body = (await call(f, 'GET', `${base(v)}/devices`, token(v))) as { items: DeviceRow[] };
    if (v.json === true) out(`${JSON.stringify(body.items)}\n`);
    else for (const d of body.items) out(`${row(d)}\n`);
  });

  for (const [name, what] of [
    ['approve', 'approve a pending device so it can open sessions (scope admin)'],
    ['revoke', 'revoke a device and close its sessions (scope admin)'],
  ] as const) {
    common(cmd.command(`${name} <id>`).description(what)).action(async (id: string, v: Common) => {
      const d = (await call(f, 'POST', `${base(v)}/devices/${encodeURIComponent(id)}/${name}`, token(v))) as DeviceRow;
      out(v.json === true ? `${JSON.stringify(d)}\n` : `${row(d)}\n`);
    });
  }

  common(cmd.command('enroll').description("the device's side: present the key file's public key with its proof of possession (scope ingest)"))
    .requiredOption('--id <device>', 'device id (letters, digits, . _ : @ -; up to 128)')
    .requiredOption('--key <file>', 'the device ML-DSA-65 key file (ipqsec keys gen)')
    .option('--passphrase-file <file>', 'passphrase of an encrypted key file (else env IPQSEC_KEY_PASSPHRASE)')
    .action(async (v: Common & { id: string; key: string; passphraseFile?: string }) => {
      const provider = defaultPqcProvider();
      const passphrase = await resolvePassphrase(v.passphraseFile === undefined ? {} : { passphraseFile: v.passphraseFile }, env);
      const k = await readKeyFile(v.key, provider, passphrase === undefined ? {} : { passphrase });
      if (k.algorithm !== 'ML-DSA-65') throw new IpqsecError('IPQ-C001', `--key ${v.key} holds an ${k.algorithm} key; a device identity is ML-DSA-65`);
      const tok = token(v);
      const uplink = new SecureUplink({
        server: base(v).replace(/\/api\/v1$/, ''),
        deviceId: v.id,
        identity: { seed: k.seed, publicKey: k.publicKey },
        provider,
        fetch: f,
        ...(tok === undefined ? {} : { token: tok }),
      });
      const a = await uplink.enroll();
      out(v.json === true ? `${JSON.stringify(a)}\n` : `${a.device_id} ${a.status} (key ${a.key_id})${a.status === 'pending' ? ': an operator approves it with `ipqsec devices approve`' : ''}\n`);
    });
  return cmd;
}
