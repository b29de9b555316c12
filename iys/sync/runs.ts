/** The history of an app's sync runs: one record per run, inserted at its start and completed once at its end. */
import type { Db } from '../../data/db';
import type { IysSyncRunDoc } from '../../data/models/iysSync';
import { insertAllMissing } from '../../data/insertMissing';
import { retryTransient } from '../../data/transient';
import { noCounts, type SyncRunEnd } from '../../domain/iysSync';
import { scopedId } from '../../lib/ids';
import { syncStateId } from './syncPage';

export interface RunRef {
  appId: string;
  runId: string;
  workflowId: string;
}

export const syncRunDocId = (appId: string, runId: string) => scopedId(appId, runId);

/** Idempotent: a retried start finds its record there already. */
export async function startRun(db: Db, r: RunRef, now = Date.now()): Promise<void> {
  const doc: IysSyncRunDoc = { _id: syncRunDocId(r.appId, r.runId), ...r, status: 'running', startedAt: new Date(now), pages: 0, counts: noCounts() };
  await insertAllMissing(db.iysSyncRuns.collection, [doc]);
}

export async function finishRun(db: Db, r: RunRef & SyncRunEnd, now = Date.now()): Promise<void> {
  const cursor = (await db.iysSyncState.findOne({ _id: syncStateId(r.appId) }).lean())?.cursor;
  await retryTransient(() =>
    db.iysSyncRuns.updateOne(
      { _id: syncRunDocId(r.appId, r.runId) },
      { $set: { status: r.status, finishedAt: new Date(now), counts: r.counts, pages: r.pages, ...(cursor ? { cursor } : {}), ...(r.reason ? { reason: r.reason } : {}) } },
    ),
  );
}

/** Newest first; `before` is a start time from an earlier page. */
export async function listRuns(db: Db, appId: string, q: { limit: number; before?: Date }): Promise<IysSyncRunDoc[]> {
  return db.iysSyncRuns.find({ appId, ...(q.before ? { startedAt: { $lt: q.before } } : {}) }).sort({ startedAt: -1, _id: -1 }).limit(q.limit).lean();
}
