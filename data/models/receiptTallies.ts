import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * The device receipts of one batch of a batch send (a campaign page, a journey step's batch),
 * counted as they arrive: `delivered` is the number of its push deliveries a device confirmed,
 * each counted once (`counted` holds their ids, at most a batch's deliveries), so a progress
 * read sums a few numbers instead of reading the ledger. `_id` `{appId}:{sendKey}:{batchId}`.
 */
export interface ReceiptTallyDoc {
  _id: string;
  appId: string;
  messageId: string;
  batchId: string;
  delivered: number;
  counted: string[];
}

export const receiptTallySchema = new Schema<ReceiptTallyDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    messageId: { type: String, required: true },
    batchId: { type: String, required: true },
    delivered: { type: Number, default: 0 },
    counted: { type: [String], default: [] },
  },
  { versionKey: false },
);
receiptTallySchema.plugin(tenantScoped);
