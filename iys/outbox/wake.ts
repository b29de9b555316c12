/** Telling an app's İYS outbox that changes were stored: signal-with-start, so a sleeping outbox is started. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import type { Db } from '../../data/db';
import type { Logger } from '../../lib/logger';
import { iysOutbox, wakeOutboxSignal } from '../../workflows/iysOutbox';
import { isActive, iysSettingsOf } from '../appSettings';
import { outboxWorkflowId, type OutboxRefs } from './refs';

export interface WakeDeps {
  db: Db;
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>;
  logger?: Logger;
}

/**
 * Wakes the outbox when the app's mode sends to İYS. A failed wake-up does not fail the
 * write that was stored: the outbox sweeps for unsent changes when it starts and before it
 * goes idle, so the change still goes out.
 */
export async function wakeOutbox(deps: WakeDeps, appId: string, refs: Partial<OutboxRefs>): Promise<void> {
  if (!refs.sweep && !refs.changeIds?.length && !refs.writeIds?.length) return;
  if (!isActive(await iysSettingsOf(deps.db, appId))) return;
  try {
    await deps.temporal.workflow.signalWithStart(iysOutbox, {
      workflowId: outboxWorkflowId(appId), taskQueue: deps.config.TEMPORAL_TASK_QUEUE, args: [{ appId }], signal: wakeOutboxSignal, signalArgs: [refs],
    });
  } catch (err) {
    deps.logger?.warn({ err, appId }, 'could not wake the İYS outbox; its next sweep sends the change');
  }
}
