/**
 * Functions the end-to-end tests run INSIDE the dashboard page (`page.evaluate(fn, arg)`,
 * `page.waitForFunction(fn, arg)`): playwright serialises each one, so they use only their argument and the
 * browser's globals, never anything of this module or its imports.
 *
 * The project's tsconfig has no DOM library (server code must not see browser globals), so the few browser APIs
 * used here are declared below with minimal shapes, scoped to this module. Sources: WHATWG DOM and HTML
 * (querySelector, requestAnimationFrame, securitypolicyviolation events from W3C CSP3 §5.3), W3C Navigation
 * Timing 2 and Resource Timing (PerformanceNavigationTiming, transferSize, encodedBodySize), W3C Long Animation
 * Frames (`long-animation-frame` entries).
 */

interface MiniElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  scrollTop: number;
  innerHTML: string;
  getAttribute(name: string): string | null;
  closest(selector: string): MiniElement | null;
  querySelector(selector: string): MiniElement | null;
  querySelectorAll(selector: string): ArrayLike<MiniElement> & Iterable<MiniElement>;
  append(child: MiniElement): void;
  blur?(): void;
}
interface MiniEntry {
  readonly name: string;
  readonly duration: number;
  readonly domContentLoadedEventEnd: number;
  readonly loadEventEnd: number;
  readonly responseEnd: number;
  readonly transferSize: number;
  readonly encodedBodySize: number;
  readonly decodedBodySize: number;
  readonly startTime: number;
}
interface MiniViolationEvent {
  readonly effectiveDirective: string;
  readonly blockedURI: string;
  readonly sample: string;
}
declare const document: {
  readonly activeElement: MiniElement | null;
  readonly body: MiniElement;
  querySelector(selector: string): MiniElement | null;
  querySelectorAll(selector: string): ArrayLike<MiniElement> & Iterable<MiniElement>;
  createElement(tag: string): MiniElement;
  addEventListener(type: string, fn: (e: MiniViolationEvent) => void, options?: { capture?: boolean; once?: boolean }): void;
};
declare const window: Record<string, unknown>;
declare const performance: { now(): number; getEntriesByType(type: string): MiniEntry[] };
declare function requestAnimationFrame(cb: (t: number) => void): number;
declare class PerformanceObserver {
  constructor(cb: (list: { getEntries(): MiniEntry[] }) => void);
  observe(o: { type: string; buffered?: boolean }): void;
  disconnect(): void;
}

/** The page's two clocks: `performance.now()` (ms since navigation start) and `Date.now()` (epoch ms). */
export interface PageTimes {
  readonly perf: number;
  readonly wall: number;
}

/** A CSP violation the page reported (`securitypolicyviolation`). */
export interface CspViolation {
  readonly directive: string;
  readonly blocked: string;
  readonly sample: string;
}

/** Init script: records every `securitypolicyviolation` of the document in `window.__cspViolations`. */
export function installCspRecorder(): void {
  const list: CspViolation[] = [];
  window.__cspViolations = list;
  document.addEventListener('securitypolicyviolation', (e) => {
    list.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
  });
}

/** The violations recorded by {@link installCspRecorder}. */
export function cspViolations(): CspViolation[] {
  return (window.__cspViolations as CspViolation[] | undefined) ?? [];
}

/** The clocks when an element matching `selector` has a text holding every string of `texts`, else false. */
export function shownAt([selector, texts]: readonly [string, readonly string[]]): PageTimes | false {
  for (const el of document.querySelectorAll(selector)) {
    const t = el.textContent ?? '';
    if (texts.every((w) => t.includes(w))) return { perf: performance.now(), wall: Date.now() };
  }
  return false;
}

/**
 * The clocks when the overview is usable, else false: its heading, both uPlot charts drawn (a canvas each) and
 * the health panel showing "ok".
 */
export function overviewUsableAt(): PageTimes | false {
  const h1 = document.querySelector('main h1');
  if (h1 === null || h1.textContent !== 'Overview') return false;
  if (document.querySelectorAll('[data-testid="chart-eps"] canvas, [data-testid="chart-alerts"] canvas').length < 2) return false;
  if (document.querySelector('[data-testid="health"] .ok') === null) return false;
  return { perf: performance.now(), wall: Date.now() };
}

/** Records in `window.__submitAt` the `performance.now()` of the next form submission. */
export function markNextSubmit(): void {
  document.addEventListener('submit', () => void (window.__submitAt = performance.now()), { capture: true, once: true });
}

