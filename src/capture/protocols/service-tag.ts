/**
 * An analyzer that only names a flow's service: for protocols the sensor identifies (so conn.log `service` is
 * filled as Zeek fills it) but does not parse, such as `dns` and `ssl` (TLS). It emits nothing and costs nothing
 * per segment.
 */
import type { AppEvent, FlowRef, ProtocolAnalyzer } from './app-event.js';

/** A no-op {@link ProtocolAnalyzer} carrying a conn.log service name. */
export class ServiceTagAnalyzer implements ProtocolAnalyzer {
  readonly malformed = 0;

  /** `service`: the conn.log name, e.g. `dns`, `ssl`. */
  constructor(readonly service: string) {}

  feed(_flow: FlowRef, _data: Uint8Array, _off: number, _len: number, _emit: (e: AppEvent) => void): void {}
}
