/**
 * A checked rule → one MongoDB filter on profiles. Behaviour leaves are answered from the
 * event counters first (one `$group` + `$sum` per distinct event and window) and enter the
 * filter as `_id` sets, so the profile query never touches the events collection. Those sets
 * hold every matching profile: fine for a count or a preview, not for a campaign's audience
 * at a million profiles, which streamMembers.ts walks instead with the same leaf filters and
 * count arithmetic (staticFilter, windowStartDay, eventCountHolds). Relative dates and day
 * windows are fixed at `now`, which the caller reports as `evaluatedAt`.
 * User text reaches a regex only escaped, and only within the limits validateRule.ts sets.
 */
import type { QueryFilter } from 'mongoose';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { DAY_MS, utcDay } from '../events/counters';
import { defaultQueryBudget, withinBudget, type QueryBudget } from './queryBudget';
import type { CheckedRule } from './validateRule';

type Filter = QueryFilter<ProfileDoc>;
const EVERYONE: Filter = { _id: { $exists: true } };

/** User text as a regex matching exactly that text: every character with a meaning in a pattern (PCRE on MongoDB, RE2 on FerretDB) is escaped. */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function attributeFilter(rule: Extract<CheckedRule, { kind: 'attribute' }>, now: Date): Filter {
  const f = `attributes.${rule.name}`;
  const [low, high] = rule.values ?? [];
  switch (rule.op) {
    case 'eq': return { [f]: rule.value };
    case 'ne': return { [f]: { $ne: rule.value } };
    case 'in': return { [f]: { $in: rule.values } };
    case 'nin': return { [f]: { $nin: rule.values } };
    case 'gt': return { [f]: { $gt: rule.value } };
    case 'gte': return { [f]: { $gte: rule.value } };
    case 'lt': return { [f]: { $lt: rule.value } };
    case 'lte': return { [f]: { $lte: rule.value } };
    case 'between': return { [f]: { $gte: low, $lte: high } };
    case 'exists': return { [f]: { $exists: true } };
    case 'notExists': return { [f]: { $exists: false } };
    // A list holds the value as an element; a string holds it as a substring (case-sensitive).
    case 'contains': return rule.type === 'stringList' ? { [f]: rule.value } : { [f]: { $regex: escapeRegex(String(rule.value)) } };
    case 'withinLastDays': return { [f]: { $gte: new Date(now.getTime() - rule.days! * DAY_MS), $lte: now } };
    case 'moreThanDaysAgo': return { [f]: { $lt: new Date(now.getTime() - rule.days! * DAY_MS) } };
  }
}

/** The ProfileDoc.deviceTags entry that answers a device leaf. */
function deviceTag({ platform, pushEnabled, uninstalled }: Extract<CheckedRule, { kind: 'device' }>): string {
  const base = uninstalled ? 'uninstalled' : pushEnabled === undefined ? (platform ? 'platform' : 'any') : pushEnabled ? 'push' : 'nopush';
  return platform ? `${base}:${platform}` : base;
}

/** Per-profile totals of one event in a window, read once per distinct (event, window) of a compile. */
type Totals = (name: string, fromDay: number | undefined) => Promise<Map<string, number>>;

/** `only`: the profiles the filter will be asked about (one profile's journey branch, an ingest batch's segment entries): their counters alone are read. */
function totalsReader(db: Db, appId: string, budget: QueryBudget, only?: readonly string[]): Totals {
  const cache = new Map<string, Promise<Map<string, number>>>();
  return (name, fromDay) => {
    const key = `${name}\u0000${fromDay ?? ''}`;
    let hit = cache.get(key);
    if (!hit) {
      const match = { appId, name, ...(fromDay === undefined ? {} : { day: { $gte: fromDay } }), ...(only ? { profileId: { $in: [...only] } } : {}) };
      const pipeline = [{ $match: match }, { $group: { _id: '$profileId', n: { $sum: '$n' } } }];
      hit = withinBudget(budget, (options) => db.eventCounters.aggregate<{ _id: string; n: number }>(pipeline).option(options).exec())
        .then((rows) => new Map(rows.map((r) => [r._id, r.n])));
      cache.set(key, hit);
    }
    return hit;
  };
}

/** The first UTC day an event leaf counts (today included in its window of `withinDays`), or undefined for all time. */
export function windowStartDay(rule: Extract<CheckedRule, { kind: 'event' }>, now: Date): number | undefined {
  return rule.withinDays === undefined ? undefined : utcDay(now) - rule.withinDays + 1;
}

/** Whether a profile that did the leaf's event `n` times in its window (0 when it has no counters there) matches the leaf. */
export function eventCountHolds(rule: Extract<CheckedRule, { kind: 'event' }>, n: number): boolean {
  switch (rule.op) {
    case 'atLeast': return n >= rule.count;
    case 'atMost': return n <= rule.count;
    case 'exactly': return n === rule.count;
    case 'never': return n === 0;
  }
}

/** The leaf as a set of `_id`s: those with counters that match it ($in), or all but those with counters that do not ($nin, when a profile without counters matches). */
async function eventFilter(rule: Extract<CheckedRule, { kind: 'event' }>, now: Date, totals: Totals): Promise<Filter> {
  if (rule.op === 'atLeast' && rule.count === 0) return EVERYONE;
  const byProfile = await totals(rule.name, windowStartDay(rule, now));
  const ids = (keep: boolean) => [...byProfile].filter(([, n]) => eventCountHolds(rule, n) === keep).map(([id]) => id);
  return eventCountHolds(rule, 0) ? { _id: { $nin: ids(false) } } : { _id: { $in: ids(true) } };
}

async function compileNode(rule: CheckedRule, now: Date, totals: Totals): Promise<Filter> {
  switch (rule.kind) {
    case 'and': return { $and: await Promise.all(rule.rules.map((r) => compileNode(r, now, totals))) };
    case 'or': return { $or: await Promise.all(rule.rules.map((r) => compileNode(r, now, totals))) };
    case 'not': return { $nor: [await compileNode(rule.rule, now, totals)] };
    case 'attribute': return attributeFilter(rule, now);
    case 'event': return eventFilter(rule, now, totals);
    case 'device': return { deviceTags: deviceTag(rule) };
    case 'consent': return { [`consents.${rule.type}.status`]: rule.status };
    case 'channel': return { [rule.channel]: { $exists: true } };
  }
}

/** The app's live profiles: not those half-way through a merge or an erasure. */
export function liveProfiles(appId: string): Filter {
  return { appId, mergedInto: { $exists: false }, erasing: { $exists: false } };
}

/** The filter of a rule without behaviour leaves, as compileRule nests it (without liveProfiles): it reads nothing. */
export function staticFilter(rule: CheckedRule, now: Date): Promise<Filter> {
  return compileNode(rule, now, () => Promise.reject(new Error('staticFilter: the rule has a behaviour leaf')));
}

/**
 * The filter for the app's live profiles matching `rule`; its reads of the counters spend
 * `budget`. With `only`, the filter answers for those profiles alone (and reads only their counters).
 */
export async function compileRule(db: Db, appId: string, rule: CheckedRule, now: Date, budget: QueryBudget = defaultQueryBudget(), only?: readonly string[]): Promise<Filter> {
  const filter: Filter = { ...liveProfiles(appId), $and: [await compileNode(rule, now, totalsReader(db, appId, budget, only))] };
  return only ? { ...filter, _id: { $in: [...only] } } : filter;
}
