import { z } from 'zod';
import { ATTRIBUTE_MODES } from '../../domain/attributes';
import { ROLES } from '../../domain/auth';
import { iysBrandBody, iysBrandView, toIysBrandView } from '../../iys/appSettings';
import { revokeApiKey, saveApiKey } from '../../tenants/apiKeys';
import { assignIysBrand, iysBrandsOf } from '../../tenants/iysBrands';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema, insertOr409 } from '../errors';
import { route } from '../routing';
import { iysBrandTaken } from './iys';

const keyView = z.object({ id: z.string(), name: z.string(), roles: z.array(z.enum(ROLES)), createdAt: z.iso.datetime() });
const appIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{2,31}$/, '3 to 32 lowercase letters, digits or -, starting with a letter or digit');
const appIdParams = z.object({ id: appIdSchema });

export function tenantRoutes({ db, auth }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/apps', tag: 'tenants', access: 'platform',
      summary: 'Create an app (tenant) and its first admin key, shown once',
      body: z.strictObject({
        id: appIdSchema,
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
      summary: 'Revoke an API key of this app (other API processes honour it within 10 seconds); the last admin key cannot be revoked',
      params: z.object({ id: z.string().regex(/^[a-z0-9]{8}$/, 'a key id: 8 lowercase letters or digits') }),
      responses: {
        204: { description: 'revoked' },
        404: { description: 'no such key in this app' },
        409: { description: "the app's last admin key (or a revocation of another admin key is under way: retry)", schema: errorBodySchema },
      },
      handler: async ({ params, req, res }) => {
        const outcome = await revokeApiKey(db, appIdOf(req), params.id);
        if (outcome === 'not_found') throw new ApiError(404, 'not_found', `no key ${params.id} in this app`);
        if (outcome === 'last_admin') {
          throw new ApiError(409, 'last_admin_key', `key ${params.id} is this app's last admin key: create another admin key first`, [{ path: 'params.id', message: 'the last key with the admin role' }]);
        }
        auth.forget(params.id);
        res.status(204).end();
      },
    }),
    route({
      method: 'post', path: '/v1/apps/:id/iys-brands', tag: 'tenants', access: 'platform',
      summary: "Assign an İYS brand (iysCode + brandCode of the deployment's İYS account) to an app; a brand belongs to one app",
      params: appIdParams,
      body: iysBrandBody,
      responses: {
        201: { description: 'assigned', schema: iysBrandView },
        200: { description: 'the app already holds this brand', schema: iysBrandView },
        404: { description: 'no such app', schema: errorBodySchema },
        409: { description: 'another app holds this brand', schema: errorBodySchema },
      },
      handler: async ({ params, body, res }) => {
        if (!(await db.apps.exists({ _id: params.id }))) throw new ApiError(404, 'not_found', `no app ${params.id}`, [{ path: 'params.id', message: 'no such app' }]);
        const assigned = await assignIysBrand(db, params.id, body);
        if (assigned.outcome === 'taken') throw iysBrandTaken();
        res.status(assigned.outcome === 'assigned' ? 201 : 200).json(toIysBrandView(assigned.brand));
      },
    }),
    route({
      method: 'get', path: '/v1/apps/:id/iys-brands', tag: 'tenants', access: 'platform',
      summary: 'The İYS brands assigned to an app',
      params: appIdParams,
      responses: { 200: { description: 'the brands', schema: z.object({ brands: z.array(iysBrandView) }) }, 404: { description: 'no such app', schema: errorBodySchema } },
      handler: async ({ params, res }) => {
        if (!(await db.apps.exists({ _id: params.id }))) throw new ApiError(404, 'not_found', `no app ${params.id}`, [{ path: 'params.id', message: 'no such app' }]);
        res.json({ brands: (await iysBrandsOf(db, params.id)).map(toIysBrandView) });
      },
    }),
  ];
}
