/**
 * A segment's members, streamed in `_id` order in pages, at any audience size: what a
 * campaign snapshots its audience from. Memory and every command stay bounded by the page
 * (and cursor batch) size: no list of members is built anywhere, and no command carries ids.
 *
 * compileRule.ts turns each behaviour leaf into one `_id` list of every profile it matches,
 * read from the event counters in full; at a million profiles that list alone is too big
 * (memory, and a command's 16 MB). Here the rule is answered by a merge of ordered cursors
 * instead, one pass each:
 *
 * - the walk: the live profiles that can match at all, in `_id` order. Its filter is the
 *   rule with every behaviour leaf taken as "anyone" where that widens the answer and
 *   "no one" under a `not` (an upper bound, `bounds`), so attribute conditions beside the
 *   behaviour leaves are pushed down to the database;
 * - one cursor of `_id`s per part of the rule without behaviour leaves that the walk's filter
 *   does not already imply (the attribute side of an `or`, or under a `not`), each with the
 *   very filter compileRule gives that part;
 * - one cursor over the app's counters of the rule's events, in `profileId` order: each
 *   walked profile's totals per leaf are summed from its own counters as the cursors pass it.
 *
 * Each walked profile is then judged by the rule's AND/OR/NOT over those answers, so the
 * members are exactly compileRule's (same leaf filters, same window and count arithmetic:
 * `windowStartDay`, `eventCountHolds`), for the same `now`.
 *
 * On MongoDB every cursor is an index walk (`_id`, and `{appId, profileId}` for counters).
 * FerretDB evaluates filters and sorts in its own process, so there each cursor costs one
 * scan and sort of its collection: a few for a snapshot, never one per page.
 */
import type { QueryFilter } from 'mongoose';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { InvalidInputError } from '../lib/invalidInput';
import { eventCountHolds, liveProfiles, staticFilter, windowStartDay } from './compileRule';
import { asTimeout, optionsLeft, queryBudget, segmentQuerySettingsSchema, type QueryBudget, type QueryOptions } from './queryBudget';
import { validateRule, type CheckedRule } from './validateRule';

type Filter = QueryFilter<ProfileDoc>;
type EventLeaf = Extract<CheckedRule, { kind: 'event' }>;

export const MEMBER_PAGE_SIZE = 500;
/** Documents per round trip of each cursor. */
const CURSOR_BATCH = 1000;

export interface StreamMembersOptions {
  /** Only members whose `_id` sorts after this one (a snapshot resumed after its last written id). */
  after?: string;
  /** The time relative dates and day windows are fixed at (default: now). A resumed snapshot passes its first attempt's, or its two halves answer different rules. */
  now?: Date;
  /** Its time left when the cursors open is each cursor's maxTimeMS (database time, all batches; default: SEGMENT_EXPORT_MAX_TIME_MS's default, 10 minutes); its signal stops them. */
  budget?: QueryBudget;
  /** Ids per page (default 500). */
  pageSize?: number;
  /** Where the rule sits in the request, for the issues of an invalid rule (default `rule`). */
  path?: string;
}

/**
 * The members of `rule` (raw, validated here: an invalid one throws InvalidInputError) in
 * ascending `_id` order, strictly after `opts.after` when given, in pages of exactly
 * `pageSize` ids but the last (never an empty page). The same members as
 * compileRule + countMembers / the export at the same `now`.
 */
