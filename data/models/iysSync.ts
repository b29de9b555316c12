import { Schema } from 'mongoose';
import { SYNC_RUN_STATUSES, type SyncCounts, type SyncRunStatus } from '../../domain/iysSync';
import { tenantScoped } from '../tenantScope';

/**
 * An app's position in İYS's changes feed, `_id` `{appId}:iys-sync`: written once per
 * applied page, after the page, so a crash re-pulls a page rather than skipping one.
 */
export interface IysSyncStateDoc {
  _id: string;
  appId: string;
  cursor?: string;
  /** The run that last moved the cursor, and when. */
  runId?: string;
  updatedAt?: Date;
  /**
   * An operator's pause. Kept here rather than read back from the schedule: Temporal applies
   * a pause asynchronously, so a description read right after it may not show it yet.
   */
  pause?: { note: string; at: Date };
}

export const iysSyncStateSchema = new Schema<IysSyncStateDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    cursor: String,
    runId: String,
    updatedAt: Date,
    pause: { type: new Schema({ note: String, at: Date }, { _id: false }), required: false },
  },
  { versionKey: false },
);
iysSyncStateSchema.plugin(tenantScoped);

/** One sync run, `_id` `{appId}:{runId}`: inserted when it starts, completed once with its totals. */
export interface IysSyncRunDoc {
  _id: string;
  appId: string;
  runId: string;
  workflowId: string;
  status: SyncRunStatus;
  startedAt: Date;
  finishedAt?: Date;
  pages: number;
  counts: SyncCounts;
  /** The cursor the run ended at. */
  cursor?: string;
  /** Why it failed or was skipped. */
  reason?: string;
}

const countsSchema = new Schema<SyncCounts>(
  { pulled: Number, applied: Number, unchanged: Number, ignored: Number, unmatched: Number, errors: Number },
  // `errors` is a count here, not mongoose's validation errors.
  { _id: false, suppressReservedKeysWarning: true },
);

export const iysSyncRunSchema = new Schema<IysSyncRunDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    runId: { type: String, required: true },
    workflowId: { type: String, required: true },
    status: { type: String, enum: SYNC_RUN_STATUSES, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: Date,
    pages: { type: Number, default: 0 },
    counts: { type: countsSchema, required: true },
    cursor: String,
    reason: String,
  },
  { versionKey: false },
);
iysSyncRunSchema.index({ appId: 1, startedAt: -1 });
iysSyncRunSchema.plugin(tenantScoped);
