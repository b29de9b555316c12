/** Activities of the İYS sync run: its record, and one page of the changes feed at a time. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../data/db';
import type { SyncPageResult, SyncRunEnd } from '../domain/iysSync';
import type { IysClients } from '../iys/appClients';
import { IysError } from '../iys/client';
import { honourRetryAfter } from './iysRetryAfter';
import { finishRun, startRun, type RunRef } from '../iys/sync/runs';
import { syncPage, type SyncPageInput } from '../iys/sync/syncPage';

/** İYS refused the request itself (a 4xx other than a rate limit): the same request gets the same answer. */
export const IYS_REFUSED = 'IysRefused';

/**
 * Test hook, for the mid-page crash test only: with `ROTA_TEST_SYNC_HOLD_AFTER=<n>` in a
 * worker's environment, each page writes the profiles (consent summaries) of its first n
 * profiles and then holds every other profile write until the process dies, so a test can
 * SIGKILL the worker with a page partly applied on a database of any speed. Never set it
 * outside tests.
 */
export const SYNC_HOLD_ENV = 'ROTA_TEST_SYNC_HOLD_AFTER';
const PROFILE_WRITES = new Set(['updateOne', 'updateMany', 'findOneAndUpdate', 'findOneAndReplace', 'replaceOne', 'bulkWrite']);

function holdProfileWritesAfter(db: Db, allowed: number): Db {
  const passed = new Set<string>();
  let calls = 0;
  const held = () => {
    const never = new Promise<never>(() => {});
    return Object.assign(never, { exec: () => never, lean: () => never });
  };
  // Writes keyed by the profile they name (a retried write of a profile let through is let through again).
  const gate = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (prop === 'collection' && typeof value === 'object' && value !== null) return gate(value);
        if (typeof value !== 'function') return value;
        if (!PROFILE_WRITES.has(String(prop))) return value.bind(t);
        return (...args: unknown[]) => {
          const id = (args[0] as { _id?: unknown } | undefined)?._id;
          const key = id === undefined || Array.isArray(args[0]) ? `call:${calls++}` : JSON.stringify(id);
          if (!passed.has(key) && passed.size >= allowed) return held();
          passed.add(key);
          return value.apply(t, args);
        };
      },
    });
  return { ...db, profiles: gate(db.profiles) };
}

export function createIysSyncActivities(deps: { db: Db; iys: IysClients }) {
  const holdAfter = process.env[SYNC_HOLD_ENV];
  const pageDeps = () => (holdAfter ? { ...deps, db: holdProfileWritesAfter(deps.db, Number(holdAfter)) } : deps);
  return {
    async startSyncRun(r: RunRef): Promise<void> {
      await startRun(deps.db, r);
    },
    async syncPage(input: SyncPageInput): Promise<SyncPageResult> {
      // A page of 1000 takes seconds on FerretDB; the keepalive heartbeats through it (activities/heartbeat.ts).
      try {
        return await honourRetryAfter(() => syncPage(pageDeps(), input));
      } catch (err) {
        // 5xx, 429 and timeouts are Temporal's to retry (İYS may be down for hours); a refusal ends the run with its reason.
        if (err instanceof IysError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, IYS_REFUSED);
        throw err;
      }
    },
    async finishSyncRun(r: RunRef & SyncRunEnd): Promise<void> {
      await finishRun(deps.db, r);
    },
  };
}
