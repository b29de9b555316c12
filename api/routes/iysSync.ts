/**
 * `/v1/iys/sync`: the app's İYS Sync mode for compliance: its schedule (pause, resume, run
 * now), its state (cursor, next and last run) and its run history.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { iysSettingsOf } from '../../iys/appSettings';
import { listRuns } from '../../iys/sync/runs';
import { applySyncSchedule, describeSyncSchedule, MODE_PAUSE_NOTE, setOperatorPause, syncSchedule } from '../../iys/sync/schedule';
import { pauseBodySchema, runsPageSchema, runsQuerySchema, syncStateSchema, toRunView, triggeredSchema } from '../../iys/sync/schemas';
import { syncStateId } from '../../iys/sync/syncPage';

const notInSync = { description: 'the app is not in sync mode (PUT /v1/iys/settings)', schema: errorBodySchema };

export function iysSyncRoutes(deps: ApiDeps) {
  const { db, temporal } = deps;

  /** The app's schedule when it is in sync mode (made if an older deployment never made it); 409 otherwise. */
  async function scheduleInSyncMode(appId: string) {
    const settings = await iysSettingsOf(db, appId);
    if (settings.mode !== 'sync') {
      throw new ApiError(409, 'not_in_sync_mode', `the app's İYS mode is ${settings.mode}, not sync`, [{ path: 'settings.iys.mode', message: 'must be sync' }]);
    }
    if (!(await describeSyncSchedule(temporal, appId))) await applySyncSchedule(deps, appId, settings);
    return syncSchedule(temporal, appId);
  }

  return [
    route({
      method: 'get', path: '/v1/iys/sync', tag: 'iys', access: 'compliance',
      summary: "The sync's state: paused or not, interval, next run, the changes-feed cursor and the last run",
      responses: { 200: { description: 'the state', schema: syncStateSchema } },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        const [settings, schedule, state, [last]] = await Promise.all([
          iysSettingsOf(db, appId), describeSyncSchedule(temporal, appId), db.iysSyncState.findOne({ _id: syncStateId(appId) }).lean(), listRuns(db, appId, { limit: 1 }),
        ]);
        // Paused as Rota's records say (Temporal shows a fresh pause a moment later).
        const note = settings.mode !== 'sync' ? MODE_PAUSE_NOTE : state?.pause?.note;
        const next = schedule?.info.nextActionTimes[0];
        res.json({
          mode: settings.mode, scheduled: schedule !== undefined, paused: note !== undefined || !schedule,
          ...(note ? { note } : {}),
          intervalMinutes: settings.syncIntervalMinutes,
          ...(next && !note ? { nextRunAt: next.toISOString() } : {}),
          ...(state?.cursor ? { cursor: state.cursor } : {}), ...(state?.updatedAt ? { cursorUpdatedAt: state.updatedAt.toISOString() } : {}),
          ...(last ? { lastRun: toRunView(last) } : {}),
        });
      },
    }),
    route({
      method: 'get', path: '/v1/iys/sync/runs', tag: 'iys', access: 'compliance',
      summary: 'Sync runs, newest first, with what became of the movements each pulled',
      query: runsQuerySchema,
      responses: { 200: { description: 'a page of runs', schema: runsPageSchema }, 400: { description: 'a bad limit or before (the field is named)', schema: errorBodySchema } },
      handler: async ({ query, req, res }) => {
        const runs = await listRuns(db, appIdOf(req), { limit: query.limit, ...(query.before ? { before: new Date(query.before) } : {}) });
        const last = runs.length === query.limit ? runs.at(-1) : undefined;
        res.json({ runs: runs.map(toRunView), ...(last ? { nextBefore: last.startedAt.toISOString() } : {}) });
      },
    }),
    route({
      method: 'post', path: '/v1/iys/sync/run', tag: 'iys', access: 'compliance',
      summary: 'Run the sync now, or right after the run still going (never two at once)',
      responses: { 202: { description: 'a run was asked for; see GET /v1/iys/sync/runs', schema: triggeredSchema }, 409: notInSync },
      handler: async ({ req, res }) => {
        // BUFFER_ONE: never a second run beside one still going (the trigger's default would start one), and never a
        // request lost because the schedule has not yet seen the last run end: the run starts once that one is over.
        await (await scheduleInSyncMode(appIdOf(req))).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
        res.status(202).json({ triggered: true, note: 'starts at once, or right after a run still going' });
      },
    }),
    route({
      method: 'post', path: '/v1/iys/sync/pause', tag: 'iys', access: 'compliance',
      summary: 'Pause the scheduled sync (a run going on finishes); run now still works',
      body: pauseBodySchema,
      responses: { 200: { description: 'paused', schema: syncStateSchema.pick({ paused: true, note: true }) }, 400: { description: 'a bad note', schema: errorBodySchema }, 409: notInSync },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const note = body.note ?? 'paused by an operator';
        await scheduleInSyncMode(appId);
        await setOperatorPause(db, temporal, appId, note);
        res.json({ paused: true, note });
      },
    }),
    route({
      method: 'post', path: '/v1/iys/sync/resume', tag: 'iys', access: 'compliance',
      summary: 'Resume the scheduled sync',
      responses: { 200: { description: 'resumed', schema: syncStateSchema.pick({ paused: true }) }, 409: notInSync },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        await scheduleInSyncMode(appId);
        await setOperatorPause(db, temporal, appId, undefined);
        res.json({ paused: false });
      },
    }),
  ];
}
