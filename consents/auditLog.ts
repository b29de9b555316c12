/**
 * Reading the consent audit log, paged by time, oldest first. Entries are written only by
 * the consent store (applyChanges.ts) and rewritten only by erasure (profiles/eraseProfile.ts).
 */
import type { Db } from '../data/db';
import type { ConsentAuditDoc } from '../data/models/consentAudit';
import { InvalidInputError } from '../lib/invalidInput';

export interface AuditQuery {
  externalId?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

const encodeCursor = (e: Pick<ConsentAuditDoc, 'at' | '_id'>) => Buffer.from(JSON.stringify([e.at.getTime(), e._id])).toString('base64url');

/** The largest time a Date holds (±8.64e15 ms); past it `new Date` is invalid and cannot be queried. */
const MAX_TIME_MS = 8.64e15;

/** Only what encodeCursor makes: a whole, representable millisecond time and a non-empty id. */
function decodeCursor(cursor: string): { at: Date; id: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    decoded = undefined;
  }
  if (Array.isArray(decoded) && decoded.length === 2) {
    const [at, id] = decoded as [unknown, unknown];
    if (Number.isSafeInteger(at) && Math.abs(at as number) <= MAX_TIME_MS && typeof id === 'string' && id.length > 0) return { at: new Date(at as number), id };
  }
  throw new InvalidInputError([{ path: 'query.cursor', message: 'not a cursor this API returned' }]);
}

export async function readAudit(db: Db, appId: string, q: AuditQuery): Promise<{ entries: ConsentAuditDoc[]; nextCursor?: string }> {
  const at: Record<string, Date> = {};
  if (q.from) at.$gte = new Date(q.from);
  if (q.to) at.$lt = new Date(q.to);
  const filter: Record<string, unknown> = { appId, ...(q.externalId ? { externalId: q.externalId } : {}), ...(Object.keys(at).length ? { at } : {}) };
  if (q.cursor) {
    // Entries of one request share their time: (at, _id) orders them without gaps or repeats.
    const c = decodeCursor(q.cursor);
    filter.$or = [{ at: { $gt: c.at } }, { at: c.at, _id: { $gt: c.id } }];
  }
  const page = await db.consentAudit.find(filter).sort({ at: 1, _id: 1 }).limit(q.limit + 1).lean();
  const more = page.length > q.limit;
  const entries = more ? page.slice(0, q.limit) : page;
  return { entries, ...(more ? { nextCursor: encodeCursor(entries.at(-1)!) } : {}) };
}
