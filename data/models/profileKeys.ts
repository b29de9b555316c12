import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * The ways to find a profile (`x` = externalId, `a` = anonymousId), each a document whose
 * `_id` is the key: `{appId}:{kind}:{value}`. Lookups are `_id` lookups (the one filter
 * FerretDB's SQLite backend answers from an index rather than a scan), uniqueness is the
 * `_id`'s own (FerretDB does not enforce unique multikey indexes), and the first insert of
 * a key decides which profile it names, so racing first writes agree.
 */
export type ProfileKeyKind = 'x' | 'a';

export interface ProfileKeyDoc {
  _id: string;
  appId: string;
  profileId: string;
  createdAt: Date;
}

export const profileKeySchema = new Schema<ProfileKeyDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
profileKeySchema.index({ appId: 1, profileId: 1 });
profileKeySchema.plugin(tenantScoped);
