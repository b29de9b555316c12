import { Schema } from 'mongoose';
import { CONSENT_TYPES, type ConsentStatus, type ConsentType, type RecipientType } from '../../iys/consent';
import { tenantScoped } from '../tenantScope';
import { CONSENT_ORIGINS, type ConsentActor, type ConsentOrigin } from './consentChanges';

/** A consent as it stood before or after a change. */
export interface ConsentSnapshot {
  status: ConsentStatus;
  recipientType: RecipientType;
  consentDate: Date;
  recipient: string;
  source?: string;
}

/**
 * The consent audit log: one entry per accepted change, appended and never rewritten, with
 * one exception: personal-data erasure (profiles/eraseProfile.ts) replaces the recipient
 * and ids, keeping what was decided and when. `_id` is random (`{appId}:aud_{uuid}`), not
 * derived from the recipient, so an erased entry keeps nothing that names the person.
 */
export interface ConsentAuditDoc {
  _id: string;
  appId: string;
  profileId: string;
  externalId: string;
  type: ConsentType;
  recipient: string;
  changeId: string;
  /** Absent for the first consent of this type on the profile. */
  before?: ConsentSnapshot;
  after: ConsentSnapshot;
  origin: ConsentOrigin;
  actor: ConsentActor;
  at: Date;
}

export const consentAuditSchema = new Schema<ConsentAuditDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    externalId: { type: String, required: true },
    type: { type: String, enum: CONSENT_TYPES, required: true },
    recipient: { type: String, required: true },
    changeId: { type: String, required: true },
    before: { type: Schema.Types.Mixed, default: undefined },
    after: { type: Schema.Types.Mixed, required: true },
    origin: { type: String, enum: CONSENT_ORIGINS, required: true },
    actor: { keyId: String, job: String },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
consentAuditSchema.index({ appId: 1, at: 1 });
consentAuditSchema.index({ appId: 1, externalId: 1, at: 1 });
consentAuditSchema.plugin(tenantScoped);
