import { z } from 'zod';
import { allEventNames } from '../../events/eventTypes';
import { eventNameSchema } from '../../events/schemas';
import { scopedId } from '../../lib/ids';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { insertOr409 } from '../errors';
import { route } from '../routing';

const eventTypeView = z.object({
  name: z.string(),
  description: z.string().optional(),
  declared: z.boolean().describe('declared with POST /v1/event-types'),
  sent: z.boolean().describe('the app has sent at least one event of this name'),
});

/** The event names journeys may use: a name is known once declared or once the app has sent it. */
export function eventTypeRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'get', path: '/v1/event-types', tag: 'events', access: ['designer', 'operator'],
      summary: 'Every event name the app knows: declared ones and those it has sent',
      responses: { 200: { description: 'the names, sorted', schema: z.object({ eventTypes: z.array(eventTypeView) }) } },
      handler: async ({ req, res }) => {
        res.json({ eventTypes: await allEventNames(db, appIdOf(req)) });
      },
    }),
    route({
      method: 'post', path: '/v1/event-types', tag: 'events', access: 'designer',
      summary: 'Declare an event name before any device sends it, so a journey can use it now',
      body: z.strictObject({ name: eventNameSchema, description: z.string().min(1).max(500).optional() }),
      responses: { 201: { description: 'declared', schema: eventTypeView }, 409: { description: 'already declared' } },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        await insertOr409(() => db.eventTypes.create({ _id: scopedId(appId, body.name), appId, ...body }), `event ${body.name} is already declared`, 'body.name');
        res.status(201).json(eventTypeView.parse({ ...body, declared: true, sent: Boolean(await db.eventCounters.exists({ appId, name: body.name })) }));
      },
    }),
  ];
}
