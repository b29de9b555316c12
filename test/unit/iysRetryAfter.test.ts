/** İYS's Retry-After (and H084's hour) becomes the activity's next retry delay; other failures keep Temporal's backoff. */
import { ApplicationFailure } from '@temporalio/common';
import { honourRetryAfter, IYS_RETRY_AFTER } from '../../activities/iysRetryAfter';
import { IysError } from '../../iys/client';

const failWith = (err: Error) => honourRetryAfter(async () => { throw err; });

test('a 429 with Retry-After is retried after that wait', async () => {
  const err = await failWith(IysError.fromResponse(429, { errors: [{ code: 'H429', message: 'too many' }] }, '7')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: IYS_RETRY_AFTER, nextRetryDelay: 7000, nonRetryable: false });
});

test("H084's token quota waits out the hour", async () => {
  const err = await failWith(IysError.fromResponse(429, { errors: [{ code: 'H084', message: 'quota' }] }, null)).catch((e: unknown) => e);
  expect(err).toMatchObject({ type: IYS_RETRY_AFTER, nextRetryDelay: 3_600_000 });
});

test('a 5xx without Retry-After, a refusal and other errors pass through unchanged', async () => {
  for (const original of [IysError.fromResponse(503, {}, null), IysError.fromResponse(422, { errors: [{ code: 'H178', message: 'older' }] }, null), new Error('db down')]) {
    await expect(failWith(original)).rejects.toBe(original);
  }
  await expect(honourRetryAfter(async () => 5)).resolves.toBe(5);
});
