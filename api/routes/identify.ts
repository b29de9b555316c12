import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { route } from '../routing';
import { identify, IdentityConflictError } from '../../profiles/identify';
import { identifySchema, profileViewSchema } from '../../profiles/schemas';
import { toProfileView } from '../../profiles/upsertProfile';
import { z } from 'zod';

export function identifyRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/identify', tag: 'profiles', access: 'ingest',
      summary: 'Join an anonymous profile to a known one: attributes (known values win), devices, events and counters move; idempotent',
      body: identifySchema,
      responses: {
        200: { description: 'the known profile', schema: z.object({ merged: z.boolean(), profile: profileViewSchema }) },
        409: { description: 'the anonymousId already belongs to another externalId' },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        try {
          const { profileId, merged } = await identify(db, appId, body.anonymousId, body.externalId);
          res.json({ merged, profile: toProfileView((await db.profiles.findOne({ _id: profileId }).lean())!) });
        } catch (err) {
          if (err instanceof IdentityConflictError) throw new ApiError(409, 'conflict', err.message, [{ path: 'body.anonymousId', message: 'belongs to another profile' }]);
          throw err;
        }
      },
    }),
  ];
}
