import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

/**
 * An event name a designer declared before any device sent it, so a journey can wait for
 * it from day one. Names the app has sent are known without a declaration (their daily
 * counters exist). `_id` is `{appId}:{name}`.
 */
export interface EventTypeDoc {
  _id: string;
  appId: string;
  name: string;
  description?: string;
  createdAt: Date;
}

export const eventTypeSchema = new Schema<EventTypeDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
eventTypeSchema.plugin(tenantScoped);
