/** The probe API's response shapes (zod: validation and OpenAPI from one place) and the views it answers with. */
import { z } from 'zod';
import type { UninstallProbeRunDoc } from '../data/models/uninstallProbe';
import { PROBE_RUN_STATUSES } from '../domain/uninstallProbe';
import { localId } from '../lib/ids';
import { uninstallProbeSettingsSchema } from './settings';

export const probeRunsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  before: z.iso.datetime({ offset: true }).optional().describe('nextBefore of the previous page: runs started before this time'),
});

const countsView = z.object({
  probed: z.number().int().describe('stale installed devices sent a silent push'),
  uninstalled: z.number().int().describe('the provider answered the token is dead: marked uninstalled'),
  noAnswer: z.number().int().describe('accepted by the provider and not reported dead: nothing marked, acknowledged or not'),
  errors: z.number().int().describe('any other failure (no adapter, invalid, rate limited, unavailable): nothing marked, asked again next run'),
});

export const probeRunView = z.object({
  runId: z.string(),
  status: z.enum(PROBE_RUN_STATUSES),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  staleBefore: z.iso.datetime().optional().describe('devices last seen before this were probed'),
  pages: z.number().int(),
  counts: countsView,
  reason: z.string().optional().describe('why the run failed or was skipped'),
});

export const probeRunsPageSchema = z.object({ runs: z.array(probeRunView), nextBefore: z.string().optional() });

export const probeSettingsView = uninstallProbeSettingsSchema.extend({
  scheduled: z.boolean().describe('whether the Temporal Schedule uninstall-probe:{appId} exists'),
  nextRunAt: z.iso.datetime().optional(),
  lastRun: probeRunView.optional(),
});

export const probeTriggeredSchema = z.object({ triggered: z.literal(true), note: z.string() });

export function toProbeRunView(r: UninstallProbeRunDoc): z.infer<typeof probeRunView> {
  return {
    runId: localId(r._id), status: r.status, startedAt: r.startedAt.toISOString(), ...(r.finishedAt ? { finishedAt: r.finishedAt.toISOString() } : {}),
    ...(r.staleBefore ? { staleBefore: r.staleBefore.toISOString() } : {}), pages: r.pages, counts: r.counts, ...(r.reason ? { reason: r.reason } : {}),
  };
}
