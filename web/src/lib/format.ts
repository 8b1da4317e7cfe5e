/** Display formatting (pure): times in the browser's time zone, numbers with fixed precision. */

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `HH:MM:SS` of an epoch-ms time, local time; `—` for a non-finite value. */
export function clockTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** `HH:MM:SS.mmm` of an epoch-ms time, local time. */
export function clockTimeMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return `${clockTime(ms)}.${String(new Date(ms).getMilliseconds()).padStart(3, '0')}`;
}

/** `YYYY-MM-DD HH:MM:SS` local time. */
export function dateTime(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clockTime(ms)}`;
}

/** A risk in [0, 1] with two decimals. */
export function risk2(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) : '—';
}

/** Integer with thousands separators. */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** A duration in seconds as `3d 4h`, `2h 5m`, `4m 10s` or `12s`. */
export function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/** How long ago `ms` was, relative to `nowMs`, e.g. `5s ago`. */
export function ago(ms: number, nowMs: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, (nowMs - ms) / 1000);
  return `${duration(s)} ago`;
}

/** Risk class of a risk value (Low < 0.4 ≤ Medium < 0.7 ≤ High), as the server computes it. */
export function riskClassOf(r: number): 'Low' | 'Medium' | 'High' {
  return r >= 0.7 ? 'High' : r >= 0.4 ? 'Medium' : 'Low';
}
