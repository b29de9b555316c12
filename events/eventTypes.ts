/** Which event names an app knows: declared ones (POST /v1/event-types) and every name it has sent. */
import type { Db } from '../data/db';
import { scopedId } from '../lib/ids';

export async function knownEventNames(db: Db, appId: string, names: string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const declared = await db.eventTypes.find({ _id: { $in: names.map((n) => scopedId(appId, n)) } }, { name: 1 }).lean();
  const known = new Set(declared.map((d) => d.name));
  // A sent name has daily counters: one look on the (appId, name, day) index per name not declared.
  await Promise.all(names.filter((n) => !known.has(n)).map(async (name) => {
    if (await db.eventCounters.exists({ appId, name })) known.add(name);
  }));
  return known;
}

export interface KnownEventName {
  name: string;
  declared: boolean;
  sent: boolean;
  description?: string;
}

/** Every name the app knows, declared or sent, sorted. */
export async function allEventNames(db: Db, appId: string): Promise<KnownEventName[]> {
  const [declared, sent] = await Promise.all([db.eventTypes.find({ appId }, { name: 1, description: 1 }).lean(), db.eventCounters.distinct('name', { appId })]);
  const byName = new Map<string, KnownEventName>();
  for (const d of declared) byName.set(d.name, { name: d.name, declared: true, sent: false, ...(d.description ? { description: d.description } : {}) });
  for (const name of sent as string[]) byName.set(name, { ...(byName.get(name) ?? { name, declared: false }), sent: true });
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
