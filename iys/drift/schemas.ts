/** The drift API's shapes (zod: validation and OpenAPI from one place) and the report view. */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { DriftItem, IysDriftReportDoc } from '../../data/models/iysDrift';
import { DRIFT_KINDS, DRIFT_STATUSES, type DriftKind } from '../../domain/iysSync';
import { CONSENT_STATUSES, CONSENT_TYPES, RECIPIENT_TYPES } from '../consent';
import { formatIysDate } from '../dates';

export const newDriftReportId = () => `drf_${randomUUID().replaceAll('-', '')}`;

export const driftParamsSchema = z.object({ id: z.string().regex(/^drf_[0-9a-f]{32}$/, 'not a drift report id') });

export const driftQuerySchema = z.strictObject({
  kind: z.enum(DRIFT_KINDS).default('rota_onay_iys_not').describe('which differences to list'),
  page: z.coerce.number().int().min(0).max(100_000).default(0),
});

const kindCounts = z.object(Object.fromEntries(DRIFT_KINDS.map((k) => [k, z.number().int()])) as Record<DriftKind, z.ZodNumber>);

export const driftStartedSchema = z.object({ id: z.string(), status: z.literal('running') });

export const driftReportSchema = z.object({
  id: z.string(),
  status: z.enum(DRIFT_STATUSES),
  requestedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  error: z.string().optional(),
  compared: z.record(z.string(), z.number().int()).optional().describe('profiles compared per consent type'),
  counts: kindCounts.optional(),
  kind: z.enum(DRIFT_KINDS),
  page: z.number().int(),
  differences: z.array(
    z.object({
      recipient: z.string(),
      externalId: z.string().optional(),
      type: z.enum(CONSENT_TYPES),
      recipientType: z.enum(RECIPIENT_TYPES),
      rotaStatus: z.enum(CONSENT_STATUSES),
      rotaConsentDate: z.string().describe('Turkey time, YYYY-MM-DD HH:mm:ss'),
    }),
  ),
  nextPage: z.number().int().optional(),
});

export function toDriftView(r: IysDriftReportDoc, id: string, kind: DriftKind, page: number, items: DriftItem[], more: boolean): z.infer<typeof driftReportSchema> {
  return {
    id, status: r.status, requestedAt: r.requestedAt.toISOString(), ...(r.finishedAt ? { finishedAt: r.finishedAt.toISOString() } : {}),
    ...(r.error ? { error: r.error } : {}), ...(r.compared ? { compared: r.compared } : {}), ...(r.counts ? { counts: r.counts } : {}),
    kind, page,
    differences: items.map((i) => ({ ...i, rotaConsentDate: formatIysDate(new Date(i.rotaConsentDate)) })),
    ...(more ? { nextPage: page + 1 } : {}),
  };
}
