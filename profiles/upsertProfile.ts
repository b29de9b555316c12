/** Upsert a profile by externalId, with its devices. Safe under concurrent upserts of the same person. */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { attachDevice } from '../data/profileDevices';
import { newProfileId } from '../lib/ids';
import type { ProfileUpsert, ProfileView } from './schemas';

export function toProfileView(p: ProfileDoc): ProfileView {
  return {
    id: p._id,
    externalId: p.externalId,
    ...(p.email ? { email: p.email } : {}),
    ...(p.msisdn ? { msisdn: p.msisdn } : {}),
    devices: p.devices.map((d) => ({ ...d, updatedAt: d.updatedAt.toISOString() })),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export async function upsertProfile(db: Db, appId: string, input: ProfileUpsert): Promise<{ profile: ProfileDoc; created: boolean }> {
  const set: Partial<ProfileDoc> = {};
  if (input.email !== undefined) set.email = input.email;
  if (input.msisdn !== undefined) set.msisdn = input.msisdn;
  const filter = { appId, externalId: input.externalId };
  const upsert = () => db.profiles.updateOne(filter, { $set: set, $setOnInsert: { _id: newProfileId(), devices: [], attributes: {} } }, { upsert: true });
  let res;
  try {
    res = await upsert();
  } catch (err) {
    // Two first writes for one person raced; the loser's upsert becomes an update.
    if (!isDuplicateKey(err)) throw err;
    res = await upsert();
  }
  const created = res.upsertedCount > 0;
  const profile = await db.profiles.findOne(filter).lean();
  if (!profile) throw new Error(`profile ${input.externalId} vanished during upsert`);

  for (const device of input.devices ?? []) await attachDevice(db, appId, profile._id, device);
  const fresh = input.devices?.length ? await db.profiles.findOne(filter).lean() : profile;
  return { profile: fresh ?? profile, created };
}
