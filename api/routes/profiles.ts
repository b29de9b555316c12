import { ApiError } from '../errors';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { route } from '../routing';
import { z } from 'zod';
import { externalIdSchema, profileUpsertSchema, profileViewSchema } from '../../profiles/schemas';
import { toProfileView, upsertProfile } from '../../profiles/upsertProfile';
import { findProfileId } from '../../profiles/profileKeys';

export function profileRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/profiles', tag: 'profiles', access: 'ingest',
      summary: 'Create or update a profile by externalId, with its channels and devices',
      body: profileUpsertSchema,
      responses: { 200: { description: 'updated', schema: profileViewSchema }, 201: { description: 'created', schema: profileViewSchema } },
      handler: async ({ body, req, res }) => {
        const { profile, created } = await upsertProfile(db, appIdOf(req), body);
        res.status(created ? 201 : 200).json(toProfileView(profile));
      },
    }),
    route({
      method: 'get', path: '/v1/profiles/:externalId', tag: 'profiles', access: 'ingest',
      summary: 'Read a profile with its devices',
      params: z.object({ externalId: externalIdSchema }),
      responses: { 200: { description: 'the profile', schema: profileViewSchema }, 404: { description: 'no such profile' } },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const profileId = await findProfileId(db, appId, { externalId: params.externalId });
        const profile = profileId ? await db.profiles.findOne({ _id: profileId }).lean() : null;
        if (!profile) throw new ApiError(404, 'not_found', `no profile with externalId ${params.externalId}`);
        res.json(toProfileView(profile));
      },
    }),
  ];
}
