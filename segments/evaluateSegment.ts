/**
 * A rule, as given over the API, to the profile filter that answers it (or a 400 naming each
 * failing node), and the queries on that filter. Every database read of one request spends
 * the same budget (queryBudget.ts): bounded in time, dropped when the client hangs up.
 */
import type { QueryFilter } from 'mongoose';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { InvalidInputError } from '../lib/invalidInput';
import { compileRule } from './compileRule';
import { defaultQueryBudget, withinBudget, type QueryBudget } from './queryBudget';
import { validateRule } from './validateRule';

export type MemberFilter = QueryFilter<ProfileDoc>;

/** `only`: the filter answers for these profiles alone (compileRule). */
export async function segmentFilter(db: Db, appId: string, rawRule: unknown, path: string, budget: QueryBudget = defaultQueryBudget(), only?: readonly string[]): Promise<{ filter: MemberFilter; evaluatedAt: Date }> {
  const checked = await validateRule(db, appId, rawRule, path);
  if ('issues' in checked) throw new InvalidInputError(checked.issues);
  const evaluatedAt = new Date();
  return { filter: await compileRule(db, appId, checked.rule, evaluatedAt, budget, only), evaluatedAt };
}

export function countMembers(db: Db, filter: MemberFilter, budget: QueryBudget): Promise<number> {
  return withinBudget(budget, (options) => db.profiles.countDocuments(filter).setOptions(options).exec());
}

/** The first `limit` members in `_id` order. */
export function firstMembers(db: Db, filter: MemberFilter, limit: number, budget: QueryBudget): Promise<ProfileDoc[]> {
  return withinBudget(budget, (options) => db.profiles.find(filter).sort({ _id: 1 }).limit(limit).setOptions(options).lean<ProfileDoc[]>().exec());
}
