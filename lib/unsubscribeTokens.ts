/**
 * Unsubscribe links in commercial e-mail carry a token naming the app and the profile,
 * signed with an HMAC: the link needs no API key and cannot be made for another person.
 * The secret is the deployment's RECEIPT_SECRET under its own label, so a receipt token
 * and an unsubscribe token can never stand in for each other.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(`unsubscribe:${payload}`).digest('base64url');

export function unsubscribeToken(secret: string, appId: string, profileId: string): string {
  const payload = Buffer.from(JSON.stringify([appId, profileId])).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

/** The app and profile a token names, or undefined for anything not signed by this deployment. */
export function readUnsubscribeToken(secret: string, token: string): { appId: string; profileId: string } | undefined {
  const [payload, mac, ...rest] = token.split('.');
  if (!payload || !mac || rest.length > 0) return undefined;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((v) => typeof v === 'string' && v.length > 0)) {
      return { appId: parsed[0] as string, profileId: parsed[1] as string };
    }
  } catch {
    // signed but not ours to read: treated as unknown
  }
  return undefined;
}

/** The link put in `List-Unsubscribe` and in the mail's footer. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/$/, '')}/v1/unsubscribe/${token}`;
}
