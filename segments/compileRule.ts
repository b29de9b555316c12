/**
 * A checked rule → one MongoDB filter on profiles. Behaviour leaves are answered from the
 * event counters first (one `$group` + `$sum` per distinct event and window) and enter the
 * filter as `_id` sets, so the profile query never touches the events collection. Relative
 * dates and day windows are fixed at `now`, which the caller reports as `evaluatedAt`.
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

function totalsReader(db: Db, appId: string, budget: QueryBudget): Totals {
  const cache = new Map<string, Promise<Map<string, number>>>();
  return (name, fromDay) => {
    const key = `${name}\u0000${fromDay ?? ''}`;
    let hit = cache.get(key);
    if (!hit) {
      const pipeline = [{ $match: { appId, name, ...(fromDay === undefined ? {} : { day: { $gte: fromDay } }) } }, { $group: { _id: '$profileId', n: { $sum: '$n' } } }];
      hit = withinBudget(budget, (options) => db.eventCounters.aggregate<{ _id: string; n: number }>(pipeline).option(options).exec())
        .then((rows) => new Map(rows.map((r) => [r._id, r.n])));
      cache.set(key, hit);
    }
    return hit;
  };
}

async function eventFilter(rule: Extract<CheckedRule, { kind: 'event' }>, now: Date, totals: Totals): Promise<Filter> {
  const fromDay = rule.withinDays === undefined ? undefined : utcDay(now) - rule.withinDays + 1;
  const byProfile = await totals(rule.name, fromDay);
  const ids = (keep: (n: number) => boolean) => [...byProfile].filter(([, n]) => keep(n)).map(([id]) => id);
  const { count } = rule;
  switch (rule.op) {
    case 'atLeast': return count === 0 ? EVERYONE : { _id: { $in: ids((n) => n >= count) } };
    case 'atMost': return { _id: { $nin: ids((n) => n > count) } };
    case 'exactly': return count === 0 ? { _id: { $nin: ids((n) => n > 0) } } : { _id: { $in: ids((n) => n === count) } };
    case 'never': return { _id: { $nin: ids((n) => n > 0) } };
  }
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

/** The filter for the app's live profiles (not those half-way through a merge or an erasure) matching `rule`; its reads of the counters spend `budget`. */
export async function compileRule(db: Db, appId: string, rule: CheckedRule, now: Date, budget: QueryBudget = defaultQueryBudget()): Promise<Filter> {
  return { appId, mergedInto: { $exists: false }, erasing: { $exists: false }, $and: [await compileNode(rule, now, totalsReader(db, appId, budget))] };
}
