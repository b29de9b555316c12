import { Schema } from 'mongoose';
import { MESSAGE_CATEGORIES, MESSAGE_STATUSES, type Channel, type MessageCategory, type MessageStatus, type MessageStep } from '../../domain/messages';
import type { EmailContent, PushContent, SmsContent } from '../../templates/channels';
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
  /** Inline content per channel (Liquid, rendered at send time); absent when the message names a template. */
  push?: PushContent;
  sms?: SmsContent;
  email?: EmailContent;
  /** The template version the message was accepted with (pinned: a retry renders the same one) and its send-time variables as JSON. */
  template?: { id: string; version: number; variablesJson?: string };
  /** The channels tried, in order; absent on messages accepted before channel orders (push, then SMS when `smsFallback`). */
  channels?: Channel[];
  smsFallback: boolean;
  fallbackTimeoutMs: number;
  idempotencyKey?: string;
  /** The journey run that sent it (its workflow id): an open of the push is told to the run, whose step may branch on a click. */
  journeyRun?: string;
  /** Hash of the request body, to tell a retry (same body) from a reused key (409). */
  requestHash: string;
  /** The status the message was accepted with; `progress` holds the furthest it has gone since (data/messageTimeline.ts). */
  status: MessageStatus;
  progress?: { rank: number; status: MessageStatus };
  timeline: Partial<Record<MessageStep, Date>>;
  /** Why a channel was skipped, by channel. */
  reasons: Partial<Record<Channel, string>>;
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
    push: { type: Schema.Types.Mixed, default: undefined },
    sms: { type: Schema.Types.Mixed, default: undefined },
    email: { type: Schema.Types.Mixed, default: undefined },
    template: { type: Schema.Types.Mixed, default: undefined },
    journeyRun: String,
    channels: { type: [String], default: undefined },
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
