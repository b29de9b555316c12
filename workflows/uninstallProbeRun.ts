/**
 * One uninstall probe run, started by the app's schedule (`uninstall-probe:{appId}`, overlap
 * SKIP) or its run-now route: page through the app's profiles by `_id`, sending each
 * installed device not seen for the configured days a silent push, and record the run's
 * totals. A page is one activity; a retried page pushes its devices again (a silent push
 * twice is harmless) and marks nothing twice. continueAsNew carries the cursor and the
 * totals, so a large app's run never grows one history without bound.
 */
import { ActivityFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { addProbeCounts, noProbeCounts, PROBE_PAGE_SIZE, PROBE_PAGES_PER_EXECUTION, type ProbeRunEnd, type ProbeRunInput } from '../domain/uninstallProbe';

// A page: one bounded query and up to a few hundred provider calls; heartbeats tell a dead worker within 30 s.
const pages = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});
// The run's own record: short MongoDB writes.
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function uninstallProbeRun(input: ProbeRunInput): Promise<void> {
  const info = workflowInfo();
  const run = { appId: input.appId, runId: input.carried?.runId ?? info.firstExecutionRunId, workflowId: info.workflowId };
  let carried = input.carried;
  if (!carried) {
    const start = await records.startProbeRun(run);
    if (!start.enabled) {
      await records.finishProbeRun({ ...run, status: 'skipped', counts: noProbeCounts(), pages: 0, reason: 'the uninstall probe is disabled' });
      return;
    }
    carried = { counts: noProbeCounts(), pages: 0, staleBefore: start.staleBefore, runId: run.runId };
  }
  const end = await probeUntilDrained(input, carried);
  await records.finishProbeRun({ ...run, ...end });
  log.info('uninstall probe run finished', { ...run, status: end.status, ...end.counts });
}

async function probeUntilDrained(input: ProbeRunInput, from: NonNullable<ProbeRunInput['carried']>): Promise<ProbeRunEnd> {
  let { counts, pages: pageCount, after } = from;
  const pagesPerExecution = input.pagesPerExecution ?? PROBE_PAGES_PER_EXECUTION;
  try {
    for (let here = 0; ; here++) {
      if (here >= pagesPerExecution || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof uninstallProbeRun>({ ...input, carried: { ...from, counts, pages: pageCount, ...(after ? { after } : {}) } });
      }
      const page = await pages.probePage({ appId: input.appId, runId: from.runId, staleBefore: from.staleBefore, pageSize: input.pageSize ?? PROBE_PAGE_SIZE, ...(after ? { after } : {}) });
      counts = addProbeCounts(counts, page.counts);
      pageCount++;
      if (!page.next) return { status: 'completed', counts, pages: pageCount };
      after = page.next;
    }
  } catch (err) {
    // A page that cannot succeed: what the pages before it marked stays marked; the next run starts over.
    if (err instanceof ActivityFailure) return { status: 'failed', counts, pages: pageCount, reason: err.cause?.message ?? err.message };
    throw err;
  }
}
