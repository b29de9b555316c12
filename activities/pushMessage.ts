/**
 * A push as each device's adapter takes it (providers/channels.ts `PushMessage`), from the
 * rendered content, for single messages and batches alike. Web devices get the template's
 * web push content when it has one (title, body, icon, click URL), the push content otherwise;
 * they carry their subscription, the keys the payload is encrypted to.
 */
import type { Device } from '../data/models/profiles';
import type { PushFailureKind, PushMessage, PushSendFailure } from '../providers/channels';
import { ProviderError } from '../providers/http';
import type { PushContent, WebPushContent } from '../templates/channels';

export interface RenderedPush {
  push: PushContent;
  /** The template's web push content, rendered, when it has one. */
  webPush?: WebPushContent;
}

export function pushMessageFor(device: Device, content: RenderedPush, data: Record<string, string>, idempotencyKey: string): PushMessage {
  const web = device.platform === 'web' ? content.webPush : undefined;
  const c = content.push;
  const base = web
    ? { ...(web.title ? { title: web.title } : {}), ...(web.body ? { body: web.body } : {}), ...(web.icon ? { image: web.icon } : {}), data: { ...data, ...(web.url ? { rota_url: web.url } : {}) } }
    : { ...(c.title ? { title: c.title } : {}), body: c.body, ...(c.image ? { image: c.image } : {}), data: { ...(c.data ?? {}), ...(c.deepLink ? { rota_deep_link: c.deepLink } : {}), ...data } };
  return { token: device.token, ...base, ...(device.webPush ? { subscription: { endpoint: device.token, keys: device.webPush } } : {}), idempotencyKey };
}

/**
 * An adapter's failure as the delivery ledger records it (activities/deliverOnce.ts): a
 * ProviderError, retryable for `rate_limited` and `unavailable`, whose message names the
 * provider, the HTTP status and the provider's code (`fcm: HTTP 404 code=UNREGISTERED`), the
 * form messages/providerErrors.ts turns into what a tenant is shown.
 */
export function pushFailureError(provider: string, failure: PushSendFailure): ProviderError {
  const retryable = failure.kind === 'rate_limited' || failure.kind === 'unavailable';
  const head = failure.status ? `${provider}: HTTP ${failure.status} code=${failure.code} kind=${failure.kind}` : `${provider}: ${failure.code} kind=${failure.kind}`;
  // The provider's own words are the operator's (the delivery record, the log); the message view shows only the code.
  const text = failure.message ? `${head} ${failure.message}` : head;
  return new ProviderError(text, retryable, failure.status || undefined, failure.code);
}

/** The failure kind a recorded `pushFailureError` message names. */
export function recordedPushKind(error: string | undefined): PushFailureKind | undefined {
  return /\bkind=([a-z_]+)/.exec(error ?? '')?.[1] as PushFailureKind | undefined;
}
