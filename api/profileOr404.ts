/** The profile an externalId names, or the 404 every profile route answers when there is none. */
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { findProfileId } from '../profiles/profileKeys';
import { ApiError } from './errors';

export async function profileOr404(db: Db, appId: string, externalId: string): Promise<ProfileDoc> {
  const profileId = await findProfileId(db, appId, { externalId });
  const profile = profileId ? await db.profiles.findOne({ _id: profileId }).lean() : null;
  if (!profile) throw new ApiError(404, 'not_found', `no profile with externalId ${externalId}`);
  return profile;
}
