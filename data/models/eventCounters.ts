import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * How often one profile performed one event on one UTC day. `_id` is
 * `{profileId}:{day}:{name}` (the profile id starts with `{appId}:`), so ingest updates
 * counters by `_id` alone. Segments sum these instead of scanning events.
 * `mergedFrom` lists the anonymous profiles' counters already added by an identity merge,
 * which makes a repeated merge add nothing.
 */
export interface EventCounterDoc {
  _id: string;
  appId: string;
  profileId: string;
  name: string;
  day: number;
  n: number;
  mergedFrom?: string[];
}

export const eventCounterSchema = new Schema<EventCounterDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    name: { type: String, required: true },
    day: { type: Number, required: true },
    n: { type: Number, required: true },
    mergedFrom: { type: [String], default: undefined },
  },
  { versionKey: false },
);
eventCounterSchema.index({ appId: 1, name: 1, day: 1 });
eventCounterSchema.index({ appId: 1, profileId: 1 });
eventCounterSchema.plugin(tenantScoped);

export function counterId(profileId: string, day: number, name: string): string {
  return `${profileId}:${day}:${name}`;
}
