/**
 * Segment rules: a tree of AND / OR / NOT over leaves on attributes, behaviour (event
 * counts in a window of days), devices, consents and channels. These types and the
 * documentation schema are shared by validation (validateRule.ts), compilation
 * (compileRule.ts) and the API.
 */
import { z } from 'zod';
import { ATTRIBUTE_NAME_HINT } from '../attributes/names';
import { PLATFORMS } from '../data/models/profiles';
import { ATTRIBUTE_NAME } from '../domain/attributes';
import { CONSENT_STATUSES, CONSENT_TYPES } from '../iys/consent';

export const ATTRIBUTE_OPS = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'notExists', 'contains', 'withinLastDays', 'moreThanDaysAgo'] as const;
export type AttributeOp = (typeof ATTRIBUTE_OPS)[number];
export const EVENT_OPS = ['atLeast', 'atMost', 'exactly', 'never'] as const;
export type EventOp = (typeof EVENT_OPS)[number];
export const CHANNELS = ['email', 'msisdn'] as const;

export const MAX_RULE_DEPTH = 8;
export const MAX_RULE_LEAVES = 100;
export const MAX_WINDOW_DAYS = 3650;
/**
 * Substring matches (contains on a string attribute) are the costly conditions: no index
 * answers them, so each one reads every profile's value. They are bounded in number and length.
 */
export const MAX_PATTERN_CONDITIONS = 10;
export const MAX_PATTERN_LENGTH = 100;

export const attributeLeaf = z.strictObject({
  attribute: z.string().regex(ATTRIBUTE_NAME, `not an attribute name (${ATTRIBUTE_NAME_HINT})`).describe('a registered attribute (GET /v1/attributes)'),
  op: z.enum(ATTRIBUTE_OPS),
  value: z.unknown().optional().describe(`eq, ne, gt, gte, lt, lte, contains (on a string attribute: at most ${MAX_PATTERN_LENGTH} characters, and at most ${MAX_PATTERN_CONDITIONS} such conditions per rule)`),
  values: z.array(z.unknown()).min(1).max(1000).optional().describe('in, nin (any number), between (exactly two: low, high; inclusive)'),
  days: z.number().int().min(1).max(MAX_WINDOW_DAYS).optional().describe('withinLastDays, moreThanDaysAgo (date attributes)'),
});
export const eventLeaf = z.strictObject({
  event: z.string().min(1).max(64),
  op: z.enum(EVENT_OPS).describe('atLeast / atMost / exactly `count` times, or never'),
  count: z.number().int().min(0).max(1_000_000).optional(),
  withinDays: z.number().int().min(1).max(MAX_WINDOW_DAYS).optional().describe('the last D UTC days, today included; all time when absent'),
});
export const deviceLeaf = z.strictObject({
  device: z
    .strictObject({
      platform: z.enum(PLATFORMS).optional(),
      pushEnabled: z.boolean().optional(),
      uninstalled: z.literal(true).optional().describe('a device whose token a provider reported dead (the app was uninstalled); without it, only installed devices count'),
    })
    .refine((d) => !(d.uninstalled && d.pushEnabled !== undefined), { message: 'an uninstalled device has no push setting: give uninstalled or pushEnabled', path: ['pushEnabled'] })
    .describe('has an installed device (of this platform, with push enabled or not), or an uninstalled one'),
});
export const consentLeaf = z.strictObject({
  consent: z.strictObject({ type: z.enum(CONSENT_TYPES), status: z.enum(CONSENT_STATUSES).default('ONAY') }).describe('the current İYS consent of this type has this status'),
});
export const channelLeaf = z.strictObject({ channel: z.enum(CHANNELS).describe('has this channel (an e-mail address or a phone number)') });

export type AttributeLeaf = z.infer<typeof attributeLeaf>;
export type EventLeaf = z.infer<typeof eventLeaf>;
export type DeviceLeaf = z.infer<typeof deviceLeaf>;
export type ConsentLeaf = z.infer<typeof consentLeaf>;
export type ChannelLeaf = z.infer<typeof channelLeaf>;
export type Rule = { and: Rule[] } | { or: Rule[] } | { not: Rule } | AttributeLeaf | EventLeaf | DeviceLeaf | ConsentLeaf | ChannelLeaf;

/** For the OpenAPI document only: rules are validated by validateRule.ts, which names the failing path. */
export const ruleDoc: z.ZodType<Rule> = z.lazy(() =>
  z.union([
    z.strictObject({ and: z.array(ruleDoc).min(1) }),
    z.strictObject({ or: z.array(ruleDoc).min(1) }),
    z.strictObject({ not: ruleDoc }),
    attributeLeaf,
    eventLeaf,
    deviceLeaf,
    consentLeaf,
    channelLeaf,
  ]),
) as z.ZodType<Rule>;
