/**
 * Test helper (not part of the public surface): tiny TCP servers on loopback that announce old, vulnerable
 * software versions the way the real daemons do, for scanning with the real nmap.
 *
 * SOURCE of the greetings: vsftpd 2.3.4's banner `220 (vsFTPd 2.3.4)` (FTP greeting, RFC 959 §4.2 reply 220);
 * the SSH identification string `SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5` (RFC 4253 §4.2, as sent by Ubuntu 20.04);
 * an HTTP/1.1 response with `Server: nginx/1.4.0` (RFC 9110 §10.2.4). nmap 7.93's `nmap-service-probes` matches
 * these as vsftpd 2.3.4, OpenSSH 8.2p1 and nginx 1.4.0.
 *
 * Each server binds its own 127.0.0.x address on an ephemeral port; at most {@link MAX_CONNECTIONS} connections are
 * kept per server (more are closed at once), and each socket is destroyed after 10 s.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One running banner server. */
export interface BannerServer {
  readonly kind: 'ftp' | 'ssh' | 'http';
  readonly address: string;
  readonly port: number;
  /** What it announces (the product and version nmap should report). */
  readonly product: string;
  readonly version: string;
}

/** The running servers and a way to stop them all. */
export interface BannerServers {
  readonly servers: readonly BannerServer[];
  /** Stops the servers and destroys their sockets. */
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 64;
const SOCKET_LIFETIME_MS = 10_000;

const HTTP_BODY = '<html><head><title>Welcome to nginx!</title></head><body>Welcome to nginx!</body></html>\n';
const HTTP_RESPONSE =
  'HTTP/1.1 200 OK\r\nServer: nginx/1.4.0\r\nDate: Mon, 06 May 2013 10:00:00 GMT\r\nContent-Type: text/html\r\n' +
  `Content-Length: ${Buffer.byteLength(HTTP_BODY)}\r\nConnection: close\r\n\r\n${HTTP_BODY}`;

/** How each kind greets and answers. */
const BEHAVIOUR: Record<BannerServer['kind'], { product: string; version: string; onConnect: (s: Socket) => void; onData: (s: Socket) => void }> = {
  ftp: {
    product: 'vsftpd',
    version: '2.3.4',
    onConnect: (s) => s.write('220 (vsFTPd 2.3.4)\r\n'),
    onData: (s) => s.write('530 Please login with USER and PASS.\r\n'),
  },
  ssh: {
    product: 'OpenSSH',
    version: '8.2p1 Ubuntu 4ubuntu0.5',
    onConnect: (s) => s.write('SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5\r\n'),
    onData: (s) => s.end('Invalid SSH identification string.\r\n'),
  },
  http: {
    product: 'nginx',
    version: '1.4.0',
    onConnect: () => {},
    onData: (s) => s.end(HTTP_RESPONSE),
  },
};

function listen(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port: 0, exclusive: true }, () => {
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('no port'));
      else resolve(a.port);
    });
  });
}

/**
 * Starts one FTP, one SSH and one HTTP banner server, on `addresses` (default 127.0.0.2, .3, .4) in that order.
 * @throws when an address cannot be bound.
 */
export async function startBannerServers(addresses: readonly [string, string, string] = ['127.0.0.2', '127.0.0.3', '127.0.0.4']): Promise<BannerServers> {
  const kinds: BannerServer['kind'][] = ['ftp', 'ssh', 'http'];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const out: BannerServer[] = [];
  try {
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i] as BannerServer['kind'];
      const b = BEHAVIOUR[kind];
      const server = createServer((s) => {
        s.on('error', () => {});
        if (sockets.size >= MAX_CONNECTIONS) {
          s.destroy();
          return;
        }
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.setTimeout(SOCKET_LIFETIME_MS, () => s.destroy());
        b.onConnect(s);
        s.on('data', () => {
          if (!s.destroyed && s.writable) b.onData(s);
        });
      });
      servers.push(server);
      const address = addresses[i] as string;
      const port = await listen(server, address);
      out.push({ kind, address, port, product: b.product, version: b.version });
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  return {
    servers: out,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
