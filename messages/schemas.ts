/** Shapes of the message API (transactional or commercial single sends with SMS fallback). */
import { z } from 'zod';
import { CHANNELS, MESSAGE_CATEGORIES, MESSAGE_STATUSES, MESSAGE_STEPS, RECEIPT_STATUSES } from '../domain/messages';
import { externalIdSchema } from '../profiles/schemas';

export const MAX_FALLBACK_SECONDS = 7 * 24 * 3600;

export const messageCreateSchema = z.strictObject({
  to: z.strictObject({ externalId: externalIdSchema }),
  category: z.enum(MESSAGE_CATEGORIES).default('transactional').describe('transactional messages are exempt from commercial consent and marked so'),
  push: z.strictObject({ title: z.string().min(1).max(200), body: z.string().min(1).max(2000) }),
  sms: z.strictObject({ text: z.string().min(1).max(918) }).optional().describe('fallback text; default "title: body"'),
  smsFallback: z.boolean().default(true),
  fallbackAfterSeconds: z.number().int().min(1).max(MAX_FALLBACK_SECONDS).optional().describe('how long to wait for the device receipt before the SMS (default from FALLBACK_TIMEOUT_SECONDS)'),
  idempotencyKey: z.string().min(1).max(200).optional().describe('the same key answers the same message, never a second send'),
  overrideCaps: z.boolean().optional().describe("send even when the app's frequency caps are reached (the send is still counted); only a key with the operator role may set it (403 otherwise)"),
});
export type MessageCreate = z.infer<typeof messageCreateSchema>;

export const messageIdParams = z.object({ id: z.uuid() });

export const messageAcceptedSchema = z.object({
  id: z.uuid(),
  status: z.enum(MESSAGE_STATUSES),
  statusUrl: z.string(),
});

export const messageViewSchema = z.object({
  id: z.string(),
  to: z.object({ externalId: z.string(), profileId: z.string() }),
  category: z.enum(MESSAGE_CATEGORIES),
  status: z.enum(MESSAGE_STATUSES),
  outcome: z.string().describe('the status in words, e.g. "delivered by push" or "SMS sent after push timeout"'),
  fallbackAfterSeconds: z.number(),
  timeline: z.array(z.object({ step: z.enum(MESSAGE_STEPS), at: z.iso.datetime() })),
  skipped: z.record(z.string(), z.string()).describe('why a channel was not used, by channel; a provider failure as `provider_rejected: push 4xx UNREGISTERED`'),
  deliveries: z.array(
    z.object({
      channel: z.enum(CHANNELS),
      state: z.string(),
      recipient: z.string().describe('masked'),
      decision: z.object({
        allowed: z.boolean(),
        reason: z.string(),
        consent: z.object({ type: z.string(), status: z.string(), recipientType: z.string(), consentDate: z.iso.datetime() }).optional().describe('the İYS consent record the decision used'),
      }),
      attempts: z.number(),
      sentAt: z.iso.datetime().optional(),
      error: z
        .object({
          provider: z.string().describe('push, sms or smtp'),
          status: z.string().optional().describe("the provider's HTTP status class (4xx, 5xx); absent when it gave no answer"),
          code: z.string().describe("the provider's error code (e.g. UNREGISTERED), else http_<status>, timeout, unreachable or error"),
        })
        .optional()
        .describe("why the provider refused; its address and raw answer are in the worker's records, not shown here"),
    }),
  ),
  createdAt: z.iso.datetime(),
});
export type MessageView = z.infer<typeof messageViewSchema>;

export const receiptSchema = z.strictObject({
  appId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an app id: lowercase letters, digits or -'),
  messageId: z.uuid(),
  token: z.string().min(1).max(200).describe('the rota_receipt_token from the push payload'),
  status: z.enum(RECEIPT_STATUSES),
  at: z.iso.datetime({ offset: true }).optional().describe('when the device saw it; default now'),
});
