/** Bulk inserts keyed by deterministic `_id`s, where a document that exists already is expected (a retry, a re-sent batch), not an error. */

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
