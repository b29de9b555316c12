/**
 * Android push through FCM HTTP v1: `POST {base}/v1/projects/{projectId}/messages:send`
 * with an OAuth2 access token obtained from a service account, with node:crypto only:
 *
 *   1. an RS256 JWT (iss = client_email, scope firebase.messaging, aud = token_uri, iat,
 *      exp = iat + 1 h) signed with the account's private key,
 *   2. exchanged at token_uri (grant_type jwt-bearer) for an access token,
 *   3. kept until shortly before its expiry and shared by every concurrent send (one token
 *      request at a time), and fetched again on a 401 (once; a second 401 is `auth`).
 *
 * Errors are mapped to the channel outcome kinds (providers/channels.ts).
 */
import type { KeyObject } from 'node:crypto';
import { privateKeyOf, signJwt } from '../lib/jwt';
import { DEFAULT_PUSH_TTL_SECONDS, networkFailure, retryAfterMs, type PushChannelAdapter, type PushMessage, type PushSendFailure, type PushSendOutcome } from './channels';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The fields of a Google service account's JSON key file that the adapter uses. */
export interface ServiceAccount {
  client_email: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  private_key: string;
  token_uri: string;
  project_id?: string;
  private_key_id?: string;
}

export interface FcmAdapterOptions {
  /** `https://fcm.googleapis.com` in production; the FCM simulator in dev and tests. */
  baseUrl: string;
  serviceAccount: ServiceAccount;
  /** Defaults to the service account's project_id. */
  projectId?: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** A token is fetched again this long before it expires (at most half its lifetime). Default 5 minutes. */
  refreshMarginMs?: number;
  timeoutMs?: number;
}

type CachedToken = { accessToken: string; refreshAt: number };

/** FCM's error body: `{error: {code, status, message, details: [{errorCode}]}}`. */
type FcmErrorBody = { error?: { code?: number; status?: string; message?: string; details?: { '@type'?: string; errorCode?: string }[] } };

