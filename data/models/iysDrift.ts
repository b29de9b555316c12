import { Schema } from 'mongoose';
import { DRIFT_STATUSES, type DriftKind, type DriftStatus } from '../../domain/iysSync';
import type { ConsentStatus, ConsentType, RecipientType } from '../../iys/consent';
import { tenantScoped } from '../tenantScope';

/**
 * A drift report, `_id` `{appId}:{reportId}`: inserted when asked for, completed once.
 * Its differences live in chunks (iysDriftChunks) written by the attempt named here, so
 * a retried scan never mixes its lists with a dead attempt's.
 */
export interface IysDriftReportDoc {
  _id: string;
  appId: string;
  status: DriftStatus;
  requestedAt: Date;
  finishedAt?: Date;
  attempt?: number;
  /** Profiles with a consent summary compared, per type. */
  compared?: Record<string, number>;
  counts?: Record<DriftKind, number>;
  /** Chunks written per kind. */
  chunks?: Record<DriftKind, number>;
  error?: string;
}

export const iysDriftReportSchema = new Schema<IysDriftReportDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    status: { type: String, enum: DRIFT_STATUSES, required: true },
    requestedAt: { type: Date, required: true },
    finishedAt: Date,
    attempt: Number,
    compared: Schema.Types.Mixed,
    counts: Schema.Types.Mixed,
    chunks: Schema.Types.Mixed,
    error: String,
  },
  { versionKey: false },
);
iysDriftReportSchema.plugin(tenantScoped);

export interface DriftItem {
  recipient: string;
  externalId?: string;
  type: ConsentType;
  recipientType: RecipientType;
  rotaStatus: ConsentStatus;
  rotaConsentDate: Date;
}

/** Up to DRIFT_CHUNK differences of one kind, `_id` `{appId}:{reportId}:{attempt}:{kind}:{n}`: read one page by `_id`. */
export interface IysDriftChunkDoc {
  _id: string;
  appId: string;
  items: DriftItem[];
}

export const iysDriftChunkSchema = new Schema<IysDriftChunkDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    items: { type: Schema.Types.Mixed, default: [] },
  },
  { versionKey: false },
);
iysDriftChunkSchema.plugin(tenantScoped);
