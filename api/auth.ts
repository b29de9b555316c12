/** Bearer API-key authentication and per-route roles; the metrics scraper's token. */
import type { Request, RequestHandler } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../data/db';
import type { Role } from '../domain/auth';
import { verifyApiKey, type VerifiedKey } from '../tenants/apiKeys';
import { ApiError } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    auth?: VerifiedKey;
  }
}

// Verified keys are cached briefly: one hash and no database read per request on the hot path.
const CACHE_MS = 10_000;

const PLATFORM: VerifiedKey = { keyId: 'platform-admin', appId: '', roles: ['admin'] };

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Who may reach a route: an app key with a role (or with any role of a list), the platform key,
 * or (for /metrics) the scraper's token or the platform key.
 */
export type KeyAccess = Role | readonly Role[] | 'platform' | 'metrics';

export interface Authenticator {
  require(access: KeyAccess): RequestHandler;
  /** Drops a revoked key from this process's cache at once (other processes within CACHE_MS). */
  forget(keyId: string): void;
}

const METRICS: VerifiedKey = { keyId: 'metrics', appId: '', roles: [] };

export function createAuthenticator(db: Db, platformKey?: string, metricsToken?: string): Authenticator {
  const cache = new Map<string, { key: VerifiedKey; until: number }>();
  async function verify(token: string): Promise<VerifiedKey | undefined> {
    if (platformKey && sameSecret(token, platformKey)) return PLATFORM;
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) return hit.key;
    const key = await verifyApiKey(db, token);
    if (key) {
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { key, until: Date.now() + CACHE_MS });
    }
    return key;
  }
  const require = (access: KeyAccess): RequestHandler => async (req, _res, next) => {
    const header = req.header('authorization');
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <key>', [{ path: 'headers.authorization', message: 'required' }]);
    if (access === 'metrics') {
      // Every tenant's counters: never an app key, and no database read for a scrape.
      const token = m[1]!;
      if (platformKey && sameSecret(token, platformKey)) req.auth = PLATFORM;
      else if (metricsToken && sameSecret(token, metricsToken)) req.auth = METRICS;
      else throw new ApiError(401, 'unauthorized', `metrics take ${metricsToken ? 'ROTA_METRICS_TOKEN or ' : ''}the platform administrator key (ROTA_ADMIN_API_KEY) as the bearer token`, [{ path: 'headers.authorization', message: 'not the metrics token' }]);
      return next();
    }
    const key = await verify(m[1]!);
    if (!key) throw new ApiError(401, 'unauthorized', 'invalid API key', [{ path: 'headers.authorization', message: 'unknown or revoked key' }]);
    // The platform key administers apps only; an app's own keys never reach platform routes.
    if (access === 'platform' ? key !== PLATFORM : key === PLATFORM) {
      throw new ApiError(403, 'forbidden', access === 'platform' ? 'only the platform administrator key (ROTA_ADMIN_API_KEY) may do this' : 'the platform administrator key is not bound to an app: use an app key');
    }
    const anyOf: readonly Role[] | undefined = access === 'platform' ? undefined : typeof access === 'string' ? [access] : access;
    if (anyOf && !anyOf.some((role) => key.roles.includes(role)) && !key.roles.includes('admin')) {
      throw new ApiError(403, 'forbidden', `this API key lacks the ${anyOf.map((r) => `'${r}'`).join(' or the ')} role`);
    }
    req.auth = key;
    next();
  };
  return {
    require,
    forget(keyId) {
      for (const [token, entry] of cache) if (entry.key.keyId === keyId) cache.delete(token);
    },
  };
}

/** The authenticated tenant; routes behind an authenticator always have one. */
export function appIdOf(req: Request): string {
  if (!req.auth) throw new Error('route is not behind the authenticator');
  return req.auth.appId;
}
