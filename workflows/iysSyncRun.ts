/**
 * One İYS sync run, started by the app's schedule (`iys-sync:{appId}`, overlap SKIP):
 * pull İYS's changes feed page by page from the stored cursor until it is drained, then
 * record the run's totals. Each page is one activity that applies the page before it
 * moves the cursor, so a killed worker costs a re-pull, never a lost or doubled change.
 */
import { ActivityFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { addCounts, noCounts, type SyncRunEnd, type SyncRunInput } from '../domain/iysSync';

// A page: İYS calls and up to 1000 consent writes; heartbeats (every 2 s) tell a dead worker within 15 s.
// Retried until İYS and the database answer (İYS outages last hours); the schedule skips runs meanwhile.
const pages = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '15 seconds',
  // IysNotConfigured (iys/appClients.ts): no İYS account in this deployment, which no retry fixes.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: ['IysNotConfigured'] },
});
// The run's own record: short MongoDB writes.
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function iysSyncRun(input: SyncRunInput): Promise<void> {
  const info = workflowInfo();
  // The first run id names the run across continueAsNew.
  const run = { appId: input.appId, runId: info.firstExecutionRunId, workflowId: info.workflowId };
  if (!input.carried) await records.startSyncRun(run);
  const end = await pullUntilDrained(input, run.runId);
  await records.finishSyncRun({ ...run, ...end });
  log.info('iys sync run finished', { ...run, status: end.status, ...end.counts });
}

async function pullUntilDrained(input: SyncRunInput, runId: string): Promise<SyncRunEnd> {
  let counts = input.carried ?? noCounts();
  let pageCount = input.pages ?? 0;
  try {
    for (;;) {
      const page = await pages.syncPage({ appId: input.appId, runId, pageSize: input.pageSize });
      if (page.skipped) return { status: 'skipped', counts, pages: pageCount, reason: page.skipped };
      counts = addCounts(counts, page.counts);
      if (page.counts.pulled > 0) pageCount++;
      if (!page.more) return { status: 'completed', counts, pages: pageCount };
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof iysSyncRun>({ ...input, carried: counts, pages: pageCount });
    }
  } catch (err) {
    // A page that cannot succeed: the pages before it stay applied and the cursor after them; the next run resumes there.
    if (err instanceof ActivityFailure) return { status: 'failed', counts, pages: pageCount, reason: err.cause?.message ?? err.message };
    throw err;
  }
}