export function createFcmAdapter(opts: FcmAdapterOptions): PushChannelAdapter {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const account = opts.serviceAccount;
  const projectId = opts.projectId ?? account.project_id;
  if (!projectId) throw new Error('FCM: no project id (give projectId or a service account with project_id)');
  if (!account.client_email || !account.token_uri) throw new Error('FCM: the service account needs client_email and token_uri');
  let key: KeyObject;
  try {
    key = privateKeyOf(account.private_key);
  } catch {
    // The key's text stays out of the message.
    throw new Error(`FCM: the private key of service account ${account.client_email} is not a PEM private key`);
  }
  const sendUrl = new URL(`/v1/projects/${encodeURIComponent(projectId)}/messages:send`, opts.baseUrl).toString();

  let cached: CachedToken | undefined;
  let pending: Promise<CachedToken | PushSendFailure> | undefined;

  function assertion(): string {
    const iat = Math.floor(now() / 1000);
    const header = { alg: 'RS256' as const, typ: 'JWT', ...(account.private_key_id ? { kid: account.private_key_id } : {}) };
    return signJwt(header, { iss: account.client_email, scope: FCM_SCOPE, aud: account.token_uri, iat, exp: iat + 3600 }, key);
  }

  async function fetchToken(): Promise<CachedToken | PushSendFailure> {
    const requestedAt = now();
    let res: Response;
    try {
      res = await fetch(account.token_uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: assertion() }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return networkFailure(err);
    }
    const body = (await readJson(res)) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (res.ok && typeof body.access_token === 'string') {
      const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
      const margin = Math.min(opts.refreshMarginMs ?? 5 * 60_000, lifetimeMs / 2);
      return { accessToken: body.access_token, refreshAt: requestedAt + lifetimeMs - margin };
    }
    // The token endpoint refuses the assertion (bad key, unknown account, clock far off): the credentials are wrong.
    const code = typeof body.error === 'string' ? body.error : `http_${res.status}`;
    if (res.status === 429) return { ok: false, kind: 'rate_limited', code, status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), now()), message: body.error_description };
    if (res.status >= 500) return { ok: false, kind: 'unavailable', code, status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after'), now()), message: body.error_description };
    return { ok: false, kind: 'auth', code, status: res.status, message: typeof body.error_description === 'string' ? body.error_description.slice(0, 200) : undefined };
  }

  /** The cached token, or one fetched now; concurrent callers share one fetch. */
  async function accessToken(): Promise<CachedToken | PushSendFailure> {
    if (cached && now() < cached.refreshAt) return cached;
    pending ??= fetchToken().finally(() => (pending = undefined));
    const got = await pending;
    if (!('ok' in got)) cached = got;
    return got;
  }

  async function post(token: CachedToken, message: PushMessage): Promise<PushSendOutcome> {
    let res: Response;
    try {
      res = await fetch(sendUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token.accessToken}`,
          ...(message.idempotencyKey ? { 'idempotency-key': message.idempotencyKey } : {}),
        },
        body: JSON.stringify({ message: fcmMessage(message) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return networkFailure(err);
    }
    const body = await readJson(res);
    if (res.ok) return { ok: true, providerMessageId: String((body as { name?: unknown }).name ?? '') };
    return fcmFailure(res.status, body as FcmErrorBody, retryAfterMs(res.headers.get('retry-after'), now()));
  }

  return {
    provider: 'fcm',
    async send(message) {
      for (let attempt = 0; ; attempt++) {
        const token = await accessToken();
        if ('ok' in token) return token;
        const outcome = await post(token, message);
        // A refused access token (expired early, revoked): fetch a new one once, unless another send already has.
        if (!outcome.ok && outcome.kind === 'auth' && outcome.status === 401 && attempt === 0) {
          if (cached === token) cached = undefined;
          continue;
        }
        return outcome;
      }
    },
    async close() {
      cached = undefined;
    },
  };
}

/** The FCM v1 `message` for one push. */
export function fcmMessage(m: PushMessage): Record<string, unknown> {
  const notification = m.silent ? undefined : { ...(m.title !== undefined ? { title: m.title } : {}), ...(m.body !== undefined ? { body: m.body } : {}), ...(m.image ? { image: m.image } : {}) };
  const android: Record<string, unknown> = {
    priority: m.priority ?? (m.silent ? 'normal' : 'high'),
    ttl: `${m.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS}s`,
    ...(m.collapseId ? { collapse_key: m.collapseId } : {}),
    // The same tag replaces a notification already in the drawer, as the collapse key replaces one still queued.
    ...(m.collapseId && !m.silent ? { notification: { tag: m.collapseId } } : {}),
  };
  return {
    token: m.token,
    ...(notification ? { notification } : {}),
    ...(Object.keys(m.data).length > 0 ? { data: m.data } : {}),
    android,
  };
}

/** FCM's answer as an outcome: its errorCode first (the detail FCM documents), then the HTTP status. */
export function fcmFailure(status: number, body: FcmErrorBody, retryAfter: number | undefined): PushSendFailure {
  const errorCode = body.error?.details?.find((d) => typeof d.errorCode === 'string')?.errorCode;
  const code = errorCode ?? body.error?.status ?? `http_${status}`;
  const message = typeof body.error?.message === 'string' ? body.error.message.slice(0, 200) : undefined;
  const base = { ok: false as const, code, status, message };
  // A 404 is a dead token only in FCM's own words: a proxy's or a wrong URL's 404 must not mark every device uninstalled.
  if (errorCode === 'UNREGISTERED' || (status === 404 && body.error?.status === 'NOT_FOUND')) return { ...base, kind: 'unregistered' };
  if (status === 429 || errorCode === 'QUOTA_EXCEEDED') return { ...base, kind: 'rate_limited', retryAfterMs: retryAfter };
  if (status === 401 || errorCode === 'THIRD_PARTY_AUTH_ERROR') return { ...base, kind: 'auth' };
  // SENDER_ID_MISMATCH: the token belongs to another Firebase project; the message cannot reach it with these credentials.
  if (status === 403 && errorCode !== 'SENDER_ID_MISMATCH') return { ...base, kind: 'auth' };
  if (status >= 500) return { ...base, kind: 'unavailable', retryAfterMs: retryAfter };
  return { ...base, kind: 'invalid' };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    return {};
  }
}
