/**
 * When İYS says when to come back (429 with Retry-After, H084's hourly token quota), the
 * activity's next attempt comes then: not earlier, which İYS counts against the client
 * (a token request inside the hour restarts H084's wait), and not later on the backoff
 * that earlier failures (a 5xx spell) had grown to.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { IysError } from '../iys/client';

export const IYS_RETRY_AFTER = 'IysRetryAfter';

export async function honourRetryAfter<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof IysError && err.retryable && err.retryAfterMs !== undefined) {
      throw ApplicationFailure.create({ message: err.message, type: IYS_RETRY_AFTER, nextRetryDelay: err.retryAfterMs, cause: err });
    }
    throw err;
  }
}
