/** Activities of the İYS sync run: its record, and one page of the changes feed at a time. */
import type { Db } from '../data/db';
import type { SyncPageResult, SyncRunEnd } from '../domain/iysSync';
import type { IysClients } from '../iys/appClients';
import { finishRun, startRun, type RunRef } from '../iys/sync/runs';
import { syncPage, type SyncPageInput } from '../iys/sync/syncPage';
import { heartbeat } from './heartbeat';

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
      } finally {
        clearInterval(beat);
      }
    },
    async finishSyncRun(r: RunRef & SyncRunEnd): Promise<void> {
      await finishRun(deps.db, r);
    },
  };
}
