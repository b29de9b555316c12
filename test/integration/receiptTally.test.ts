/**
 * Receipt tallies on the real database: receipts of one batch arriving at once through two
 * API processes (two connections), each posted twice, count every delivery exactly once,
 * gathered into far fewer writes than receipts.
 */
import { connectDb, type Db } from '../../data/db';
import { countReceipt, receiptTallyId, talliedReceipts } from '../../messages/receiptTally';
import { testDbUri } from '../support/testDb';

let a: Db;
let b: Db;
beforeAll(async () => {
  const uri = testDbUri('tally');
  a = await connectDb(uri);
  b = await connectDb(uri);
});
afterAll(async () => {
  await a?.conn.dropDatabase();
  await a?.close();
  await b?.close();
});

const delivery = (i: number, batchId = 'send:0') => ({ _id: `demo:campaign:c1:prf_${i}:push`, appId: 'demo', messageId: 'campaign:c1', batchId });

test('300 receipts of one batch, each posted twice through two processes at once: delivered 300, each counted once', async () => {
  const writes = jest.spyOn(a.receiptTallies, 'updateOne'); // counts the calls, and makes them
  const posts = Array.from({ length: 300 }, (_, i) => i).flatMap((i) => [countReceipt(i % 2 ? a : b, delivery(i)), countReceipt(i % 2 ? b : a, delivery(i))]);
  await Promise.all(posts);
  const calls = writes.mock.calls.length;
  writes.mockRestore();

  const tally = await a.receiptTallies.findOne({ _id: receiptTallyId('demo', 'campaign:c1', 'send:0') }).lean();
  expect(tally!.delivered).toBe(300);
  expect(new Set(tally!.counted).size).toBe(300);
  expect(tally!.counted).toHaveLength(300);
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThan(30); // gathered: one process's 300 receipts took a few writes, not 300

  // A late repeat changes nothing; a receipt of another batch counts on its own tally.
  await Promise.all([countReceipt(a, delivery(7)), countReceipt(b, delivery(7)), countReceipt(a, delivery(300, 'send:1'))]);
  expect(await talliedReceipts(b, 'demo', 'campaign:c1', ['send:0', 'send:1', 'send:2'])).toBe(301);
});
