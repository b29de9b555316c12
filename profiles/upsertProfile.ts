/** Upsert a profile by externalId, with its devices. Safe under concurrent upserts of the same person. */
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { attachDevice } from '../data/profileDevices';
import { localId } from '../lib/ids';
import { ensureProfileId } from './profileKeys';
import type { ProfileUpsert, ProfileView } from './schemas';

export function toProfileView(p: ProfileDoc): ProfileView {
  return {
    id: localId(p._id),
    ...(p.externalId ? { externalId: p.externalId } : {}),
    ...(p.email ? { email: p.email } : {}),
    ...(p.msisdn ? { msisdn: p.msisdn } : {}),
    devices: p.devices.map((d) => ({ ...d, updatedAt: d.updatedAt.toISOString() })),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export async function upsertProfile(db: Db, appId: string, input: ProfileUpsert): Promise<{ profile: ProfileDoc; created: boolean }> {
  const { profileId, created } = await ensureProfileId(db, appId, { externalId: input.externalId });
  const set: Partial<ProfileDoc> = {};
  if (input.email !== undefined) set.email = input.email;
  if (input.msisdn !== undefined) set.msisdn = input.msisdn;
  if (Object.keys(set).length > 0) await db.profiles.updateOne({ _id: profileId }, { $set: set });
  for (const device of input.devices ?? []) await attachDevice(db, appId, profileId, device);
  const profile = await db.profiles.findOne({ _id: profileId }).lean();
  if (!profile) throw new Error(`profile ${profileId} vanished during upsert`);
  return { profile, created };
}
