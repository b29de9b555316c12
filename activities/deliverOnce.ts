/**
 * The delivery-record protocol every send follows, in one place: claim a deterministic
 * delivery record (`pending`), call the provider with the record's id as idempotency key,
 * complete the record (`sent` or `failed`). A retried or replayed activity finds the
 * record and does not call the provider again once it is `sent` or `failed`; a crash
 * between call and completion is covered by the provider's idempotency key.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { DeliveryDoc } from '../data/models/deliveries';
import { ProviderError } from '../providers/http';

export type DeliverySpec = Pick<DeliveryDoc, '_id' | 'appId' | 'messageId' | 'profileId' | 'channel' | 'category' | 'recipient' | 'decision'>;

export interface DeliveryOutcome {
  sent: boolean;
  error?: string;
}

export async function deliverOnce(db: Db, spec: DeliverySpec, send: () => Promise<{ providerMessageId: string }>): Promise<DeliveryOutcome> {
  const key = { _id: spec._id, appId: spec.appId };
  try {
    // One write claims the record (inserted as `pending`) or counts another attempt on a pending one.
    // A record already `sent` or `failed` does not match, so the upsert collides with it: duplicate key.
    await db.deliveries.updateOne({ ...key, state: 'pending' }, { $setOnInsert: spec, $inc: { attempts: 1 } }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const done = await db.deliveries.findOne(key).lean();
    if (done?.state === 'sent') return { sent: true };
    if (done?.state === 'failed') return { sent: false, error: done.error };
    throw err; // a concurrent first claim of the same record: the retry finds it pending
  }
  try {
    const { providerMessageId } = await send();
    await db.deliveries.updateOne(key, { $set: { state: 'sent', providerMessageId, sentAt: new Date() } });
    return { sent: true };
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) {
      await db.deliveries.updateOne(key, { $set: { state: 'failed', error: err.message } });
      return { sent: false, error: err.message };
    }
    throw err; // transient: the activity's retry policy tries again with the same record
  }
}
