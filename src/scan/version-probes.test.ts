import { execFile } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import fc from 'fast-check';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { NmapPort } from './nmap-xml.js';
import { probeVersion } from './version-probes.js';

const run = promisify(execFile);

/** A TCP port of 127.0.0.1 accepts connections (the machine's services; tests skip when one is absent). */
function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('connect', () => done(true));
    s.on('error', () => done(false));
  });
}
const [pgUp, natsUp, mqttUp] = await Promise.all([reachable(5432), reachable(4222), reachable(1883)]);
for (const [name, up] of [['PostgreSQL :5432', pgUp], ['NATS :4222', natsUp], ['Mosquitto :1883', mqttUp]] as const) {
  if (!up) process.stderr.write(`skipping ${name} probe tests: nothing listens on 127.0.0.1\n`);
}

const port = (n: number, name: string | null, proto: NmapPort['proto'] = 'tcp'): NmapPort => ({
  port: n, proto, state: 'open',
  service: name === null ? null : { name, product: null, version: null, extrainfo: null, cpe: [], method: 'table', conf: 3 },
});

/** Fake servers of a test, closed after it. */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});
async function fakeServer(onConnection: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    s.on('error', () => {});
    onConnection(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const a = srv.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return a.port;
}

describe('probeVersion against the real services of the test machine', () => {
  it.skipIf(!pgUp)('PostgreSQL: SHOW server_version equals the server_version_num the server reports', { timeout: 30_000 }, async () => {
    // Oracle: server_version_num (e.g. 150020) read separately and turned into major.minor by hand
    // (PostgreSQL ≥ 10: major = n / 10000, minor = n % 10000).
    const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
    await c.connect();
    const n = Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]!.server_version_num);
    await c.end();
    const expected = `${Math.floor(n / 10000)}.${n % 10000}`;
    const r = await probeVersion('127.0.0.1', port(5432, 'postgresql'), { timeoutMs: 10_000 });
    expect(r).toEqual({ service: 'postgresql', product: 'PostgreSQL', version: expected, cpe: `cpe:2.3:a:postgresql:postgresql:${expected}:*:*:*:*:*:*:*` });
    expect(expected).toMatch(/^15\.\d+$/); // the machine runs PostgreSQL 15.x
  });

  it.skipIf(!pgUp)('PostgreSQL: a role the server does not know → null (no guess)', { timeout: 30_000 }, async () => {
    expect(await probeVersion('127.0.0.1', port(5432, 'postgresql'), { timeoutMs: 10_000, postgresUser: 'no_such_role_ipqsec' })).toBeNull();
  });

  it.skipIf(!natsUp)('NATS: the INFO version, as a raw read of the first line shows it', { timeout: 30_000 }, async () => {
    const line = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: 4222 });
      let buf = '';
      s.on('data', (d) => {
        buf += d.toString('utf8');
        if (buf.includes('\n')) {
          s.destroy();
          resolve(buf);
        }
      });
      s.on('error', reject);
    });
    const expected = /"version":"([^"]+)"/.exec(line)?.[1];
    expect(expected).toMatch(/^2\.\d+\.\d+$/);
    const r = await probeVersion('127.0.0.1', port(4222, 'vrml-multi-use'), { timeoutMs: 10_000 });
    expect(r).toEqual({ service: 'nats', product: 'NATS Server', version: expected, cpe: `cpe:2.3:a:linuxfoundation:nats-server:${expected}:*:*:*:*:*:*:*` });
  });

  it.skipIf(!mqttUp)('Mosquitto: $SYS/broker/version as mosquitto_sub reads it', { timeout: 30_000 }, async () => {
    let expected: string | undefined;
    try {
      const { stdout } = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', '1883', '-t', '$SYS/broker/version', '-C', '1', '-W', '10']);
      expected = /^mosquitto version (\S+)/.exec(stdout.trim())?.[1];
    } catch (e) {
      process.stderr.write(`mosquitto_sub unavailable (${(e as Error).message}): checking the version's form only\n`);
    }
    const r = await probeVersion('127.0.0.1', port(1883, 'mqtt'), { timeoutMs: 10_000 });
    expect(r).not.toBeNull();
    expect(r!.version).toMatch(/^2\.0\.\d+$/);
    if (expected !== undefined) expect(r).toEqual({ service: 'mqtt', product: 'mosquitto', version: expected, cpe: `cpe:2.3:a:eclipse:mosquitto:${expected}:*:*:*:*:*:*:*` });
  });
});

