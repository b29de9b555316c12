/**
 * `/v1/iys/settings`: an app's İYS mode and brand. Admins change them, to a brand the platform
 * administrator assigned to the app (`POST /v1/apps/{id}/iys-brands`); compliance reads them.
 */
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { iysBrandView, iysSettingsOf, iysSettingsSchema, toIysBrandView } from '../../iys/appSettings';
import { afterIysSettingsChange } from '../../iys/modeChange';
import { outboxStatus } from '../../iys/outbox/status';
import { iysBrandHolder, iysBrandsOf } from '../../tenants/iysBrands';
import { z } from 'zod';
import type { IysOutcomeDoc } from '../../data/models/iysOutcomes';

const rejectionView = z.object({ type: z.string(), recipient: z.string(), code: z.string().optional(), message: z.string().optional(), via: z.enum(['single', 'batch']), at: z.iso.datetime() });

/** The change's id is `{appId}:{type}:{recipient}:{seq}` (lib/ids.ts consentChangeId): who and what it was about. */
function toRejectionView(appId: string, d: IysOutcomeDoc): z.infer<typeof rejectionView> {
  const [type = '', ...rest] = d._id.slice(appId.length + 1).split(':');
  return { type, recipient: rest.slice(0, -1).join(':'), ...(d.code ? { code: d.code } : {}), ...(d.message ? { message: d.message } : {}), via: d.via, at: d.at.toISOString() };
}

const brandFields = (message: string) => [{ path: 'body.brandCode', message }, { path: 'body.iysCode', message }];

/** A brand another app holds: neither assigned to a second app nor set by one. */
export const iysBrandTaken = () => new ApiError(409, 'iys_brand_taken', 'this İYS brand belongs to another app', brandFields('the brand is assigned to another app'));

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
        403: { description: 'the brand is not assigned to this app (the platform administrator assigns brands)', schema: errorBodySchema },
        409: { description: 'the brand belongs to another app; or İYS is not configured for this deployment (IYS_URL, IYS_USERNAME, IYS_PASSWORD)', schema: errorBodySchema },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        if (body.mode !== 'off' && !(config.IYS_URL && config.IYS_USERNAME && config.IYS_PASSWORD)) {
          throw new ApiError(409, 'iys_not_configured', 'İYS is not configured for this deployment: set IYS_URL, IYS_USERNAME and IYS_PASSWORD', [{ path: 'body.mode', message: 'needs İYS credentials' }]);
        }
        // Brands are never taken back from an app, so a brand held now is still held when the settings are written.
        if (body.iysCode !== undefined && body.brandCode !== undefined) {
          const holder = await iysBrandHolder(db, appId, { iysCode: body.iysCode, brandCode: body.brandCode });
          if (holder === 'other_app') throw iysBrandTaken();
          if (holder === 'none') {
            throw new ApiError(403, 'iys_brand_not_assigned', 'this İYS brand is not assigned to this app: the platform administrator assigns brands (POST /v1/apps/{id}/iys-brands)', brandFields('not assigned to this app'));
          }
        }
        await db.apps.updateOne({ _id: appId }, { $set: { 'settings.iys': body } });
        await afterIysSettingsChange(deps, appId, body);
        res.json(body);
      },
    }),
    route({
      method: 'get', path: '/v1/iys/brands', tag: 'iys', access: 'compliance',
      summary: 'The İYS brands assigned to this app, the ones its settings may name',
      responses: { 200: { description: 'the brands', schema: z.object({ brands: z.array(iysBrandView) }) } },
      handler: async ({ req, res }) => {
        res.json({ brands: (await iysBrandsOf(db, appIdOf(req))).map(toIysBrandView) });
      },
    }),
    route({
      method: 'get', path: '/v1/iys/outbox/rejections', tag: 'iys', access: 'compliance',
      summary: "The latest changes İYS refused, newest first, with its answer code (H-code) and message",
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
      responses: { 200: { description: 'the refusals', schema: z.object({ rejections: z.array(rejectionView) }) }, 400: { description: 'a bad limit', schema: errorBodySchema } },
      handler: async ({ query, req, res }) => {
        const appId = appIdOf(req);
        const docs = await db.iysOutcomes.find({ appId, state: 'rejected' }).sort({ at: -1 }).limit(query.limit).lean();
        res.json({ rejections: docs.map((d) => toRejectionView(appId, d)) });
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
