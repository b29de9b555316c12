/**
 * The cost bound of one segment request. Every database query it runs gets what is left of
 * one time budget as `maxTimeMS` (the database stops the query there, so a costly rule can
 * never keep it busy for long) and the request's abort signal (a client that hangs up stops
 * the work it asked for: the driver drops a query in flight and sends none after).
 */
import { z } from 'zod';

/** The setting, in the shape of config.ts's schema (its owner spreads `.shape` into it). */
export const segmentQuerySettingsSchema = z.object({
  /** How long the database may work for one segment request: compiling the rule, then its count, preview or members page. */
  SEGMENT_QUERY_MAX_TIME_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How long the database may work on reading one export's members, all batches together (a streamed export of a large segment takes a while). */
  SEGMENT_EXPORT_MAX_TIME_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
});
export type SegmentQuerySettings = z.infer<typeof segmentQuerySettingsSchema>;

/** The settings found in a loaded configuration, or their defaults where it has none. */
export function segmentQuerySettings(config: object): SegmentQuerySettings {
  return segmentQuerySettingsSchema.parse(config);
}

export type QueryBudgetSetting = keyof SegmentQuerySettings;

export class SegmentQueryTimeoutError extends Error {
  constructor(readonly budget: Pick<QueryBudget, 'maxTimeMS' | 'setting'>) {
    super(`the segment's database queries ran longer than ${budget.maxTimeMS} ms (${budget.setting}) and were stopped`);
  }
}

export interface QueryBudget {
  /** The whole budget and the setting that sized it, for messages. */
  readonly maxTimeMS: number;
  readonly setting: QueryBudgetSetting;
  /** Epoch milliseconds after which no query of this request may run. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

/** The options one query runs with. */
export interface QueryOptions {
  maxTimeMS: number;
  signal?: AbortSignal;
}

export function queryBudget(maxTimeMS: number, signal?: AbortSignal, setting: QueryBudgetSetting = 'SEGMENT_QUERY_MAX_TIME_MS'): QueryBudget {
  return { maxTimeMS, setting, deadline: Date.now() + maxTimeMS, ...(signal ? { signal } : {}) };
}

/** A budget of the default size, for callers outside a request (benchmarks, scripts). */
export function defaultQueryBudget(): QueryBudget {
  return queryBudget(segmentQuerySettingsSchema.parse({}).SEGMENT_QUERY_MAX_TIME_MS);
}

/** The options of the next query: the time left. A budget spent (or a request abandoned) stops before the database is asked. */
export function optionsLeft(budget: QueryBudget): QueryOptions {
  budget.signal?.throwIfAborted();
  const left = Math.ceil(budget.deadline - Date.now());
  if (left <= 0) throw new SegmentQueryTimeoutError(budget);
  return { maxTimeMS: left, ...(budget.signal ? { signal: budget.signal } : {}) };
}

/** `err` as a SegmentQueryTimeoutError when the database stopped a query at its maxTimeMS (MaxTimeMSExpired, code 50, on MongoDB and FerretDB alike). */
export function asTimeout(err: unknown, budget: QueryBudget): unknown {
  return (err as { code?: unknown })?.code === 50 ? new SegmentQueryTimeoutError(budget) : err;
}

/** Runs one query with the time left of `budget`; running out of it, before or during the query, is a SegmentQueryTimeoutError. */
export async function withinBudget<T>(budget: QueryBudget, query: (options: QueryOptions) => Promise<T>): Promise<T> {
  const options = optionsLeft(budget);
  try {
    return await query(options);
  } catch (err) {
    throw asTimeout(err, budget);
  }
}
