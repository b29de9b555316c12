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
