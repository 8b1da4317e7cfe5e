/** React context of the signed-in session, and hooks to read the live store. */
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { LiveSession } from './lib/live';
import type { LiveStore, StorePart } from './lib/live-store';

/** What every view gets. */
export interface SessionValue {
  readonly session: LiveSession;
  readonly store: LiveStore;
  readonly isAdmin: boolean;
}

/** The signed-in session, provided by App around the views. */
export const SessionContext = createContext<SessionValue | null>(null);

/** The session (views are rendered only when signed in). */
export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (v === null) throw new Error('useSession outside a signed-in session');
  return v;
}

/**
 * Re-renders when the given parts of the store change (at most every 250 ms; on any change when no part is named)
 * and returns a number that changes with them (use it as a memo key).
 */
export function useStoreVersion(store: LiveStore, ...parts: StorePart[]): number {
  return useSyncExternalStore(store.subscribe, () => (parts.length === 0 ? store.getVersion() : parts.reduce((acc, p) => acc * 1_000_003 + store.partVersion(p), 0)));
}

/** The wall clock, refreshed every `intervalMs`. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
