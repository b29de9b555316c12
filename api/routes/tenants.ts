import { z } from 'zod';
import { ATTRIBUTE_MODES } from '../../domain/attributes';
import { ROLES } from '../../domain/auth';
import { saveApiKey } from '../../tenants/apiKeys';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, insertOr409 } from '../errors';
import { route } from '../routing';

const keyView = z.object({ id: z.string(), name: z.string(), roles: z.array(z.enum(ROLES)), createdAt: z.iso.datetime() });

export function tenantRoutes({ db, auth }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/apps', tag: 'tenants', access: 'platform',
      summary: 'Create an app (tenant) and its first admin key, shown once',
      body: z.strictObject({
        id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,31}$/, '3 to 32 lowercase letters, digits or -, starting with a letter or digit'),
        name: z.string().min(1).max(200),
        attributeMode: z.enum(ATTRIBUTE_MODES).default('permissive'),
      }),
      responses: {
        201: { description: 'created; adminKey is not shown again', schema: z.object({ id: z.string(), name: z.string(), attributeMode: z.enum(ATTRIBUTE_MODES), adminKey: z.string() }) },
        409: { description: 'an app with this id exists' },
      },
      handler: async ({ body, res }) => {
        await insertOr409(() => db.apps.create({ _id: body.id, name: body.name, settings: { attributeMode: body.attributeMode } }), `app ${body.id} exists`, 'body.id');
        const adminKey = await saveApiKey(db, { appId: body.id, name: 'first admin key', roles: ['admin'] });
        res.status(201).json({ ...body, adminKey });
      },
    }),
    route({
      method: 'post', path: '/v1/keys', tag: 'tenants', access: 'admin',
      summary: "Create an API key for this app with the given roles; the key is shown once",
      body: z.strictObject({ name: z.string().min(1).max(200), roles: z.array(z.enum(ROLES)).min(1) }),
      responses: { 201: { description: 'created', schema: keyView.extend({ key: z.string() }) } },
      handler: async ({ body, req, res }) => {
        const key = await saveApiKey(db, { appId: appIdOf(req), name: body.name, roles: body.roles });
        const id = key.split('_')[1]!;
        res.status(201).json({ id, name: body.name, roles: body.roles, createdAt: new Date().toISOString(), key });
      },
    }),
    route({
      method: 'get', path: '/v1/keys', tag: 'tenants', access: 'admin',
      summary: "This app's API keys (never their secrets)",
      responses: { 200: { description: 'the keys', schema: z.object({ keys: z.array(keyView) }) } },
      handler: async ({ req, res }) => {
        const keys = await db.apiKeys.find({ appId: appIdOf(req) }).sort({ createdAt: 1 }).lean();
        res.json({ keys: keys.map((k) => ({ id: k._id, name: k.name, roles: k.roles, createdAt: k.createdAt.toISOString() })) });
      },
    }),
    route({
      method: 'delete', path: '/v1/keys/:id', tag: 'tenants', access: 'admin',
      summary: 'Revoke an API key of this app (other API processes honour it within 10 seconds)',
      params: z.object({ id: z.string().regex(/^[a-z0-9]{8}$/, 'a key id: 8 lowercase letters or digits') }),
      responses: { 204: { description: 'revoked' }, 404: { description: 'no such key in this app' } },
      handler: async ({ params, req, res }) => {
        const { deletedCount } = await db.apiKeys.deleteOne({ _id: params.id, appId: appIdOf(req) });
        if (deletedCount === 0) throw new ApiError(404, 'not_found', `no key ${params.id} in this app`);
        auth.forget(params.id);
        res.status(204).end();
      },
    }),
  ];
}
