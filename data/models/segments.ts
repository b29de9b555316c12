import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/** A saved segment: a rule tree (segments/rules.ts), validated against the registry when saved. `_id` is `{appId}:{segmentId}`. */
export interface SegmentDoc {
  _id: string;
  appId: string;
  name: string;
  description?: string;
  rule: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export const segmentSchema = new Schema<SegmentDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    rule: { type: Schema.Types.Mixed, required: true },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
segmentSchema.plugin(tenantScoped);
