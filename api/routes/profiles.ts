import { ApiError } from '../errors';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { route } from '../routing';
import { z } from 'zod';
import { deviceInputSchema, externalIdSchema, profileUpsertSchema, profileViewSchema } from '../../profiles/schemas';
import { eraseProfile } from '../../profiles/eraseProfile';
import { attachDevice, detachDevice } from '../../data/profileDevices';
import { liveJourneys } from '../../journeys/liveJourneys';
import { enterSegmentJourneys } from '../../journeys/segmentEntry';
import { toProfileView, upsertProfile } from '../../profiles/upsertProfile';
import { profileOr404 } from '../profileOr404';

export function profileRoutes({ db, temporal, config }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/profiles', tag: 'profiles', access: 'ingest',
      summary: 'Create or update a profile by externalId, with its channels and devices',
      body: profileUpsertSchema,
      responses: { 200: { description: 'updated', schema: profileViewSchema }, 201: { description: 'created', schema: profileViewSchema } },
      handler: async ({ body, req, res }) => {
        const { profile, created } = await upsertProfile(db, appIdOf(req), body);
        // A profile that comes into a journey's entry segment with this change enters it.
        await enterSegmentJourneys({ db, temporal, config }, profile.appId, [profile._id], await liveJourneys(db, profile.appId));
        res.status(created ? 201 : 200).json(toProfileView(profile));
      },
    }),
    route({
      method: 'delete', path: '/v1/profiles/:externalId', tag: 'profiles', access: 'admin',
      summary: 'Erase a profile (personal-data deletion): devices and keys deleted, delivery and message records anonymised',
      params: z.object({ externalId: externalIdSchema }),
      responses: { 204: { description: 'erased' }, 404: { description: 'no such profile' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        await eraseProfile(db, appId, (await profileOr404(db, appId, params.externalId))._id);
        res.status(204).end();
      },
    }),
    route({
      method: 'post', path: '/v1/profiles/:externalId/devices', tag: 'profiles', access: 'ingest',
      summary: 'Register or update a push device; the token moves here from any other profile',
      params: z.object({ externalId: externalIdSchema }),
      body: deviceInputSchema,
      responses: { 200: { description: 'the profile', schema: profileViewSchema }, 404: { description: 'no such profile' } },
      handler: async ({ params, body, req, res }) => {
        const appId = appIdOf(req);
        const { _id } = await profileOr404(db, appId, params.externalId);
        await attachDevice(db, appId, _id, body);
        res.json(toProfileView((await db.profiles.findOne({ _id }).lean())!));
      },
    }),
    route({
      method: 'delete', path: '/v1/profiles/:externalId/devices/:token', tag: 'profiles', access: 'ingest',
      summary: 'Unregister a push device',
      params: z.object({ externalId: externalIdSchema, token: z.string().min(1).max(4096) }),
      responses: { 204: { description: 'unregistered' }, 404: { description: 'no such profile or device' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const profile = await profileOr404(db, appId, params.externalId);
        if (!profile.devices?.some((d) => d.token === params.token)) throw new ApiError(404, 'not_found', 'no such device on this profile');
        await detachDevice(db, appId, profile._id, params.token);
        res.status(204).end();
      },
    }),
    route({
      method: 'get', path: '/v1/profiles/:externalId', tag: 'profiles', access: 'ingest',
      summary: 'Read a profile with its devices',
      params: z.object({ externalId: externalIdSchema }),
      responses: { 200: { description: 'the profile', schema: profileViewSchema }, 404: { description: 'no such profile' } },
      handler: async ({ params, req, res }) => {
        res.json(toProfileView(await profileOr404(db, appIdOf(req), params.externalId)));
      },
    }),
  ];
}
