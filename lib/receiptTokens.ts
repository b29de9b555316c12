/**
 * Receipt tokens travel in the push payload; the device SDK returns one with its receipt.
 * The token is an HMAC over app and message, so `/v1/receipts` needs no API key on the
 * device and a receipt cannot be forged for another message.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function receiptToken(secret: string, appId: string, messageId: string): string {
  return createHmac('sha256', secret).update(`${appId}:${messageId}`).digest('base64url');
}

export function verifyReceiptToken(secret: string, appId: string, messageId: string, token: string): boolean {
  const expected = Buffer.from(receiptToken(secret, appId, messageId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
