/**
 * iOS push through APNs: HTTP/2 (node:http2) `POST {base}/3/device/{token}` with token-based
 * authentication:
 *
 * - the provider token is an ES256 JWT (header kid = key id, claims iss = team id, iat)
 *   signed with the .p8 key. APNs refuses one older than an hour (403
 *   ExpiredProviderToken) and one replaced more often than every 20 minutes (429
 *   TooManyProviderTokenUpdates), so one token is reused by every send and made again
 *   after 50 minutes, or at once when APNs calls it expired or invalid (once; a second
 *   refusal is `auth`);
 * - one HTTP/2 session per base URL (shared through a pool), connected again when it closes
 *   or is told to go away; it keeps the process alive only while a request is in flight;
 * - headers apns-topic (bundle id), apns-push-type (alert | background), apns-priority (10
 *   alert, 5 background or normal), apns-expiration, apns-collapse-id, and apns-id derived
 *   from the delivery's id, so every retry of one delivery carries the same apns-id.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import http2 from 'node:http2';
import { privateKeyOf, signJwt } from '../lib/jwt';
import { DEFAULT_PUSH_TTL_SECONDS, networkFailure, retryAfterMs, type PushChannelAdapter, type PushMessage, type PushSendFailure, type PushSendOutcome } from './channels';

export interface ApnsAdapterOptions {
  /** `https://api.push.apple.com` (production) or `https://api.sandbox.push.apple.com`; the APNs simulator (h2c) in dev and tests. */
  baseUrl: string;
  /** The 10-character key id of the .p8 key. */
  keyId: string;
  teamId: string;
  /** The .p8 file's text (PKCS#8 PEM, P-256). */
  privateKey: string | KeyObject;
  /** The app's bundle id: apns-topic. */
  bundleId: string;
  now?: () => number;
  /** A provider token is made again after this long. Default 50 minutes (APNs: between 20 and 60). */
  tokenRefreshMs?: number;
  timeoutMs?: number;
  /** Sessions shared with other adapters (one per base URL); without it the adapter keeps its own. */
  sessions?: Http2SessionPool;
}

/** APNs' error body: `{reason}`, and on 410 `timestamp` (ms since the epoch). */
type ApnsErrorBody = { reason?: string; timestamp?: number };

/** APNs' limit on apns-collapse-id. */
export const APNS_COLLAPSE_ID_MAX_BYTES = 64;

