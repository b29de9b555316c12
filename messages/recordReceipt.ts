/**
 * A device receipt: recorded on the message timeline (also when it comes late, after the
 * fallback), then signalled to the message's workflow if it is still waiting.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../data/db';
import { recordMessageStep } from '../data/messageTimeline';
import type { ReceiptStatus } from '../domain/messages';
import { messageDocId } from '../lib/ids';
import { messageWorkflowId, receiptSignal } from '../workflows/pushWithSmsFallback';

/** How far a device's clock may be off the server's, either way. */
export const RECEIPT_CLOCK_SKEW_MS = 5 * 60_000;

export type ReceiptOutcome =
  | { outcome: 'recorded' }
  | { outcome: 'not_found' }
  /** `at` is before the message was accepted or after now, beyond the clock skew allowed. */
  | { outcome: 'out_of_range'; earliest: Date; latest: Date };

export async function recordReceipt(deps: { db: Db; temporal: Client }, r: { appId: string; messageId: string; status: ReceiptStatus; at: Date }, now = new Date()): Promise<ReceiptOutcome> {
  const message = await deps.db.messages.findOne({ _id: messageDocId(r.appId, r.messageId) }, { createdAt: 1 }).lean();
  if (!message) return { outcome: 'not_found' };
  // A device cannot have seen a push before the message existed, nor later than now.
  const earliest = new Date(message.createdAt.getTime() - RECEIPT_CLOCK_SKEW_MS);
  const latest = new Date(now.getTime() + RECEIPT_CLOCK_SKEW_MS);
  if (r.at < earliest || r.at > latest) return { outcome: 'out_of_range', earliest, latest };

  const found = await recordMessageStep(deps.db, r, r.status === 'opened' ? 'push_opened' : 'push_delivered', r.at);
  if (!found) return { outcome: 'not_found' };
  try {
    await deps.temporal.workflow.getHandle(messageWorkflowId(r.appId, r.messageId)).signal(receiptSignal, { status: r.status, at: r.at.toISOString() });
  } catch (err) {
    // A receipt after the workflow finished only updates the timeline.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return { outcome: 'recorded' };
}
