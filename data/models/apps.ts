import { Schema } from 'mongoose';
import { ATTRIBUTE_MODES, type AttributeMode } from '../../domain/attributes';

/** A tenant. Apps and API keys are the only collections not scoped by appId: they define it. */
export interface AppDoc {
  _id: string;
  name: string;
  settings: { attributeMode: AttributeMode };
  createdAt: Date;
}

export const appSchema = new Schema<AppDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    settings: { attributeMode: { type: String, enum: ATTRIBUTE_MODES, default: 'permissive' } },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
