/**
 * Exact versions nmap cannot give, asked of the service itself over its own protocol. Used by the scan for open
 * ports whose version nmap left unknown or as a range; read-only, one short connection per port.
 *
 * SOURCE:
 * - PostgreSQL: frontend/backend protocol v3 (PostgreSQL 15 docs §55 "Frontend/Backend Protocol") through the `pg`
 *   client; `SHOW server_version` (§20 "Preset Options": `server_version`). nmap 7.93's probes only give
 *   "9.6.0 or later" (the error text of its SMB probe). With trust authentication the query answers; when the server
 *   asks for any password (cleartext, MD5, SCRAM) the probe gives up: no password is ever sent and none is read from
 *   PGPASSWORD or ~/.pgpass (the password callback refuses), the result is null and nmap's range stays.
 * - NATS: the server's first line `INFO {json}\r\n` (NATS client protocol, docs.nats.io "Client Protocol" → INFO),
 *   field `version`. Nothing is sent.
 * - MQTT (Mosquitto), a fallback when nmap's mqtt-subscribe script did not report: MQTT 3.1.1 (OASIS Standard 2014)
 *   CONNECT §3.1 (clean session, no credentials), CONNACK §3.2, SUBSCRIBE §3.8 to `$SYS/broker/version` (QoS 0),
 *   PUBLISH §3.3, DISCONNECT §3.14; Mosquitto publishes `mosquitto version X` there (mosquitto(8) "$SYS topics").
 * Product names for CVE look-up: data/nvd/README.md (linuxfoundation:nats-server, eclipse:mosquitto,
 * postgresql:postgresql).
 *
 * Bounds: every probe ends within `timeoutMs` (a timer destroys the socket / ends the client); at most 64 KiB are
 * read per connection. Never throws for what a service does: any failure, refusal, timeout or unexpected answer is null.
 */
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import type { NmapPort } from './nmap-xml.js';

/** An exact version learnt from the service. */
export interface ProbeResult {
  /** Service name (`postgresql`, `nats`, `mqtt`), replacing nmap's guess from the port number. */
  service: string;
  /** Product name (`PostgreSQL`, `NATS Server`, `mosquitto`). */
  product: string;
  /** The release (`15.19`, `2.9.10`, `2.0.11`). */
  version: string;
  /** CPE 2.3 formatted name of the product and version (NVD's vendor:product). */
  cpe: string;
}

/** Largest answer read per probe connection. */
const MAX_READ = 64 * 1024;
/** A release as the probes accept it: digits and dots, optionally a pre-release suffix (`16beta1`, `2.10.0-rc.1`). */
const RELEASE = /^[0-9]+(?:\.[0-9]+)*(?:[-.]?(?:alpha|beta|rc)[.0-9]*)?$/i;

const cpe23 = (vendor: string, product: string, version: string): string =>
  `cpe:2.3:a:${vendor}:${product}:${version.toLowerCase().replace(/[^a-z0-9._-]/g, (c) => `\\${c}`)}:*:*:*:*:*:*:*`;

/** PostgreSQL: connect as `user` (no password), `SHOW server_version`. */
async function probePostgres(address: string, port: number, timeoutMs: number, user: string): Promise<ProbeResult | null> {
  const client = new pg.Client({
    host: address,
    port,
    user,
    database: 'postgres',
    // Called only if the server asks for a password: refuse (never guess, never read PGPASSWORD/.pgpass).
    password: () => {
      throw new Error('the server requires a password');
    },
    ssl: false,
    application_name: 'ipqsec-scan',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
  });
  client.on('error', () => {}); // errors after connect (server closing) must not crash the process
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const work = (async (): Promise<ProbeResult | null> => {
    await client.connect();
    const r = await client.query<{ server_version: string }>('SHOW server_version');
    const text = r.rows[0]?.server_version;
    if (typeof text !== 'string') return null;
    // "15.19 (Debian 15.19-0+deb12u1)" → 15.19
    const v = text.trim().split(/\s+/)[0] ?? '';
    if (!RELEASE.test(v)) return null;
    return { service: 'postgresql', product: 'PostgreSQL', version: v, cpe: cpe23('postgresql', 'postgresql', v) };
  })().catch(() => null);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    client.end().catch(() => {});
  }
}

/**
 * Runs `talk` on a TCP connection, resolving with its answer, or null on error, close, timeout or after
 * {@link MAX_READ} bytes. `talk` receives everything read so far each time data arrives and returns a result,
 * null to give up, or undefined to keep reading.
 */
function tcpExchange<T>(
  address: string,
  port: number,
  timeoutMs: number,
  onConnect: (s: Socket) => void,
  talk: (buf: Buffer, s: Socket) => T | null | undefined,
): Promise<T | null> {
  return new Promise((resolve) => {
    let done = false;
    let buf = Buffer.alloc(0);
    const sock = connect({ host: address, port });
    const finish = (v: T | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.on('connect', () => {
      try {
        onConnect(sock);
      } catch {
        finish(null);
      }
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > MAX_READ) return finish(null);
      let r: T | null | undefined;
      try {
        r = talk(buf, sock);
      } catch {
        r = null;
      }
      if (r !== undefined) finish(r);
    });
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
  });
}

