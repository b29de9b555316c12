/** Bearer API-key authentication and per-route roles. */
import type { Request, RequestHandler } from 'express';
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

export function createAuthenticator(db: Db): (role: Role) => RequestHandler {
  const cache = new Map<string, { key: VerifiedKey; until: number }>();
  async function verify(token: string): Promise<VerifiedKey | undefined> {
    const hit = cache.get(token);
    if (hit && hit.until > Date.now()) return hit.key;
    const key = await verifyApiKey(db, token);
    if (key) {
      if (cache.size > 10_000) cache.clear();
      cache.set(token, { key, until: Date.now() + CACHE_MS });
    }
    return key;
  }
  return (role) => async (req, _res, next) => {
    const header = req.header('authorization');
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new ApiError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <key>', [{ path: 'headers.authorization', message: 'required' }]);
    const key = await verify(m[1]!);
    if (!key) throw new ApiError(401, 'unauthorized', 'invalid API key', [{ path: 'headers.authorization', message: 'unknown or revoked key' }]);
    if (!key.roles.includes(role) && !key.roles.includes('admin')) {
      throw new ApiError(403, 'forbidden', `this API key lacks the '${role}' role`);
    }
    req.auth = key;
    next();
  };
}

/** The authenticated tenant; routes behind an authenticator always have one. */
export function appIdOf(req: Request): string {
  if (!req.auth) throw new Error('route is not behind the authenticator');
  return req.auth.appId;
}
