/** Bulk inserts keyed by deterministic `_id`s, where a document that exists already is expected (a retry, a re-sent batch), not an error. */
import { retryTransient } from './transient';

/** Inserts `docs` (unordered); answers the indexes of those that existed already. Any error but a duplicate key is thrown. */
export async function insertMissing(collection: { insertMany(docs: never[], options: { ordered: boolean }): Promise<unknown> }, docs: object[]): Promise<Set<number>> {
  if (docs.length === 0) return new Set();
  try {
    await collection.insertMany(docs as never[], { ordered: false });
    return new Set();
  } catch (err) {
    // The driver gives one write error as an object and several as an array.
    const writeErrors = (err as { writeErrors?: { index: number; code: number }[] | { index: number; code: number } }).writeErrors;
    const errors = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
    return new Set(errors.map((e) => e.index));
  }
}

/** The same for any number of documents: chunks of 1000, each retried on transient write failures (data/transient.ts); answers positions in `docs`. */
export async function insertAllMissing(collection: Parameters<typeof insertMissing>[0], docs: object[]): Promise<number[]> {
  const existed: number[] = [];
  for (let start = 0; start < docs.length; start += 1000) {
    const chunk = docs.slice(start, start + 1000);
    for (const i of await retryTransient(() => insertMissing(collection, chunk))) existed.push(start + i);
  }
  return existed;
}
