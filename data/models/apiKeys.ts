import { Schema } from 'mongoose';
import { ROLES, type Role } from '../../domain/auth';

/** Only the SHA-256 of the key's secret part is stored; the key itself is shown once. */
export interface ApiKeyDoc {
  /** The public key id, the middle part of `rota_<id>_<secret>`. */
  _id: string;
  appId: string;
  name: string;
  secretHash: string;
  roles: Role[];
  /** Set while a revocation of an admin key checks that another admin key remains (tenants/apiKeys.ts). */
  revokingAt?: Date;
  createdAt: Date;
}

export const apiKeySchema = new Schema<ApiKeyDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true, index: true },
    name: { type: String, required: true },
    secretHash: { type: String, required: true },
    roles: { type: [String], enum: ROLES, required: true },
    revokingAt: Date,
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
