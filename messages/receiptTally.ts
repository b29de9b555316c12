/**
 * Receipts of batch sends counted as they arrive (data/models/receiptTallies.ts), exactly:
 * one conditional update of the batch's tally adds a delivery only if it is not counted yet,
 * so a device that posts its receipt again (it retries until answered), or an open after the
 * delivery, counts once. A receipt whose tally write failed is answered 5xx and posted again.
 */
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { ReceiptTallyDoc } from '../data/models/receiptTallies';
import { scopedId } from '../lib/ids';

const DUPLICATE_KEY = 11000;

export const receiptTallyId = (appId: string, sendKey: string, batchId: string) => scopedId(appId, `${sendKey}:${batchId}`);

export async function countReceipt(db: Db, d: { _id: string; appId: string; messageId: string; batchId: string }): Promise<void> {
  const notCounted = { _id: receiptTallyId(d.appId, d.messageId, d.batchId), counted: { $ne: d._id } };
  const count = { $push: { counted: d._id }, $inc: { delivered: 1 } };
  try {
    await db.receiptTallies.updateOne(notCounted, { ...count, $setOnInsert: { appId: d.appId, messageId: d.messageId, batchId: d.batchId } }, { upsert: true });
  } catch (err) {
    if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    // The filter missed and the upsert's insert met an existing tally: one that counts this delivery already, or one another
    // receipt of the batch created in between (MongoDB does not retry an upsert whose filter is more than its `_id`). The
    // tally exists now, so count into it; if it counts this delivery, the filter misses and nothing changes.
    await db.receiptTallies.updateOne(notCounted, count);
  }
}

/** The receipts counted for these batches of a send, summed. */
export async function talliedReceipts(db: Db, appId: string, sendKey: string, batchIds: string[]): Promise<number> {
  const tallies = await findByIds<ReceiptTallyDoc>(db.receiptTallies, batchIds.map((b) => receiptTallyId(appId, sendKey, b)), { delivered: 1 });
  let n = 0;
  for (const t of tallies.values()) n += t.delivered;
  return n;
}
