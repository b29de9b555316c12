/**
 * One drift report (`iys-drift:{appId}:{reportId}`): the build is one heartbeating activity,
 * retried from scratch for a while (each attempt writes its own lists); if it never
 * succeeds, the report says it failed and why.
 */
import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

// A scan of every profile with a consent plus an İYS query per 1000: minutes on a large app; heartbeats every 1000 profiles.
const builds = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  // IysModeOff and IysNotConfigured: nothing to compare with, which no retry fixes.
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: ['IysModeOff', 'IysNotConfigured'] },
});
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function iysDriftReport(r: { appId: string; reportId: string }): Promise<void> {
  try {
    await builds.buildDriftReport(r);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await records.failDriftReport({ ...r, error: err.cause?.message ?? err.message });
  }
}
