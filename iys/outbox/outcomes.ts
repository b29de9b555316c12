/** Recording İYS's answers: one insert-only outcome per change, and which errors are answers rather than reasons to try again. */
import type { Db } from '../../data/db';
import type { ConsentChangeDoc } from '../../data/models/consentChanges';
import type { IysOutcomeDoc } from '../../data/models/iysOutcomes';
import { insertAllMissing } from '../../data/insertMissing';
import { IysError } from '../client';
import type { Consent, HsSource } from '../consent';
import { formatIysDate } from '../dates';

/**
 * İYS's refusal of this consent (a state rule such as H174/H175/H178, or a validation
 * code): final, so it is recorded and the recipient's next change goes on. Anything else
 * (İYS down, rate limits, our login refused) is the sender's problem: try again later.
 */
export function isFinalAnswer(err: unknown): err is IysError {
  return err instanceof IysError && !err.retryable && (err.status === 400 || err.status === 422 || err.status === 404);
}

export function outcomeOf(change: Pick<ConsentChangeDoc, '_id' | 'appId' | 'writeId'>, via: 'single' | 'batch', answer: { transactionId: string } | IysError | { skipped: string; message: string }, requestId?: string): IysOutcomeDoc {
  const base = { _id: change._id, appId: change.appId, writeId: change.writeId, via, at: new Date(), ...(requestId ? { requestId } : {}) };
  if (answer instanceof IysError) return { ...base, state: 'rejected', code: answer.code, message: answer.message };
  if ('skipped' in answer) return { ...base, state: 'skipped', code: answer.skipped, message: answer.message };
  return { ...base, state: 'delivered', transactionId: answer.transactionId };
}

/** Inserts outcomes; one recorded by an earlier try of the same work stays as it is. */
export async function recordOutcomes(db: Db, docs: IysOutcomeDoc[]): Promise<void> {
  await insertAllMissing(db.iysOutcomes.collection, docs);
}

/** The İYS consent a stored change stands for. */
export function consentOf(c: ConsentChangeDoc): Consent {
  return {
    recipient: c.recipient, type: c.type, status: c.status, recipientType: c.recipientType,
    source: c.source as HsSource, consentDate: formatIysDate(c.consentDate),
  };
}
