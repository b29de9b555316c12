/**
 * A device receipt: recorded on the message timeline (also when it comes late, after the
 * fallback), then signalled to the message's workflow if it is still waiting.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../data/db';
import { recordMessageStep } from '../data/messageTimeline';
import type { ReceiptStatus } from '../domain/messages';
import { messageWorkflowId, receiptSignal } from '../workflows/pushWithSmsFallback';

export async function recordReceipt(deps: { db: Db; temporal: Client }, r: { appId: string; messageId: string; status: ReceiptStatus; at: Date }): Promise<boolean> {
  const found = await recordMessageStep(deps.db, r, r.status === 'opened' ? 'push_opened' : 'push_delivered', r.at);
  if (!found) return false;
  try {
    await deps.temporal.workflow.getHandle(messageWorkflowId(r.appId, r.messageId)).signal(receiptSignal, { status: r.status, at: r.at.toISOString() });
  } catch (err) {
    // A receipt after the workflow finished only updates the timeline.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return true;
}
