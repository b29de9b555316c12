/** What the campaign API takes and answers. */
import { z } from 'zod';
import { CAMPAIGN_STATES, CHANNEL_PLANS } from '../domain/campaigns';
import { MESSAGE_CATEGORIES } from '../domain/messages';
import { CLOCK_PATTERN } from '../gate/localTime';
import { templateIdSchema } from '../templates/schemas';

export const campaignIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ and -, at most 64');

const audienceSchema = z.union([
  z.strictObject({ segmentId: z.string().min(1).max(64).describe('a saved segment (GET /v1/segments)') }),
  z.strictObject({ rule: z.unknown().describe('an inline segment rule, as POST /v1/segments/preview takes it') }),
]).describe('who gets it: a saved segment or an inline rule, evaluated once, when the campaign starts');

const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('now') }),
  z.strictObject({ kind: z.literal('at'), at: z.iso.datetime({ offset: true }).describe('the instant it starts, e.g. 2026-12-24T09:00:00+03:00') }),
  z.strictObject({
    kind: z.literal('localTime'),
    localTime: z.string().regex(CLOCK_PATTERN, 'must be a 24-hour HH:MM time, e.g. 10:00').describe("each recipient at this time of day in their own zone (their device's, else the app's), the next time it comes after the start"),
  }),
]);

const definition = {
  name: z.string().min(1).max(200),
  audience: audienceSchema,
  channelPlan: z.enum(CHANNEL_PLANS).describe('push; push_then_sms (an SMS to whoever got no push receipt within fallbackAfterSeconds); sms; email'),
  fallbackAfterSeconds: z.number().int().min(10).max(24 * 3600).optional().describe('push_then_sms only: how long to wait for a push receipt before the SMS'),
  template: z.strictObject({ id: templateIdSchema, version: z.number().int().min(1).optional().describe('default: the latest published, pinned at start') }),
  category: z.enum(MESSAGE_CATEGORIES).default('commercial'),
  schedule: scheduleSchema.default({ kind: 'now' }),
};

export const campaignCreateSchema = z.strictObject({ id: campaignIdSchema.optional().describe('default: made up'), ...definition });
export type CampaignCreate = z.infer<typeof campaignCreateSchema>;

export const campaignUpdateSchema = z
  .strictObject({ name: definition.name.optional(), audience: audienceSchema.optional(), channelPlan: definition.channelPlan.optional(), fallbackAfterSeconds: definition.fallbackAfterSeconds.nullable(), template: definition.template.optional(), category: z.enum(MESSAGE_CATEGORIES).optional(), schedule: scheduleSchema.optional() })
  .partial();
export type CampaignUpdate = z.infer<typeof campaignUpdateSchema>;

const counts = z.record(z.string(), z.number().int());

export const campaignProgressSchema = z.object({
  audience: z.number().int().nullable().describe('recipients in the snapshot taken at start (null before it is complete)'),
  processed: z.number().int().describe('recipients whose send batch finished'),
  remaining: z.number().int().nullable(),
  sent: z.object({ push: z.number().int(), sms: z.number().int(), email: z.number().int() }).describe('deliveries handed to the provider, per channel (push: one per device; sms includes fallbacks)'),
  delivered: z.number().int().describe('pushes a device confirmed (receipts), counted as they arrive, each once'),
  fallbackSms: z.number().int().describe('SMS sent to recipients whose push got no receipt in time'),
  gatedOut: counts.describe('recipients the gate kept out, by reason (no_consent, frequency_cap, uninstalled, template_missing_variable, …)'),
  deferred: z.number().int().describe('held for quiet hours, sent when they end'),
  failed: counts.describe('deliveries the provider refused, by reason'),
  recall: z.object({ cancelled: z.number().int(), recallSent: z.number().int(), recallConfirmed: z.number().int(), notRecallable: z.number().int() }),
  ratePerSecond: z.number().nullable().describe('recipients per second over the finished batches'),
  etaSeconds: z.number().int().nullable(),
});
export type CampaignProgress = z.infer<typeof campaignProgressSchema>;

export const campaignViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  audience: z.object({ segmentId: z.string().optional(), rule: z.unknown().optional() }),
  channelPlan: z.enum(CHANNEL_PLANS),
  fallbackAfterSeconds: z.number().int().optional(),
  template: z.object({ id: z.string(), version: z.number().int().optional() }),
  category: z.enum(MESSAGE_CATEGORIES),
  schedule: z.object({ kind: z.string(), at: z.string().optional(), localTime: z.string().optional() }),
  state: z.enum(CAMPAIGN_STATES),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  progress: campaignProgressSchema,
});

export const campaignListQuerySchema = z.strictObject({
  state: z.enum(CAMPAIGN_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
