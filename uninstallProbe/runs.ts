/** The history of an app's probe runs: one record per run, inserted at its start and completed once at its end. */
import type { Db } from '../data/db';
import { insertAllMissing } from '../data/insertMissing';
import type { UninstallProbeRunDoc } from '../data/models/uninstallProbe';
import { retryTransient } from '../data/transient';
import { noProbeCounts, type ProbeRunEnd } from '../domain/uninstallProbe';
import { scopedId } from '../lib/ids';

export interface ProbeRunRef {
  appId: string;
  runId: string;
  workflowId: string;
}

export const probeRunDocId = (appId: string, runId: string) => scopedId(appId, runId);

/** Idempotent: a retried start finds its record there already. */
export async function startProbeRunRecord(db: Db, r: ProbeRunRef & { staleBefore?: Date }, now = Date.now()): Promise<void> {
  const doc: UninstallProbeRunDoc = { _id: probeRunDocId(r.appId, r.runId), ...r, status: 'running', startedAt: new Date(now), pages: 0, counts: noProbeCounts() };
  await insertAllMissing(db.uninstallProbeRuns.collection, [doc]);
}

export async function finishProbeRunRecord(db: Db, r: ProbeRunRef & ProbeRunEnd, now = Date.now()): Promise<void> {
  await retryTransient(() =>
    db.uninstallProbeRuns.updateOne(
      { _id: probeRunDocId(r.appId, r.runId) },
      { $set: { status: r.status, finishedAt: new Date(now), counts: r.counts, pages: r.pages, ...(r.reason ? { reason: r.reason } : {}) } },
    ),
  );
}

/** Newest first; `before` is a start time from an earlier page. */
export async function listProbeRuns(db: Db, appId: string, q: { limit: number; before?: Date }): Promise<UninstallProbeRunDoc[]> {
  return db.uninstallProbeRuns.find({ appId, ...(q.before ? { startedAt: { $lt: q.before } } : {}) }).sort({ startedAt: -1, _id: -1 }).limit(q.limit).lean();
}