describe('probeVersion never guesses (fake servers)', () => {
  /**
   * A fake PostgreSQL server (protocol v3, PostgreSQL docs §55.7) that asks for a cleartext password and, if it gets
   * one, accepts it and answers any query with server_version 99.9: a client that sends a password gets a version.
   */
  async function passwordServer(): Promise<{ port: number; passwords: string[] }> {
    const passwords: string[] = [];
    const msg = (type: string, body: Buffer): Buffer => {
      const head = Buffer.alloc(5);
      head.write(type, 0, 'latin1');
      head.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([head, body]);
    };
    const i32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
    const i16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
    const cstr = (t: string): Buffer => Buffer.from(`${t}\0`, 'utf8');
    const port = await fakeServer((s) => {
      let buf = Buffer.alloc(0);
      let started = false;
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (!started) {
            if (buf.length < 4 || buf.length < buf.readInt32BE(0)) return;
            buf = buf.subarray(buf.readInt32BE(0));
            started = true;
            s.write(msg('R', i32(3))); // AuthenticationCleartextPassword
            continue;
          }
          if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
          const type = String.fromCharCode(buf[0]!);
          const body = buf.subarray(5, 1 + buf.readInt32BE(1));
          buf = buf.subarray(1 + buf.readInt32BE(1));
          if (type === 'p') {
            passwords.push(body.toString('utf8').replace(/\0$/, ''));
            s.write(Buffer.concat([msg('R', i32(0)), msg('Z', Buffer.from('I'))]));
          } else if (type === 'Q') {
            const v = Buffer.from('99.9');
            s.write(Buffer.concat([
              msg('T', Buffer.concat([i16(1), cstr('server_version'), i32(0), i16(0), i32(25), i16(-1), i32(-1), i16(0)])),
              msg('D', Buffer.concat([i16(1), i32(v.length), v])),
              msg('C', cstr('SHOW')),
              msg('Z', Buffer.from('I')),
            ]));
          } else if (type === 'X') {
            s.end();
          }
        }
      });
    });
    return { port, passwords };
  }

  it('the fake password server works: a client that sends a password reads version 99.9 (control)', async () => {
    const f = await passwordServer();
    const c = new pg.Client({ host: '127.0.0.1', port: f.port, user: 'postgres', database: 'postgres', password: 'secret' });
    await c.connect();
    expect((await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version).toBe('99.9');
    await c.end();
    expect(f.passwords).toEqual(['secret']);
  });

  it('PostgreSQL asking for a password → null; no password is sent, not even PGPASSWORD', async () => {
    const f = await passwordServer();
    const before = process.env.PGPASSWORD;
    process.env.PGPASSWORD = 'must-not-be-sent';
    try {
      expect(await probeVersion('127.0.0.1', port(f.port, 'postgresql'), { timeoutMs: 3000 })).toBeNull();
    } finally {
      if (before === undefined) delete process.env.PGPASSWORD;
      else process.env.PGPASSWORD = before;
    }
    expect(f.passwords).toEqual([]);
  });

  it('a silent server, a closed port and a UDP port → null within the timeout', async () => {
    const silent = await fakeServer(() => {});
    expect(await probeVersion('127.0.0.1', port(silent, null), { timeoutMs: 300 })).toBeNull();
    const closed = await fakeServer(() => {});
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    expect(await probeVersion('127.0.0.1', port(closed, null), { timeoutMs: 2000 })).toBeNull();
    expect(await probeVersion('127.0.0.1', port(4222, null, 'udp'), { timeoutMs: 2000 })).toBeNull();
  });

  it('an MQTT broker refusing the connection (CONNACK code 5) → null', async () => {
    const p = await fakeServer((s) => s.once('data', () => s.write(Buffer.from([0x20, 0x02, 0x00, 0x05]))));
    expect(await probeVersion('127.0.0.1', port(p, 'mqtt'), { timeoutMs: 3000 })).toBeNull();
  });

  it('a broker publishing something else than a Mosquitto version → null', async () => {
    const p = await fakeServer((s) => {
      let n = 0;
      s.on('data', () => {
        if (n++ === 0) s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        else {
          const topic = Buffer.from('$SYS/broker/version');
          const payload = Buffer.from('VerneMQ 1.12');
          s.write(Buffer.concat([Buffer.from([0x30, 2 + topic.length + payload.length, 0, topic.length]), topic, payload]));
        }
      });
    });
    expect(await probeVersion('127.0.0.1', port(p, 'mqtt'), { timeoutMs: 3000 })).toBeNull();
  });

  it('NATS-like greetings: only a well-formed INFO with a release version counts (fast-check)', async () => {
    const greeting = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('INFO {}\r\n', 'INFO {"version":1}\r\n', 'INFO {"version":"x; rm -rf"}\r\n', 'INFO not json\r\n', 'INFO {"version":"2.9.10"}', '+OK\r\n'),
      fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}$/).map((v) => `INFO {"server_id":"X","version":"${v}","proto":1}\r\n`),
    );
    await fc.assert(
      fc.asyncProperty(greeting, async (g) => {
        const p = await fakeServer((s) => s.end(g));
        const r = await probeVersion('127.0.0.1', port(p, null), { timeoutMs: 2000 });
        const m = /^INFO (\{.*\})\r\n/.exec(g);
        let want: string | null = null;
        if (m !== null) {
          try {
            const v = (JSON.parse(m[1]!) as { version?: unknown }).version;
            if (typeof v === 'string' && /^[0-9]+(\.[0-9]+)*$/.test(v)) want = v;
          } catch {
            // not JSON: no version
          }
        }
        if (want === null) expect(r).toBeNull();
        else expect(r).toMatchObject({ service: 'nats', version: want });
        await new Promise<void>((res) => servers.pop()!.close(() => res()));
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
