/** `GET /v1/whoami`: what the calling key is: its app, its name and its roles (the console shows only what those allow). */
import { z } from 'zod';
import { ROLES } from '../../domain/auth';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { route } from '../routing';

const whoamiSchema = z.object({
  app: z.object({ id: z.string(), name: z.string() }),
  key: z.object({ id: z.string(), name: z.string() }),
  roles: z.array(z.enum(ROLES)),
});

export function whoamiRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'get', path: '/v1/whoami', tag: 'tenants', access: ROLES,
      summary: "The calling key's app, name and roles (any app key may ask; the platform key is not bound to an app)",
      responses: { 200: { description: 'the key', schema: whoamiSchema } },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        const [app, key] = await Promise.all([db.apps.findOne({ _id: appId }).lean(), db.apiKeys.findById(req.auth!.keyId).lean()]);
        res.json({ app: { id: appId, name: app?.name ?? appId }, key: { id: req.auth!.keyId, name: key?.name ?? '' }, roles: req.auth!.roles });
      },
    }),
  ];
}
