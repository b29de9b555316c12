/** The sync API's request and response shapes (zod: validation and OpenAPI from one place) and the views it answers with. */
import { z } from 'zod';
import type { IysSyncRunDoc } from '../../data/models/iysSync';
import { SYNC_RUN_STATUSES } from '../../domain/iysSync';
import { localId } from '../../lib/ids';

export const pauseBodySchema = z.strictObject({
  note: z.string().min(1).max(200).optional().describe('why the sync is paused (shown in GET /v1/iys/sync)'),
});

export const runsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z.iso.datetime({ offset: true }).optional().describe('nextBefore of the previous page: runs started before this time'),
});

const countsView = z.object({
  pulled: z.number().int(), applied: z.number().int(), unchanged: z.number().int(), ignored: z.number().int().describe('older than the consent Rota holds'),
  unmatched: z.number().int().describe('no profile with that address'), errors: z.number().int(),
});

export const runView = z.object({
  runId: z.string(),
  status: z.enum(SYNC_RUN_STATUSES),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  pages: z.number().int(),
  counts: countsView,
  cursor: z.string().optional().describe('the changes-feed cursor the run ended at'),
  reason: z.string().optional().describe('why the run failed or was skipped'),
});

export const runsPageSchema = z.object({ runs: z.array(runView), nextBefore: z.string().optional() });

export const syncStateSchema = z.object({
  mode: z.string(),
  scheduled: z.boolean().describe('false until the app is first put in sync mode'),
  paused: z.boolean(),
  note: z.string().optional(),
  intervalMinutes: z.number().int(),
  nextRunAt: z.iso.datetime().optional(),
  cursor: z.string().optional(),
  cursorUpdatedAt: z.iso.datetime().optional(),
  lastRun: runView.optional(),
});

export const triggeredSchema = z.object({ triggered: z.literal(true), note: z.string() });

export function toRunView(r: IysSyncRunDoc): z.infer<typeof runView> {
  return {
    runId: localId(r._id), status: r.status, startedAt: r.startedAt.toISOString(), ...(r.finishedAt ? { finishedAt: r.finishedAt.toISOString() } : {}),
    pages: r.pages, counts: r.counts, ...(r.cursor ? { cursor: r.cursor } : {}), ...(r.reason ? { reason: r.reason } : {}),
  };
}
