/** Upsert a profile by externalId, with its devices. Safe under concurrent upserts of the same person. */
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { attachDevice } from '../data/profileDevices';
import { localId } from '../lib/ids';
import { ensureProfileId } from './profileKeys';
import { validateAttributes } from '../attributes/registry';
import { InvalidInputError } from '../lib/invalidInput';
import type { ProfileUpsert, ProfileView } from './schemas';

export function toProfileView(p: ProfileDoc): ProfileView {
  return {
    id: localId(p._id),
    ...(p.externalId ? { externalId: p.externalId } : {}),
    ...(p.anonymousIds?.length ? { anonymousIds: p.anonymousIds } : {}),
    ...(p.email ? { email: p.email } : {}),
    ...(p.msisdn ? { msisdn: p.msisdn } : {}),
    attributes: Object.fromEntries(Object.entries(p.attributes ?? {}).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
    devices: (p.devices ?? []).map(({ uninstalledAt, ...d }) => ({ ...d, updatedAt: d.updatedAt.toISOString(), ...(uninstalledAt ? { uninstalledAt: uninstalledAt.toISOString() } : {}) })),
    consents: Object.fromEntries(Object.entries(p.consents ?? {}).map(([type, c]) => [type, { status: c.status, recipientType: c.recipientType, consentDate: c.consentDate.toISOString() }])),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** Checked attribute values as the profile update's $set and $unset (null removes one). */
export function attributeWrites(values: Record<string, unknown>): { set: Record<string, unknown>; unset: Record<string, 1> } {
  const set: Record<string, unknown> = {};
  const unset: Record<string, 1> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === null) unset[`attributes.${name}`] = 1;
    else set[`attributes.${name}`] = value;
  }
  return { set, unset };
}

export async function upsertProfile(db: Db, appId: string, input: ProfileUpsert): Promise<{ profile: ProfileDoc; created: boolean }> {
  // Everything is checked before the first write, so a bad attribute changes nothing.
  const { values, issues } = input.attributes ? await validateAttributes(db, appId, input.attributes, 'body.attributes') : { values: {}, issues: [] };
  if (issues.length > 0) throw new InvalidInputError(issues);

  const { profileId, created } = await ensureProfileId(db, appId, input.externalId !== undefined ? { externalId: input.externalId } : { anonymousId: input.anonymousId! });
  const { set, unset } = attributeWrites(values);
  if (input.email !== undefined) set.email = input.email;
  if (input.msisdn !== undefined) set.msisdn = input.msisdn;
  if (Object.keys(set).length > 0 || Object.keys(unset).length > 0) {
    await db.profiles.updateOne({ _id: profileId }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) });
  }
  for (const device of input.devices ?? []) await attachDevice(db, appId, profileId, device);
  const profile = await db.profiles.findOne({ _id: profileId }).lean();
  if (!profile) throw new Error(`profile ${profileId} vanished during upsert`);
  return { profile, created };
}
