/**
 * `/v1/settings/uninstall-probe`: the app's scheduled uninstall probe (a silent push to
 * devices not seen for N days; a provider's "token is dead" marks the device uninstalled).
 * Admins change the settings, operators read them, run the probe now and read its runs.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { listProbeRuns } from '../../uninstallProbe/runs';
import { applyProbeSchedule, describeProbeSchedule, probeSchedule } from '../../uninstallProbe/schedule';
import { probeRunsPageSchema, probeRunsQuerySchema, probeSettingsView, probeTriggeredSchema, toProbeRunView } from '../../uninstallProbe/schemas';
import { probeSettingsOf, saveProbeSettings, uninstallProbeSettingsSchema } from '../../uninstallProbe/settings';

const PATH = '/v1/settings/uninstall-probe';

export function uninstallProbeRoutes(deps: ApiDeps) {
  const { db, temporal } = deps;

  async function view(appId: string) {
    const [settings, schedule, [last]] = await Promise.all([probeSettingsOf(db, appId), describeProbeSchedule(temporal, appId), listProbeRuns(db, appId, { limit: 1 })]);
    const next = settings.enabled ? schedule?.info.nextActionTimes[0] : undefined;
    return { ...settings, scheduled: schedule !== undefined, ...(next ? { nextRunAt: next.toISOString() } : {}), ...(last ? { lastRun: toProbeRunView(last) } : {}) };
  }

  return [
    route({
      method: 'get', path: PATH, tag: 'settings', access: 'operator',
      summary: "The app's uninstall probe: enabled or not (off by default), how stale a device must be, the interval, the next and the last run",
      responses: { 200: { description: 'the settings in effect', schema: probeSettingsView } },
      handler: async ({ req, res }) => {
        res.json(await view(appIdOf(req)));
      },
    }),
    route({
      method: 'put', path: PATH, tag: 'settings', access: 'admin',
      summary:
        'Replace the uninstall-probe settings. Enabled: a Temporal Schedule sends a silent push every intervalHours to each installed device not seen for staleDays, and marks uninstalled those the provider (FCM UNREGISTERED, APNs 410) reports dead; a push merely not acknowledged marks nothing. Disabled: the schedule is deleted. A field left out takes its default.',
      body: uninstallProbeSettingsSchema,
      responses: {
        200: { description: 'the new settings, in effect', schema: probeSettingsView },
        400: { description: 'invalid settings (the field is named)', schema: errorBodySchema },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        await saveProbeSettings(db, appId, body);
        await applyProbeSchedule(deps, appId, body);
        res.json(await view(appId));
      },
    }),
    route({
      method: 'post', path: `${PATH}/run`, tag: 'settings', access: 'operator',
      summary: 'Run the probe now, or right after the run still going (never two at once)',
      responses: {
        202: { description: 'a run was asked for; see GET /v1/settings/uninstall-probe/runs', schema: probeTriggeredSchema },
        409: { description: 'the probe is not enabled (PUT /v1/settings/uninstall-probe)', schema: errorBodySchema },
      },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        const settings = await probeSettingsOf(db, appId);
        if (!settings.enabled) throw new ApiError(409, 'probe_disabled', 'the uninstall probe is not enabled', [{ path: 'settings.uninstallProbe.enabled', message: 'must be true' }]);
        // Made again if it went missing (e.g. a Temporal namespace reset).
        if (!(await describeProbeSchedule(temporal, appId))) await applyProbeSchedule(deps, appId, settings);
        // BUFFER_ONE: never a second run beside one still going, and never a request lost while the last run ends.
        await probeSchedule(temporal, appId).trigger(ScheduleOverlapPolicy.BUFFER_ONE);
        res.status(202).json({ triggered: true, note: 'starts at once, or right after a run still going' });
      },
    }),
    route({
      method: 'get', path: `${PATH}/runs`, tag: 'settings', access: 'operator',
      summary: 'Probe runs, newest first, with their counts: probed, marked uninstalled, no answer, errors',
      query: probeRunsQuerySchema,
      responses: { 200: { description: 'a page of runs', schema: probeRunsPageSchema }, 400: { description: 'a bad limit or before (the field is named)', schema: errorBodySchema } },
      handler: async ({ query, req, res }) => {
        const runs = await listProbeRuns(db, appIdOf(req), { limit: query.limit, ...(query.before ? { before: new Date(query.before) } : {}) });
        const last = runs.length === query.limit ? runs.at(-1) : undefined;
        res.json({ runs: runs.map(toProbeRunView), ...(last ? { nextBefore: last.startedAt.toISOString() } : {}) });
      },
    }),
  ];
}
