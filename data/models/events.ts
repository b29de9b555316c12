import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * One behavioural event. `_id` is `{appId}:{eventId}`: the client's event id is the
 * idempotency key, so a re-sent batch stores nothing twice. `ingestId` names the request
 * that stored it, whose counters (events/counters.ts) are derived from its events.
 */
export interface EventDoc {
  _id: string;
  appId: string;
  eventId: string;
  profileId: string;
  name: string;
  /** The client's clock: when it happened (offline events arrive late). */
  occurredAt: Date;
  receivedAt: Date;
  /** UTC day of occurredAt, as days since 1970-01-01: the counter bucket. */
  day: number;
  attributes: Record<string, unknown>;
  ingestId: string;
}

export const eventSchema = new Schema<EventDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    eventId: { type: String, required: true },
    profileId: { type: String, required: true },
    name: { type: String, required: true },
    occurredAt: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    day: { type: Number, required: true },
    attributes: { type: Schema.Types.Mixed, default: {} },
    ingestId: { type: String, required: true },
  },
  { versionKey: false, minimize: false },
);
eventSchema.index({ appId: 1, profileId: 1, occurredAt: -1 });
eventSchema.plugin(tenantScoped);
