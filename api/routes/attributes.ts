import { z } from 'zod';
import { ATTRIBUTE_NAME_HINT, attributeNameSchema } from '../../attributes/names';
import { appAttributeMode } from '../../attributes/registry';
import { ATTRIBUTE_MODES, ATTRIBUTE_TYPES } from '../../domain/attributes';
import { scopedId } from '../../lib/ids';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { insertOr409 } from '../errors';
import { route } from '../routing';

const definitionInput = z
  .strictObject({
    name: attributeNameSchema.describe(`${ATTRIBUTE_NAME_HINT}; not a name every JavaScript object has (constructor, toString, …)`),
    type: z.enum(ATTRIBUTE_TYPES),
    allowed: z.array(z.string().min(1).max(200)).min(1).max(500).optional().describe('allowed values (string and stringList)'),
    min: z.number().optional().describe('inclusive lower bound (number)'),
    max: z.number().optional().describe('inclusive upper bound (number)'),
    maxLength: z.number().int().min(1).max(100_000).optional().describe('longest string, or longest list'),
  })
  .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, { message: 'min must not exceed max', path: ['min'] })
  .refine((d) => !d.allowed || d.type === 'string' || d.type === 'stringList', { message: 'only string and stringList attributes take allowed values', path: ['allowed'] })
  .refine((d) => (d.min === undefined && d.max === undefined) || d.type === 'number', { message: 'only number attributes take min and max', path: ['min'] });

const definitionView = z.object({
  name: z.string(),
  type: z.enum(ATTRIBUTE_TYPES),
  allowed: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  maxLength: z.number().optional(),
  origin: z.enum(['api', 'inferred']),
});

export function attributeRoutes({ db }: ApiDeps) {
  const view = (d: z.infer<typeof definitionView>) => definitionView.parse(d);
  return [
    route({
      method: 'get', path: '/v1/attributes', tag: 'attributes', access: 'ingest',
      summary: 'The attribute registry: the mode (strict or permissive) and every defined attribute',
      responses: { 200: { description: 'the registry', schema: z.object({ mode: z.enum(ATTRIBUTE_MODES), attributes: z.array(definitionView) }) } },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        const defs = await db.attributeDefinitions.find({ appId }).sort({ name: 1 }).lean();
        res.json({ mode: await appAttributeMode(db, appId), attributes: defs.map(view) });
      },
    }),
    route({
      method: 'post', path: '/v1/attributes', tag: 'attributes', access: 'designer',
      summary: 'Define a custom attribute with its type and limits',
      body: definitionInput,
      responses: { 201: { description: 'defined', schema: definitionView }, 409: { description: 'already defined' } },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        await insertOr409(() => db.attributeDefinitions.create({ _id: scopedId(appId, body.name), appId, origin: 'api', ...body }), `attribute ${body.name} is already defined`, 'body.name');
        res.status(201).json(view({ ...body, origin: 'api' }));
      },
    }),
    route({
      method: 'put', path: '/v1/attributes/mode', tag: 'attributes', access: 'admin',
      summary: 'Strict (unknown attributes are rejected) or permissive (registered on first use with the inferred type)',
      body: z.strictObject({ mode: z.enum(ATTRIBUTE_MODES) }),
      responses: { 200: { description: 'the new mode', schema: z.object({ mode: z.enum(ATTRIBUTE_MODES) }) } },
      handler: async ({ body, req, res }) => {
        await db.apps.updateOne({ _id: appIdOf(req) }, { $set: { 'settings.attributeMode': body.mode } });
        res.json({ mode: body.mode });
      },
    }),
  ];
}
