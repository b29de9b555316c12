/** Shapes of the event API: one source for validation, types and OpenAPI. */
import { z } from 'zod';
import { attributeMapSchema } from '../attributes/names';
import { externalIdSchema } from '../profiles/schemas';

export const MAX_BATCH = 1000;
export const MAX_EVENT_ATTRIBUTES = 25;
export const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

export const eventNameSchema = z.string().regex(EVENT_NAME, 'letters, digits, _ . : -, starting with a letter (at most 64)');

export const eventInputSchema = z
  .strictObject({
    eventId: z.string().min(1).max(128).optional().describe('Idempotency key: an event id seen before is counted as a duplicate, not stored again. Strongly recommended (SDKs retry).'),
    name: eventNameSchema,
    externalId: externalIdSchema.optional(),
    anonymousId: externalIdSchema.optional(),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe("The device's time of the event (default: now); late events from offline devices are kept at their real time"),
    attributes: attributeMapSchema(MAX_EVENT_ATTRIBUTES, `at most ${MAX_EVENT_ATTRIBUTES} attributes per event`)
      .optional()
      .describe('string, number, boolean, ISO date or list of strings'),
  })
  .refine((e) => (e.externalId === undefined) !== (e.anonymousId === undefined), { message: 'give exactly one of externalId and anonymousId', path: ['externalId'] });
export type EventInput = z.infer<typeof eventInputSchema>;

/**
 * What the route accepts: one event, or `{ events: [...] }`; each batch item is validated on
 * its own (eventInputSchema). A body with `events` is a batch, whatever else it holds, so a
 * bad batch is answered as one (`body.events`), never read as a single event.
 */
export const eventsBodySchema = z.record(z.string(), z.unknown()).superRefine((body, ctx) => {
  if (!Object.hasOwn(body, 'events')) return;
  const { events } = body;
  if (!Array.isArray(events)) ctx.addIssue({ code: 'custom', path: ['events'], message: 'must be a list of events' });
  else if (events.length === 0) ctx.addIssue({ code: 'custom', path: ['events'], message: 'must hold at least 1 event' });
  for (const key of Object.keys(body)) if (key !== 'events') ctx.addIssue({ code: 'custom', path: [key], message: 'a batch holds events only: {"events": [...]}' });
});
/** The same, as documented. */
export const eventsBodyDoc = z.union([z.strictObject({ events: z.array(eventInputSchema).min(1).max(MAX_BATCH) }), eventInputSchema]);

export const ingestResultSchema = z.object({
  accepted: z.number().int().describe('events stored now'),
  duplicates: z.number().int().describe('events whose eventId was stored before (or twice in this batch): not stored again'),
  rejected: z.array(z.object({ index: z.number().int(), errors: z.array(z.object({ path: z.string(), message: z.string() })) })),
});
export type IngestResult = z.infer<typeof ingestResultSchema>;
