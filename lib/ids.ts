/** Ids. Business keys are derived, never random, wherever a retry must land on the same record. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A message id: derived from the client's idempotency key when it gives one, so a retried request is the same message. */
export function newMessageId(appId: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return randomUUID();
  // A version-8 (custom) UUID from the hash, so it has the same shape as a random one.
  const h = digest('message', appId, idempotencyKey);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Stored `_id`s of tenant-owned documents start with `{appId}:`. The tenant is then part of
 * the key itself, and a lookup by `_id` alone is both tenant-safe and fast: FerretDB's
 * SQLite backend answers `{_id}` from its primary key but scans for `{_id, appId}`.
 */
export function scopedId(appId: string, local: string): string {
  return `${appId}:${local}`;
}

/** The public part of a scoped id (what the API shows). */
export function localId(scoped: string): string {
  return scoped.slice(scoped.indexOf(':') + 1);
}

export function newProfileId(appId: string): string {
  return scopedId(appId, `prf_${randomUUID().replaceAll('-', '')}`);
}

export function messageDocId(appId: string, messageId: string): string {
  return scopedId(appId, messageId);
}

/** One push delivery per device: the token is hashed so it never appears in an id or log. */
export function pushDeliveryId(appId: string, messageId: string, token: string): string {
  return scopedId(appId, `${messageId}:push:${digest(token).slice(0, 16)}`);
}

/**
 * A batch send's delivery (campaign or journey step `sendKey`): one per profile, channel and
 * push device, so a retried or replayed batch lands on the same records. Without a token: the
 * profile's record for the channel (a skip).
 */
export function batchDeliveryId(appId: string, sendKey: string, profileId: string, channel: string, token?: string): string {
  const device = token === undefined ? '' : `:${digest(token).slice(0, 16)}`;
  return scopedId(appId, `${sendKey}:${localId(profileId)}:${channel}${device}`);
}

export function smsDeliveryId(appId: string, messageId: string): string {
  return scopedId(appId, `${messageId}:sms`);
}

export function emailDeliveryId(appId: string, messageId: string): string {
  return scopedId(appId, `${messageId}:email`);
}

export function sha256(text: string): string {
  return digest(text);
}

/** Lowercase letters and digits, for the public part of API keys and app ids. */
export function randomToken(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** A consent change: per recipient and type, numbered; zero-padded so `_id` order is `seq` order. */
export function consentChangeId(appId: string, type: string, recipient: string, seq: number): string {
  return scopedId(appId, `${type}:${recipient}:${String(seq).padStart(10, '0')}`);
}