export function createApnsAdapter(opts: ApnsAdapterOptions): PushChannelAdapter {
  const now = opts.now ?? Date.now;
  const refreshMs = opts.tokenRefreshMs ?? 50 * 60_000;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let key: KeyObject;
  try {
    key = privateKeyOf(opts.privateKey);
  } catch {
    throw new Error(`APNs: the key ${opts.keyId} is not a PEM private key`);
  }
  const ownPool = opts.sessions ? undefined : createHttp2SessionPool();
  const pool = opts.sessions ?? ownPool!;
  const origin = new URL(opts.baseUrl).origin;
  const basePath = new URL(opts.baseUrl).pathname.replace(/\/$/, '');

  let token: { jwt: string; issuedAt: number } | undefined;

  function providerToken(): { jwt: string; issuedAt: number } {
    if (token && now() - token.issuedAt < refreshMs) return token;
    const issuedAt = now();
    token = { jwt: signJwt({ alg: 'ES256', kid: opts.keyId }, { iss: opts.teamId, iat: Math.floor(issuedAt / 1000) }, key), issuedAt };
    return token;
  }

  async function post(jwt: string, m: PushMessage): Promise<PushSendOutcome> {
    const apnsId = m.idempotencyKey ? uuidFrom(m.idempotencyKey) : randomUUID();
    const background = m.silent === true;
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': `${basePath}/3/device/${encodeURIComponent(m.token)}`,
      authorization: `bearer ${jwt}`,
      'content-type': 'application/json',
      'apns-topic': opts.bundleId,
      'apns-push-type': background ? 'background' : 'alert',
      'apns-priority': background || m.priority === 'normal' ? '5' : '10',
      'apns-expiration': String(m.ttlSeconds === 0 ? 0 : Math.floor(now() / 1000) + (m.ttlSeconds ?? DEFAULT_PUSH_TTL_SECONDS)),
      'apns-id': apnsId,
      ...(m.collapseId ? { 'apns-collapse-id': apnsCollapseId(m.collapseId) } : {}),
    };
    let answer: { status: number; headers: http2.IncomingHttpHeaders; body: string };
    try {
      answer = await pool.request(origin, headers, JSON.stringify(apnsPayload(m)), timeoutMs);
    } catch (err) {
      return networkFailure(err);
    }
    if (answer.status === 200) return { ok: true, providerMessageId: headerValue(answer.headers['apns-id']) ?? apnsId };
    let body: ApnsErrorBody = {};
    try {
      body = answer.body ? (JSON.parse(answer.body) as ApnsErrorBody) : {};
    } catch {
      // not JSON: the status decides
    }
    return apnsFailure(answer.status, body, retryAfterMs(answer.headers['retry-after'], now()));
  }

  return {
    provider: 'apns',
    async send(message) {
      const first = providerToken();
      const outcome = await post(first.jwt, message);
      if (!outcome.ok && outcome.kind === 'auth' && (outcome.code === 'ExpiredProviderToken' || outcome.code === 'InvalidProviderToken')) {
        // Make a new token once (unless a concurrent send already has) and try again; a second refusal is final.
        if (token === first) token = undefined;
        return post(providerToken().jwt, message);
      }
      return outcome;
    },
    async close() {
      token = undefined;
      await ownPool?.close();
    },
  };
}

/** The APNs JSON payload: `aps` plus the data keys at the top level (where an app reads them). */
export function apnsPayload(m: PushMessage): Record<string, unknown> {
  const custom: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.data)) if (k !== 'aps') custom[k] = v;
  if (m.silent) return { aps: { 'content-available': 1 }, ...custom };
  const alert = { ...(m.title !== undefined ? { title: m.title } : {}), ...(m.body !== undefined ? { body: m.body } : {}) };
  // An image needs the app's notification service extension: mutable-content lets it run, and it reads `image`.
  return { aps: { alert, sound: 'default', ...(m.image ? { 'mutable-content': 1 } : {}), ...(m.collapseId ? { 'thread-id': apnsCollapseId(m.collapseId) } : {}) }, ...custom, ...(m.image ? { image: m.image } : {}) };
}

/** The collapse id as sent: as given when it fits APNs' 64 bytes, else a digest of it (the same for the same id, so a replacement still replaces). */
export function apnsCollapseId(id: string): string {
  return Buffer.byteLength(id) <= APNS_COLLAPSE_ID_MAX_BYTES ? id : createHash('sha256').update(id).digest('base64url');
}

/**
 * APNs' answer as an outcome.
 *
 * 400 BadDeviceToken is `invalid`, not `unregistered`: APNs says it for a token that is
 * malformed or was issued for the other environment (a development build's token sent to
 * production), which is a configuration fault, not evidence that the app was removed.
 * Uninstall tracking counts only 410, which comes with the time APNs learnt it.
 */
export function apnsFailure(status: number, body: ApnsErrorBody, retryAfter: number | undefined): PushSendFailure {
  const code = typeof body.reason === 'string' ? body.reason : `http_${status}`;
  const base = { ok: false as const, code, status };
  // As for FCM, only APNs' own words mark a token dead (ExpiredToken is 410's other reason).
  if (status === 410 && (code === 'Unregistered' || code === 'ExpiredToken')) {
    return { ...base, kind: 'unregistered', ...(typeof body.timestamp === 'number' ? { unregisteredAt: new Date(body.timestamp) } : {}) };
  }
  if (status === 429) return { ...base, kind: 'rate_limited', retryAfterMs: retryAfter };
  if (status === 403) return { ...base, kind: 'auth' };
  if (status >= 500) return { ...base, kind: 'unavailable', retryAfterMs: retryAfter };
  return { ...base, kind: 'invalid' };
}

