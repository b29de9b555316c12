/**
 * API keys: `rota_<id>_<secret>`. The id is public and indexes the record; only the
 * SHA-256 of the secret is stored, and a key is shown once, when it is created.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../data/db';
import { API_KEY_FORMAT, ROLES, type Role } from '../domain/auth';
import { randomToken, sha256 } from '../lib/ids';

export interface VerifiedKey {
  keyId: string;
  appId: string;
  roles: Role[];
}

const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateApiKey(): string {
  return `rota_${randomToken(8)}_${randomToken(32, SECRET_ALPHABET)}`;
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const m = API_KEY_FORMAT.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

/** Stores `key` (generated when absent) for `appId`; idempotent for the same key. Answers the plain key. */
export async function saveApiKey(db: Db, input: { appId: string; name: string; roles: Role[]; key?: string }): Promise<string> {
  const key = input.key ?? generateApiKey();
  const parsed = parseApiKey(key);
  if (!parsed) throw new Error('malformed API key');
  await db.apiKeys.updateOne(
    { _id: parsed.id },
    { $set: { appId: input.appId, name: input.name, roles: input.roles, secretHash: sha256(parsed.secret) } },
    { upsert: true },
  );
  return key;
}

export type RevokeOutcome = 'revoked' | 'not_found' | 'last_admin';

/**
 * Revokes a key of `appId`, unless it is the app's last admin key: then nothing else could
 * create or revoke keys for the app. Two revocations of the last two admin keys at once must
 * not both go, so an admin key is first marked as going, and only then are the admin keys
 * not marked counted: of two concurrent revocations, the later count sees the earlier mark,
 * so at most one finds another admin key left (both may find none and refuse; a retry then
 * succeeds). A refused revocation takes its mark back.
 */
export async function revokeApiKey(db: Db, appId: string, keyId: string): Promise<RevokeOutcome> {
  const key = await db.apiKeys.findOne({ _id: keyId, appId }, { roles: 1 }).lean();
  if (!key) return 'not_found';
  if (key.roles.includes('admin')) {
    const marked = await db.apiKeys.updateOne({ _id: keyId, appId }, { $set: { revokingAt: new Date() } });
    if (marked.matchedCount === 0) return 'not_found';
    const othersLeft = await db.apiKeys.countDocuments({ appId, roles: 'admin', revokingAt: { $exists: false } });
    if (othersLeft === 0) {
      await db.apiKeys.updateOne({ _id: keyId, appId }, { $unset: { revokingAt: 1 } });
      return 'last_admin';
    }
  }
  const { deletedCount } = await db.apiKeys.deleteOne({ _id: keyId, appId });
  return deletedCount === 0 ? 'not_found' : 'revoked';
}

export async function verifyApiKey(db: Db, key: string): Promise<VerifiedKey | undefined> {
  const parsed = parseApiKey(key);
  if (!parsed) return undefined;
  const record = await db.apiKeys.findById(parsed.id).lean();
  if (!record) return undefined;
  const given = Buffer.from(sha256(parsed.secret));
  const stored = Buffer.from(record.secretHash);
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
  return { keyId: record._id, appId: record.appId, roles: record.roles };
}

export const DEMO_APP_ID = 'demo';

/** The demo tenant `npm run dev` seeds: one app and one key holding every role. */
export async function seedDemoApp(db: Db, key?: string): Promise<string> {
  await db.apps.updateOne({ _id: DEMO_APP_ID }, { $setOnInsert: { name: 'Demo app' } }, { upsert: true });
  return saveApiKey(db, { appId: DEMO_APP_ID, name: 'demo key', roles: [...ROLES], key });
}
