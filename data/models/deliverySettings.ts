import { Schema } from 'mongoose';
import { CAP_SCOPES, type CapRule } from '../../gate/frequencyCaps';
import { QUIET_HOURS_POLICIES, type QuietHours } from '../../gate/quietHours';
import type { RateLimits } from '../../gate/settings';
import { tenantScoped } from '../tenantScope';

/**
 * An app's delivery settings: its time zone (for profiles whose devices report none), its
 * frequency caps and its quiet hours. One per app, `_id` `{appId}:delivery`, read by the gate
 * on every commercial send by that `_id` alone.
 */
export interface DeliverySettingsDoc {
  _id: string;
  appId: string;
  timeZone: string;
  frequencyCaps: CapRule[];
  quietHours: QuietHours | null;
  rateLimits?: RateLimits;
  updatedAt: Date;
}

const capRuleSchema = new Schema<CapRule>(
  { max: { type: Number, required: true }, days: { type: Number, required: true }, channel: { type: String, enum: CAP_SCOPES, required: true } },
  { _id: false },
);

const quietHoursSchema = new Schema<QuietHours>(
  { start: { type: String, required: true }, end: { type: String, required: true }, policy: { type: String, enum: QUIET_HOURS_POLICIES, required: true } },
  { _id: false },
);

export const deliverySettingsSchema = new Schema<DeliverySettingsDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    timeZone: { type: String, required: true },
    frequencyCaps: { type: [capRuleSchema], default: [] },
    quietHours: { type: quietHoursSchema, default: null },
    rateLimits: { type: new Schema<RateLimits>({ push: Number, sms: Number, email: Number }, { _id: false }), default: undefined },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false, minimize: false },
);
deliverySettingsSchema.plugin(tenantScoped);
