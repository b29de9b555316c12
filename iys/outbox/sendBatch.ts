/**
 * A large round (an import) through İYS's async batch API: lists of ≤1000, answered no
 * earlier than the documented delay. Submission and collection are separate steps so the
 * workflow waits in between on a durable timer, not inside an activity.
 */
import type { Db } from '../../data/db';
import type { ConsentChangeDoc } from '../../data/models/consentChanges';
import { isDuplicateKey } from '../../data/db';
import { MAX_BATCH } from '../consent';
import type { IysClient } from '../client';
import { scopedId } from '../../lib/ids';
import { consentOf, isFinalAnswer, outcomeOf, recordOutcomes } from './outcomes';

export interface SubmittedBatch {
  batchId: string;
  submittedAt: number;
}

/** Sends the round as lists of ≤1000; `roundKey` makes each list's record (and so a retry) land on the same `_id`. */
export async function submitRound(db: Db, client: IysClient, appId: string, roundKey: string, changeIds: string[]): Promise<SubmittedBatch[]> {
  const submitted: SubmittedBatch[] = [];
  for (let start = 0, chunk = 0; start < changeIds.length; start += MAX_BATCH, chunk++) {
    const batchId = scopedId(appId, `iysbatch:${roundKey}:${chunk}`);
    const existing = await db.iysBatches.findOne({ _id: batchId }, { submittedAt: 1 }).lean();
    if (existing) {
      submitted.push({ batchId, submittedAt: existing.submittedAt.getTime() });
      continue;
    }
    const changes = (await db.consentChanges.find({ _id: { $in: changeIds.slice(start, start + MAX_BATCH) } }).lean()).sort((a, b) => (a._id < b._id ? -1 : 1));
    const { submissions, failed } = await client.submitBatch(changes.map(consentOf));
    // Items İYS refused on sight (422 by index) are answered now; the rest went out as one list.
    await recordOutcomes(db, failed.flatMap((f) => (f.status === 'failure' && isFinalAnswer(f.error) ? [outcomeOf(changes[f.row]!, 'batch', f.error)] : [])));
    const s = submissions[0];
    if (!s) continue;
    try {
      await db.iysBatches.create({ _id: batchId, appId, requestId: s.requestId, submittedAt: new Date(s.submittedAt), changeIds: s.rows.map((row) => changes[row]!._id), writeIds: s.rows.map((row) => changes[row]!.writeId) });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    submitted.push({ batchId, submittedAt: s.submittedAt });
  }
  return submitted;
}

/** Records the answers İYS has for a list; answers how many items are still queued there. */
export async function collectBatch(db: Db, client: IysClient, batchId: string): Promise<{ delivered: number; rejected: number; queued: number }> {
  const batch = await db.iysBatches.findOne({ _id: batchId }).lean();
  if (!batch) throw new Error(`no İYS batch ${batchId}`);
  const results = await client.batchResults({ requestId: batch.requestId, submittedAt: batch.submittedAt.getTime(), rows: batch.changeIds.map((_, i) => i) });
  const counts = { delivered: 0, rejected: 0, queued: 0 };
  const outcomes = results.flatMap((r) => {
    const change: Pick<ConsentChangeDoc, '_id' | 'appId' | 'writeId'> = { _id: batch.changeIds[r.row]!, appId: batch.appId, writeId: batch.writeIds[r.row]! };
    if (r.status === 'success') {
      counts.delivered++;
      return [outcomeOf(change, 'batch', { transactionId: r.transactionId }, batch.requestId)];
    }
    if (r.status === 'failure' && isFinalAnswer(r.error)) {
      counts.rejected++;
      return [outcomeOf(change, 'batch', r.error, batch.requestId)];
    }
    // Queued, or a failure another try can fix: no outcome, so the next round sends it again.
    if (r.status === 'enqueue') counts.queued++;
    return [];
  });
  await recordOutcomes(db, outcomes);
  return counts;
}
