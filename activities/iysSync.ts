/** Activities of the İYS sync run: its record, and one page of the changes feed at a time. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../data/db';
import type { SyncPageResult, SyncRunEnd } from '../domain/iysSync';
import type { IysClients } from '../iys/appClients';
import { IysError } from '../iys/client';
import { finishRun, startRun, type RunRef } from '../iys/sync/runs';
import { syncPage, type SyncPageInput } from '../iys/sync/syncPage';
import { heartbeat } from './heartbeat';

/** İYS refused the request itself (a 4xx other than a rate limit): the same request gets the same answer. */
export const IYS_REFUSED = 'IysRefused';

export function createIysSyncActivities(deps: { db: Db; iys: IysClients }) {
  return {
    async startSyncRun(r: RunRef): Promise<void> {
      await startRun(deps.db, r);
    },
    async syncPage(input: SyncPageInput): Promise<SyncPageResult> {
      // A page of 1000 takes seconds on FerretDB: heartbeats let a dead worker's page be retried within the heartbeat timeout.
      const beat = setInterval(heartbeat, 2_000);
      try {
        heartbeat();
        return await syncPage(deps, input);
      } catch (err) {
        // 5xx, 429 and timeouts are Temporal's to retry (İYS may be down for hours); a refusal ends the run with its reason.
        if (err instanceof IysError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, IYS_REFUSED);
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
    async finishSyncRun(r: RunRef & SyncRunEnd): Promise<void> {
      await finishRun(deps.db, r);
    },
  };
}
