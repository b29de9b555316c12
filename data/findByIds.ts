/**
 * Bulk reads by `_id`: one `$in` command per chunk (an index lookup on MongoDB and, through
 * Rota's FerretDB patch, on the embedded server too) instead of a round trip per document.
 * Chunks keep every command far below MongoDB's 16 MB limit whatever the caller passes, and
 * each is answered in one batch with its cursor closed: FerretDB holds one of its 100 SQLite
 * connections for every open cursor, and cursors waiting for their getMore while every client
 * connection waited for a SQLite one stalled the whole stack (3 workers and an API, 10 000
 * recipients).
 */
const CHUNK = 1000;

/** The part of a mongoose model this needs. */
interface Findable {
  find(filter: { _id: { $in: string[] } }, projection?: Record<string, 0 | 1>): { batchSize(n: number): { lean<R>(): PromiseLike<R> } };
}

/** The documents that exist among `ids`, by `_id` (absent ones are simply missing from the map). */
export async function findByIds<T extends { _id: string }>(model: Findable, ids: readonly string[], projection?: Record<string, 0 | 1>): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  const distinct = [...new Set(ids)];
  for (let start = 0; start < distinct.length; start += CHUNK) {
    const chunk = distinct.slice(start, start + CHUNK);
    // One more than can match: the whole answer comes in the first batch with the cursor closed (a full batch leaves it open for a getMore).
    const docs = await model.find({ _id: { $in: chunk } }, projection).batchSize(chunk.length + 1).lean<T[]>();
    for (const d of docs) out.set(d._id, d);
  }
  return out;
}
