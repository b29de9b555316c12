/**
 * Bulk writes by `_id`: many single-document updates as one unordered `update` command per
 * chunk instead of a round trip each. Every statement names one `_id`, so MongoDB answers it
 * from the index and Rota's FerretDB front locks just those documents (each statement is still
 * atomic on its own, as `updateOne` is). The driver's collection is used directly: the callers'
 * updates are already in stored form, and mongoose's casting of each one cost more CPU than the
 * write. Chunks keep a command far below the 16 MB and write-batch limits.
 */
import type { mongo } from 'mongoose';

const CHUNK = 500;

export interface IdUpdate {
  filter: { _id: string };
  update: Record<string, unknown>;
}

/** The part of a mongoose model this needs. */
interface Writable {
  collection: Pick<mongo.Collection, 'bulkWrite'>;
}

/** Applies every update; an error (any statement's) rejects after the others were tried, so a retry redoes only idempotent work. */
export async function updateByIds(model: Writable, updates: readonly IdUpdate[]): Promise<void> {
  for (let start = 0; start < updates.length; start += CHUNK) {
    const ops = updates.slice(start, start + CHUNK).map(({ filter, update }) => ({ updateOne: { filter, update } }));
    // The untyped collection's `_id` is an ObjectId to the driver's types; Rota's ids are strings.
    await model.collection.bulkWrite(ops as unknown as mongo.AnyBulkWriteOperation[], { ordered: false });
  }
}
