/**
 * Alert webhooks: every alert is POSTed as JSON to each configured URL, signed with HMAC-SHA-256 so receivers
 * can check it came from this service and was not replayed, and retried with capped exponential backoff and
 * full jitter.
 *
 * Request (one per alert and URL, body = the {@link Alert} as JSON):
 *
 *     POST <url>
 *     Content-Type: application/json
 *     X-IPqSEC-Event: alert
 *     X-IPqSEC-Timestamp: <unix seconds, integer>
 *     X-IPqSEC-Signature: sha256=<hex HMAC-SHA-256(secret, "<timestamp>.<raw body>")>
 *
 * Verifying (the scheme of Stripe's `Stripe-Signature` and GitHub's `X-Hub-Signature-256`): take the raw body
 * bytes as received (before any JSON parsing), compute `HMAC-SHA-256(secret, timestamp + "." + body)` in hex,
 * compare with the header in constant time, and refuse timestamps older than a few minutes (replay window).
 * {@link verifyWebhookSignature} does exactly that. The timestamp and signature are fresh on every attempt.
 *
 * Retries: network errors, timeouts, 5xx and 429 are retried up to `maxAttempts` attempts in all; other
 * answers (redirects are not followed, 4xx) fail at once. Wait before retry `n` (1-based) is uniform in
 * [0, min(maxDelayMs, baseDelayMs·2^(n−1))] ("full jitter": M. Brooker, "Exponential Backoff And Jitter", AWS
 * Architecture Blog, 2015), raised to a `Retry-After` (seconds) answer when that is larger, within maxDelayMs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { IpqsecError } from '../core/errors.js';
import type { Alert } from '../core/records.js';

/** Options of {@link WebhookDispatcher}. */
export interface WebhookOptions {
  /** Endpoints (http or https); each alert goes to every one. */
  readonly urls: readonly string[];
  /** HMAC key shared with the receivers (non-empty). */
  readonly secret: string;
  /** Attempts per delivery, the first included. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff base in ms. Default 500. */
  readonly baseDelayMs?: number;
  /** Backoff cap in ms. Default 30,000. */
  readonly maxDelayMs?: number;
  /** Deliveries (alert × URL) waiting to start; beyond it the oldest waiting one is dropped. Default 10,000. */
  readonly maxQueue?: number;
  /** Per-attempt timeout in ms (connect to end of headers). Default 5,000. */
  readonly timeoutMs?: number;
  /** Deliveries running at once (a running delivery includes its backoff waits). Default 4. */
  readonly concurrency?: number;
  readonly fetchImpl?: typeof fetch;
  /** Told when a delivery fails for good: `err` is IpqsecError `IPQ-S004` with `details` {url, attempts, status}. */
  readonly onGiveUp?: (alert: Alert, url: string, err: IpqsecError) => void;
  /** Clock in epoch ms (for the timestamp header). Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Waits `ms`. Default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1) for the jitter. Default `Math.random` (pass `createRng(seed).next` in tests). */
  readonly random?: () => number;
}

/** Counters of {@link WebhookDispatcher}. */
export interface WebhookStats {
  /** Deliveries waiting to start, and running. */
  readonly queued: number;
  readonly active: number;
  /** Deliveries answered 2xx. */
  readonly delivered: number;
  /** Deliveries given up (after retries or on a non-retryable answer). */
  readonly failed: number;
  /** HTTP attempts made, and those that were retries. */
  readonly attempts: number;
  readonly retries: number;
  /** Waiting deliveries evicted because the queue was full. */
  readonly dropped: number;
}

interface Delivery {
  readonly alert: Alert;
  readonly body: string;
  readonly url: string;
}

/** Outcome of one attempt: `ok`, or a failure that may be retried. */
interface AttemptResult {
  readonly ok: boolean;
  readonly retry: boolean;
  readonly status: number | null;
  readonly reason: string;
  readonly retryAfterMs: number;
  readonly cause?: unknown;
}

