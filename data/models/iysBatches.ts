import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * One list of ≤1000 changes sent through İYS's async batch API. `_id` is derived from the
 * outbox round and the chunk, so a retried submission finds the requestId of the first
 * and asks for its results instead of sending the list again.
 */
export interface IysBatchDoc {
  _id: string;
  appId: string;
  requestId: string;
  submittedAt: Date;
  /** The change of each item, by the item's index in the request. */
  changeIds: string[];
  /** Each change's writeId, by the same index: what its outcome is filed under. */
  writeIds: string[];
}

export const iysBatchSchema = new Schema<IysBatchDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    requestId: { type: String, required: true },
    submittedAt: { type: Date, required: true },
    changeIds: { type: [String], required: true },
    writeIds: { type: [String], required: true },
  },
  { versionKey: false },
);
iysBatchSchema.plugin(tenantScoped);
