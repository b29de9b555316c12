/** What an operator sees of an app's outbox: whether it runs, what it waits on, what it sent, and whether İYS is failing it right now. */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { outboxStatusQuery } from '../../workflows/iysOutbox';
import { outboxWorkflowId } from './refs';

export interface OutboxView {
  running: boolean;
  state?: string;
  totals?: { rounds: number; delivered: number; rejected: number; skipped: number };
  waiting?: { changes: number; writes: number; sweep: boolean };
  /** The round being retried (İYS down, rate limited): its attempt and last error. */
  retrying?: { attempt: number; lastFailure?: string };
  lastRun?: { status: string; closedAt?: string };
}

export async function outboxStatus(temporal: Client, appId: string): Promise<OutboxView> {
  const handle = temporal.workflow.getHandle(outboxWorkflowId(appId));
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { running: false };
    throw err;
  }
  if (description.status.name !== 'RUNNING') return { running: false, lastRun: { status: description.status.name, closedAt: description.closeTime?.toISOString() } };
  const pending = description.raw.pendingActivities?.[0];
  const retrying = pending && (pending.attempt ?? 1) > 1 ? { attempt: pending.attempt ?? 0, lastFailure: pending.lastFailure?.message ?? undefined } : undefined;
  const s = await handle.query(outboxStatusQuery);
  return {
    running: true, state: s.state,
    totals: { rounds: s.rounds, delivered: s.delivered, rejected: s.rejected, skipped: s.skipped },
    waiting: { changes: s.waiting.changeIds.length, writes: s.waiting.writeIds.length, sweep: s.waiting.sweep },
    ...(retrying ? { retrying } : {}),
  };
}
