import { Schema } from 'mongoose';
import { ATTRIBUTE_TYPES, type AttributeType } from '../../domain/attributes';
import { tenantScoped } from '../tenantScope';

/** A custom profile attribute of one app: its type and limits. `_id` is `{appId}:{name}`. */
export interface AttributeDefinitionDoc {
  _id: string;
  appId: string;
  name: string;
  type: AttributeType;
  /** Allowed values (string and string-list attributes). */
  allowed?: string[];
  /** Inclusive bounds (number attributes). */
  min?: number;
  max?: number;
  /** Longest string, or longest list for string lists. */
  maxLength?: number;
  /** `api` when defined by a designer, `inferred` when registered on first use (permissive mode). */
  origin: 'api' | 'inferred';
  createdAt: Date;
}

export const attributeDefinitionSchema = new Schema<AttributeDefinitionDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    name: { type: String, required: true },
    type: { type: String, enum: ATTRIBUTE_TYPES, required: true },
    allowed: { type: [String], default: undefined },
    min: Number,
    max: Number,
    maxLength: Number,
    origin: { type: String, enum: ['api', 'inferred'], required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
attributeDefinitionSchema.plugin(tenantScoped);
