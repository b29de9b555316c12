/**
 * The one interface every push channel adapter (FCM HTTP v1, APNs, web push) implements,
 * and the typed outcome the send pipeline acts on. An adapter never throws for a provider's
 * answer or a network failure: it says what happened, in the provider's words (`code`,
 * `status`) and in the pipeline's (`kind`):
 *
 *   unregistered  the token is dead (the app was uninstalled): mark the device, never retry
 *   invalid       this message or this token can never succeed as sent: do not retry
 *   rate_limited  slow the channel down (`retryAfterMs` when the provider said how long)
 *   unavailable   the provider or the network failed: retry later (`retryAfterMs` if given)
 *   auth          the credentials are refused (after one refresh): fix the app's settings
 *
 * Adapters are built with their credentials and keep them in closures: nothing they return
 * or throw contains a key, a JWT or an access token.
 */

export type PushFailureKind = 'unregistered' | 'invalid' | 'rate_limited' | 'unavailable' | 'auth';

export interface PushMessage {
  /** The device's registration token (FCM), device token (APNs) or subscription endpoint URL (web push). */
  token: string;
  /**
   * Web push only: the browser's PushSubscription (its endpoint, the same as `token`, and the
   * keys the payload is encrypted to); a web push without it is `invalid`.
   */
  subscription?: { endpoint: string; keys: { p256dh: string; auth: string } };
  title?: string;
  body?: string;
  /** An image URL (FCM notification.image; on APNs a payload key a notification service extension reads). */
  image?: string;
  /** String key/values for the app (the receipt fields `rota_*` among them). */
  data: Record<string, string>;
  /** A data-only push: no notification (FCM), `apns-push-type: background` and `content-available` (APNs). */
  silent?: boolean;
  /** A later push with the same id replaces this one (FCM collapse_key and notification tag, APNs apns-collapse-id). */
  collapseId?: string;
  /** How long the provider keeps the push for an offline device; 0 = now or never. Default 28 days (FCM's maximum and default). */
  ttlSeconds?: number;
  /** Default `high` for a notification, `normal` for a silent push (APNs: 10 / 5; a background push is always 5). */
  priority?: 'high' | 'normal';
  /** The delivery's id: repeated on every retry of this one delivery (APNs apns-id is derived from it). */
  idempotencyKey?: string;
}

export type PushSendOutcome =
  | { ok: true; providerMessageId: string }
  | {
      ok: false;
      kind: PushFailureKind;
      /** The provider's code (FCM errorCode or status, APNs reason), or `unreachable` / `timeout` when none answered. */
      code: string;
      /** The HTTP status; 0 when no answer came. */
      status: number;
      /** How long the provider asked us to wait (Retry-After), in milliseconds. */
      retryAfterMs?: number;
      /** APNs 410: when the provider last knew the token valid (its `timestamp`). */
      unregisteredAt?: Date;
      /** A short human text from the provider, never containing credentials. */
      message?: string;
    };

export type PushSendFailure = Extract<PushSendOutcome, { ok: false }>;

export interface PushChannelAdapter {
  readonly provider: 'fcm' | 'apns' | 'webpush';
  send(message: PushMessage): Promise<PushSendOutcome>;
  /** Closes connections it keeps open (APNs' HTTP/2 session). */
  close(): Promise<void>;
}

/** Whether the pipeline may try the same push again later (after `retryAfterMs` when given). */
export function isRetryable(outcome: PushSendFailure): boolean {
  return outcome.kind === 'rate_limited' || outcome.kind === 'unavailable';
}

/** FCM's default and largest TTL: 4 weeks. */
export const DEFAULT_PUSH_TTL_SECONDS = 28 * 24 * 3600;

/**
 * A Retry-After header in milliseconds: delay-seconds or an HTTP-date (relative to `now`).
 * Undefined when absent or unreadable; never negative.
 */
export function retryAfterMs(header: string | string[] | null | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A failure of the network or of the connection, before any answer. */
export function networkFailure(err: unknown): PushSendFailure {
  const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || (err as { code?: string }).code === 'ETIMEDOUT');
  return { ok: false, kind: 'unavailable', code: timeout ? 'timeout' : 'unreachable', status: 0, message: err instanceof Error ? err.message.slice(0, 200) : undefined };
}
