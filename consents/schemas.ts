/** Shapes of the consent API: one change, an import row, the stored consent, the audit entries. */
import { z } from 'zod';
import { CONSENT_STATUSES, CONSENT_TYPES, HS_SOURCES, RECIPIENT_TYPES } from '../iys/consent';
import { CONSENT_ORIGINS, IYS_DELIVERY_STATES } from '../data/models/consentChanges';
import { externalIdSchema } from '../profiles/schemas';
import { CONSENT_DATE_FORMATS, parseConsentDate } from './consentDate';

export const MAX_IMPORT_ROWS = 50_000;

const consentDateSchema = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const at = parseConsentDate(text.trim());
    if (at === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a valid date: use ${CONSENT_DATE_FORMATS}` });
      return z.NEVER;
    }
    return at;
  })
  .describe(CONSENT_DATE_FORMATS);

const consentFields = {
  status: z.enum(CONSENT_STATUSES),
  recipientType: z.enum(RECIPIENT_TYPES).default('BIREYSEL').describe('İYS default: BIREYSEL; TACIR for merchants'),
  source: z.enum(HS_SOURCES).describe('how the consent was obtained (İYS HS_* source)'),
  consentDate: consentDateSchema,
};

/** PUT /v1/profiles/:externalId/consents/:type */
export const consentPutSchema = z.strictObject(consentFields);
export const consentParamsSchema = z.object({ externalId: externalIdSchema, type: z.enum(CONSENT_TYPES) });

/** One import row (JSON object, or a CSV line under a header with these names). */
export const importRowSchema = z.strictObject({ externalId: externalIdSchema, type: z.enum(CONSENT_TYPES), ...consentFields });
export type ImportRow = z.infer<typeof importRowSchema>;

export const importBodyDoc = z.union([
  z.strictObject({ rows: z.array(importRowSchema).min(1).max(MAX_IMPORT_ROWS) }),
  z.string().describe(`text/csv with a header line: externalId,type,status,recipientType,source,consentDate (at most ${MAX_IMPORT_ROWS} rows)`),
]);

export const consentViewSchema = z.object({
  type: z.enum(CONSENT_TYPES),
  recipient: z.string(),
  recipientType: z.enum(RECIPIENT_TYPES),
  status: z.enum(CONSENT_STATUSES),
  source: z.string(),
  consentDate: z.string().describe('İYS format, Turkey time'),
  consentDateIso: z.iso.datetime(),
  origin: z.enum(CONSENT_ORIGINS),
  seq: z.number().int().describe('position in the ordered change list of this recipient and type'),
  iys: z.object({
    state: z.enum(IYS_DELIVERY_STATES).describe('pending until İYS answers; not_needed for changes that came from İYS; skipped in Sync mode when İYS has no record'),
    via: z.enum(['single', 'batch']).optional(),
    transactionId: z.string().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
    at: z.iso.datetime().optional(),
  }),
});
export type ConsentView = z.infer<typeof consentViewSchema>;

export const profileConsentsSchema = z.object({
  externalId: z.string(),
  consents: z.partialRecord(z.enum(CONSENT_TYPES), consentViewSchema),
});

export const putResultSchema = z.object({
  outcome: z.enum(['stored', 'unchanged']),
  consent: consentViewSchema,
});

const issueSchema = z.object({ path: z.string(), message: z.string() });

export const importResultSchema = z.object({
  stored: z.number().int(),
  unchanged: z.number().int(),
  ignored: z.number().int().describe('older than the stored consent (or RET on RET): not applied'),
  rejected: z.number().int(),
  results: z.array(
    z.object({
      index: z.number().int().describe('0-based row index (CSV: data lines after the header)'),
      outcome: z.enum(['stored', 'unchanged', 'ignored', 'rejected']),
      reason: z.string().optional(),
      errors: z.array(issueSchema).optional(),
    }),
  ),
});
export type ImportResult = z.infer<typeof importResultSchema>;

export const auditQuerySchema = z.strictObject({
  externalId: externalIdSchema.optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('inclusive'),
  to: z.iso.datetime({ offset: true }).optional().describe('exclusive'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
});

const snapshotView = z.object({
  status: z.enum(CONSENT_STATUSES),
  recipientType: z.enum(RECIPIENT_TYPES),
  consentDate: z.string(),
  recipient: z.string(),
  source: z.string().optional(),
});

export const auditPageSchema = z.object({
  entries: z.array(
    z.object({
      id: z.string(),
      externalId: z.string(),
      type: z.enum(CONSENT_TYPES),
      recipient: z.string(),
      before: snapshotView.optional(),
      after: snapshotView,
      origin: z.enum(CONSENT_ORIGINS),
      actor: z.object({ keyId: z.string().optional(), job: z.string().optional() }),
      at: z.iso.datetime(),
    }),
  ),
  nextCursor: z.string().optional(),
});
