/**
 * Identity merge (`POST /v1/identify`): the person behind an anonymousId is now known by an
 * externalId. The common case needs no move: the anonymous profile simply takes the
 * externalId (or the known profile takes the anonymousId). When both profiles exist, the
 * anonymous one is merged into the known one: attributes (known values win), channels,
 * devices, events and counters move, and the anonymous profile is deleted last.
 *
 * Every step is idempotent, so a retried or racing merge of the same pair converges on one
 * profile holding everything: keys are re-pointed (same result twice), attributes are set
 * only where absent, events and counters move once each (events/counters.ts moveEventsAndCounters).
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import { attachDevice } from '../data/profileDevices';
import type { ProfileDoc } from '../data/models/profiles';
import { moveEventsAndCounters } from '../events/counters';
import { newProfileId } from '../lib/ids';
import { profileKey } from './profileKeys';

export class IdentityConflictError extends Error {}

/** Points key `_id` at `profileId` unless it names another profile already; answers the profile it names. */
async function claimKey(db: Db, appId: string, _id: string, profileId: string): Promise<string> {
  try {
    await db.profileKeys.create({ _id, appId, profileId });
    return profileId;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return (await db.profileKeys.findOne({ _id }).lean())!.profileId;
  }
}

async function mergeInto(db: Db, appId: string, anon: ProfileDoc, knownId: string): Promise<void> {
  // The claim: a profile merges into one known profile only.
  const claimed = await db.profiles.updateOne({ _id: anon._id, $or: [{ mergedInto: { $exists: false } }, { mergedInto: knownId }] }, { $set: { mergedInto: knownId } });
  if (claimed.matchedCount === 0) throw new IdentityConflictError('the anonymous profile is being merged into another profile');

  // New events and lookups reach the known profile from here on.
  for (const anonymousId of anon.anonymousIds ?? []) {
    await db.profileKeys.updateOne({ _id: profileKey(appId, { anonymousId })._id }, { $set: { profileId: knownId } });
    await db.profiles.updateOne({ _id: knownId }, { $addToSet: { anonymousIds: anonymousId } });
  }
  for (const [name, value] of Object.entries(anon.attributes ?? {})) {
    await db.profiles.updateOne({ _id: knownId, [`attributes.${name}`]: { $exists: false } }, { $set: { [`attributes.${name}`]: value } });
  }
  for (const channel of ['email', 'msisdn'] as const) {
    if (anon[channel]) await db.profiles.updateOne({ _id: knownId, [channel]: { $exists: false } }, { $set: { [channel]: anon[channel] } });
  }
  for (const { updatedAt: _u, ...device } of anon.devices ?? []) await attachDevice(db, appId, knownId, device);
  await moveEventsAndCounters(db, appId, anon._id, knownId);
  await db.profiles.deleteOne({ _id: anon._id });
}

/** Joins anonymousId to externalId; answers the known profile's id and whether two profiles were merged. */
export async function identify(db: Db, appId: string, anonymousId: string, externalId: string): Promise<{ profileId: string; merged: boolean }> {
  const anonKey = profileKey(appId, { anonymousId })._id;
  const knownKey = profileKey(appId, { externalId })._id;
  const [anonRef, knownRef] = await Promise.all([db.profileKeys.findOne({ _id: anonKey }).lean(), db.profileKeys.findOne({ _id: knownKey }).lean()]);

  if (!knownRef && anonRef) {
    // Promotion: the anonymous profile takes the externalId, unless a racing request created the known profile first.
    const anon = await db.profiles.findOne({ _id: anonRef.profileId }).lean();
    if (anon?.externalId) throw new IdentityConflictError(`anonymousId ${anonymousId} already belongs to externalId ${anon.externalId}`);
    const owner = await claimKey(db, appId, knownKey, anonRef.profileId);
    if (owner === anonRef.profileId) {
      await db.profiles.updateOne({ _id: owner }, { $set: { externalId } });
      return { profileId: owner, merged: false };
    }
    return identify(db, appId, anonymousId, externalId);
  }

  const knownId = knownRef?.profileId ?? (await claimKey(db, appId, knownKey, newProfileId(appId)));
  await db.profiles.updateOne({ _id: knownId }, { $setOnInsert: { appId, externalId, attributes: {} } }, { upsert: true });
  if (!anonRef) {
    const owner = await claimKey(db, appId, anonKey, knownId);
    if (owner !== knownId) return identify(db, appId, anonymousId, externalId);
    await db.profiles.updateOne({ _id: knownId }, { $addToSet: { anonymousIds: anonymousId } });
    return { profileId: knownId, merged: false };
  }

  // Both exist. The anonymous key may already name the known profile (a repeated or finished merge);
  // a profile left with mergedInto by a merge that died midway is finished here.
  const leftovers = await db.profiles.find({ appId, mergedInto: knownId }).lean();
  const anon = anonRef.profileId === knownId ? undefined : await db.profiles.findOne({ _id: anonRef.profileId }).lean();
  if (anon?.externalId && anon.externalId !== externalId) throw new IdentityConflictError(`anonymousId ${anonymousId} already belongs to externalId ${anon.externalId}`);
  const toMerge = [...leftovers, ...(anon && !leftovers.some((l) => l._id === anon._id) ? [anon] : [])];
  for (const p of toMerge) await mergeInto(db, appId, p, knownId);
  return { profileId: knownId, merged: toMerge.length > 0 };
}
