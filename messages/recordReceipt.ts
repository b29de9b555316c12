/**
 * A device receipt: recorded on the message timeline (also when it comes late, after the
 * fallback), then signalled to the message's workflow if it is still waiting.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../data/db';
import { recordMessageStep } from '../data/messageTimeline';
import type { DeliveryDoc } from '../data/models/deliveries';
import type { ReceiptStatus } from '../domain/messages';
import { messageDocId } from '../lib/ids';
import { messageWorkflowId, receiptSignal } from '../workflows/pushWithSmsFallback';
import { countReceipt } from './receiptTally';
import { OPENED_SIGNAL } from '../domain/journeyRuns';
import { journeyEventSignal } from '../workflows/journeyRun';

/** How far a device's clock may be off the server's, either way. */
export const RECEIPT_CLOCK_SKEW_MS = 5 * 60_000;

export type ReceiptOutcome =
  | { outcome: 'recorded' }
  | { outcome: 'not_found' }
  /** `at` is before the message was accepted or after now, beyond the clock skew allowed. */
  | { outcome: 'out_of_range'; earliest: Date; latest: Date };

/** A device cannot have seen a push before it was sent for, nor later than now (less and plus the clock skew allowed). */
function outOfRange(createdAt: Date, at: Date, now: Date): Extract<ReceiptOutcome, { outcome: 'out_of_range' }> | undefined {
  const earliest = new Date(createdAt.getTime() - RECEIPT_CLOCK_SKEW_MS);
  const latest = new Date(now.getTime() + RECEIPT_CLOCK_SKEW_MS);
  return at < earliest || at > latest ? { outcome: 'out_of_range', earliest, latest } : undefined;
}

export async function recordReceipt(deps: { db: Db; temporal: Client }, r: { appId: string; messageId: string; status: ReceiptStatus; at: Date }, now = new Date()): Promise<ReceiptOutcome> {
  const message = await deps.db.messages.findOne({ _id: messageDocId(r.appId, r.messageId) }, { createdAt: 1, journeyRun: 1 }).lean();
  if (!message) return { outcome: 'not_found' };
  const range = outOfRange(message.createdAt, r.at, now);
  if (range) return range;

  const found = await recordMessageStep(deps.db, r, r.status === 'opened' ? 'push_opened' : 'push_delivered', r.at);
  if (!found) return { outcome: 'not_found' };
  try {
    await deps.temporal.workflow.getHandle(messageWorkflowId(r.appId, r.messageId)).signal(receiptSignal, { status: r.status, at: r.at.toISOString() });
  } catch (err) {
    // A receipt after the workflow finished only updates the timeline.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  // A journey's push: the run may wait for the click (a send step branching on clicked).
  if (r.status === 'opened' && message.journeyRun) {
    await deps.temporal.workflow.getHandle(message.journeyRun).signal(journeyEventSignal, { eventId: `opened:${r.messageId}`, name: OPENED_SIGNAL }).catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  }
  return { outcome: 'recorded' };
}

/**
 * A receipt for one delivery of a batch send (a campaign, a journey step): the first
 * `delivered` (or `opened`) time is kept on the ledger record, which a campaign's SMS fallback
 * reads, and the delivery is counted on its batch's receipt tally, which progress reads.
 * Never a signal: a campaign's workflow does not hear of receipts.
 */
export async function recordDeliveryReceipt(db: Db, r: { appId: string; deliveryId: string; status: ReceiptStatus; at: Date }, now = new Date()): Promise<ReceiptOutcome> {
  // The id is the app's own (`{appId}:…`): another app's delivery id does not verify, and is not looked up.
  if (!r.deliveryId.startsWith(`${r.appId}:`)) return { outcome: 'not_found' };
  const delivery = await db.deliveries.findOne({ _id: r.deliveryId }, { createdAt: 1, channel: 1, messageId: 1, batchId: 1 }).lean<DeliveryDoc>();
  if (!delivery || delivery.channel !== 'push') return { outcome: 'not_found' };
  const range = outOfRange(delivery.createdAt, r.at, now);
  if (range) return range;
  const field = r.status === 'opened' ? 'openedAt' : r.status === 'removed' ? 'removedAt' : 'receivedAt';
  // $min: the earliest report wins whatever order they arrive in; an open is also a delivery.
  await db.deliveries.updateOne({ _id: r.deliveryId }, { $min: { [field]: r.at, ...(field === 'openedAt' ? { receivedAt: r.at } : {}) } });
  // A removal (a recall's confirmation) is not a delivery.
  if (field !== 'removedAt' && delivery.batchId) await countReceipt(db, { _id: delivery._id, appId: r.appId, messageId: delivery.messageId, batchId: delivery.batchId });
  return { outcome: 'recorded' };
}
