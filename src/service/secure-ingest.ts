/**
 * Events that arrive through the secure channel (HTTP `POST /events` with an envelope body, or MQTT
 * `ipqsec/<site>/<device>/secure`): open the DATA envelope, parse its JSON array of events with the same rules as
 * plain ingest, and check that the device speaks only for itself.
 *
 * Binding rule (docs/envelope.md): a `robot` event's `robot_id` and a `sensor` event's `sensor_id` must equal the
 * session's device id; `flow` events are accepted from any approved device (a gateway or network sensor reports
 * the traffic it sees). Any violation rejects the whole batch with IPQ-P006 naming the event's index.
 */
import { IpqsecError } from '../core/errors.js';
import { MAX_EVENTS_PER_BATCH, parseEvents, type IngestEvent } from '../core/events.js';

/** The server's side of the secure channel (implemented by src/pqc/channel-server.ts). */
export interface ChannelPort {
  /** Handles a HELLO envelope; resolves to the ACCEPT envelope. Rejections throw IPQ-P005 / IPQ-P006. */
  acceptHello(bytes: Uint8Array): Promise<{ readonly sessionId: string; readonly deviceId: string; readonly reply: Uint8Array }>;
  /** Opens a client-to-server DATA envelope. Rejections throw IPQ-P005 with `details.reason`. */
  open(bytes: Uint8Array): { readonly deviceId: string; readonly sessionId: string; readonly plaintext: Uint8Array };
  /** Seals a server-to-client DATA envelope in the session. */
  seal(sessionId: string, plaintext: Uint8Array): Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A batch opened from an envelope. */
export interface SecureBatch {
  readonly deviceId: string;
  readonly sessionId: string;
  readonly events: IngestEvent[];
}

/**
 * Opens `envelope` and validates its events.
 * @throws IpqsecError IPQ-P005 (envelope rejected), IPQ-E003 (plaintext not a JSON array), IPQ-E002 (too many
 *   events), IPQ-E001 (schema), IPQ-P006 (an event of another device)
 */
export function openSecureBatch(channel: ChannelPort, envelope: Uint8Array, newId: () => string): SecureBatch {
  const { deviceId, sessionId, plaintext } = channel.open(envelope);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(plaintext));
  } catch (e) {
    throw new IpqsecError('IPQ-E003', `the envelope's plaintext from device ${deviceId} is not UTF-8 JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!Array.isArray(body)) throw new IpqsecError('IPQ-E003', `the envelope's plaintext from device ${deviceId} must be a JSON array of events`);
  if (body.length > MAX_EVENTS_PER_BATCH) throw new IpqsecError('IPQ-E002', `${body.length} events in one envelope; at most ${MAX_EVENTS_PER_BATCH}`);
  const events = parseEvents(body, newId);
  checkDeviceBinding(deviceId, events);
  return { deviceId, sessionId, events };
}

/** Throws IPQ-P006 when an event claims another device (see the module comment). */
export function checkDeviceBinding(deviceId: string, events: readonly IngestEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const claimed = e.type === 'robot' ? e.robot_id : e.type === 'sensor' ? e.sensor_id : undefined;
    if (claimed !== undefined && claimed !== deviceId) {
      throw new IpqsecError('IPQ-P006', `event ${i} is from ${e.type} ${JSON.stringify(claimed)} but the session is device ${JSON.stringify(deviceId)}: a device cannot send as another device`, {
        details: { reason: 'wrong_device', index: i },
      });
    }
  }
}
