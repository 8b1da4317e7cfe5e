/**
 * Sign-in with an API token. The token is checked with `GET /api/v1/events?limit=1` (scope read); whether it is an
 * admin token (acknowledge, list changes) with `GET /api/v1/tokens` (scope admin; 403 means not admin). The form has
 * no `name` on its field and posts nowhere, so the token can never end up in a URL.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../lib/api';

/** A verified token. */
export interface SignedIn {
  readonly token: string;
  readonly isAdmin: boolean;
}

/** Checks a token against the server. @throws Error with a readable message */
export async function checkToken(token: string): Promise<SignedIn> {
  try {
    await call(token, '/events?limit=1');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) throw new Error('This token is unknown or revoked.');
    if (e instanceof ApiError && e.status === 403) throw new Error('This token lacks the read scope (an ingest token cannot sign in).');
    throw new Error(e instanceof Error ? e.message : String(e));
  }
  let isAdmin = false;
  try {
    await call(token, '/tokens');
    isAdmin = true;
  } catch {
    isAdmin = false;
  }
  return { token, isAdmin };
}

/** The sign-in form (`data-testid="signin"`, field labelled "API token"). */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: SignedIn) => void; notice: string | null }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const t = token.trim();
    if (t === '') {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await checkToken(t));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin-page" tabIndex={-1}>
      <form className="signin" data-testid="signin" method="post" action="#" onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">IPqSEC</h1>
        <p className="muted">Sign in with an API token with the read scope (an admin token also lets you acknowledge alerts and edit lists).</p>
        {notice !== null && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          autoFocus
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-describedby="token-help"
          aria-invalid={error !== null}
        />
        <p id="token-help" className="muted small">
          Kept in this tab only (session storage), sent as an Authorization header, never in a URL.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error !== null && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
