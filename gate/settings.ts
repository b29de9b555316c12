/**
 * An app's delivery settings, as the API takes them and the gate reads them: the app's time
 * zone, its frequency caps and its quiet hours. Stored once per app (`{appId}:delivery`).
 */
import { z } from 'zod';
import type { Db } from '../data/db';
import { scopedId } from '../lib/ids';
import { CAP_SCOPES, MAX_CAP_DAYS, type CapRule } from './frequencyCaps';
import { CLOCK_PATTERN, DEFAULT_APP_TIME_ZONE, isValidTimeZone } from './localTime';
import { QUIET_HOURS_POLICIES, type QuietHours } from './quietHours';

export interface DeliverySettings {
  timeZone: string;
  frequencyCaps: CapRule[];
  quietHours: QuietHours | null;
  /** Messages per second per channel for the whole app, shared by every worker (activities/sendRateLimiter.ts); absent: no limit. */
  rateLimits?: RateLimits;
}

export interface RateLimits {
  push?: number;
  sms?: number;
  email?: number;
}

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = { timeZone: DEFAULT_APP_TIME_ZONE, frequencyCaps: [], quietHours: null, rateLimits: {} };

/** FCM's default project quota is 600,000 messages a minute: no channel of one app needs more than this. */
export const MAX_RATE_LIMIT_PER_SECOND = 100_000;

export const MAX_CAP_RULES = 10;

const clock = z.string().regex(CLOCK_PATTERN, 'must be a 24-hour HH:MM time, e.g. 22:00');

export const capRuleSchema = z.strictObject({
  max: z.number().int().min(1).max(1000).describe('at most this many commercial messages…'),
  days: z.number().int().min(1).max(MAX_CAP_DAYS).describe('…per this many calendar days in the profile’s time zone (today and the days before it)'),
  channel: z.enum(CAP_SCOPES).default('any').describe('`any` counts every channel together; a channel counts only its own sends'),
});

export const quietHoursSchema = z
  .strictObject({
    start: clock.describe('local time the quiet hours begin, e.g. 22:00'),
    end: clock.describe('local time they end (not included), e.g. 09:00; earlier than start when they span midnight'),
    policy: z.enum(QUIET_HOURS_POLICIES).default('defer').describe('`defer`: a commercial send waits (durably) until the quiet hours end; `skip`: it is not sent'),
  })
  .refine((q) => q.start !== q.end, { path: ['end'], message: 'must differ from start' });

const perSecond = z.number().int().min(1).max(MAX_RATE_LIMIT_PER_SECOND);

export const rateLimitsSchema = z.strictObject({
  push: perSecond.optional().describe('push messages per second (every device counts)'),
  sms: perSecond.optional().describe('SMS per second'),
  email: perSecond.optional().describe('e-mails per second'),
});

export const deliverySettingsSchema = z.strictObject({
  timeZone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/Istanbul')
    .default(DEFAULT_APP_TIME_ZONE)
    .describe('the zone for profiles whose devices report none'),
  frequencyCaps: z.array(capRuleSchema).max(MAX_CAP_RULES).default([]).describe('every rule that applies to a send must have room; transactional messages are exempt'),
  quietHours: quietHoursSchema.nullable().default(null).describe('commercial sends only, in the profile’s time zone (its device’s, else the app’s); null: none'),
  rateLimits: rateLimitsSchema.default({}).describe('messages per second per channel for the whole app, held across every worker; a channel left out has no limit'),
});

export function deliverySettingsId(appId: string): string {
  return scopedId(appId, 'delivery');
}

export async function deliverySettingsOf(db: Db, appId: string): Promise<DeliverySettings> {
  const doc = await db.deliverySettings.findOne({ _id: deliverySettingsId(appId) }).lean();
  if (!doc) return DEFAULT_DELIVERY_SETTINGS;
  return {
    timeZone: doc.timeZone,
    frequencyCaps: (doc.frequencyCaps ?? []).map(({ max, days, channel }) => ({ max, days, channel })),
    quietHours: doc.quietHours ? { start: doc.quietHours.start, end: doc.quietHours.end, policy: doc.quietHours.policy } : null,
    rateLimits: rateLimitsOf(doc.rateLimits),
  };
}

function rateLimitsOf(stored: RateLimits | undefined): RateLimits {
  const out: RateLimits = {};
  for (const channel of ['push', 'sms', 'email'] as const) if (typeof stored?.[channel] === 'number') out[channel] = stored[channel];
  return out;
}

/** Replaces the app's delivery settings (one upsert by `_id`). */
export async function saveDeliverySettings(db: Db, appId: string, settings: DeliverySettings): Promise<void> {
  await db.deliverySettings.updateOne({ _id: deliverySettingsId(appId) }, { $set: { appId, ...settings } }, { upsert: true });
}
