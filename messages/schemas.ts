/** Shapes of the message API (transactional or commercial single sends over a channel order). */
import { z } from 'zod';
import { CHANNELS, MESSAGE_CATEGORIES, MESSAGE_STATUSES, MESSAGE_STEPS, RECEIPT_STATUSES } from '../domain/messages';
import { externalIdSchema } from '../profiles/schemas';
import { emailContentSchema, pushContentSchema, templateIdSchema } from '../templates/schemas';

export const MAX_FALLBACK_SECONDS = 7 * 24 * 3600;

/** The inline content channels, as templates hold them. */
const INLINE_CHANNELS = ['push', 'sms', 'email'] as const;

const channelOrderSchema = z
  .array(z.enum(CHANNELS))
  .min(1)
  .refine((c) => new Set(c).size === c.length, 'a channel may appear once')
  .describe('the channels to try, in order: the next is tried when one is gated out, fails, or (push) gets no device receipt in time; default push then SMS (or the template\'s channels in that order, push, sms, email)');

const variablesSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a letter or _, then letters, digits or _'), z.unknown())
  .refine((v) => Object.keys(v).length <= 100, 'at most 100 variables')
  .refine((v) => JSON.stringify(v).length <= 32_000, 'at most 32 000 characters as JSON');

export const messageCreateSchema = z
  .strictObject({
    to: z.strictObject({ externalId: externalIdSchema }),
    category: z.enum(MESSAGE_CATEGORIES).default('transactional').describe('transactional messages are exempt from commercial consent and marked so'),
    template: z
      .strictObject({
        id: templateIdSchema,
        version: z.number().int().min(1).optional().describe('default: the latest published version (pinned when the message is accepted)'),
        variables: variablesSchema.optional().describe('send-time variables, `{{ vars.name }}` in the template'),
      })
      .optional()
      .describe('a published template to render per channel at send time; or give inline content (push, sms, email) instead'),
    push: pushContentSchema
      .extend({ title: z.string().min(1).max(200).optional().describe('notification title (Liquid)') })
      .optional()
      .describe('inline push content (Liquid over profile and vars, rendered at send time)'),
    sms: z.strictObject({ text: z.string().min(1).max(918).describe('message text (Liquid)') }).optional().describe('inline SMS content; without it and without `channels`, the SMS fallback sends "title: body"'),
    email: emailContentSchema.optional().describe('inline e-mail content (subject, html and/or text; Liquid)'),
    channels: channelOrderSchema.optional(),
    smsFallback: z.boolean().default(true).describe('without `channels`: whether SMS follows push'),
    fallbackAfterSeconds: z.number().int().min(1).max(MAX_FALLBACK_SECONDS).optional().describe('how long to wait for the device receipt before the next channel (default from FALLBACK_TIMEOUT_SECONDS)'),
    idempotencyKey: z.string().min(1).max(200).optional().describe('the same key answers the same message, never a second send'),
    overrideCaps: z.boolean().optional().describe("send even when the app's frequency caps are reached (the send is still counted); only a key with the operator role may set it (403 otherwise)"),
  })
  .superRefine((m, ctx) => {
    const inline = INLINE_CHANNELS.filter((c) => m[c] !== undefined);
    if (m.template) {
      for (const c of inline) ctx.addIssue({ code: 'custom', path: [c], message: 'give either a template or inline content, not both' });
      return;
    }
    const order = m.channels ?? (m.smsFallback ? ['push', 'sms'] : ['push']);
    for (const c of order) {
      // Without a channel order, the SMS fallback may send the push text (what it always did).
      if (m[c] === undefined && !(c === 'sms' && m.channels === undefined)) {
        ctx.addIssue({ code: 'custom', path: [c], message: `content for ${c} is needed: it is in the channel order (${order.join(', ')})` });
      }
    }
    for (const c of m.channels ? inline : []) {
      if (!order.includes(c)) ctx.addIssue({ code: 'custom', path: [c], message: `${c} is not in the channel order (${order.join(', ')})` });
    }
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

export const receiptSchema = z
  .strictObject({
    appId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'an app id: lowercase letters, digits or -'),
    messageId: z.uuid().optional().describe('the rota_message_id from the push payload (a message)'),
    deliveryId: z.string().min(1).max(400).optional().describe('the rota_delivery_id from the push payload (a campaign or journey send)'),
    token: z.string().min(1).max(200).describe('the rota_receipt_token from the push payload'),
    status: z.enum(RECEIPT_STATUSES),
    at: z.iso.datetime({ offset: true }).optional().describe('when the device saw it; default now'),
  })
  .refine((r) => (r.messageId === undefined) !== (r.deliveryId === undefined), { path: ['messageId'], message: 'give messageId or deliveryId (one of them)' })
  .refine((r) => r.status !== 'removed' || r.deliveryId !== undefined, { path: ['status'], message: 'removed is for a campaign delivery (deliveryId): messages are not recalled' });
