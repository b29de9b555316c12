/**
 * The delivery-record protocol every send follows, in one place: claim a deterministic
 * delivery record (`pending`, with a lease), call the provider with the record's id as
 * idempotency key, complete the record (`sent` or `failed`). A retried or replayed
 * activity finds the record and does not call the provider again once it is `sent` or
 * `failed`; while another attempt holds the lease (a timed-out attempt still running) it
 * waits instead of calling in parallel; a crash between call and completion is covered by
 * the provider's idempotency key.
 *
 * The common path reads and writes by `_id` alone (FerretDB answers those from its primary
 * key); only taking over an expired lease needs a compare-and-set filter.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { DeliveryDoc } from '../data/models/deliveries';
import { ProviderError } from '../providers/http';
import { heartbeat, warn } from './heartbeat';

export type DeliverySpec = Pick<DeliveryDoc, '_id' | 'appId' | 'messageId' | 'profileId' | 'channel' | 'category' | 'recipient' | 'decision'>;

/**
 * A lease covers one provider call, which cannot outlast its 10 s timeout (providers/http.ts):
 * twice that, so an attempt the worker still runs after Temporal gave up on it finishes
 * its call before anyone else may make it.
 */
const LEASE_MS = 20_000;

export class DeliveryInFlightError extends Error {
  override name = 'DeliveryInFlightError';
}

export interface DeliveryOutcome {
  sent: boolean;
  error?: string;
  /** The provider's HTTP status of a refusal, when it answered one. */
  status?: number;
}

/** Claims the record for this attempt, or answers the outcome already recorded. */
async function claim(db: Db, spec: DeliverySpec): Promise<DeliveryOutcome | 'claimed'> {
  const key = { _id: spec._id };
  const now = new Date();
  const leaseUntil = new Date(now.getTime() + LEASE_MS);
  const existing = await db.deliveries.findOne(key).lean();
  if (!existing) {
    try {
      await db.deliveries.create({ ...spec, state: 'pending', attempts: 1, leaseUntil });
      return 'claimed';
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      throw new DeliveryInFlightError(`delivery ${spec._id} was claimed by another attempt`);
    }
  }
  if (existing.state === 'sent') return { sent: true };
  if (existing.state === 'failed') return { sent: false, error: existing.error, ...(existing.errorStatus ? { status: existing.errorStatus } : {}) };
  if (existing.leaseUntil && existing.leaseUntil > now) throw new DeliveryInFlightError(`delivery ${spec._id} is in flight in another attempt`);
  // Take over the expired lease only if nobody else took it since we read it.
  const res = await db.deliveries.updateOne({ ...key, state: 'pending', leaseUntil: existing.leaseUntil }, { $set: { leaseUntil }, $inc: { attempts: 1 } });
  if (res.modifiedCount === 0) throw new DeliveryInFlightError(`delivery ${spec._id} was taken over by another attempt`);
  return 'claimed';
}

export async function deliverOnce(db: Db, spec: DeliverySpec, send: () => Promise<{ providerMessageId: string }>): Promise<DeliveryOutcome> {
  const claimed = await claim(db, spec);
  if (claimed !== 'claimed') return claimed;
  heartbeat(); // inside an activity: tells Temporal this worker is alive; a dead one is noticed within the heartbeat timeout
  const key = { _id: spec._id };
  try {
    const { providerMessageId } = await send();
    await db.deliveries.updateOne(key, { $set: { state: 'sent', providerMessageId, sentAt: new Date() }, $unset: { leaseUntil: 1 } });
    return { sent: true };
  } catch (err) {
    // The provider's own words stay in the server log; the message view shows a short public form (messages/providerErrors.ts).
    warn('provider call failed', { deliveryId: spec._id, channel: spec.channel, error: (err as Error).message });
    if (err instanceof ProviderError && !err.retryable) {
      await db.deliveries.updateOne(key, { $set: { state: 'failed', error: err.message, ...(err.status ? { errorStatus: err.status } : {}) }, $unset: { leaseUntil: 1 } });
      return { sent: false, error: err.message, ...(err.status ? { status: err.status } : {}) };
    }
    await db.deliveries.updateOne(key, { $set: { leaseUntil: new Date(0) } }); // release: the next attempt may claim at once
    throw err; // transient: the activity's retry policy tries again with the same record
  }
}
