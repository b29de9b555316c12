/**
 * Browser push through the Web Push protocol (RFC 8030) to the push service a browser's
 * subscription names (FCM for Chrome, Mozilla's autopush, Apple's web push, WNS for Edge),
 * with the web-push library doing the two parts that must be exactly right:
 *
 * - VAPID (RFC 8292): `Authorization: vapid t=<ES256 JWT>, k=<public key>`, the JWT's aud
 *   being the push service's origin and sub the app's contact (mailto: or https:). One JWT
 *   per origin is signed with a 12-hour exp and reused for an hour, so a bulk send signs
 *   once per push service, not once per browser;
 * - payload encryption (RFC 8291, `Content-Encoding: aes128gcm`) to the subscription's
 *   p256dh key and auth secret.
 *
 * Headers: TTL from `ttlSeconds`, Urgency from the priority (high | normal), Topic from
 * `collapseId` (Web Push's collapse key; at most 32 URL-safe base64 characters, so a longer
 * or other id is sent as a digest of it). The request goes out with fetch, so an http://
 * endpoint (the simulator) works as well as https://.
 *
 * The payload is JSON `{title, body, image, tag, data}` for the site's service worker to
 * show (`tag` = the collapse id, so a replacement also replaces a notification already
 * shown), or `{data}` for a silent push. Answers are mapped to the channel outcome kinds
 * (providers/channels.ts); the VAPID private key stays in this closure and no outcome
 * carries it or the JWT.
 */
import { createECDH, createHash } from 'node:crypto';
import { generateRequestDetails, generateVAPIDKeys, getVapidHeaders, type RequestDetails } from 'web-push';
import { DEFAULT_PUSH_TTL_SECONDS, networkFailure, retryAfterMs, type PushChannelAdapter, type PushMessage, type PushSendFailure, type PushSendOutcome } from './channels';

export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url (87 characters): the applicationServerKey browsers subscribe with. */
  publicKey: string;
  /** The 32-byte private scalar, base64url (43 characters). */
  privateKey: string;
}

export interface WebPushAdapterOptions {
  vapid: VapidKeys & {
    /** Who runs the sender, for the push service to contact: `mailto:ops@example.com` or an https: URL. */
    subject: string;
  };
  /** Milliseconds since the epoch; injectable for tests (the JWT's exp is counted from it). */
  now?: () => number;
  timeoutMs?: number;
  /** Lifetime of the VAPID JWT. Default 12 hours; push services refuse more than 24. */
  jwtTtlSeconds?: number;
  /** A JWT is signed again after this long. Default 1 hour (at most half the lifetime). */
  jwtRefreshMs?: number;
}

/** The Web Push ciphertext push services must accept (RFC 8030 §7.2); more is 413 at many of them. */
export const WEB_PUSH_MAX_PAYLOAD_BYTES = 4096;
/** The longest Topic header (RFC 8030 §5.4). */
export const WEB_PUSH_TOPIC_MAX_CHARS = 32;

const MAX_CACHED_ORIGINS = 64;

/** A new VAPID key pair for an app's web push settings (the public half goes to the site's subscribe call). */
export function generateVapidKeys(): VapidKeys {
  const { publicKey, privateKey } = generateVAPIDKeys();
  return { publicKey, privateKey };
}

