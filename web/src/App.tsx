/**
 * The dashboard shell: sign-in gate, skip link, header with the stream state and sign-out, the navigation (one
 * link per view, `#/<view>` routes) and the current view.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { LiveSession } from './lib/live';
import { LiveStore } from './lib/live-store';
import { ROUTES, useRoute, type RouteId } from './lib/route';
import { clearToken, loadToken, saveToken } from './lib/token-storage';
import { SessionContext, useStoreVersion, type SessionValue } from './session-context';
import { AlertsView } from './views/Alerts';
import { EntitiesView } from './views/Entities';
import { FederatedView } from './views/Federated';
import { LiveTrafficView } from './views/LiveTraffic';
import { LogIntegrityView } from './views/LogIntegrity';
import { OverviewView } from './views/Overview';
import { RobotsView } from './views/Robots';
import { SensorsView } from './views/Sensors';
import { SignIn, checkToken, type SignedIn } from './views/SignIn';
import { VulnerabilitiesView } from './views/Vulnerabilities';

const VIEWS: Record<RouteId, () => React.JSX.Element> = {
  overview: OverviewView,
  traffic: LiveTrafficView,
  alerts: AlertsView,
  entities: EntitiesView,
  sensors: SensorsView,
  robots: RobotsView,
  vulnerabilities: VulnerabilitiesView,
  log: LogIntegrityView,
  federated: FederatedView,
};

/** The root component: the sign-in form until a token is verified, then the dashboard. */
export function App() {
  const [value, setValue] = useState<SessionValue | null>(null);
  const [restoring, setRestoring] = useState(() => loadToken() !== null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((why: string | null) => {
    clearToken();
    setValue((v) => {
      v?.session.stop();
      v?.store.reset();
      return null;
    });
    setNotice(why);
  }, []);

  const start = useCallback(
    (s: SignedIn) => {
      saveToken(s.token);
      const store = new LiveStore();
      const session = new LiveSession(s.token, store, s.isAdmin, (why) => signOut(`Signed out: ${why}.`));
      session.start();
      setNotice(null);
      setValue({ session, store, isAdmin: s.isAdmin });
    },
    [signOut],
  );

  // A token saved in this tab (reload): check it again before using it.
  useEffect(() => {
    const t = loadToken();
    if (t === null) return;
    let cancelled = false;
    checkToken(t)
      .then((s) => {
        if (!cancelled) start(s);
      })
      .catch((e: unknown) => {
        if (cancelled) return;
        clearToken();
        setNotice(e instanceof Error ? e.message : String(e));
      })
      .finally(() => {
        if (!cancelled) setRestoring(false);
      });
    return () => {
      cancelled = true;
    };
  }, [start]);

  if (value === null) {
    if (restoring) return <p className="loading" role="status">Signing in…</p>;
    return <SignIn onSignedIn={start} notice={notice} />;
  }
  return (
    <SessionContext.Provider value={value}>
      <Shell onSignOut={() => signOut(null)} />
    </SessionContext.Provider>
  );
}

function StreamStatus({ value }: { value: SessionValue }) {
  useStoreVersion(value.store, 'connection');
  const c = value.store.connection;
  const label = c.state === 'open' ? 'Live' : c.state === 'connecting' ? 'Connecting' : c.state === 'waiting' ? 'Reconnecting' : c.state === 'stopped' ? 'Disconnected' : 'Idle';
  return (
    <span className={`conn conn-${c.state}`} role="status" aria-live="polite" data-testid="stream-status" title={c.detail}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const ctx = useMemo(() => ({ route }), [route]);

  // Move focus to the view's content after a navigation (not on first load), for keyboard and screen-reader users.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h = main.current?.querySelector('h1');
    if (h instanceof HTMLElement) h.focus();
  }, [ctx]);

  const View = VIEWS[route];
  return (
    <div className="app">
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">IPqSEC</span>
        <SessionInfo />
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Views" className="sidenav">
          <ul>
            {ROUTES.map((r) => (
              <li key={r.id}>
                <a href={`#/${r.id}`} aria-current={r.id === route ? 'page' : undefined}>
                  {r.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1} className="content">
          <View />
        </main>
      </div>
    </div>
  );
}

function SessionInfo() {
  return (
    <SessionContext.Consumer>
      {(v) =>
        v === null ? null : (
          <span className="session-info">
            <StreamStatus value={v} />
            <span className="muted small">{v.isAdmin ? 'admin token' : 'read-only token'}</span>
          </span>
        )
      }
    </SessionContext.Consumer>
  );
}
