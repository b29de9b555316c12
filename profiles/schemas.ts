/** Request and response shapes of the profile API: one source for validation, types and OpenAPI. */
import { ECDH } from 'node:crypto';
import { z } from 'zod';
import { PLATFORMS } from '../data/models/profiles';
import { CONSENT_STATUSES, CONSENT_TYPES, RECIPIENT_TYPES } from '../iys/consent';
import { normalizeMsisdn } from '../lib/phone';
import { attributeMapSchema } from '../attributes/names';

export const msisdnSchema = z
  .string()
  .transform((v, ctx) => {
    const e164 = normalizeMsisdn(v);
    if (!e164) {
      ctx.addIssue({ code: 'custom', message: 'must be an E.164 number (+905321234567) or a Turkish mobile number (05321234567)' });
      return z.NEVER;
    }
    return e164;
  })
  .describe('E.164, or a Turkish national mobile form such as 05321234567; stored as E.164');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** base64url of exactly `bytes` bytes; `=` padding is accepted and dropped (PushSubscription.toJSON() gives none). */
function base64urlOf(bytes: number, check: (b: Buffer) => boolean = () => true, what = `${bytes} bytes`) {
  return z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url')
    .transform((v) => v.replace(/=+$/, ''))
    .refine((v) => {
      const b = Buffer.from(v, 'base64url');
      return b.length === bytes && check(b);
    }, `must be ${what} in base64url`);
}

function isP256Point(b: Buffer): boolean {
  try {
    ECDH.convertKey(b, 'prime256v1');
    return b[0] === 4;
  } catch {
    return false;
  }
}

/** A web push subscription endpoint: https, or plain http on this machine (the simulator). */
function isPushEndpoint(token: string): boolean {
  try {
    const url = new URL(token);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}

export const webPushKeysSchema = z.strictObject({
  p256dh: base64urlOf(65, isP256Point, 'an uncompressed P-256 public key (65 bytes)').describe("The subscription's keys.p256dh"),
  auth: base64urlOf(16).describe("The subscription's keys.auth (16 bytes)"),
});

export const deviceInputSchema = z
  .strictObject({
    token: z.string().min(1).max(4096).describe('Push token; for platform web the subscription endpoint URL. In development, sim-delivers-…, sim-silent-… or sim-unregistered-… pick the simulated device'),
    platform: z.enum(PLATFORMS),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Istanbul').optional(),
    locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 locale such as tr-TR').optional(),
    appVersion: z.string().max(64).optional(),
    pushEnabled: z.boolean().default(true),
    webPush: webPushKeysSchema.optional().describe("Platform web only, and required there: the browser's PushSubscription keys (toJSON().keys); the endpoint is the token"),
  })
  .superRefine((d, ctx) => {
    if (d.platform !== 'web') {
      if (d.webPush) ctx.addIssue({ code: 'custom', path: ['webPush'], message: 'only a web device has web push keys' });
      return;
    }
    if (!isPushEndpoint(d.token)) ctx.addIssue({ code: 'custom', path: ['token'], message: "a web device's token is its subscription endpoint: an https: URL (http: only on 127.0.0.1 or localhost)" });
    if (!d.webPush) for (const key of ['p256dh', 'auth']) ctx.addIssue({ code: 'custom', path: ['webPush', key], message: "required on a web device (the subscription's keys)" });
  });

export const externalIdSchema = z.string().min(1).max(128).regex(/^[^\s]+$/, 'must not contain white space');

export const profileUpsertSchema = z.strictObject({
  externalId: externalIdSchema.optional().describe('Your own id for the person; unique per app'),
  anonymousId: externalIdSchema.optional().describe('The device or browser id of a person not yet known (give externalId or anonymousId); POST /v1/identify joins it to a known profile'),
  email: z.email().transform((v) => v.toLowerCase()).optional(),
  msisdn: msisdnSchema.optional(),
  devices: z.array(deviceInputSchema).max(20).optional().describe('Registered or updated by token; a token moves to the profile that registers it last'),
  attributes: attributeMapSchema(200, 'at most 200 attributes per request')
    .optional()
    .describe('Custom attributes, typed by the registry (GET /v1/attributes); null removes one'),
}).refine((p) => (p.externalId === undefined) !== (p.anonymousId === undefined), { message: 'give exactly one of externalId and anonymousId', path: ['externalId'] });
export type ProfileUpsert = z.infer<typeof profileUpsertSchema>;

export const profileViewSchema = z.object({
  id: z.string(),
  externalId: z.string().optional(),
  anonymousIds: z.array(z.string()).optional(),
  email: z.string().optional(),
  msisdn: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()),
  devices: z.array(
    z.object({
      token: z.string(),
      platform: z.enum(PLATFORMS),
      timeZone: z.string().optional(),
      locale: z.string().optional(),
      appVersion: z.string().optional(),
      pushEnabled: z.boolean(),
      updatedAt: z.iso.datetime(),
      uninstalledAt: z.iso.datetime().optional().describe('when a provider said the token is dead (the app was uninstalled); such a device gets no push'),
      webPush: z.object({ p256dh: z.string(), auth: z.string() }).optional().describe("a web device's subscription keys"),
    }),
  ),
  consents: z.partialRecord(z.enum(CONSENT_TYPES), z.object({ status: z.enum(CONSENT_STATUSES), recipientType: z.enum(RECIPIENT_TYPES), consentDate: z.iso.datetime() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ProfileView = z.infer<typeof profileViewSchema>;

export const identifySchema = z.strictObject({
  anonymousId: externalIdSchema.describe('The id the person had before signing in'),
  externalId: externalIdSchema.describe('The known id they have now'),
});
