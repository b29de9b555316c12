/** A rule, as given over the API, to the profile filter that answers it, or a 400 naming each failing node. */
import type { QueryFilter } from 'mongoose';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { InvalidInputError } from '../lib/invalidInput';
import { compileRule } from './compileRule';
import { validateRule } from './validateRule';

export async function segmentFilter(db: Db, appId: string, rawRule: unknown, path: string): Promise<{ filter: QueryFilter<ProfileDoc>; evaluatedAt: Date }> {
  const checked = await validateRule(db, appId, rawRule, path);
  if ('issues' in checked) throw new InvalidInputError(checked.issues);
  const evaluatedAt = new Date();
  return { filter: await compileRule(db, appId, checked.rule, evaluatedAt), evaluatedAt };
}