export async function* streamSegmentMembers(db: Db, appId: string, rule: unknown, opts: StreamMembersOptions = {}): AsyncGenerator<string[]> {
  const pageSize = opts.pageSize ?? MEMBER_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, not ${pageSize}`);
  const checked = await validateRule(db, appId, rule, opts.path ?? 'rule');
  if ('issues' in checked) throw new InvalidInputError(checked.issues);
  const now = opts.now ?? new Date();
  const budget = opts.budget ?? queryBudget(segmentQuerySettingsSchema.parse({}).SEGMENT_EXPORT_MAX_TIME_MS, undefined, 'SEGMENT_EXPORT_MAX_TIME_MS');

  const { upper } = await bounds(checked.rule, now);
  if (upper === false) return;
  // Profile ids are tenant-scoped (`{appId}:…`, lib/ids.ts): the range keeps an `_id` index walk to the app's own profiles.
  const [first, end] = [`${appId}:`, `${appId};`];
  const from = opts.after !== undefined && compareIds(opts.after, first) > 0 ? opts.after : first;
  if (compareIds(from, end) >= 0) return;
  const profilesWhere = (f: Filter | true): Filter => ({ ...liveProfiles(appId), $and: [...(f === true ? [] : [f]), { _id: { $gt: from, $lt: end } }] });

  const memberFilters: Filter[] = [];
  const leaves: EventLeaf[] = [];
  const plan = await planOf(checked.rule, true, now, memberFilters, leaves);

  // One reading of the budget for all cursors: past its deadline (or aborted), none is opened.
  const options = optionsLeft(budget);
  const idCursor = (filter: Filter) => new Ordered(
    db.profiles.find(filter, { _id: 1 }).sort({ _id: 1 }).batchSize(CURSOR_BATCH).setOptions(options).lean<{ _id: string }>().cursor(),
    (d) => d._id,
    budget,
  );
  const walk = idCursor(profilesWhere(upper));
  const members = memberFilters.map((f) => idCursor(profilesWhere(f)));
  const counters = countersOf(db, appId, leaves, now, from, options, budget);
  try {
    // Every cursor's first batch asked for at once: the database works on them side by side (FerretDB sorts each whole result before its first batch).
    await Promise.all([walk.peek(), ...members.map((m) => m.peek()), counters?.rows.peek()]);
    let page: string[] = [];
    for (let id = await walk.next(); id !== undefined; id = await walk.next()) {
      const inPart: boolean[] = [];
      for (const m of members) inPart.push(await m.has(id));
      const totals = counters ? await counters.totalsOf(id) : [];
      if (!holds(plan, inPart, totals, leaves)) continue;
      page.push(id);
      if (page.length === pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  } finally {
    // Also when the consumer stops early: the server-side cursors are killed, not left to time out.
    await Promise.all([walk, ...members, ...(counters ? [counters.rows] : [])].map((c) => c.close()));
  }
}

/** A filter, or `true` (no condition) / `false` (matches nothing). */
type Bound = Filter | boolean;

const hasBehaviour = (r: CheckedRule): boolean =>
  r.kind === 'event' || (r.kind === 'not' ? hasBehaviour(r.rule) : (r.kind === 'and' || r.kind === 'or') && r.rules.some(hasBehaviour));

function all(parts: Bound[]): Bound {
  if (parts.includes(false)) return false;
  const filters = parts.filter((p): p is Filter => p !== true);
  return filters.length === 0 ? true : filters.length === 1 ? filters[0]! : { $and: filters };
}

function any(parts: Bound[]): Bound {
  if (parts.includes(true)) return true;
  const filters = parts.filter((p): p is Filter => p !== false);
  return filters.length === 0 ? false : filters.length === 1 ? filters[0]! : { $or: filters };
}

const none = (b: Bound): Bound => (typeof b === 'boolean' ? !b : { $nor: [b] });

/**
 * Profile filters between which the rule's members lie: every member matches `upper`, every
 * profile matching `lower` is a member. Exact for a part without behaviour leaves; a leaf
 * is "anyone" above and "no one" below (but `atLeast 0`, which is everyone).
 */
async function bounds(rule: CheckedRule, now: Date): Promise<{ upper: Bound; lower: Bound }> {
  if (!hasBehaviour(rule)) {
    const f = await staticFilter(rule, now);
    return { upper: f, lower: f };
  }
  switch (rule.kind) {
    case 'event': return rule.op === 'atLeast' && rule.count === 0 ? { upper: true, lower: true } : { upper: true, lower: false };
    case 'not': {
      const inner = await bounds(rule.rule, now);
      return { upper: none(inner.lower), lower: none(inner.upper) };
    }
    case 'and':
    case 'or': {
      const parts = await Promise.all(rule.rules.map((r) => bounds(r, now)));
      const join = rule.kind === 'and' ? all : any;
      return { upper: join(parts.map((p) => p.upper)), lower: join(parts.map((p) => p.lower)) };
    }
    default: throw new Error(`unreachable: ${rule.kind} has no behaviour leaf`);
  }
}

/** The rule as each walked profile is judged. */
type Plan =
  | { kind: 'implied' }
  | { kind: 'part'; index: number }
  | { kind: 'event'; index: number }
  | { kind: 'and' | 'or'; parts: Plan[] }
  | { kind: 'not'; part: Plan };

/**
 * `implied`: the walk's filter already requires this node (it is reached from the root
 * through `and`s only, and `bounds` is exact there for parts without behaviour leaves).
 * Parts without behaviour leaves among an and/or's children are grouped into one cursor.
 */
async function planOf(rule: CheckedRule, implied: boolean, now: Date, parts: Filter[], leaves: EventLeaf[]): Promise<Plan> {
  if (!hasBehaviour(rule)) {
    if (implied) return { kind: 'implied' };
    parts.push(await staticFilter(rule, now));
    return { kind: 'part', index: parts.length - 1 };
  }
  switch (rule.kind) {
    case 'event':
      leaves.push(rule);
      return { kind: 'event', index: leaves.length - 1 };
    case 'not':
      return { kind: 'not', part: await planOf(rule.rule, false, now, parts, leaves) };
    case 'and':
    case 'or': {
      const within = implied && rule.kind === 'and';
      const plain = rule.rules.filter((r) => !hasBehaviour(r));
      const grouped: CheckedRule[] = plain.length === 0 ? [] : [plain.length === 1 ? plain[0]! : { kind: rule.kind, rules: plain }];
      const out: Plan[] = [];
      for (const r of [...grouped, ...rule.rules.filter(hasBehaviour)]) out.push(await planOf(r, within, now, parts, leaves));
      return { kind: rule.kind, parts: out };
    }
    default: throw new Error(`unreachable: ${rule.kind} has no behaviour leaf`);
  }
}

function holds(plan: Plan, inPart: boolean[], totals: number[], leaves: EventLeaf[]): boolean {
  switch (plan.kind) {
    case 'implied': return true;
    case 'part': return inPart[plan.index]!;
    case 'event': return eventCountHolds(leaves[plan.index]!, totals[plan.index] ?? 0);
    case 'and': return plan.parts.every((p) => holds(p, inPart, totals, leaves));
    case 'or': return plan.parts.some((p) => holds(p, inPart, totals, leaves));
    case 'not': return !holds(plan.part, inPart, totals, leaves);
  }
}

/**
 * Orders ids as the database sorts strings (by UTF-8 bytes, which is code point order):
 * JavaScript's `<` compares UTF-16 units, which puts U+E000–U+FFFF after astral characters.
 */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

interface DocCursor<T> {
  next(): Promise<T | null>;
  close(): Promise<void>;
}

/**
 * A cursor sorted by a string key, read forwards only. The merges are only right if the
 * database orders keys as compareIds does (not so under a collation), which is checked.
 */
class Ordered<T> {
  private head: T | null | undefined;
  private last: string | undefined;

  constructor(private readonly cursor: DocCursor<T>, private readonly key: (doc: T) => string, private readonly budget: QueryBudget) {}

  /** The current document (read on first use), or null at the end. */
  async peek(): Promise<T | null> {
    if (this.head === undefined) {
      try {
        this.head = await this.cursor.next();
      } catch (err) {
        throw asTimeout(err, this.budget);
      }
      if (this.head !== null) {
        const key = this.key(this.head);
        if (this.last !== undefined && compareIds(key, this.last) < 0) throw new Error(`segment members: the database sorted ${JSON.stringify(key)} after ${JSON.stringify(this.last)}, not in byte order`);
        this.last = key;
      }
    }
    return this.head;
  }

  /** The current document, moving past it. */
  async take(): Promise<T | null> {
    const doc = await this.peek();
    if (doc !== null) this.head = undefined;
    return doc;
  }

  async next(): Promise<string | undefined> {
    const doc = await this.take();
    return doc === null ? undefined : this.key(doc);
  }

  /** Moves past every key before `id`; answers whether `id` is the next one. Calls must come in ascending `id` order. */
  async has(id: string): Promise<boolean> {
    for (let doc = await this.peek(); doc !== null; doc = await this.peek()) {
      const order = compareIds(this.key(doc), id);
      if (order >= 0) return order === 0;
      this.head = undefined;
    }
    return false;
  }

  close(): Promise<void> {
    return this.cursor.close().catch(() => undefined);
  }
}

interface CounterRow {
  profileId: string;
  name: string;
  day: number;
  n: number;
}

/**
 * The app's counters of the leaves' events in `profileId` order (none up to `after`), from
 * the earliest day any leaf counts; totalsOf sums one profile's per leaf as the walk passes
 * it. None when no leaf needs counting (`atLeast 0` holds for everyone).
 */
function countersOf(db: Db, appId: string, leaves: EventLeaf[], now: Date, after: string, options: QueryOptions, budget: QueryBudget) {
  const counted = leaves.map((leaf, index) => ({ leaf, index, fromDay: windowStartDay(leaf, now) })).filter(({ leaf }) => !(leaf.op === 'atLeast' && leaf.count === 0));
  if (counted.length === 0) return undefined;
  const byName = new Map<string, { index: number; fromDay: number | undefined }[]>();
  for (const c of counted) byName.set(c.leaf.name, [...(byName.get(c.leaf.name) ?? []), c]);
  const days = counted.map((c) => c.fromDay);
  const fromDay = days.includes(undefined) ? undefined : Math.min(...(days as number[]));
  const filter = {
    appId,
    name: { $in: [...byName.keys()] },
    ...(fromDay === undefined ? {} : { day: { $gte: fromDay } }),
    profileId: { $gt: after },
  };
  const rows = new Ordered(
    db.eventCounters.find(filter, { _id: 0, profileId: 1, name: 1, day: 1, n: 1 }).sort({ profileId: 1 }).batchSize(CURSOR_BATCH).setOptions(options).lean<CounterRow>().cursor(),
    (r) => r.profileId,
    budget,
  );
  return {
    rows,
    /** The totals of profile `id`, by leaf index; ids must come in ascending order. */
    async totalsOf(id: string): Promise<number[]> {
      const totals = leaves.map(() => 0);
      if (!(await rows.has(id))) return totals;
      for (let row = await rows.peek(); row !== null && row.profileId === id; row = await rows.peek()) {
        for (const c of byName.get(row.name) ?? []) if (c.fromDay === undefined || row.day >= c.fromDay) totals[c.index]! += row.n;
        await rows.take();
      }
      return totals;
    },
  };
}
