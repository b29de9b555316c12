import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { route } from '../routing';
import { ingestEvents } from '../../events/ingestEvents';
import { routeEventsToJourneys } from '../../journeys/routeEvents';
import { enterSegmentJourneys } from '../../journeys/segmentEntry';
import { liveJourneys } from '../../journeys/liveJourneys';
import { eventsBodyDoc, eventsBodySchema, ingestResultSchema, MAX_BATCH } from '../../events/schemas';
import { InvalidInputError } from '../../lib/invalidInput';

export function eventRoutes({ db, config, temporal }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/events', tag: 'events', access: 'ingest',
      summary: `Record one event, or a batch of up to ${MAX_BATCH} as {"events": [...]}; late (offline) events keep their occurredAt; each reaches the journeys it enters or a running journey waits for`,
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
        const { result, events } = await ingestEvents(db, config, appId, items, (i) => (batch ? `body.events.${i}` : 'body'));
        // Before the answer: an event a client was told is stored has reached its journeys (a failure here is a 5xx, and the re-sent batch routes again).
        const journeys = events.length > 0 ? await liveJourneys(db, appId) : [];
        await routeEventsToJourneys({ db, temporal, config }, appId, events, journeys);
        await enterSegmentJourneys({ db, temporal, config }, appId, events.map((e) => e.profileId), journeys);
        // Nothing valid at all is the caller's error, answered as such; a partly valid batch stored its valid part.
        if (result.accepted + result.duplicates === 0) throw new InvalidInputError(result.rejected.flatMap((r) => r.errors));
        res.json(result);
      },
    }),
  ];
}
