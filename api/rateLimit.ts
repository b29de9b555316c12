/**
 * A token bucket per API key, kept in this process: `burst` requests at once, refilled at
 * `perSecond`. Over it a request gets 429 with Retry-After before its body is read. Several
 * API processes each keep their own buckets (N processes allow N times the rate).
 */
import type { RequestHandler } from 'express';
import { ApiError } from './errors';

export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: requests allowed at once after a quiet spell. */
  burst: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

// Past this many keys, buckets that have refilled completely (idle keys) are dropped: a full bucket is the same as none.
const MAX_BUCKETS = 10_000;

export function createTokenBuckets({ perSecond, burst }: RateLimitOptions, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();
  const refill = (b: Bucket, t: number) => Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);

  function prune(t: number) {
    for (const [key, b] of buckets) if (refill(b, t) >= burst) buckets.delete(key);
  }

  return {
    take(key: string): Take {
      if (perSecond === 0) return { ok: true };
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= MAX_BUCKETS) prune(t);
        b = { tokens: burst, at: t };
        buckets.set(key, b);
      }
      b.tokens = refill(b, t);
      b.at = t;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
    },
  };
}

/** Behind the authenticator: limits each key (`req.auth.keyId`). */
export function rateLimitPerKey(options: RateLimitOptions): RequestHandler {
  const buckets = createTokenBuckets(options);
  return (req, _res, next) => {
    const keyId = req.auth?.keyId;
    if (!keyId) return next();
    const taken = buckets.take(keyId);
    if (taken.ok) return next();
    throw new ApiError(429, 'rate_limited', `rate limit of this API key exceeded (${options.perSecond}/s, bursts of ${options.burst}); retry in ${taken.retryAfterSeconds} s`, [], {
      'retry-after': String(taken.retryAfterSeconds),
    });
  };
}
