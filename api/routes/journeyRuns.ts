/**
 * Journey runs over the API: enrol a profile (API entry), per-step counts of each version,
 * and one profile's runs with the path each took.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import type { JourneyDoc } from '../../data/models/journeys';
import type { Role } from '../../domain/auth';
import { ENTRY_KEY_PATTERN, journeyWorkflowId, profileLocalId } from '../../domain/journeyRuns';
import { journeyIdSchema } from '../../journeys/schemas';
import { findJourneyProfile, journeyProfileView, summedStats, versionStats } from '../../journeys/runs';
import { findVersion } from '../../journeys/store';
import { findProfileId } from '../../profiles/profileKeys';
import { journeyEventSignal, journeyRun } from '../../workflows/journeyRun';

const READERS: readonly Role[] = ['designer', 'operator'];
/** The versions a stats answer covers, newest first. */
const STATS_VERSIONS = 20;

const idParams = z.object({ id: journeyIdSchema });
const enrolBody = z.strictObject({
  externalId: z.string().min(1).max(256),
  entryKey: z.string().regex(ENTRY_KEY_PATTERN, 'letters, digits, _ and -, at most 64').optional().describe('one run per key (e.g. an order id); default: one per profile'),
  idempotencyKey: z.string().min(1).max(128).optional().describe('a repeated enrolment with the same key enters once'),
});
const count = z.number().int();
const stepStats = z.object({ entered: count, waiting: count, left: z.record(z.string(), count), gatedOut: z.record(z.string(), count), converted: count, exited: count });
const totals = z.object({ entered: count, active: count, completed: count, converted: count, exited: count });
const statsSchema = z.object({ journeyId: z.string(), totals, steps: z.record(z.string(), stepStats), versions: z.array(z.object({ version: count, totals, steps: z.record(z.string(), stepStats) })) });

export function journeyRunRoutes(deps: ApiDeps, journeyOr404: (appId: string, id: string) => Promise<JourneyDoc>) {
  const { db, temporal, config } = deps;

  async function profileOr404(appId: string, externalId: string, path: string): Promise<string> {
    const profileId = await findProfileId(db, appId, { externalId });
    if (!profileId) throw new ApiError(404, 'not_found', `no profile ${externalId}`, [{ path, message: 'no such profile' }]);
    return profileId;
  }

  return [
    route({
      method: 'post', path: '/v1/journeys/:id/enrolments', tag: 'journeys', access: 'designer',
      summary: 'Enter a profile into an active journey (API entry; the re-entry policy and caps apply). A running run of the same profile and key takes it as an event and does not enter twice',
      params: idParams,
      body: enrolBody,
      responses: {
        202: { description: 'the run is started (or already running)', schema: z.object({ workflowId: z.string(), eventId: z.string() }) },
        404: { description: 'no such journey or profile' },
        409: { description: 'the journey is not active (details name its state)', schema: errorBodySchema },
      },
      handler: async ({ params, body, req, res }) => {
        const appId = appIdOf(req);
        const j = await journeyOr404(appId, params.id);
        if (j.state !== 'active') throw new ApiError(409, 'invalid_state', `the journey is ${j.state}: it takes no entries`, [{ path: 'state', message: j.state }]);
        const profileId = await profileOr404(appId, body.externalId, 'body.externalId');
        const eventId = `api:${body.idempotencyKey ?? randomUUID()}`;
        const workflowId = journeyWorkflowId(appId, j.journeyId, profileLocalId(profileId), body.entryKey);
        await temporal.workflow.signalWithStart(journeyRun, {
          workflowId, taskQueue: config.TEMPORAL_TASK_QUEUE,
          args: [{ appId, journeyId: j.journeyId, profileId, ...(body.entryKey ? { entryKey: body.entryKey } : {}) }],
          signal: journeyEventSignal, signalArgs: [{ eventId, name: 'api.enrolment', entry: true }],
        });
        res.status(202).json({ workflowId, eventId });
      },
    }),
    route({
      method: 'get', path: '/v1/journeys/:id/stats', tag: 'journeys', access: READERS,
      summary: `Per step: entered, waiting there now, left (by the step each went to), gated out by reason, converted and exited; per version (the newest ${STATS_VERSIONS}) and summed. Exact: each transition counted once`,
      params: idParams,
      responses: { 200: { description: 'the counts', schema: statsSchema }, 404: { description: 'no such journey' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const j = await journeyOr404(appId, params.id);
        const numbers = Array.from({ length: Math.min(j.latestVersion, STATS_VERSIONS) }, (_, i) => j.latestVersion - i);
        const versions = await Promise.all(numbers.map(async (n) => {
          const v = await findVersion(db, appId, j.journeyId, n);
          return versionStats(db, appId, j.journeyId, n, v?.definition.steps.map((s) => s.id) ?? []);
        }));
        res.json({ journeyId: j.journeyId, ...summedStats(versions), versions });
      },
    }),
    route({
      method: 'get', path: '/v1/journeys/:id/profiles/:externalId', tag: 'journeys', access: READERS,
      summary: 'One profile in the journey: each run (per entry key) with its version, status, current step and the path it took',
      params: idParams.extend({ externalId: z.string().min(1).max(256) }),
      responses: { 200: { description: 'the runs' }, 404: { description: 'no such journey or profile, or the profile never entered' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const j = await journeyOr404(appId, params.id);
        const profileId = await profileOr404(appId, params.externalId, 'params.externalId');
        const doc = await findJourneyProfile(db, appId, j.journeyId, profileId);
        if (!doc) throw new ApiError(404, 'not_found', `${params.externalId} never entered journey ${params.id}`);
        res.json({ externalId: params.externalId, ...journeyProfileView(doc) });
      },
    }),
  ];
}
