import { Schema } from 'mongoose';
import { CAMPAIGN_STATES, CHANNEL_PLANS, type CampaignSchedule, type CampaignState, type ChannelPlan } from '../../domain/campaigns';
import type { MessageCategory } from '../../domain/messages';
import { tenantScoped } from '../tenantScope';

/** A campaign, `_id` `{appId}:{campaignId}`: its definition (editable while a draft), its state and the audience snapshot's size. */
export interface CampaignDoc {
  _id: string;
  appId: string;
  campaignId: string;
  name: string;
  audience: { segmentId?: string; rule?: unknown };
  channelPlan: ChannelPlan;
  /** push_then_sms: the SMS goes to recipients whose push got no receipt within this many seconds. */
  fallbackAfterSeconds?: number;
  template: { id: string; version?: number };
  category: MessageCategory;
  schedule: CampaignSchedule;
  state: CampaignState;
  /** Recipients in the snapshot, and its pages; set once, when the snapshot is complete. */
  audienceSize?: number;
  pageCount?: number;
  startedAt?: Date;
  finishedAt?: Date;
  /** When the first and the latest batch finished: the campaign's rate and ETA. */
  firstBatchAt?: Date;
  lastBatchAt?: Date;
  stateChangedAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export const campaignSchema = new Schema<CampaignDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    campaignId: { type: String, required: true },
    name: { type: String, required: true },
    audience: { type: Schema.Types.Mixed, required: true },
    channelPlan: { type: String, enum: CHANNEL_PLANS, required: true },
    fallbackAfterSeconds: Number,
    template: { type: Schema.Types.Mixed, required: true },
    category: { type: String, required: true },
    schedule: { type: Schema.Types.Mixed, required: true },
    state: { type: String, enum: CAMPAIGN_STATES, required: true },
    audienceSize: Number,
    pageCount: Number,
    startedAt: Date,
    finishedAt: Date,
    firstBatchAt: Date,
    lastBatchAt: Date,
    stateChangedAt: { type: Date, required: true },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
campaignSchema.plugin(tenantScoped);
campaignSchema.index({ appId: 1, createdAt: -1 });

/**
 * One page of the audience snapshot, `_id` `{appId}:{campaignId}:{page}`: up to 500 profile
 * ids in `_id` order, what one batch sends, read by its `_id` (2 000 documents for a million
 * recipients, each far below the 16 MB limit).
 */
export interface CampaignRecipientDoc {
  _id: string;
  appId: string;
  campaignId: string;
  page: number;
  profileIds: string[];
  /** Local-time schedules: the recipients' zone, and when the page is due (that time of day there). */
  zone?: string;
  sendAt?: Date;
  /**
   * Push → SMS: the page's fallback decision, written once by its first attempt (when the
   * receipts were read, how many recipients had one, who gets the SMS), so a retried fallback
   * sends to the same recipients whatever receipts came since.
   */
  fallback?: { receiptsReadAt: Date; receiptsSeen: number; profileIds: string[] };
}

export const campaignRecipientSchema = new Schema<CampaignRecipientDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    campaignId: { type: String, required: true },
    page: { type: Number, required: true },
    profileIds: { type: [String], required: true },
    zone: String,
    sendAt: Date,
    fallback: { type: { receiptsReadAt: Date, receiptsSeen: Number, profileIds: [String] }, default: undefined },
  },
  { versionKey: false },
);
campaignRecipientSchema.plugin(tenantScoped);

export const CAMPAIGN_BATCH_KINDS = ['send', 'fallback', 'recall'] as const;
export type CampaignBatchKind = (typeof CAMPAIGN_BATCH_KINDS)[number];

/**
 * One finished batch, `_id` `{appId}:{campaignId}:{kind}:{batchNo}`, written (replaced) each
 * time the batch activity finishes: its counts are the ledger's for those recipients, so the
 * campaign's progress is the sum over its batches and a repeated batch counts once.
 */
export interface CampaignBatchDoc {
  _id: string;
  appId: string;
  campaignId: string;
  kind: CampaignBatchKind;
  batchNo: number;
  channel: string;
  recipients: number;
  sent: number;
  failed: number;
  skipped: number;
  deferred: number;
  reasons: Record<string, number>;
  /** Fallback batches: when the pushes' receipts were read (a receipt written after it did not stop the SMS), and how many recipients had one then. */
  receiptsReadAt?: Date;
  receiptsSeen?: number;
  finishedAt: Date;
}

export const campaignBatchSchema = new Schema<CampaignBatchDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    campaignId: { type: String, required: true },
    kind: { type: String, enum: CAMPAIGN_BATCH_KINDS, required: true },
    batchNo: { type: Number, required: true },
    channel: { type: String, required: true },
    recipients: Number,
    sent: Number,
    failed: Number,
    skipped: Number,
    deferred: Number,
    reasons: { type: Schema.Types.Mixed, default: {} },
    receiptsReadAt: Date,
    receiptsSeen: Number,
    finishedAt: Date,
  },
  { versionKey: false, minimize: false },
);
campaignBatchSchema.plugin(tenantScoped);
campaignBatchSchema.index({ appId: 1, campaignId: 1 });
