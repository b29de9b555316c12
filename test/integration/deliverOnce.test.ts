/** The delivery-record protocol on the real database: a replayed send never calls the provider again. */
import { deliverOnce, type DeliverySpec } from '../../activities/deliverOnce';
import { connectDb, type Db } from '../../data/db';
import { ProviderError } from '../../providers/http';
import { testDbUri } from '../support/testDb';

let db: Db;
beforeAll(async () => {
  db = await connectDb(testDbUri('deliver'));
});
afterAll(async () => {
  await db?.conn.dropDatabase();
  await db?.close();
});

const spec = (id: string): DeliverySpec => ({
  _id: `demo:${id}`, appId: 'demo', messageId: 'm', profileId: 'p', channel: 'sms', category: 'transactional', recipient: '+905321234567', decision: { allowed: true, reason: 'test' },
});

test('sent once, then answered from the record', async () => {
  let calls = 0;
  const send = async () => ({ providerMessageId: `p${++calls}` });
  expect(await deliverOnce(db, spec('d1'), send)).toEqual({ sent: true });
  expect(await deliverOnce(db, spec('d1'), send)).toEqual({ sent: true });
  expect(calls).toBe(1);
  expect(await db.deliveries.findOne({ _id: 'demo:d1' }).lean()).toMatchObject({ state: 'sent', attempts: 1, providerMessageId: 'p1' });
});

test('transient failures count attempts on the same record; a final failure is recorded and not retried', async () => {
  let calls = 0;
  const flaky = async () => {
    calls++;
    if (calls < 3) throw new ProviderError('503', true, 503);
    throw new ProviderError('invalid number', false, 400);
  };
  await expect(deliverOnce(db, spec('d2'), flaky)).rejects.toThrow('503');
  await expect(deliverOnce(db, spec('d2'), flaky)).rejects.toThrow('503');
  expect(await deliverOnce(db, spec('d2'), flaky)).toEqual({ sent: false, error: 'invalid number', status: 400 });
  expect(await deliverOnce(db, spec('d2'), flaky)).toEqual({ sent: false, error: 'invalid number', status: 400 });
  expect(calls).toBe(3);
  expect(await db.deliveries.findOne({ _id: 'demo:d2' }).lean()).toMatchObject({ state: 'failed', attempts: 3 });
});

test('while one attempt holds the lease, another does not call the provider', async () => {
  let release!: () => void;
  let calls = 0;
  const slow = () =>
    new Promise<{ providerMessageId: string }>((resolve) => {
      calls++;
      release = () => resolve({ providerMessageId: 'slow' });
    });
  const first = deliverOnce(db, spec('d3'), slow);
  // The provider is called once the lease is stored: from then on the first attempt holds it, however slow the database.
  while (calls === 0) await new Promise((r) => setImmediate(r));
  await expect(deliverOnce(db, spec('d3'), slow)).rejects.toThrow(/in flight/);
  release();
  expect(await first).toEqual({ sent: true });
  expect(await deliverOnce(db, spec('d3'), slow)).toEqual({ sent: true });
  expect(calls).toBe(1);
});
