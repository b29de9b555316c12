import { Schema } from 'mongoose';

/** A tenant. Apps and API keys are the only collections not scoped by appId: they define it. */
export interface AppDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

export const appSchema = new Schema<AppDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
