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
    await db.deliveries.updateOne(key, { $setOnInsert: { ...spec, state: 'pending', attempts: 0 } }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err; // a concurrent claim of the same record won; read it below
  }
  const existing = await db.deliveries.findOne(key).lean();
  if (existing?.state === 'sent') return { sent: true };
  if (existing?.state === 'failed') return { sent: false, error: existing.error };

  await db.deliveries.updateOne(key, { $inc: { attempts: 1 } });
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
