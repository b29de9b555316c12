import { Schema } from 'mongoose';
import { tenantScoped } from '../tenantScope';

export const CREDENTIAL_CHANNELS = ['fcm', 'apns', 'webpush'] as const;
export type CredentialChannel = (typeof CREDENTIAL_CHANNELS)[number];

/**
 * One provider's credentials for one app, `_id` `{appId}:channel:{channel}`. `sealed` holds
 * the secret part encrypted (lib/sealedSecrets.ts); `summary` the part the API may show
 * (project, key id, VAPID public key…). `version` grows with every save, so a worker's cached
 * adapter notices a rotation.
 */
export interface ChannelCredentialsDoc {
  _id: string;
  appId: string;
  channel: CredentialChannel;
  summary: Record<string, string>;
  sealed: string;
  version: number;
  updatedAt: Date;
}

export const channelCredentialsSchema = new Schema<ChannelCredentialsDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    channel: { type: String, enum: CREDENTIAL_CHANNELS, required: true },
    summary: { type: Schema.Types.Mixed, required: true },
    sealed: { type: String, required: true },
    version: { type: Number, required: true },
  },
  { timestamps: { createdAt: false, updatedAt: true }, versionKey: false, minimize: false },
);
channelCredentialsSchema.plugin(tenantScoped);
