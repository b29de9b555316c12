/** Finding and creating profiles by their external or anonymous id, through the profileKeys collection. */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { ProfileKeyKind } from '../data/models/profileKeys';
import { newProfileId } from '../lib/ids';

export type ProfileRef = { externalId: string } | { anonymousId: string };

export function profileKey(appId: string, ref: ProfileRef): { _id: string; kind: ProfileKeyKind } {
  return 'externalId' in ref ? { _id: `${appId}:x:${ref.externalId}`, kind: 'x' } : { _id: `${appId}:a:${ref.anonymousId}`, kind: 'a' };
}

export async function findProfileId(db: Db, appId: string, ref: ProfileRef): Promise<string | undefined> {
  const key = await db.profileKeys.findOne({ _id: profileKey(appId, ref)._id }).lean();
  return key?.profileId;
}

/** The profile id the key names, creating key and profile document on first use. Answers whether this call created it. */
export async function ensureProfileId(db: Db, appId: string, ref: ProfileRef): Promise<{ profileId: string; created: boolean }> {
  const { _id } = profileKey(appId, ref);
  let profileId = newProfileId(appId);
  let created = true;
  try {
    await db.profileKeys.create({ _id, appId, profileId });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const existing = await db.profileKeys.findOne({ _id }).lean();
    if (!existing) throw err;
    profileId = existing.profileId;
    created = false;
  }
  // Also when the key existed: a writer that died between the two inserts left a key without its profile.
  const ids = 'externalId' in ref ? { externalId: ref.externalId } : { anonymousIds: [ref.anonymousId] };
  await db.profiles.updateOne({ _id: profileId }, { $setOnInsert: { appId, ...ids, devices: [], attributes: {} } }, { upsert: true });
  return { profileId, created };
}

/** The profile id of each ref, in order, creating profiles for refs seen for the first time. */
export async function resolveProfileIds(db: Db, appId: string, refs: ProfileRef[]): Promise<string[]> {
  const keyIds = refs.map((r) => profileKey(appId, r)._id);
  const found = new Map<string, string>();
  // One `_id` lookup per distinct key: FerretDB answers `{_id}` from its index but scans for `{_id: {$in}}`.
  const keys = await Promise.all([...new Set(keyIds)].map((_id) => db.profileKeys.findOne({ _id }, { profileId: 1 }).lean()));
  for (const k of keys) if (k) found.set(k._id, k.profileId);
  for (const [i, keyId] of keyIds.entries()) {
    if (!found.has(keyId)) found.set(keyId, (await ensureProfileId(db, appId, refs[i]!)).profileId);
  }
  return keyIds.map((k) => found.get(k)!);
}