/** A UUID (version 8, from a hash) for a delivery id: APNs wants apns-id in UUID form. */
export function uuidFrom(id: string): string {
  const h = createHash('sha256').update(`apns-id\u0000${id}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export interface Http2SessionPool {
  /** One request on the origin's session (connected now if there is none or it closed). */
  request(origin: string, headers: http2.OutgoingHttpHeaders, body: string, timeoutMs: number): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>;
  /** Sessions open now (for metrics and tests). */
  openSessions(): number;
  close(): Promise<void>;
}

/** HTTP/2 sessions by origin: one each, replaced when it closes, errs or gets GOAWAY; unref'd while idle. */
export function createHttp2SessionPool(): Http2SessionPool {
  const sessions = new Map<string, { session: http2.ClientHttp2Session; active: number }>();

  function sessionFor(origin: string) {
    const existing = sessions.get(origin);
    if (existing && !existing.session.closed && !existing.session.destroyed) return existing;
    const session = http2.connect(origin);
    const entry = { session, active: 0 };
    const forget = () => {
      if (sessions.get(origin) === entry) sessions.delete(origin);
    };
    session.on('close', forget);
    session.on('goaway', forget);
    // A failed session fails its streams; the next request connects again.
    session.on('error', forget);
    session.unref();
    sessions.set(origin, entry);
    return entry;
  }

  function once(origin: string, headers: http2.OutgoingHttpHeaders, body: string, timeoutMs: number) {
    const entry = sessionFor(origin);
    return new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = entry.session.request(headers);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (entry.active++ === 0) entry.session.ref();
      let status = 0;
      let responseHeaders: http2.IncomingHttpHeaders = {};
      let failure: Error | undefined;
      const chunks: Buffer[] = [];
      stream.setTimeout(timeoutMs, () => {
        const err = new Error(`no answer in ${timeoutMs} ms`);
        err.name = 'TimeoutError';
        stream.destroy(err);
      });
      stream.on('response', (h) => {
        status = Number(h[':status']);
        responseHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      let ended = false;
      stream.on('end', () => (ended = true));
      stream.on('error', (err) => (failure = err));
      // 'close' comes last, after 'end' or 'error': the one place the promise settles.
      stream.on('close', () => {
        if (--entry.active === 0 && !entry.session.destroyed) entry.session.unref();
        if (ended && status > 0 && !failure) resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') });
        else reject(failure ?? new Error(`stream closed without an answer (code ${stream.rstCode})`));
      });
      stream.end(body);
    });
  }

  return {
    async request(origin, headers, body, timeoutMs) {
      try {
        return await once(origin, headers, body, timeoutMs);
      } catch (err) {
        // The session was gone before the request went out (closed between two sends, refused stream after GOAWAY): once more on a new one.
        const code = (err as { code?: string }).code;
        if (code === 'ERR_HTTP2_INVALID_SESSION' || code === 'ERR_HTTP2_GOAWAY_SESSION' || /NGHTTP2_REFUSED_STREAM/.test(String(err))) {
          sessions.delete(origin);
          return once(origin, headers, body, timeoutMs);
        }
        throw err;
      }
    },
    openSessions: () => [...sessions.values()].filter(({ session }) => !session.closed && !session.destroyed).length,
    async close() {
      const all = [...sessions.values()];
      sessions.clear();
      // Each ends when its in-flight streams have (bounded by their timeouts); 'close' fires however it ends.
      await Promise.all(
        all.map(({ session }) => new Promise<void>((resolve) => {
          if (session.destroyed) return resolve();
          session.once('close', () => resolve());
          // Held open until closed: an unref'd session would let the process exit with this promise pending.
          session.ref();
          session.close();
        })),
      );
    },
  };
}
