/** `/v1/iys/settings`: an app's İYS mode and brand. Admins change them; compliance reads them. */
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { iysSettingsOf, iysSettingsSchema } from '../../iys/appSettings';
import { afterIysSettingsChange } from '../../iys/modeChange';
import { outboxStatus } from '../../iys/outbox/status';
import { z } from 'zod';

export function iysRoutes(deps: ApiDeps) {
  const { db, config } = deps;
  return [
    route({
      method: 'get', path: '/v1/iys/settings', tag: 'iys', access: 'compliance',
      summary: "The app's İYS mode (off, integrator, sync), brand and sync interval",
      responses: { 200: { description: 'the settings', schema: iysSettingsSchema } },
      handler: async ({ req, res }) => {
        res.json(await iysSettingsOf(db, appIdOf(req)));
      },
    }),
    route({
      method: 'put', path: '/v1/iys/settings', tag: 'iys', access: 'admin',
      summary: 'Switch the İYS mode: integrator pushes every local change to İYS; sync pulls İYS changes on a schedule and pushes only to records İYS has',
      body: iysSettingsSchema,
      responses: {
        200: { description: 'the new settings, in effect', schema: iysSettingsSchema },
        400: { description: 'invalid settings (the field is named)', schema: errorBodySchema },
        409: { description: 'İYS is not configured for this deployment (IYS_URL, IYS_USERNAME, IYS_PASSWORD)', schema: errorBodySchema },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        if (body.mode !== 'off' && !(config.IYS_URL && config.IYS_USERNAME && config.IYS_PASSWORD)) {
          throw new ApiError(409, 'iys_not_configured', 'İYS is not configured for this deployment: set IYS_URL, IYS_USERNAME and IYS_PASSWORD', [{ path: 'body.mode', message: 'needs İYS credentials' }]);
        }
        await db.apps.updateOne({ _id: appId }, { $set: { 'settings.iys': body } });
        await afterIysSettingsChange(deps, appId, body);
        res.json(body);
      },
    }),
    route({
      method: 'get', path: '/v1/iys/outbox', tag: 'iys', access: 'compliance',
      summary: 'The outbox that sends changes to İYS: running or not, what it waits on, what it sent, and the attempt and error while İYS is failing',
      responses: { 200: { description: 'the outbox', schema: z.object({ running: z.boolean() }).loose() } },
      handler: async ({ req, res }) => {
        res.json(await outboxStatus(deps.temporal, appIdOf(req)));
      },
    }),
  ];
}
