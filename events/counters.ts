/**
 * Per-profile behavioural counters (events per name per UTC day), written on ingest so that
 * segments sum small counter documents instead of scanning events.
 *
 * Exactly once without updates: an ingest request's counters are derived from the events
 * it stored (all tagged with its `ingestId`), and each counter's `_id` is derived from the
 * request, profile, day and name. Writing them twice inserts nothing new, so a retry, a
 * re-sent batch or a recovery after a crash can always write them again.
 */
import type { Db } from '../data/db';
import { counterId, type EventCounterDoc } from '../data/models/eventCounters';
import type { EventDoc } from '../data/models/events';
import { insertAllMissing } from '../data/insertMissing';

export const DAY_MS = 86_400_000;

export function utcDay(at: Date): number {
  return Math.floor(at.getTime() / DAY_MS);
}

type Counted = Pick<EventDoc, 'appId' | 'profileId' | 'name' | 'day' | 'ingestId'>;

/** The counters of `events`, which must be every event of their ingest requests. */
export function countersOf(events: Counted[]): EventCounterDoc[] {
  const byId = new Map<string, EventCounterDoc>();
  for (const e of events) {
    const _id = counterId(e.profileId, e.day, e.name, e.ingestId);
    const c = byId.get(_id);
    if (c) c.n++;
    else byId.set(_id, { _id, appId: e.appId, profileId: e.profileId, name: e.name, day: e.day, n: 1 });
  }
  return [...byId.values()];
}

/** Inserts counters, skipping those that exist already (written by an earlier attempt). */
export async function insertCounters(db: Db, counters: EventCounterDoc[]): Promise<void> {
  await insertAllMissing(db.eventCounters.collection, counters);
}

/**
 * Makes sure the counters of earlier ingest requests exist (their events are here, so the
 * request stored them; it may have died before writing its counters). Cheap when they do:
 * one `_id` lookup per counter; only a request that really died is recounted from its events.
 */
export async function ensureCountersOf(db: Db, appId: string, events: Counted[]): Promise<void> {
  const checked = new Set<string>();
  const died = new Set<string>();
  for (const e of events) {
    const _id = counterId(e.profileId, e.day, e.name, e.ingestId);
    if (died.has(e.ingestId) || checked.has(_id)) continue;
    checked.add(_id);
    if (!(await db.eventCounters.exists({ _id }))) died.add(e.ingestId);
  }
  for (const ingestId of died) {
    const all = await db.events.find({ appId, ingestId }, { appId: 1, profileId: 1, name: 1, day: 1, ingestId: 1 }).lean();
    await insertCounters(db, countersOf(all));
  }
}

/** The source part of a counter's `_id` (its ingest request, or `m:{original id}` for a moved one). */
function sourceOf(c: EventCounterDoc): string | undefined {
  const prefix = counterId(c.profileId, c.day, c.name, '');
  return c._id.startsWith(prefix) ? c._id.slice(prefix.length) : undefined;
}

/**
 * Moves every event and counter of `from` to `to` (identity merge). The rule that makes
 * counting exactly-once, "the counter of a source (ingest request) exists once its events
 * do", must hold after the move too: each counter moves under an id derived from the
 * original's (`m:{original id}`), and the events it counted move with it, re-tagged with that
 * same source. A pre-merge event re-sent later (with its old anonymousId, which now names
 * `to`) then finds its counter and is only a duplicate; tagged with its old ingest request,
 * it would find none and have its whole request counted again.
 *
 * Every step is safe to repeat, so a repeated or racing merge moves each counter once:
 * events first (a re-sent event meanwhile recounts exactly the counter the merge then
 * inserts, under the same id), then the moved counters, then the originals are deleted.
 */
export async function moveEventsAndCounters(db: Db, appId: string, from: string, to: string): Promise<void> {
  const counters = await db.eventCounters.find({ appId, profileId: from }).lean();
  for (const c of counters) {
    const source = sourceOf(c);
    if (source !== undefined) await db.events.updateMany({ appId, profileId: from, day: c.day, name: c.name, ingestId: source }, { $set: { profileId: to, ingestId: `m:${c._id}` } });
  }
  await insertCounters(db, counters.map((c) => ({ ...c, _id: counterId(to, c.day, c.name, `m:${c._id}`), profileId: to })));
  for (const c of counters) await db.eventCounters.deleteOne({ _id: c._id });
  // Events without a counter yet (their request died before counting, or is still counting): they keep their source, and are counted for `to` when re-sent.
  await db.events.updateMany({ appId, profileId: from }, { $set: { profileId: to } });
}