export function createWebPushAdapter(opts: WebPushAdapterOptions): PushChannelAdapter {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const jwtTtlSeconds = opts.jwtTtlSeconds ?? 12 * 3600;
  const refreshMs = Math.min(opts.jwtRefreshMs ?? 3600_000, (jwtTtlSeconds * 1000) / 2);
  const { subject, publicKey, privateKey } = opts.vapid;
  checkVapid(subject, publicKey, privateKey);

  /** The Authorization header per push service origin. */
  const tokens = new Map<string, { authorization: string; signedAt: number }>();

  function authorization(origin: string): string {
    const cached = tokens.get(origin);
    if (cached && now() - cached.signedAt < refreshMs) return cached.authorization;
    const signedAt = now();
    const exp = Math.floor(signedAt / 1000) + jwtTtlSeconds;
    const { Authorization } = getVapidHeaders(origin, subject, publicKey, privateKey, 'aes128gcm', exp);
    tokens.set(origin, { authorization: Authorization, signedAt });
    // A few push services in practice; endpoints are registered by clients, so the cache is bounded all the same.
    if (tokens.size > MAX_CACHED_ORIGINS) tokens.delete(tokens.keys().next().value!);
    return Authorization;
  }

  /** A text from the push service or the library, cut short and without the key or the JWT in it. */
  function clean(text: string | undefined): string | undefined {
    if (!text) return undefined;
    let out = text.split(privateKey).join('[redacted]');
    for (const { authorization: a } of tokens.values()) out = out.split(a.replace(/^vapid t=([^,]+),.*$/, '$1')).join('[redacted]');
    return out.slice(0, 200);
  }

  async function send(m: PushMessage): Promise<PushSendOutcome> {
    const endpoint = m.subscription?.endpoint ?? m.token;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return { ok: false, kind: 'invalid', code: 'bad_endpoint', status: 0, message: 'the subscription endpoint is not a URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, kind: 'invalid', code: 'bad_endpoint', status: 0, message: `the subscription endpoint is not an http(s) URL (${url.protocol})` };
    if (!m.subscription?.keys?.p256dh || !m.subscription.keys.auth) return { ok: false, kind: 'invalid', code: 'no_subscription_keys', status: 0, message: 'a web push needs the subscription keys (p256dh, auth)' };

    let details: RequestDetails;
    try {
      details = generateRequestDetails({ endpoint, keys: m.subscription.keys }, JSON.stringify(webPushPayload(m)), {
        contentEncoding: 'aes128gcm',
        TTL: m.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS,
        urgency: m.priority ?? (m.silent ? 'normal' : 'high'),
        ...(m.collapseId ? { topic: webPushTopic(m.collapseId) } : {}),
      });
    } catch (err) {
      // The library refuses keys it cannot encrypt to (a p256dh that is not a P-256 point, a short auth secret).
      return { ok: false, kind: 'invalid', code: 'bad_subscription_keys', status: 0, message: clean(err instanceof Error ? err.message : String(err)) };
    }
    const body = details.body;
    if (body && body.length > WEB_PUSH_MAX_PAYLOAD_BYTES) {
      return { ok: false, kind: 'invalid', code: 'payload_too_large', status: 0, message: `the encrypted payload is ${body.length} bytes; push services take ${WEB_PUSH_MAX_PAYLOAD_BYTES}` };
    }
    const headers: Record<string, string> = {};
    // fetch sets Content-Length itself; the rest go as the library made them (TTL is a number there).
    for (const [k, v] of Object.entries(details.headers)) if (k.toLowerCase() !== 'content-length') headers[k] = String(v);
    // The VAPID header is signed here, once per origin (see authorization), not by the library per request.
    headers.Authorization = authorization(url.origin);

    let res: Response;
    try {
      res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const failure = networkFailure(err);
      return { ...failure, message: clean(failure.message) };
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return { ok: true, providerMessageId: res.headers.get('location') ?? '' };
    return webPushFailure(res.status, text, retryAfterMs(res.headers.get('retry-after'), now()), clean);
  }

  return {
    provider: 'webpush',
    send,
    async close() {
      tokens.clear();
    },
  };
}

/** What the site's service worker receives (the decrypted push event data). */
export function webPushPayload(m: PushMessage): Record<string, unknown> {
  if (m.silent) return { data: m.data };
  return {
    ...(m.title !== undefined ? { title: m.title } : {}),
    ...(m.body !== undefined ? { body: m.body } : {}),
    ...(m.image ? { image: m.image } : {}),
    ...(m.collapseId ? { tag: m.collapseId } : {}),
    data: m.data,
  };
}

/** The Topic header for a collapse id: as given when it is ≤ 32 URL-safe base64 characters, else a digest of it (the same for the same id). */
export function webPushTopic(collapseId: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(collapseId) && collapseId.length <= WEB_PUSH_TOPIC_MAX_CHARS) return collapseId;
  return createHash('sha256').update(collapseId).digest('base64url').slice(0, WEB_PUSH_TOPIC_MAX_CHARS);
}

/**
 * A push service's refusal as an outcome. Their bodies differ (Apple `{reason}`, Mozilla
 * `{errno, error, message}`, FCM text), so `code` is the `reason` when there is one and
 * `http_{status}` otherwise; the status decides the kind. 404 and 410 both mean the
 * subscription is gone (RFC 8030 §7.3: expired or unsubscribed) — the browser subscribes
 * again with a new endpoint if the site is still wanted.
 */
export function webPushFailure(status: number, text: string, retryAfter: number | undefined, clean: (t: string | undefined) => string | undefined = (t) => t?.slice(0, 200)): PushSendFailure {
  let reason: string | undefined;
  let message: string | undefined = text || undefined;
  try {
    const body = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof body.reason === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(body.reason)) reason = body.reason;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // not JSON: the text is the message
  }
  const base = { ok: false as const, code: reason ?? `http_${status}`, status, message: clean(message) };
  if (status === 404 || status === 410) return { ...base, kind: 'unregistered' };
  if (status === 429) return { ...base, kind: 'rate_limited', retryAfterMs: retryAfter };
  if (status === 401 || status === 403) return { ...base, kind: 'auth' };
  if (status >= 500) return { ...base, kind: 'unavailable', retryAfterMs: retryAfter };
  return { ...base, kind: 'invalid' };
}

/** Refuses VAPID settings that could never sign, in words that leave the private key out. */
function checkVapid(subject: string, publicKey: string, privateKey: string): void {
  let sub: URL | undefined;
  try {
    sub = new URL(subject);
  } catch {
    // below
  }
  if (!sub || (sub.protocol !== 'mailto:' && sub.protocol !== 'https:')) throw new Error('web push: the VAPID subject must be a mailto: address or an https: URL');
  const pub = /^[A-Za-z0-9_-]+$/.test(publicKey) ? Buffer.from(publicKey, 'base64url') : Buffer.alloc(0);
  if (pub.length !== 65 || pub[0] !== 4) throw new Error('web push: the VAPID public key must be an uncompressed P-256 point in base64url (65 bytes)');
  const priv = /^[A-Za-z0-9_-]+$/.test(privateKey) ? Buffer.from(privateKey, 'base64url') : Buffer.alloc(0);
  if (priv.length !== 32) throw new Error('web push: the VAPID private key must be 32 bytes in base64url');
  let derived: Buffer;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(priv);
    derived = ecdh.getPublicKey();
  } catch {
    throw new Error('web push: the VAPID private key is not a P-256 private key');
  }
  if (!derived.equals(pub)) throw new Error('web push: the VAPID public key is not the private key\'s');
}
