import { Schema } from 'mongoose';
import { MESSAGE_CATEGORIES, MESSAGE_STATUSES, type MessageCategory, type MessageStatus, type MessageStep } from '../../domain/messages';
import { tenantScoped } from '../tenantScope';

/** One message to one profile: its content, and the timeline the operator reads. */
export interface MessageDoc {
  /** `{appId}:{messageId}` */
  _id: string;
  /** The public id (a UUID). */
  messageId: string;
  appId: string;
  profileId: string;
  externalId: string;
  category: MessageCategory;
  push: { title: string; body: string };
  sms?: { text: string };
  smsFallback: boolean;
  fallbackTimeoutMs: number;
  idempotencyKey?: string;
  /** Hash of the request body, to tell a retry (same body) from a reused key (409). */
  requestHash: string;
  /** The status the message was accepted with; `progress` holds the furthest it has gone since (data/messageTimeline.ts). */
  status: MessageStatus;
  progress?: { rank: number; status: MessageStatus };
  timeline: Partial<Record<MessageStep, Date>>;
  /** Why a channel was skipped, by channel. */
  reasons: Partial<Record<'push' | 'sms', string>>;
  createdAt: Date;
  updatedAt: Date;
}

export const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String, required: true },
    messageId: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    externalId: { type: String, required: true },
    category: { type: String, enum: MESSAGE_CATEGORIES, required: true },
    push: { title: { type: String, required: true }, body: { type: String, required: true } },
    sms: { text: String },
    smsFallback: { type: Boolean, required: true },
    requestHash: { type: String, required: true },
    fallbackTimeoutMs: { type: Number, required: true },
    idempotencyKey: String,
    status: { type: String, enum: MESSAGE_STATUSES, required: true },
    progress: { type: Schema.Types.Mixed, default: undefined },
    timeline: { type: Schema.Types.Mixed, default: {} },
    reasons: { type: Schema.Types.Mixed, default: {} },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
messageSchema.index({ appId: 1, profileId: 1, createdAt: -1 });
messageSchema.plugin(tenantScoped);
