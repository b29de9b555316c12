/**
 * Secrets at rest (an app's provider credentials): AES-256-GCM under a key derived with HKDF
 * from `CREDENTIALS_KEY`, or from `RECEIPT_SECRET` when that is not set, so a database dump
 * alone does not hand out an app's FCM service account or APNs key. The sealed form is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url); the tenant and channel are bound in as
 * associated data, so a sealed value copied to another app's record does not open.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A sealed value that does not open: sealed under another key, for another record, or damaged. */
export class UnreadableSecretError extends Error {
  override name = 'UnreadableSecretError';
}

export interface SecretBox {
  seal(plain: unknown, context: string): string;
  open<T>(sealed: string, context: string): T;
}

export function createSecretBox(secret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'rota', 'rota channel credentials v1', 32));
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open<T>(sealed: string, context: string): T {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new UnreadableSecretError('not a sealed secret');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as T;
      } catch {
        throw new UnreadableSecretError('the sealed secret does not open with this key');
      }
    },
  };
}
