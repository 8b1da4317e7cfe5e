/** One-line descriptions of events for the Live traffic table (pure, cached per event object). */
import type { StoredEvent } from './types';

const details = new WeakMap<StoredEvent, string>();

const str = (x: unknown): string => (typeof x === 'string' || typeof x === 'number' ? String(x) : '');

/** One-line description of an event's body (addresses, task, reading). */
export function detailOf(e: StoredEvent): string {
  let d = details.get(e);
  if (d !== undefined) return d;
  const b = e.body;
  if (e.type === 'flow') {
    const svc = str(b.service);
    d = `${str(b.orig_h)}:${str(b.orig_p)} → ${str(b.resp_h)}:${str(b.resp_p)} ${str(b.proto)}${svc === '' ? '' : `/${svc}`}${b.conn_state === undefined ? '' : ` ${str(b.conn_state)}`}`;
  } else if (e.type === 'robot') {
    const prev = str(b.previous_task);
    const ports = Array.isArray(b.ports_accessed) ? (b.ports_accessed as unknown[]).map(str).join(',') : '';
    d = `${prev === '' ? '' : `${prev} → `}${str(b.task)}${ports === '' ? '' : ` ports ${ports}`}`;
  } else {
    d = `${str(b.kind)} ${str(b.value)} ${str(b.unit)}`;
  }
  details.set(e, d);
  return d;
}
