/**
 * Event ingestion: a batch is validated item by item (the valid part is stored, each
 * rejected item is reported by index), profiles are found or created, the events are
 * inserted keyed by their eventId (a duplicate is counted, never stored twice), and the
 * behavioural counters are brought up to date.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { Db } from '../data/db';
import type { EventDoc } from '../data/models/events';
import { insertMissing } from '../data/insertMissing';
import { retryTransient } from '../data/transient';
import { scopedId } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import { resolveProfileIds } from '../profiles/profileKeys';
import { countersOf, ensureCountersOf, insertCounters, utcDay } from './counters';
import { validateEventAttributes } from './eventAttributes';
import { eventInputSchema, type EventInput, type IngestResult } from './schemas';

type Limits = Pick<Config, 'EVENT_MAX_AGE_DAYS' | 'EVENT_MAX_SKEW_SECONDS'>;

interface Valid {
  input: EventInput;
  occurredAt: Date;
  attributes: Record<string, unknown>;
}

/** One item's checks: shape, time window and attribute types. */
function validateItem(raw: unknown, path: string, now: Date, limits: Limits): Valid | FieldIssue[] {
  const parsed = eventInputSchema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message }));
  const input = parsed.data;
  const occurredAt = input.occurredAt ? new Date(input.occurredAt) : now;
  const issues: FieldIssue[] = [];
  if (occurredAt.getTime() > now.getTime() + limits.EVENT_MAX_SKEW_SECONDS * 1000) {
    issues.push({ path: `${path}.occurredAt`, message: `is in the future (more than ${limits.EVENT_MAX_SKEW_SECONDS} s ahead of the server clock)` });
  }
  if (occurredAt.getTime() < now.getTime() - limits.EVENT_MAX_AGE_DAYS * 86_400_000) {
    issues.push({ path: `${path}.occurredAt`, message: `is older than ${limits.EVENT_MAX_AGE_DAYS} days (EVENT_MAX_AGE_DAYS)` });
  }
  const { values, issues: attrIssues } = validateEventAttributes(input.attributes ?? {}, `${path}.attributes`);
  issues.push(...attrIssues);
  return issues.length > 0 ? issues : { input, occurredAt, attributes: values };
}

/** Inserts what is new; answers the docs inserted and the ids that existed already. */
async function insertNew(db: Db, docs: EventDoc[]): Promise<{ inserted: EventDoc[]; existing: string[] }> {
  const existed = await insertMissing(db.events.collection, docs);
  return { inserted: docs.filter((_d, i) => !existed.has(i)), existing: docs.filter((_d, i) => existed.has(i)).map((d) => d._id) };
}

/** The request's answer, and its events as stored (new ones and duplicates alike: journeys route both, a run drops what it has seen). */
export async function ingestEvents(db: Db, limits: Limits, appId: string, items: unknown[], pathOf: (index: number) => string): Promise<{ result: IngestResult; events: EventDoc[] }> {
  const now = new Date();
  const rejected: IngestResult['rejected'] = [];
  const valid: Valid[] = [];
  items.forEach((raw, index) => {
    const v = validateItem(raw, pathOf(index), now, limits);
    if (Array.isArray(v)) rejected.push({ index, errors: v });
    else valid.push(v);
  });

  const profileIds = await resolveProfileIds(db, appId, valid.map((v) => (v.input.externalId !== undefined ? { externalId: v.input.externalId } : { anonymousId: v.input.anonymousId! })));
  const ingestId = randomUUID();
  const seen = new Set<string>();
  let duplicates = 0;
  const docs: EventDoc[] = [];
  valid.forEach((v, i) => {
    const eventId = v.input.eventId ?? randomUUID();
    const _id = scopedId(appId, eventId);
    if (seen.has(_id)) {
      duplicates++;
      return;
    }
    seen.add(_id);
    docs.push({ _id, appId, eventId, profileId: profileIds[i]!, name: v.input.name, occurredAt: v.occurredAt, receivedAt: now, day: utcDay(v.occurredAt), attributes: v.attributes, ingestId });
  });

  const { inserted, existing } = docs.length > 0 ? await retryTransient(() => insertNew(db, docs)) : { inserted: [], existing: [] };
  // Events stored before: by an earlier request (a duplicate), or by this one's own failed first attempt (a transient retry).
  const before = (await Promise.all(existing.map((_id) => db.events.findOne({ _id }, { appId: 1, profileId: 1, name: 1, day: 1, ingestId: 1 }).lean()))).filter((e) => e !== null);
  const ours = before.filter((e) => e.ingestId === ingestId);
  await insertCounters(db, countersOf([...inserted, ...ours]));
  // A re-sent batch: finish the counting of a request that died after storing its events.
  await ensureCountersOf(db, appId, before.filter((e) => e.ingestId !== ingestId));
  return { result: { accepted: inserted.length + ours.length, duplicates: duplicates + existing.length - ours.length, rejected }, events: docs };
}
