/**
 * An app's push provider credentials, as the API takes them and the worker's adapters use
 * them: an FCM service account, an APNs token-auth key, web push VAPID keys. Each is checked
 * at save time (the key must parse as the right kind, the VAPID halves must match), stored
 * sealed (lib/sealedSecrets.ts), and shown afterwards only by its public summary: no read,
 * log line or error message ever carries a private key.
 */
import { createECDH, createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../data/db';
import { CREDENTIAL_CHANNELS, type CredentialChannel } from '../data/models/channelCredentials';
import { scopedId } from '../lib/ids';
import type { SecretBox } from '../lib/sealedSecrets';
import type { ServiceAccount } from '../providers/fcm';
import { generateVapidKeys } from '../providers/webPush';

export { CREDENTIAL_CHANNELS, type CredentialChannel };

/** Google's token endpoint, the `token_uri` of every service account key file. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

function pemKeyOf(pem: string): ReturnType<typeof createPrivateKey> | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

const privatePem = (kind: 'rsa' | 'ec', what: string) =>
  z.string().max(10_000).refine((pem) => {
    const key = pemKeyOf(pem);
    if (!key || key.asymmetricKeyType !== kind) return false;
    return kind === 'rsa' || key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  }, `must be ${what} in PEM (PKCS#8, "-----BEGIN PRIVATE KEY-----")`);

/** A Google service account key file as downloaded (fields it has beyond these are ignored). */
export const fcmCredentialsSchema = z.strictObject({
  serviceAccount: z
    .looseObject({
      type: z.literal('service_account').optional(),
      project_id: z.string().min(1).max(100).describe('the Firebase project'),
      client_email: z.email().describe('the service account'),
      private_key: privatePem('rsa', "the service account's RSA private key"),
      private_key_id: z.string().max(100).optional(),
      token_uri: z.url().default(GOOGLE_TOKEN_URI).describe("Google's OAuth2 token endpoint"),
    })
    .describe('the service account key file (JSON) from the Firebase console'),
});

export const apnsCredentialsSchema = z.strictObject({
  keyId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character key id').describe('the .p8 key’s id'),
  teamId: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character team id'),
  bundleId: z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be the app’s bundle id, e.g. com.example.app').max(155).describe('sent as apns-topic'),
  privateKey: privatePem('ec', 'the contents of the .p8 file, a P-256 key').describe('the .p8 file’s contents'),
  environment: z.enum(['production', 'development']).default('production').describe('`development` for builds signed for the APNs sandbox'),
});

const b64urlBytes = (bytes: number, what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]+$/, `must be base64url: ${what}`).refine((s) => Buffer.from(s, 'base64url').length === bytes, `must be ${bytes} bytes (base64url): ${what}`);

export const webPushCredentialsSchema = z
  .strictObject({
    subject: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'must be a mailto: address or an https: URL').describe('who push services may contact about this sender (VAPID `sub`)'),
    publicKey: b64urlBytes(65, 'the uncompressed P-256 point').optional().describe('VAPID public key; with privateKey, or leave both out to have a pair made'),
    privateKey: b64urlBytes(32, 'the P-256 private scalar').optional(),
  })
  .refine((v) => (v.publicKey === undefined) === (v.privateKey === undefined), { path: ['privateKey'], message: 'give both publicKey and privateKey, or neither (a pair is made)' })
  .refine((v) => v.privateKey === undefined || vapidPublicKeyOf(v.privateKey) === v.publicKey, { path: ['publicKey'], message: 'is not the public half of privateKey' });

export const CHANNEL_CREDENTIAL_SCHEMAS = { fcm: fcmCredentialsSchema, apns: apnsCredentialsSchema, webpush: webPushCredentialsSchema } as const;

export type FcmCredentials = { serviceAccount: ServiceAccount & { project_id: string } };
export type ApnsCredentials = z.infer<typeof apnsCredentialsSchema>;
export type WebPushCredentials = { subject: string; publicKey: string; privateKey: string };
export interface ChannelCredentials {
  fcm: FcmCredentials;
  apns: ApnsCredentials;
  webpush: WebPushCredentials;
}

function vapidPublicKeyOf(privateKey: string): string | undefined {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
    return ecdh.getPublicKey().toString('base64url');
  } catch {
    return undefined;
  }
}

/** What the API shows of saved credentials: ids and public keys, never a private one. */
export const channelSummarySchema = z.object({
  channel: z.enum(CREDENTIAL_CHANNELS),
  configured: z.boolean(),
  summary: z.record(z.string(), z.string()).optional().describe('fcm: projectId, clientEmail, privateKeyId; apns: keyId, teamId, bundleId, environment; webpush: subject, publicKey'),
  version: z.number().int().optional(),
  updatedAt: z.iso.datetime().optional(),
});
export type ChannelSummary = z.infer<typeof channelSummarySchema>;

