/**
 * Where the API token lives in the browser: in memory and in `sessionStorage` (per tab, cleared when the tab
 * closes), never in `localStorage`, a cookie or a URL. Storage failures (disabled storage, private mode) fall back
 * to memory only.
 */

const KEY = 'ipqsec.token';

/** The token saved for this tab, or null. */
export function loadToken(): string | null {
  try {
    const t = sessionStorage.getItem(KEY);
    return t !== null && t !== '' ? t : null;
  } catch {
    return null;
  }
}

/** Saves the token for this tab. */
export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // memory only
  }
}

/** Forgets the token. */
export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
