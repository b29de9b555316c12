/**
 * Personal-data erasure: the profile, its keys, devices, events, behavioural counters and
 * consent changes go; delivery, message and consent-audit records stay (they are the send
 * and consent audit) but lose everything that identifies the person. The profile is marked first and deleted last, so
 * a run that dies midway is finished by the next request instead of leaving identifying
 * records behind.
 */
import type { Db } from '../data/db';
import { capLedgerId } from '../gate/capLedger';

export const ERASED = 'erased';

export async function eraseProfile(db: Db, appId: string, profileId: string): Promise<void> {
  await db.profiles.updateOne({ _id: profileId }, { $set: { erasing: true } });
  await db.deliveries.updateMany({ appId, profileId }, { $set: { recipient: ERASED, profileId: ERASED } });
  await db.messages.updateMany({ appId, profileId }, { $set: { externalId: ERASED, profileId: ERASED } });
  await db.events.deleteMany({ appId, profileId });
  await db.eventCounters.deleteMany({ appId, profileId });
  // `before` first: the second update changes the profileId both select by.
  await db.consentAudit.updateMany({ appId, profileId, before: { $exists: true } }, { $set: { 'before.recipient': ERASED } });
  await db.consentAudit.updateMany(
    { appId, profileId },
    { $set: { recipient: ERASED, 'after.recipient': ERASED, externalId: ERASED, changeId: ERASED, profileId: ERASED } },
  );
  await db.consentChanges.deleteMany({ appId, profileId });
  await db.profileKeys.deleteMany({ appId, profileId });
  // The frequency-cap ledger names the profile's messages and days.
  await db.capLedgers.deleteOne({ _id: capLedgerId(profileId) });
  await db.profiles.deleteOne({ _id: profileId });
}
