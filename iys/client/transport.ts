/**
 * One İYS HTTP call: through the rate limiter, with the bearer token, a timeout, and
 * retries of what can change (429 after its Retry-After, 5xx, timeouts, network errors).
 * A 401 gets one new token and one more try. Final errors are thrown at once.
 */
import { IysError } from './errors';
import type { RateLimiter } from './rateLimiter';

export interface AccessTokens {
  accessToken(): Promise<string>;
  /** The token was refused (401): drop it, so the next accessToken() gets a new one. */
  invalidate(accessToken: string): Promise<void>;
}

export interface TransportOptions {
  baseUrl: string;
  limiter: RateLimiter;
  timeoutMs: number;
  maxAttempts: number;
  /** A longer Retry-After is not waited for; the error is thrown (still marked retryable). */
  maxRetryWaitMs: number;
  backoffBaseMs: number;
  sleep: (ms: number) => Promise<void>;
}

export interface CallOptions {
  body?: unknown;
  form?: Record<string, string>;
  tokens?: AccessTokens;
  query?: Record<string, string | number | undefined>;
}

export class Transport {
  constructor(private readonly o: TransportOptions) {}

  async call<T>(method: 'GET' | 'POST', path: string, opts: CallOptions = {}): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.o.baseUrl);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      // The token first: a slot taken while waiting for a login would be spent in a burst when the login lands.
      const token = opts.tokens ? await opts.tokens.accessToken() : undefined;
      const release = await this.o.limiter.acquire();
      let error: IysError;
      try {
        const res = await fetch(url, {
          method,
          headers: {
            ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : opts.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: opts.form ? new URLSearchParams(opts.form).toString() : opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        const text = await res.text();
        const body = parse(text);
        if (res.ok) return { status: res.status, body: body as T };
        error = IysError.fromResponse(res.status, body, res.headers.get('retry-after'));
        if (res.status === 401 && token && opts.tokens && !renewedToken) {
          renewedToken = true;
          await opts.tokens.invalidate(token);
          attempt--;
          continue;
        }
      } catch (err) {
        const timeout = (err as { name?: string }).name === 'TimeoutError';
        error = new IysError(`${method} ${url.pathname}: ${timeout ? 'no answer in time' : String(err)}`, timeout ? 'TIMEOUT' : 'NETWORK', true);
      } finally {
        release();
      }
      if (!error.retryable || attempt >= this.o.maxAttempts) throw error;
      const wait = error.retryAfterMs ?? this.backoff(attempt);
      if (wait > this.o.maxRetryWaitMs) throw error;
      await this.o.sleep(wait);
    }
  }

  /** Exponential with full jitter, so workers that failed together do not retry together. */
  private backoff(attempt: number): number {
    return Math.round(Math.random() * this.o.backoffBaseMs * 2 ** (attempt - 1));
  }
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text.slice(0, 500) };
  }
}