/** `window.__submitAt`, or null. */
export function submitAt(): number | null {
  return typeof window.__submitAt === 'number' ? window.__submitAt : null;
}

/** What injected markup would have left: `window.__pwned`, `<img src=x>` or `onerror` attributes, scripts naming `__pwned`. */
export function injectionTraces(): { pwned: unknown; imgs: number; scripts: number } {
  return {
    pwned: window.__pwned,
    imgs: document.querySelectorAll('img[src="x"], [onerror]').length,
    scripts: [...document.querySelectorAll('script')].filter((s) => (s.textContent ?? '').includes('__pwned')).length,
  };
}

/** One fetched resource: path and query, start and end (ms from navigation start), bytes on the wire and decoded. */
export interface ResourceLine {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly transfer: number;
  readonly encoded: number;
  readonly decoded: number;
}

/** Timing of the current document (ms from navigation start): its milestones, the `.js` files, every resource. */
export function loadTiming(): { dcl: number; load: number; responseEnd: number; js: ResourceLine[]; resources: ResourceLine[] } {
  const n = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource').map((r) => {
    const u = new URL(r.name);
    return { name: `${u.pathname}${u.search}`, start: Math.round(r.startTime), end: Math.round(r.startTime + r.duration), transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize };
  });
  const js = resources.filter((r) => r.name.endsWith('.js'));
  return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, responseEnd: n.responseEnd, js, resources };
}

/** Blurs the focused element, so that the next Tab starts from the top of the document. */
export function blurActive(): void {
  document.activeElement?.blur?.();
}

/** True when the focused element is a link of the navigation whose text is `name`. */
export function focusIsNavLink(name: string): boolean {
  const a = document.activeElement;
  return a !== null && a.tagName === 'A' && a.closest('nav') !== null && (a.textContent ?? '').trim() === name;
}

/** Result of {@link scrollSweep}: frame intervals (ms) idle and while scrolling, and the long animation frames. */
export interface SweepResult {
  readonly idle: number[];
  readonly sweep: number[];
  readonly longFrames: number[];
  readonly loafSupported: boolean;
  readonly scrollHeight: number;
  readonly atBottom: boolean;
}

/**
 * Measures frames: first 1 s of idle animation frames (the browser's ceiling), then a sweep of the traffic
 * scroller from top to bottom over `sweepMs`, setting `scrollTop` in each animation frame (linear in time).
 * Returns the intervals between consecutive frames and the durations of long animation frames (> 50 ms).
 */
export async function scrollSweep({ sweepMs }: { sweepMs: number }): Promise<SweepResult> {
  const el = document.querySelector('[data-testid="traffic-scroller"]');
  if (el === null) throw new Error('no [data-testid="traffic-scroller"]');
  const frames = (ms: number, each: (t: number, t0: number) => void) =>
    new Promise<number[]>((resolve) => {
      const dts: number[] = [];
      let t0 = -1;
      let last = -1;
      const step = (t: number) => {
        if (t0 < 0) t0 = t;
        else dts.push(t - last);
        last = t;
        each(t, t0);
        if (t - t0 < ms) requestAnimationFrame(step);
        else resolve(dts);
      };
      requestAnimationFrame(step);
    });
  const idle = await frames(1_000, () => undefined);
  const longFrames: number[] = [];
  let obs: PerformanceObserver | null = null;
  try {
    obs = new PerformanceObserver((l) => {
      for (const e of l.getEntries()) longFrames.push(e.duration);
    });
    obs.observe({ type: 'long-animation-frame', buffered: false });
  } catch {
    obs = null;
  }
  const max = el.scrollHeight - el.clientHeight;
  const sweep = await frames(sweepMs, (t, t0) => {
    el.scrollTop = Math.min(1, (t - t0) / sweepMs) * max;
  });
  obs?.disconnect();
  return { idle, sweep, longFrames, loafSupported: obs !== null, scrollHeight: el.scrollHeight, atBottom: el.scrollTop >= max - 1 };
}

/** Appends an element whose inline `onerror` handler would set `window.__inline` (the image does not exist). */
export function injectInlineHandler(): void {
  const d = document.createElement('div');
  d.innerHTML = '<img src="/csp-probe-missing.png" onerror="window.__inline = 2">';
  document.body.append(d);
}

/** `window.__inline` (set only if an injected inline script or handler ran). */
export function inlineRan(): unknown {
  return window.__inline;
}
