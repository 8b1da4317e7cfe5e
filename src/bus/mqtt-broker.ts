/**
 * The embedded MQTT broker: aedes 1 (MQTT 3.1.1, ISO/IEC 20922) on a node:net TCP server, so that devices can
 * publish telemetry without an external broker. Every client authenticates; what they publish to
 * `ipqsec/<site>/<device>/<kind>` goes to an {@link MqttIngest}; authenticated clients may subscribe under
 * `ipqsec/` (dashboards, bridges) and receive what is published to well-formed telemetry topics, as published
 * (the broker mirrors the wire; only the ingest validates payloads).
 *
 * Where messages are taken: in aedes' `authorizePublish` hook. aedes calls it synchronously as each client
 * PUBLISH is parsed, in wire order, before the QoS 1 PUBACK and before routing, and only for client messages
 * (its `publish` event and `published` hook also fire for the broker's own `$SYS` heartbeats and run after the
 * routing step and its callbacks). So one hook does authorization and ingest, keeps per-client order, and adds
 * no work per message beyond `MqttIngest.handle`. Consequences: a Last Will is ingested like a PUBLISH when it
 * fires (it is the client's own message), and a QoS 2 retransmission (DUP) is handed over again; event ids make
 * the store ignore the repeat (idempotent writes).
 *
 * Policy, with the MQTT 3.1.1 clause that allows it:
 * - CONNECT: `authenticate(username, password)` decides; false gives CONNACK return code 5 "not authorized", a
 *   rejected promise return code 3 "server unavailable" (§3.2.2.3). Sessions are forced clean (`cleanSession`
 *   set on CONNECT; the CONNACK says session present = 0), so the broker keeps no offline queues.
 * - PUBLISH to a topic that is not `ipqsec/<site>/<device>/<kind>`: counted as malformed by the ingest,
 *   acknowledged as usual and not delivered to anyone (§3.3.5: "it MUST either make a positive acknowledgement
 *   … or close the Network Connection"; we keep the connection so one bad message costs one message). Topics
 *   starting with `$` are reserved (§4.7.2): such a PUBLISH closes the connection, as aedes does by default.
 * - RETAIN is cleared on every PUBLISH: the broker stores no retained messages, so memory does not grow with
 *   the number of topics.
 * - SUBSCRIBE: filters whose first level is `ipqsec` are granted; any other filter is refused with return code
 *   0x80 (§3.9.3) and the connection stays up.
 * - Connections are capped at `maxClients`; over it a CONNECT closes the connection without a CONNACK.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { AuthenticateError } from 'aedes';
import { IpqsecError } from '../core/errors.js';
import type { MqttIngest } from './mqtt-ingest.js';
import { checkTopic, SECURE_KIND, TOPIC_ROOT } from './mqtt-topic.js';

/** Options of {@link startEmbeddedBroker}. */
export interface EmbeddedBrokerOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 picks a free one (returned as `port`). Default 1884. */
  readonly port?: number;
  /**
   * Decides a CONNECT. The service passes: the password is an API token with the `ingest` scope (the username is
   * free, e.g. the device name). Resolve false to refuse; a rejection refuses with "server unavailable".
   */
  readonly authenticate: (username: string | undefined, password: string | undefined) => Promise<boolean>;
  /**
   * Let clients without a password connect as secure-channel devices: they may only publish envelopes to
   * `ipqsec/<site>/<device>/secure` (the envelope authenticates the device) and may not subscribe. Default false.
   */
  readonly allowSecureDevices?: boolean;
  /** Receives every client PUBLISH. The broker does not close it. */
  readonly ingest: MqttIngest;
  /** Most simultaneous client connections. Default 10,000. */
  readonly maxClients?: number;
}

/** A running embedded broker. */
export interface EmbeddedBroker {
  /** The TCP port actually bound. */
  readonly port: number;
  /** Disconnects every client and closes the server; resolves when the listening socket is closed. */
  close(): Promise<void>;
  /** Number of connected (authenticated) clients. */
  clients(): number;
}

const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * Starts the embedded broker.
 *
 * @throws RangeError when `port` is not an integer in 0..65535
 * @throws IpqsecError `IPQ-S002` when the address cannot be bound (in use, not permitted)
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 1884;
  const maxClients = opts.maxClients ?? 10_000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in 0..65535, got ${port}`);
  const { ingest, authenticate } = opts;

  // Clients that connected without a password (allowSecureDevices): envelopes only. Weak: gone with the client.
  const secureOnly = new WeakSet<object>();
  const broker = await Aedes.createBroker({
    connectTimeout: 10_000,
    drainTimeout: 30_000,
    preConnect: (_client, packet, callback) => {
      // Forced clean session: no persistent subscriptions or offline queues to bound.
      packet.clean = true;
      if (broker.connectedClients < maxClients) callback(null, true);
      else callback(new Error(`connection refused: ${maxClients} clients connected (maxClients)`), false);
    },
    authenticate: (client, username, password, done) => {
      if (password === undefined && opts.allowSecureDevices === true) {
        secureOnly.add(client);
        done(null, true);
        return;
      }
      authenticate(username, password?.toString('utf8')).then(
        (ok) => (ok ? done(null, true) : done(authError('not authorized', NOT_AUTHORIZED), false)),
        () => done(authError('server unavailable', SERVER_UNAVAILABLE), false),
      );
    },
    authorizePublish: (_client, packet, callback) => {
      const topic = packet.topic;
      if (topic.charCodeAt(0) === 36 /* '$' */) {
        callback(new Error(`topic ${topic}: topics starting with $ are reserved for the broker`));
        return;
      }
      if (_client !== null && secureOnly.has(_client)) {
        const t = checkTopic(topic);
        if (typeof t === 'string' || t.kind !== SECURE_KIND) {
          callback(new Error(`topic ${topic}: a client without a token may only publish secure-channel envelopes to ${TOPIC_ROOT}/<site>/<device>/${SECURE_KIND}`));
          return;
        }
      }
      packet.retain = false;
      const payload = packet.payload;
      ingest.handle(topic, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
      callback(null);
    },
    authorizeSubscribe: (_client, sub, callback) => {
      if (secureOnly.has(_client)) return callback(null, null);
      const t = sub.topic;
      const ok = t === TOPIC_ROOT || (t.startsWith(TOPIC_ROOT) && t.charCodeAt(TOPIC_ROOT.length) === 47 /* '/' */);
      callback(null, ok ? sub : null);
    },
    // Only subscribers under ipqsec/ exist; of their matches, deliver only well-formed telemetry topics.
    authorizeForward: (_client, packet) => (typeof checkTopic(packet.topic) === 'string' ? null : packet),
  });

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    const err = e as NodeJS.ErrnoException;
    throw new IpqsecError('IPQ-S002', `cannot listen for MQTT on ${host}:${port}: ${err.code ?? err.message}`, {
      details: { host, port },
      cause: e,
    });
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;

  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    clients: () => broker.connectedClients,
    close: () => {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // Connections that never sent CONNECT are not aedes clients: end them too.
        for (const s of sockets) s.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
