import { Schema } from 'mongoose';
import { CONSENT_STATUSES, CONSENT_TYPES, RECIPIENT_TYPES, type ConsentStatus, type ConsentType, type RecipientType } from '../../iys/consent';
import { tenantScoped } from '../tenantScope';

/** Where a change came from: Rota's API or bulk import, İYS's changes feed, or Rota's own push to İYS. */
export const CONSENT_ORIGINS = ['api', 'import', 'iys_sync', 'iys_push'] as const;
export type ConsentOrigin = (typeof CONSENT_ORIGINS)[number];

/**
 * İYS delivery of one change. Stored on the change: `pending` (to be sent) or `not_needed`
 * (it came from İYS). İYS's answer is a separate insert-only outcome (iysOutcomes), which
 * turns a pending change into `delivered`, `rejected` or `skipped` (Sync mode, no İYS record).
 */
export const IYS_DELIVERY_STATES = ['pending', 'delivered', 'rejected', 'skipped', 'not_needed'] as const;
export type IysDeliveryState = (typeof IYS_DELIVERY_STATES)[number];

/** Who made a change: an API key, or a named job (import run, İYS sync). */
export interface ConsentActor {
  keyId?: string;
  job?: string;
}

/**
 * One accepted consent change, in the order İYS must receive it. Insert-only; `_id` is
 * `{appId}:{type}:{recipient}:{seq}` with `seq` counting the changes of that recipient
 * and type, so the Integrator reads a recipient's changes by `_id` in order and a racing
 * writer that picked the same `seq` gets a duplicate key instead of a silent reorder.
 * Only the `iys` delivery fields are written later, by the Integrator.
 */
export interface ConsentChangeDoc {
  _id: string;
  appId: string;
  profileId: string;
  type: ConsentType;
  recipient: string;
  seq: number;
  recipientType: RecipientType;
  status: ConsentStatus;
  source: string;
  consentDate: Date;
  origin: ConsentOrigin;
  actor: ConsentActor;
  /** The apply call that wrote it: tells this writer's own retried insert from a racing writer's. */
  writeId: string;
  iys: {
    state: IysDeliveryState;
    attempts: number;
    transactionId?: string;
    /** İYS's answer code when it refused (H-code) and its message. */
    code?: string;
    message?: string;
    at?: Date;
  };
  createdAt: Date;
}

export const consentChangeSchema = new Schema<ConsentChangeDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    type: { type: String, enum: CONSENT_TYPES, required: true },
    recipient: { type: String, required: true },
    seq: { type: Number, required: true },
    recipientType: { type: String, enum: RECIPIENT_TYPES, required: true },
    status: { type: String, enum: CONSENT_STATUSES, required: true },
    source: { type: String, required: true },
    consentDate: { type: Date, required: true },
    origin: { type: String, enum: CONSENT_ORIGINS, required: true },
    actor: { keyId: String, job: String },
    writeId: { type: String, required: true },
    iys: {
      state: { type: String, enum: IYS_DELIVERY_STATES, required: true },
      attempts: { type: Number, default: 0 },
      transactionId: String,
      code: String,
      message: String,
      at: Date,
    },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
consentChangeSchema.index({ appId: 1, 'iys.state': 1 });
consentChangeSchema.plugin(tenantScoped);
