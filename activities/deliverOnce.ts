/**
 * The delivery-record protocol every send follows, in one place: claim a deterministic
 * delivery record (`pending`, with a lease), call the provider with the record's id as
 * idempotency key, complete the record (`sent` or `failed`). A retried or replayed
 * activity finds the record and does not call the provider again once it is `sent` or
 * `failed`; while another attempt holds the lease (a timed-out attempt still running) it
 * waits instead of calling in parallel; a crash between call and completion is covered by
 * the provider's idempotency key.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { DeliveryDoc } from '../data/models/deliveries';
import { ProviderError } from '../providers/http';

export type DeliverySpec = Pick<DeliveryDoc, '_id' | 'appId' | 'messageId' | 'profileId' | 'channel' | 'category' | 'recipient' | 'decision'>;

/** Longer than an attempt can run (30 s start-to-close, 10 s per provider call), so a lease outlives its holder. */
const LEASE_MS = 90_000;

export class DeliveryInFlightError extends Error {
  override name = 'DeliveryInFlightError';
}

export interface DeliveryOutcome {
  sent: boolean;
  error?: string;
}

export async function deliverOnce(db: Db, spec: DeliverySpec, send: () => Promise<{ providerMessageId: string }>): Promise<DeliveryOutcome> {
  const key = { _id: spec._id };
  try {
    // One write claims the record (inserted as `pending`) or takes the expired lease of a pending one.
    // A record already `sent` or `failed`, or leased by a live attempt, does not match, so the upsert collides with it.
    const now = new Date();
    await db.deliveries.updateOne(
      { ...key, state: 'pending', leaseUntil: { $lt: now } },
      { $setOnInsert: spec, $set: { leaseUntil: new Date(now.getTime() + LEASE_MS) }, $inc: { attempts: 1 } },
      { upsert: true },
    );
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const done = await db.deliveries.findOne(key).lean();
    if (done?.state === 'sent') return { sent: true };
    if (done?.state === 'failed') return { sent: false, error: done.error };
    // Another attempt holds the lease: let the retry policy come back after it has finished.
    throw new DeliveryInFlightError(`delivery ${spec._id} is in flight in another attempt`);
  }
  try {
    const { providerMessageId } = await send();
    await db.deliveries.updateOne(key, { $set: { state: 'sent', providerMessageId, sentAt: new Date() }, $unset: { leaseUntil: 1 } });
    return { sent: true };
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) {
      await db.deliveries.updateOne(key, { $set: { state: 'failed', error: err.message }, $unset: { leaseUntil: 1 } });
      return { sent: false, error: err.message };
    }
    await db.deliveries.updateOne(key, { $set: { leaseUntil: new Date(0) } }); // release: the next attempt may claim at once
    throw err; // transient: the activity's retry policy tries again with the same record
  }
}
