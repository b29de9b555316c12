import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { route } from '../routing';
import { ingestEvents } from '../../events/ingestEvents';
import { eventsBodyDoc, eventsBodySchema, ingestResultSchema, MAX_BATCH } from '../../events/schemas';
import { InvalidInputError } from '../../lib/invalidInput';

export function eventRoutes({ db, config }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/events', tag: 'events', access: 'ingest',
      summary: `Record one event, or a batch of up to ${MAX_BATCH} as {"events": [...]}; late (offline) events keep their occurredAt`,
      body: eventsBodySchema,
      bodyDoc: eventsBodyDoc,
      responses: {
        200: { description: 'stored; a batch lists each rejected item by index and reason', schema: ingestResultSchema },
        413: { description: `more than ${MAX_BATCH} events in one batch` },
      },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const batch = Array.isArray(body.events);
        const items = batch ? (body.events as unknown[]) : [body];
        if (items.length > MAX_BATCH) {
          throw new ApiError(413, 'payload_too_large', `a batch holds at most ${MAX_BATCH} events; this one has ${items.length}`, [{ path: 'body.events', message: `at most ${MAX_BATCH} items` }]);
        }
        const result = await ingestEvents(db, config, appId, items, (i) => (batch ? `body.events.${i}` : 'body'));
        // Nothing valid at all is the caller's error, answered as such; a partly valid batch stored its valid part.
        if (result.accepted + result.duplicates === 0) throw new InvalidInputError(result.rejected.flatMap((r) => r.errors));
        res.json(result);
      },
    }),
  ];
}
