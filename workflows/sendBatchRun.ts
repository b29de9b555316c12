/**
 * One batch send as a workflow of its own (`batch:{appId}:{sendKey}:{batchId}`): the shape a
 * campaign partition or a journey step runs for each page of recipients, and what the tests
 * and the batch benchmark start. The activity heartbeats its progress: a worker that dies
 * inside a batch is noticed within the heartbeat timeout and the batch is retried on another,
 * where the delivery ledger keeps every recipient at one send.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SendBatchInput, SendBatchResult } from '../activities/sendBatch';

// Up to 500 recipients under a rate limit: minutes at a slow limit; heartbeats after every call and at least every second while waiting.
const batches = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10 seconds',
  // InvalidBatch and TemplateUnavailable: the input itself is wrong, which no retry fixes.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['InvalidBatch', 'TemplateUnavailable'] },
});

export function sendBatchRunId(appId: string, sendKey: string, batchId: string): string {
  return `batch:${appId}:${sendKey}:${batchId}`;
}

export async function sendBatchRun(input: SendBatchInput): Promise<SendBatchResult> {
  return batches.sendBatch(input);
}
