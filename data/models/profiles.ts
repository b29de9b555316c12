import { Schema } from 'mongoose';
import type { ConsentStatus, ConsentType, RecipientType } from '../../iys/consent';
import { tenantScoped } from '../tenantScope';

export const PLATFORMS = ['ios', 'android', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface Device {
  token: string;
  platform: Platform;
  timeZone?: string;
  locale?: string;
  appVersion?: string;
  pushEnabled: boolean;
  updatedAt: Date;
  /** Set when a provider answered that the token is dead (FCM UNREGISTERED, APNs 410): the app is gone from the device. */
  uninstalledAt?: Date;
  /**
   * A web device's push subscription keys (its endpoint URL is `token`): the browser's P-256
   * key the payload is encrypted to and its auth secret, both base64url. Only on `web`.
   */
  webPush?: WebPushKeys;
}

export interface WebPushKeys {
  p256dh: string;
  auth: string;
}

export interface ConsentSummary {
  status: ConsentStatus;
  recipientType: RecipientType;
  consentDate: Date;
  /** The msisdn (MESAJ, ARAMA) or lower-cased e-mail (EPOSTA) the consent is for. */
  recipient?: string;
  source?: string;
  origin?: string;
  /** The change (consentChanges `_id`) and its per-recipient sequence number. */
  changeId?: string;
  seq?: number;
}

export interface ProfileDoc {
  _id: string;
  appId: string;
  /** Absent on an anonymous profile until it is identified. */
  externalId?: string;
  anonymousIds?: string[];
  email?: string;
  msisdn?: string;
  /**
   * Absent until the first device registers: FerretDB 1.24 drops an empty array from an
   * upsert's `$setOnInsert`, so readers must not count on `[]` being stored.
   */
  devices?: Device[];
  /**
   * Derived from `devices` (data/profileDevices.ts) so segments can ask "has a push-enabled
   * iOS device" without `$elemMatch`, which FerretDB 1.x lacks: for installed devices `any`,
   * `platform:{p}`, and `push`, `push:{p}` (push enabled) or `nopush`, `nopush:{p}`; for
   * uninstalled ones only `uninstalled`, `uninstalled:{p}`.
   */
  deviceTags?: string[];
  /** Incremented with every change of `devices`, so that `deviceTags` can be recomputed without a race. */
  devicesVersion?: number;
  /**
   * The current consent per İYS type, as segments and the send gate read it. The consent
   * store (consents/) writes it with each accepted change; the fields beyond the first
   * three say which change it is, so the store can check the next one against it.
   */
  consents?: Partial<Record<ConsentType, ConsentSummary>>;
  attributes: Record<string, unknown>;
  /** Set on an anonymous profile while an identity merge moves it into this known profile (profiles/identify.ts). */
  mergedInto?: string;
  /** Set while an erasure is under way (profiles/eraseProfile.ts). */
  erasing?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const deviceSchema = new Schema<Device>(
  {
    token: { type: String, required: true },
    platform: { type: String, enum: PLATFORMS, required: true },
    timeZone: String,
    locale: String,
    appVersion: String,
    pushEnabled: { type: Boolean, default: true },
    updatedAt: { type: Date, required: true },
    uninstalledAt: Date,
    // A subdocument, not a nested path: a nested path would be stored as {} on every device without one.
    webPush: { type: new Schema<WebPushKeys>({ p256dh: { type: String, required: true }, auth: { type: String, required: true } }, { _id: false }), default: undefined },
  },
  { _id: false },
);

export const profileSchema = new Schema<ProfileDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    externalId: String,
    anonymousIds: { type: [String], default: undefined },
    email: String,
    msisdn: String,
    devices: { type: [deviceSchema], default: [] },
    deviceTags: { type: [String], default: undefined },
    devicesVersion: Number,
    consents: { type: Schema.Types.Mixed, default: undefined },
    attributes: { type: Schema.Types.Mixed, default: {} },
    mergedInto: String,
    erasing: Boolean,
  },
  { timestamps: true, versionKey: false, minimize: false },
);
profileSchema.index({ appId: 1, 'devices.token': 1 });
profileSchema.plugin(tenantScoped);
