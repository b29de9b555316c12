/**
 * Per-profile behavioural counters (events per name per UTC day), kept on ingest so that
 * segments sum small counter documents instead of scanning events.
 *
 * The invariant: a counter's `n` equals the number of stored events with its profile, name
 * and day. Ingest adds the events it inserted, then marks them `counted`; an event still
 * uncounted later was left by a process that died between the two steps, and its counters
 * are recounted from the events themselves, which is exact whether or not the add happened.
 */
import type { Db } from '../data/db';
import { counterId } from '../data/models/eventCounters';
import type { EventDoc } from '../data/models/events';

export const DAY_MS = 86_400_000;

export function utcDay(at: Date): number {
  return Math.floor(at.getTime() / DAY_MS);
}

type Counted = Pick<EventDoc, '_id' | 'appId' | 'profileId' | 'name' | 'day'>;

function byCounter(events: Counted[]): Map<string, { appId: string; profileId: string; name: string; day: number; n: number }> {
  const groups = new Map<string, { appId: string; profileId: string; name: string; day: number; n: number }>();
  for (const e of events) {
    const id = counterId(e.profileId, e.day, e.name);
    const g = groups.get(id);
    if (g) g.n++;
    else groups.set(id, { appId: e.appId, profileId: e.profileId, name: e.name, day: e.day, n: 1 });
  }
  return groups;
}

async function markCounted(db: Db, events: Counted[]): Promise<void> {
  if (events.length > 0) await db.events.updateMany({ _id: { $in: events.map((e) => e._id) } }, { $set: { counted: true } });
}

/** Adds freshly inserted events to their counters (one upsert per counter), then marks them counted. */
export async function addToCounters(db: Db, events: Counted[]): Promise<void> {
  if (events.length === 0) return;
  const ops = [...byCounter(events)].map(([_id, g]) => ({
    updateOne: {
      filter: { _id },
      update: { $inc: { n: g.n }, $setOnInsert: { appId: g.appId, profileId: g.profileId, name: g.name, day: g.day } },
      upsert: true,
    },
  }));
  await db.eventCounters.bulkWrite(ops, { ordered: false });
  await markCounted(db, events);
}

/** Recounts the counters of events a crashed ingest left uncounted. */
export async function recountCounters(db: Db, events: Counted[]): Promise<void> {
  for (const [_id, g] of byCounter(events)) {
    const n = await db.events.countDocuments({ appId: g.appId, profileId: g.profileId, name: g.name, day: g.day });
    await db.eventCounters.updateOne({ _id }, { $set: { n }, $setOnInsert: { appId: g.appId, profileId: g.profileId, name: g.name, day: g.day } }, { upsert: true });
  }
  await markCounted(db, events);
}

/**
 * Adds every counter of `from` to the same counter of `to` and deletes it (identity merge).
 * Each add is guarded by `mergedFrom`, so a repeated or racing merge adds each counter once:
 * the second writer's filter misses, and its upsert hits the existing `_id` (duplicate key).
 */
export async function moveCounters(db: Db, appId: string, from: string, to: string): Promise<void> {
  const counters = await db.eventCounters.find({ appId, profileId: from }).lean();
  for (const c of counters) {
    const target = counterId(to, c.day, c.name);
    try {
      await db.eventCounters.updateOne(
        { _id: target, mergedFrom: { $ne: c._id } },
        { $inc: { n: c.n }, $push: { mergedFrom: c._id }, $setOnInsert: { appId, profileId: to, name: c.name, day: c.day } },
        { upsert: true },
      );
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    await db.eventCounters.deleteOne({ _id: c._id });
  }
}
