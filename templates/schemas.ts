/** Shapes of the template API: the same schemas validate requests and document them (OpenAPI). */
import { z } from 'zod';
import { MISSING_VARIABLE_POLICIES, TEMPLATE_CHANNELS } from './channels';
import { MAX_TEMPLATE_SOURCE } from './liquid';

export const templateIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ and -, at most 64');

const liquid = (max: number, what: string) => z.string().max(max).describe(`${what} (Liquid)`);
const short = (what: string) => liquid(2_000, what);

// FCM refuses these data keys; APNs has no such list, so the stricter one holds for both.
const RESERVED_DATA_KEY = /^(from|notification|message_type|collapse_key|google\..*|gcm\..*)$/i;
const dataKeySchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, 'a letter or _, then letters, digits, _ and -, at most 64')
  .refine((k) => !RESERVED_DATA_KEY.test(k), 'reserved by the push providers');

export const pushContentSchema = z.strictObject({
  title: short('notification title').optional(),
  body: liquid(4_000, 'notification text').min(1),
  image: short('image URL').optional(),
  deepLink: short('link opened on tap').optional(),
  data: z
    .record(dataKeySchema, liquid(4_000, 'value'))
    .refine((d) => Object.keys(d).length <= 50, 'at most 50 keys')
    .optional()
    .describe('key/value data delivered to the app'),
});

export const smsContentSchema = z.strictObject({ text: liquid(2_000, 'message text').min(1) });

export const emailContentSchema = z
  .strictObject({
    subject: liquid(1_000, 'subject').min(1),
    html: liquid(MAX_TEMPLATE_SOURCE, 'HTML body; outputs are HTML-escaped, `| raw` opts out').optional(),
    text: liquid(100_000, 'plain-text body').optional(),
  })
  .refine((e) => e.html !== undefined || e.text !== undefined, { message: 'an e-mail needs html or text (or both)', path: ['html'] });

export const webPushContentSchema = z.strictObject({
  title: short('notification title').min(1),
  body: liquid(4_000, 'notification text').optional(),
  icon: short('icon URL').optional(),
  url: short('page opened on click').optional(),
});

export const channelsSchema = z
  .strictObject({ push: pushContentSchema.optional(), sms: smsContentSchema.optional(), email: emailContentSchema.optional(), webPush: webPushContentSchema.optional() })
  .refine((c) => TEMPLATE_CHANNELS.some((k) => c[k] !== undefined), 'a template needs at least one channel')
  .describe('content per channel; any subset of push, sms, email, webPush');

const policySchema = z.enum(MISSING_VARIABLE_POLICIES).describe(
  'a variable the recipient lacks (used without a default filter): skip = the recipient is skipped with reason template_missing_variable; fail = the send fails with that reason',
);

export const templateCreateSchema = z.strictObject({
  id: templateIdSchema.optional().describe('default: generated'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  missingVariable: policySchema.default('skip'),
  channels: channelsSchema,
});
export type TemplateCreate = z.infer<typeof templateCreateSchema>;

export const templateUpdateSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional().describe('null clears it'),
    missingVariable: policySchema.optional(),
    channels: z
      .strictObject({
        push: pushContentSchema.nullable().optional(),
        sms: smsContentSchema.nullable().optional(),
        email: emailContentSchema.nullable().optional(),
        webPush: webPushContentSchema.nullable().optional(),
      })
      .optional()
      .describe('each channel given replaces that channel of the draft; null removes it; channels not named stay'),
  })
  .refine((u) => Object.values(u).some((v) => v !== undefined), 'nothing to change');
export type TemplateUpdate = z.infer<typeof templateUpdateSchema>;

const channelsViewSchema = z.object({
  push: pushContentSchema.optional(),
  sms: smsContentSchema.optional(),
  email: emailContentSchema.optional(),
  webPush: webPushContentSchema.optional(),
});

export const templateViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  missingVariable: z.enum(MISSING_VARIABLE_POLICIES),
  channels: channelsViewSchema.describe('the draft'),
  revision: z.number().int().describe('how many times the draft was saved'),
  latestVersion: z.number().int().nullable().describe('the newest published version; null before the first publish'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const versionViewSchema = z.object({
  id: z.string().describe('the template id'),
  version: z.number().int().min(1),
  name: z.string(),
  description: z.string().optional(),
  missingVariable: z.enum(MISSING_VARIABLE_POLICIES),
  channels: channelsViewSchema,
  publishedAt: z.iso.datetime(),
});

export const versionSummarySchema = versionViewSchema.pick({ id: true, version: true, name: true, publishedAt: true }).extend({
  channels: z.array(z.enum(TEMPLATE_CHANNELS)),
});

export const versionParamSchema = z.union([
  z.literal('latest'),
  z.string().regex(/^[1-9][0-9]{0,8}$/, 'a version number (1, 2, …) or latest').transform(Number),
]);

const attributesSchema = z.record(z.string().max(128), z.unknown());

export const previewSchema = z.strictObject({
  externalId: z.string().min(1).max(128).describe('the profile to render for'),
  version: z
    .union([z.literal('draft'), z.literal('latest'), z.number().int().min(1)])
    .default('draft')
    .describe('the draft (default), the latest published version, or a version number'),
  channels: z.array(z.enum(TEMPLATE_CHANNELS)).min(1).optional().describe("default: every channel the template has"),
  event: z.strictObject({ name: z.string().max(128).optional(), occurredAt: z.iso.datetime().optional(), attributes: attributesSchema.optional() }).optional().describe('the triggering event, as a journey step would see it'),
  vars: attributesSchema.optional().describe('send-time variables'),
});

const smsCountSchema = z.object({
  encoding: z.enum(['GSM-7', 'UCS-2']),
  shiftTable: z.enum(['default', 'turkish']).nullable().describe('GSM-7: the single shift table escapes come from'),
  unit: z.enum(['septet', 'utf16_code_unit']),
  length: z.number().int(),
  characters: z.number().int(),
  segments: z.number().int(),
  perSegment: z.number().int(),
  remaining: z.number().int(),
  escaped: z.array(z.string()).describe('characters sent as an escape plus a septet (2 septets each)'),
  notGsm: z.array(z.string()).describe('characters in no GSM-7 table (what made it UCS-2)'),
  ucs2Segments: z.number().int().optional().describe('with the Turkish table: what UCS-2 would take'),
  reason: z.string().describe('which encoding was chosen and why'),
});

const failureSchema = z.object({
  ok: z.literal(false),
  reason: z.enum(['template_missing_variable', 'template_empty_content', 'template_channel_missing', 'template_render_error']),
  action: z.enum(['skip', 'fail']).describe('what a send does: skip the recipient, or fail'),
  variable: z.string().optional(),
  field: z.string().optional(),
  line: z.number().int().optional(),
  message: z.string().optional(),
  channel: z.enum(TEMPLATE_CHANNELS).optional(),
});

const rendered = (content: z.ZodType) => z.union([z.object({ ok: z.literal(true), content }), failureSchema]);

export const previewResultSchema = z.object({
  id: z.string(),
  version: z.number().int().nullable().describe('null: the draft'),
  externalId: z.string(),
  channels: z.object({
    push: rendered(pushContentSchema).optional(),
    sms: z.union([z.object({ ok: z.literal(true), content: smsContentSchema, sms: smsCountSchema }), failureSchema]).optional(),
    email: rendered(emailContentSchema).optional(),
    webPush: rendered(webPushContentSchema).optional(),
  }),
});