/** NATS: parse the `INFO {json}` line the server sends first. */
function probeNats(address: string, port: number, timeoutMs: number): Promise<ProbeResult | null> {
  return tcpExchange<ProbeResult>(address, port, timeoutMs, () => {}, (buf) => {
    const n = Math.min(5, buf.length);
    if (buf.subarray(0, n).toString('latin1') !== 'INFO '.slice(0, n)) return null; // not NATS
    const eol = buf.indexOf('\r\n');
    if (eol < 0) return undefined;
    const line = buf.subarray(0, eol).toString('utf8');
    if (!line.startsWith('INFO ')) return null;
    const info: unknown = JSON.parse(line.slice(5));
    const v = typeof info === 'object' && info !== null ? (info as { version?: unknown }).version : undefined;
    if (typeof v !== 'string' || !RELEASE.test(v)) return null;
    return { service: 'nats', product: 'NATS Server', version: v, cpe: cpe23('linuxfoundation', 'nats-server', v) };
  });
}

/** MQTT 3.1.1 remaining length (§2.2.3): bytes of the variable-length integer. */
function encodeLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function mqttString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function mqttPacket(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), encodeLength(body.length), body]);
}

const SYS_VERSION = '$SYS/broker/version';

/** Splits complete MQTT packets off the front of `buf` (§2.2): [type byte, body] each. */
function mqttPackets(buf: Buffer): { type: number; body: Buffer }[] {
  const out: { type: number; body: Buffer }[] = [];
  let i = 0;
  while (i < buf.length) {
    let len = 0;
    let mul = 1;
    let j = i + 1;
    for (;;) {
      if (j >= buf.length) return out;
      const b = buf[j] as number;
      len += (b & 0x7f) * mul;
      mul *= 128;
      j++;
      if ((b & 0x80) === 0) break;
      if (j - i > 4) throw new Error('bad MQTT remaining length');
    }
    if (j + len > buf.length) return out;
    out.push({ type: buf[i] as number, body: buf.subarray(j, j + len) });
    i = j + len;
  }
  return out;
}

/** Mosquitto: CONNECT, SUBSCRIBE `$SYS/broker/version`, read the retained PUBLISH. */
function probeMqtt(address: string, port: number, timeoutMs: number): Promise<ProbeResult | null> {
  const clientId = `ipqsec-${Math.floor(Math.random() * 1e9).toString(36)}`;
  const connectPkt = mqttPacket(
    0x10,
    Buffer.concat([mqttString('MQTT'), Buffer.from([0x04, 0x02, 0x00, 0x0a]), mqttString(clientId)]),
  );
  const subscribePkt = mqttPacket(0x82, Buffer.concat([Buffer.from([0x00, 0x01]), mqttString(SYS_VERSION), Buffer.from([0x00])]));
  let subscribed = false;
  return tcpExchange<ProbeResult>(address, port, timeoutMs, (s) => s.write(connectPkt), (buf, s) => {
    for (const p of mqttPackets(buf)) {
      const kind = p.type >> 4;
      if (kind === 2) {
        // CONNACK: return code 0 = accepted (§3.2.2.3); anything else (auth required) → give up.
        if (p.body.length < 2 || p.body[1] !== 0) return null;
        if (!subscribed) {
          subscribed = true;
          s.write(subscribePkt);
        }
      } else if (kind === 3 && p.body.length >= 2) {
        const tlen = ((p.body[0] as number) << 8) | (p.body[1] as number);
        const topic = p.body.subarray(2, 2 + tlen).toString('utf8');
        const qos = (p.type >> 1) & 3;
        const payload = p.body.subarray(2 + tlen + (qos > 0 ? 2 : 0)).toString('utf8');
        if (topic !== SYS_VERSION) continue;
        s.write(Buffer.from([0xe0, 0x00])); // DISCONNECT
        const m = /^mosquitto version (\S+)$/i.exec(payload.trim());
        if (m === null || !RELEASE.test(m[1] as string)) return null;
        const v = m[1] as string;
        return { service: 'mqtt', product: 'mosquitto', version: v, cpe: cpe23('eclipse', 'mosquitto', v) };
      }
    }
    return undefined;
  });
}

const isPostgres = (p: NmapPort): boolean =>
  p.service?.name === 'postgresql' || /postgres/i.test(p.service?.product ?? '');
const isMqtt = (p: NmapPort): boolean => p.service?.name === 'mqtt' || /^mosquitto\b/i.test(p.service?.name ?? '');

/**
 * The exact product version of an open TCP port, asked of the service: PostgreSQL (service `postgresql`) by
 * `SHOW server_version`, an MQTT broker (service `mqtt`) by `$SYS/broker/version`, any other port by reading a NATS
 * `INFO` line. Only TCP ports are probed.
 * @param o.timeoutMs bound on the whole probe (connection included), ms.
 * @param o.postgresUser role for PostgreSQL (default `postgres`); no password is ever sent.
 * @returns the product and version, or null when the service is not one of these, refuses, needs a password, times
 *   out or answers something unexpected. Never rejects.
 */
export async function probeVersion(address: string, port: NmapPort, o: { timeoutMs: number; postgresUser?: string }): Promise<ProbeResult | null> {
  if (port.proto !== 'tcp') return null;
  const t = Math.max(1, Math.floor(o.timeoutMs));
  try {
    if (isPostgres(port)) return await probePostgres(address, port.port, t, o.postgresUser ?? 'postgres');
    if (isMqtt(port)) return await probeMqtt(address, port.port, t);
    return await probeNats(address, port.port, t);
  } catch {
    return null;
  }
}
