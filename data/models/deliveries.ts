import { Schema } from 'mongoose';
import { CHANNELS, MESSAGE_CATEGORIES, type Channel, type MessageCategory } from '../../domain/messages';
import type { ConsentUsed } from '../../gate/sendGate';
import { tenantScoped } from '../tenantScope';

/** `skipped`: a batch send's record of a recipient the gate or the template kept out (`decision.reason` says why). */
export const DELIVERY_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * The idempotency record of one provider call. `_id` is deterministic
 * (`{messageId}:{channel}[:{device}]`): written `pending` before the call, completed after,
 * and passed to the provider as its idempotency key, so a retried or replayed activity
 * never sends twice.
 */
export interface DeliveryDoc {
  _id: string;
  appId: string;
  messageId: string;
  profileId: string;
  channel: Channel;
  category: MessageCategory;
  recipient: string;
  state: DeliveryState;
  attempts: number;
  providerMessageId?: string;
  error?: string;
  /** The provider's HTTP status of the refusal in `error`. */
  errorStatus?: number;
  /** While `pending`: until when the attempt that claimed it may be calling the provider. */
  leaseUntil?: Date;
  /** While `pending`: the attempt holding the lease (batch sends, activities/sendBatch.ts). */
  leaseOwner?: string;
  /** Batch sends: the batch it was sent in (`send:3`, `fallback:3`), whose receipt tally counts it (messages/receiptTally.ts). */
  batchId?: string;
  /** The gate's answer and what it was based on: for commercial SMS and e-mail, the consent record it used. */
  decision: { allowed: boolean; reason: string; consent?: ConsentUsed };
  createdAt: Date;
  sentAt?: Date;
  /** Batch pushes: when the device first said it had it (a receipt), and opened it. */
  receivedAt?: Date;
  openedAt?: Date;
  /** A campaign's recall: when the device said it removed the notification. */
  removedAt?: Date;
}

export const deliverySchema = new Schema<DeliveryDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    messageId: { type: String, required: true },
    profileId: { type: String, required: true },
    channel: { type: String, enum: CHANNELS, required: true },
    category: { type: String, enum: MESSAGE_CATEGORIES, required: true },
    recipient: { type: String, required: true },
    state: { type: String, enum: DELIVERY_STATES, required: true },
    attempts: { type: Number, default: 0 },
    providerMessageId: String,
    error: String,
    errorStatus: Number,
    leaseUntil: Date,
    leaseOwner: String,
    batchId: String,
    decision: { allowed: Boolean, reason: String, consent: { type: Schema.Types.Mixed, default: undefined } },
    sentAt: Date,
    receivedAt: Date,
    openedAt: Date,
    removedAt: Date,
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
deliverySchema.index({ appId: 1, messageId: 1 });
deliverySchema.plugin(tenantScoped);
