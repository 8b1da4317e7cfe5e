/**
 * Test helper (not part of the public surface): a server identity, a signed and verified KEM key statement, an
 * in-memory device registry and a {@link ChannelServer} on a settable clock, for the channel and uplink tests.
 */
import { ChannelClient } from './channel-client.js';
import { ChannelServer, type ChannelDeviceRecord, type ChannelServerOptions } from './channel-server.js';
import type { MlDsaKeyPair, PqcProvider } from './provider.js';
import { createPqcProvider } from './select-provider.js';
import { signServerKeys, verifyServerKeys, type ServerKeyStatement, type SignedServerKeys } from './server-keys.js';
import type { SessionOptions } from './session.js';
import { xwingKeygen, type XWingKeyPair } from './xwing.js';

/** Fixed start of the test clock, epoch ms (2023-11-14). */
export const FIXTURE_T0 = 1_700_000_000_000;

/** Everything a channel test needs. */
export interface ChannelFixture {
  readonly p: PqcProvider;
  readonly serverIdentity: MlDsaKeyPair;
  readonly kem: XWingKeyPair;
  readonly signed: SignedServerKeys;
  readonly verifiedKeys: ServerKeyStatement;
  /** Registry the server's `lookupDevice` reads; tests change statuses directly. */
  readonly registry: Map<string, { keyPair: MlDsaKeyPair; status: ChannelDeviceRecord['status'] }>;
  readonly clock: { now: number };
  readonly server: ChannelServer;
  /** Enrolls (status `approved` unless given) a new device key under `id`. */
  enroll(id: string, status?: ChannelDeviceRecord['status']): MlDsaKeyPair;
  /** A client of an enrolled device on the fixture clock. */
  client(id: string, session?: Partial<SessionOptions>, identity?: MlDsaKeyPair): ChannelClient;
}

let shared: { p: PqcProvider; serverIdentity: MlDsaKeyPair; kem: XWingKeyPair; signed: SignedServerKeys } | undefined;

/** Builds a fixture (the server keys are generated once per test file and shared). */
export function channelFixture(serverOptions: Partial<ChannelServerOptions> = {}): ChannelFixture {
  if (shared === undefined) {
    const p = createPqcProvider();
    const serverIdentity = p.mlDsaKeygen();
    const kem = xwingKeygen(p);
    const signed = signServerKeys(p, serverIdentity, { name: 'ipqsec.test', kemPublicKey: kem.publicKey, createdMs: FIXTURE_T0 - 60_000, notAfterMs: FIXTURE_T0 + 30 * 86_400_000 });
    shared = { p, serverIdentity, kem, signed };
  }
  const { p, serverIdentity, kem, signed } = shared;
  const clock = { now: FIXTURE_T0 };
  const registry: ChannelFixture['registry'] = new Map();
  const verifiedKeys = verifyServerKeys(p, serverIdentity.publicKey, signed.statement, signed.signature, clock.now);
  const server = new ChannelServer({
    provider: p,
    kemKeyPair: kem,
    nowMs: () => clock.now,
    lookupDevice: async (id) => {
      const d = registry.get(id);
      return d === undefined ? undefined : { publicKey: d.keyPair.publicKey, status: d.status };
    },
    ...serverOptions,
  });
  return {
    p,
    serverIdentity,
    kem,
    signed,
    verifiedKeys,
    registry,
    clock,
    server,
    enroll(id, status = 'approved') {
      const keyPair = p.mlDsaKeygen();
      registry.set(id, { keyPair, status });
      return keyPair;
    },
    client(id, session, identity) {
      const keyPair = identity ?? registry.get(id)?.keyPair ?? p.mlDsaKeygen();
      return new ChannelClient({ provider: p, deviceId: id, identity: keyPair, serverKeys: verifiedKeys, nowMs: () => clock.now, ...(session === undefined ? {} : { session }) });
    },
  };
}
