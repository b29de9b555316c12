import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * How often one profile performed one event on one UTC day, as counted by one ingest
 * request (or moved by one identity merge). Counters are only ever inserted, never
 * updated: FerretDB's SQLite backend makes each update cost a scan of the collection, and
 * an insert with a derived `_id` is idempotent by itself. A profile's total for an event in
 * a window is the `$sum` of its counters there (segments/compileRule.ts).
 */
export interface EventCounterDoc {
  _id: string;
  appId: string;
  profileId: string;
  name: string;
  day: number;
  n: number;
}

export const eventCounterSchema = new Schema<EventCounterDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    profileId: { type: String, required: true },
    name: { type: String, required: true },
    day: { type: Number, required: true },
    n: { type: Number, required: true },
  },
  { versionKey: false },
);
eventCounterSchema.index({ appId: 1, name: 1, day: 1 });
eventCounterSchema.index({ appId: 1, profileId: 1 });
eventCounterSchema.plugin(tenantScoped);

/** `source` is the ingest request's id, or `m:{counter id}` for a counter moved by a merge. */
export function counterId(profileId: string, day: number, name: string, source: string): string {
  return `${profileId}:${day}:${name}:${source}`;
}
