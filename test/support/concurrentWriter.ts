/**
 * One client process of the atomicity test (test/integration/embeddedDb.test.ts): it hits
 * one document with concurrent single-document updates of every kind Rota uses and
 * prints, as JSON, what findOneAndUpdate answered. Usage: concurrentWriter <uri> <docId> <tag>.
 */
import mongoose from 'mongoose';

const { MongoClient } = mongoose.mongo;

async function main(): Promise<void> {
  const [uri, docId, tag] = process.argv.slice(2) as [string, string, string];
  const client = await new MongoClient(uri, { maxPoolSize: 10 }).connect();
  const docs = client.db().collection<{ _id: string; ticket?: number }>('atomic');
  const one = { _id: docId };
  const all = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));
  try {
    for (let round = 0; round < 20; round++) await all(10, (i) => docs.updateOne(one, { $set: { [`set_${tag}_${round}_${i}`]: i } }));
    await all(100, () => docs.updateOne(one, { $inc: { count: 1 } }));
    await all(50, (i) => docs.updateOne(one, { $push: { pushed: `${tag}-${i}` } as never }));
    await all(25, (i) => docs.updateOne(one, { $pull: { toPull: `${tag}-${i}` } as never }));
    await all(25, (i) => docs.updateOne(one, { $unset: { [`unset_${tag}_${i}`]: 1 } }));
    const seen = await all(50, async () => (await docs.findOneAndUpdate(one, { $inc: { ticket: 1 } }, { returnDocument: 'after' }))?.ticket as number);
    process.stdout.write(JSON.stringify({ tickets: seen }));
  } finally {
    await client.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
