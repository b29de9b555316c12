/**
 * What a tenant is shown of a provider's failure: which provider, the HTTP status class and
 * a short code, e.g. `{ provider: 'push', status: '4xx', code: 'UNREGISTERED' }`. The raw
 * detail the worker records (the provider's address inside the deployment, the answer's
 * body) is the operator's, never part of the message view.
 *
 * Built by picking known parts out of the recorded text, never by passing text through: a
 * code is shown only when it is a short identifier, so nothing else can leak.
 */
import type { Channel } from '../domain/messages';

export interface PublicProviderError {
  provider: string;
  /** `4xx`, `5xx`…; absent when the provider gave no HTTP answer. */
  status?: string;
  code: string;
}

const PROVIDER: Record<Channel, string> = { push: 'push', sms: 'sms', email: 'smtp' };

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_.-]{0,39}$/;

/** The most specific code in a provider's (possibly cut-off) JSON answer: FCM's `errorCode`, then `status`, then `code`. */
function codeIn(body: string): string | undefined {
  // A push adapter's failure, as activities/pushMessage.ts records it.
  const named = /\bcode=([^\s]{1,40})/.exec(body);
  if (named && IDENTIFIER.test(named[1]!)) return named[1];
  for (const field of ['errorCode', 'status', 'code']) {
    const m = new RegExp(`"${field}"\\s*:\\s*"([^"]{1,40})"`).exec(body);
    if (m && IDENTIFIER.test(m[1]!)) return m[1];
  }
  return undefined;
}

/** `raw` as recorded: `{url}: HTTP {status} {body}` for an answer, `{url}: {error}` for none, or another failure's message. */
export function publicProviderError(channel: Channel, raw: string): PublicProviderError {
  const provider = PROVIDER[channel];
  const http = /: HTTP (\d)(\d\d)\b(.*)$/s.exec(raw);
  if (http) return { provider, status: `${http[1]}xx`, code: codeIn(http[3]!) ?? `http_${http[1]}${http[2]}` };
  const unanswered = /^[a-z]+: ([a-z_]{1,40}) kind=/.exec(raw); // a push adapter's failure without an answer: `fcm: unreachable kind=unavailable`
  if (unanswered) return { provider, code: unanswered[1]! };
  if (/timeout|timed out|abort/i.test(raw)) return { provider, code: 'timeout' };
  if (/fetch failed|ECONN|ENOTFOUND|EAI_AGAIN|socket|network/i.test(raw)) return { provider, code: 'unreachable' };
  if (/in flight|claimed|taken over/i.test(raw)) return { provider, code: 'in_flight' };
  return { provider, code: 'error' };
}

const formatError = (e: PublicProviderError) => [e.provider, e.status, e.code].filter(Boolean).join(' ');

/** Each failure of a `provider_rejected: …; …` reason starts with the provider's URL, or a push adapter's name (activities/pushMessage.ts). */
const NEXT_FAILURE = /; (?=[a-z][a-z0-9+.-]*:\/\/|(?:fcm|apns|webpush|push): )/i;

/**
 * A skip reason as a tenant sees it: the gate's reasons as they are; a provider's refusal
 * (`provider_rejected: …`) or retries run out (`gave_up: …`) with each failure summarised.
 */
export function publicSkipReason(channel: Channel, reason: string): string {
  const m = /^(provider_rejected|gave_up): (.*)$/s.exec(reason);
  if (!m) return reason;
  const failures = m[1] === 'provider_rejected' ? m[2]!.split(NEXT_FAILURE) : [m[2]!];
  return `${m[1]}: ${[...new Set(failures.map((f) => formatError(publicProviderError(channel, f))))].join('; ')}`;
}