/** The credentials as they are stored and used, from what the API took. */
export function normalise<C extends CredentialChannel>(channel: C, input: unknown): ChannelCredentials[C] {
  if (channel === 'fcm') {
    const { serviceAccount: a } = input as z.infer<typeof fcmCredentialsSchema>;
    const kept: FcmCredentials = {
      serviceAccount: { project_id: a.project_id, client_email: a.client_email, private_key: a.private_key, token_uri: a.token_uri, ...(a.private_key_id ? { private_key_id: a.private_key_id } : {}) },
    };
    return kept as ChannelCredentials[C];
  }
  if (channel === 'webpush') {
    const v = input as z.infer<typeof webPushCredentialsSchema>;
    const keys = v.publicKey && v.privateKey ? { publicKey: v.publicKey, privateKey: v.privateKey } : generateVapidKeys();
    return { subject: v.subject, ...keys } as ChannelCredentials[C];
  }
  return input as ChannelCredentials[C];
}

function summaryOf(channel: CredentialChannel, creds: ChannelCredentials[CredentialChannel]): Record<string, string> {
  switch (channel) {
    case 'fcm': {
      const a = (creds as FcmCredentials).serviceAccount;
      return { projectId: a.project_id, clientEmail: a.client_email, ...(a.private_key_id ? { privateKeyId: a.private_key_id } : {}) };
    }
    case 'apns': {
      const k = creds as ApnsCredentials;
      return { keyId: k.keyId, teamId: k.teamId, bundleId: k.bundleId, environment: k.environment };
    }
    case 'webpush': {
      const w = creds as WebPushCredentials;
      return { subject: w.subject, publicKey: w.publicKey };
    }
  }
}

export function channelCredentialsId(appId: string, channel: CredentialChannel): string {
  return scopedId(appId, `channel:${channel}`);
}

/** Binds a sealed value to its app and channel: copied to another record, it does not open. */
const sealContext = (appId: string, channel: CredentialChannel) => `${appId}/${channel}`;

/** Stores (replaces) the app's credentials for `channel`; answers their public summary. */
export async function saveChannelCredentials<C extends CredentialChannel>(db: Db, box: SecretBox, appId: string, channel: C, creds: ChannelCredentials[C]): Promise<ChannelSummary> {
  const summary = summaryOf(channel, creds);
  const doc = await db.channelCredentials
    .findOneAndUpdate(
      { _id: channelCredentialsId(appId, channel) },
      { $set: { appId, channel, summary, sealed: box.seal(creds, sealContext(appId, channel)) }, $inc: { version: 1 } },
      { upsert: true, returnDocument: 'after' },
    )
    .lean();
  return { channel, configured: true, summary, version: doc!.version, updatedAt: doc!.updatedAt.toISOString() };
}

export async function deleteChannelCredentials(db: Db, appId: string, channel: CredentialChannel): Promise<boolean> {
  const res = await db.channelCredentials.deleteOne({ _id: channelCredentialsId(appId, channel) });
  return res.deletedCount === 1;
}

/** Every channel of the app, configured or not, by its public summary. */
export async function listChannelCredentials(db: Db, appId: string): Promise<ChannelSummary[]> {
  const docs = await db.channelCredentials.find({ _id: { $in: CREDENTIAL_CHANNELS.map((c) => channelCredentialsId(appId, c)) } }).lean();
  return CREDENTIAL_CHANNELS.map((channel) => {
    const doc = docs.find((d) => d.channel === channel);
    return doc ? { channel, configured: true, summary: doc.summary, version: doc.version, updatedAt: doc.updatedAt.toISOString() } : { channel, configured: false };
  });
}

/** The stored version of the app's credentials for `channel` (0: none), cheap enough to check before each use of a cached adapter. */
export interface StoredCredentials<C extends CredentialChannel> {
  version: number;
  credentials: ChannelCredentials[C];
}

export async function channelCredentialsOf<C extends CredentialChannel>(db: Db, box: SecretBox, appId: string, channel: C): Promise<StoredCredentials<C> | undefined> {
  const doc = await db.channelCredentials.findOne({ _id: channelCredentialsId(appId, channel) }).lean();
  if (!doc) return undefined;
  return { version: doc.version, credentials: box.open<ChannelCredentials[C]>(doc.sealed, sealContext(appId, channel)) };
}
