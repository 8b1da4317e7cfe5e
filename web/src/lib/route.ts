/**
 * Hash-based routes (`#/alerts`): the view is in the URL fragment, which the browser never sends to the server, so
 * the server serves one index.html and knows nothing of views. Only fragments of the form `#/<name>` are routes;
 * other fragments (in-page anchors) leave the view unchanged. The token is never part of a route.
 */
import { useEffect, useState } from 'react';

/** Every view, in navigation order, with its nav label (the accessible name of its link). */
export const ROUTES = [
  { id: 'overview', label: 'Overview' },
  { id: 'traffic', label: 'Live traffic' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'entities', label: 'Entities' },
  { id: 'sensors', label: 'Sensors' },
  { id: 'robots', label: 'Robots' },
  { id: 'vulnerabilities', label: 'Vulnerabilities' },
  { id: 'log', label: 'Log integrity' },
  { id: 'federated', label: 'Federated learning' },
] as const;

/** A view id. */
export type RouteId = (typeof ROUTES)[number]['id'];

/** The route of a location hash, or null when the hash is not a route. */
export function routeOf(hash: string): RouteId | null {
  const m = /^#\/([a-z]+)\/?$/.exec(hash);
  if (m === null) return null;
  return ROUTES.some((r) => r.id === m[1]) ? (m[1] as RouteId) : null;
}

/** The current route (default `overview`), following `hashchange`. */
export function useRoute(): RouteId {
  const [route, setRoute] = useState<RouteId>(() => routeOf(window.location.hash) ?? 'overview');
  useEffect(() => {
    const on = () => {
      const r = routeOf(window.location.hash);
      if (r !== null) setRoute(r);
    };
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