/**
 * The signature header value for a body: `sha256=` + hex HMAC-SHA-256 over `"<timestamp>.<body>"`.
 *
 * @param timestamp unix seconds as sent in `X-IPqSEC-Timestamp`
 */
export function signWebhook(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/**
 * Checks an `X-IPqSEC-Signature` header in constant time (node:crypto `timingSafeEqual`). With `opts.nowMs`
 * it also refuses a timestamp more than `toleranceS` seconds (default 300) away from that clock.
 *
 * @param timestamp the `X-IPqSEC-Timestamp` header
 * @param body the raw request body, exactly as received
 * @param header the `X-IPqSEC-Signature` header
 * @returns true only for a well-formed, matching (and, if asked, fresh) signature; never throws for bad input
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number,
  body: string | Uint8Array,
  header: string,
  opts?: { readonly nowMs: number; readonly toleranceS?: number },
): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const ts = String(timestamp);
  if (!/^\d{1,12}$/.test(ts)) return false;
  if (opts !== undefined && Math.abs(opts.nowMs / 1000 - Number(ts)) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body), 'utf8');
  const got = Buffer.from(header, 'utf8');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/**
 * Delivers alerts to webhook endpoints in the background.
 *
 * Bounded: at most `maxQueue` deliveries wait (each alert makes one per URL; when full, the oldest waiting
 * delivery is dropped and counted) and at most `concurrency` run, each holding one alert and its JSON body.
 * Deliveries start in enqueue order; retries of one delivery do not hold up the others beyond its slot.
 */
export class WebhookDispatcher {
  readonly #urls: readonly string[];
  readonly #secret: string;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #fetch: typeof fetch;
  readonly #onGiveUp: WebhookOptions['onGiveUp'];
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  /** Waiting deliveries: a FIFO as an array with a moving head (compacted when half is consumed). */
  #queue: Delivery[] = [];
  #head = 0;
  #active = 0;
  #idle: (() => void)[] = [];
  #delivered = 0;
  #failed = 0;
  #attempts = 0;
  #retries = 0;
  #dropped = 0;

  /**
   * @throws IpqsecError `IPQ-S002` when a URL is not http(s) or the secret is empty
   * @throws RangeError when a numeric option is out of range
   */
  constructor(opts: WebhookOptions) {
    for (const u of opts.urls) {
      let proto = '';
      try {
        proto = new URL(u).protocol;
      } catch {
        // reported below
      }
      if (proto !== 'http:' && proto !== 'https:') {
        throw new IpqsecError('IPQ-S002', `webhook URL ${JSON.stringify(redact(u))} is not an http(s) URL`);
      }
    }
    if (typeof opts.secret !== 'string' || opts.secret.length === 0) throw new IpqsecError('IPQ-S002', 'webhook secret is empty');
    this.#urls = [...opts.urls];
    this.#secret = opts.secret;
    this.#maxAttempts = positiveInt('maxAttempts', opts.maxAttempts ?? 5);
    this.#baseDelayMs = nonNegative('baseDelayMs', opts.baseDelayMs ?? 500);
    this.#maxDelayMs = nonNegative('maxDelayMs', opts.maxDelayMs ?? 30_000);
    this.#maxQueue = positiveInt('maxQueue', opts.maxQueue ?? 10_000);
    this.#timeoutMs = nonNegative('timeoutMs', opts.timeoutMs ?? 5_000);
    this.#concurrency = positiveInt('concurrency', opts.concurrency ?? 4);
    this.#fetch = opts.fetchImpl ?? fetch;
    this.#onGiveUp = opts.onGiveUp;
    this.#now = opts.nowMs ?? Date.now;
    this.#sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#random = opts.random ?? Math.random;
  }

  /** Queues one delivery of `alert` per URL (serialised once). Returns at once; never throws. */
  enqueue(alert: Alert): void {
    if (this.#urls.length === 0) return;
    const body = JSON.stringify(alert);
    for (const url of this.#urls) {
      if (this.#queue.length - this.#head >= this.#maxQueue) {
        this.#head++;
        this.#dropped++;
      }
      this.#queue.push({ alert, body, url });
    }
    this.#pump();
  }

  /** Resolves when no delivery is waiting or running (all delivered or given up). Use at shutdown. */
  drain(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === this.#head) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** A snapshot of the counters. */
  stats(): WebhookStats {
    return {
      queued: this.#queue.length - this.#head,
      active: this.#active,
      delivered: this.#delivered,
      failed: this.#failed,
      attempts: this.#attempts,
      retries: this.#retries,
      dropped: this.#dropped,
    };
  }

  /** The wait before retry `n` (1-based): full jitter over the capped exponential. */
  backoffMs(n: number): number {
    return this.#random() * Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (n - 1));
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.#head < this.#queue.length) {
      const d = this.#queue[this.#head]!;
      this.#head++;
      this.#active++;
      void this.#deliver(d)
        // Only an injected `sleep` or `fetchImpl` that throws synchronously can get here; count it as failed.
        .catch(() => void this.#failed++)
        .finally(() => {
          this.#active--;
          this.#pump();
        });
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#active === 0 && this.#head === this.#queue.length) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const r of waiting) r();
    }
  }

  async #deliver(d: Delivery): Promise<void> {
    let last: AttemptResult | undefined;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (attempt > 1) {
        this.#retries++;
        const wait = Math.min(this.#maxDelayMs, Math.max(this.backoffMs(attempt - 1), last?.retryAfterMs ?? 0));
        await this.#sleep(wait);
      }
      this.#attempts++;
      last = await this.#attempt(d);
      if (last.ok) {
        this.#delivered++;
        return;
      }
      if (!last.retry) break;
    }
    this.#failed++;
    const attempts = last?.retry === false ? 'no retry' : `${this.#maxAttempts} attempts`;
    const err = new IpqsecError('IPQ-S004', `${redact(d.url)}: ${last?.reason ?? 'not attempted'} (${attempts})`, {
      details: { url: redact(d.url), status: last?.status ?? null, alert_id: d.alert.id, max_attempts: this.#maxAttempts },
      cause: last?.cause,
    });
    try {
      this.#onGiveUp?.(d.alert, d.url, err);
    } catch {
      // A failing callback must not stop the dispatcher; the failure is already counted in `failed`.
    }
  }

  async #attempt(d: Delivery): Promise<AttemptResult> {
    const ts = Math.floor(this.#now() / 1000);
    try {
      const res = await this.#fetch(d.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-IPqSEC-Event': 'alert',
          'X-IPqSEC-Timestamp': String(ts),
          'X-IPqSEC-Signature': signWebhook(this.#secret, ts, d.body),
        },
        body: d.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // Free the connection for reuse; the answer's body is not used.
      await res.body?.cancel().catch(() => undefined);
      const status = res.status;
      if (status >= 200 && status < 300) return { ok: true, retry: false, status, reason: 'ok', retryAfterMs: 0 };
      const retry = status === 429 || status >= 500;
      return { ok: false, retry, status, reason: `HTTP ${status}`, retryAfterMs: retry ? retryAfterMs(res.headers.get('retry-after')) : 0 };
    } catch (e) {
      const reason = (e as Error).name === 'TimeoutError' ? `timeout after ${this.#timeoutMs} ms` : `network error: ${(e as Error).message}`;
      return { ok: false, retry: true, status: null, reason, retryAfterMs: 0, cause: e };
    }
  }
}

/** `Retry-After` as delay-seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored. */
function retryAfterMs(v: string | null): number {
  if (v === null || !/^\d{1,6}$/.test(v.trim())) return 0;
  return Number(v.trim()) * 1000;
}

/** URL without credentials or query string (which may hold tokens), for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  return v;
}
