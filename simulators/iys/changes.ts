/**
 * The pull feed (`GET …/consents/changes`): a brand's movements of one origin (HS or IYS),
 * oldest first by (creationDate, transactionId), from `now − window` up to `now − lag`
 * (document: 7 days and 60 minutes), paged by the cursor `"<unix seconds>_<transactionId>"`.
 * A movement shows only once its whole second is past the lag, so a cursor never skips a
 * movement written later in the same second.
 */
import type { ConsentMovement } from '../../iys/consent';
import { SimHttpError, errorItem } from './errors';
import type { Movement } from './store';

const CURSOR = /^(\d{1,12})_([0-9a-f]{64})$/;

export interface PullQuery {
  brand: string;
  source?: unknown;
  after?: unknown;
  limit?: unknown;
}

const cursorOf = (m: Movement) => ({ sec: Math.floor(m.at / 1000), tx: m.transactionId });
const compare = (a: { sec: number; tx: string }, b: { sec: number; tx: string }) => a.sec - b.sec || (a.tx < b.tx ? -1 : a.tx > b.tx ? 1 : 0);

export function pullChanges(
  movements: readonly Movement[],
  q: PullQuery,
  ctx: { now: number; lagMs: number; windowMs: number },
): { after: string; list: ConsentMovement[] } | undefined {
  const source = q.source ?? 'IYS';
  if (source !== 'HS' && source !== 'IYS') throw SimHttpError.code('H506', { location: ['source'], value: source });
  const limit = q.limit === undefined ? 1000 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw SimHttpError.code('H507', { location: ['limit'], value: q.limit });
  let after: { sec: number; tx: string } | undefined;
  if (q.after !== undefined && q.after !== '') {
    const m = typeof q.after === 'string' ? CURSOR.exec(q.after) : null;
    // Not in the document: the answer to a malformed cursor.
    if (!m) throw SimHttpError.of([errorItem('H097', { location: ['after'], value: q.after })]);
    after = { sec: Number(m[1]), tx: m[2]! };
  }
  const from = ctx.now - ctx.windowMs;
  const until = ctx.now - ctx.lagMs;
  const visible = movements
    .filter((m) => m.brand === q.brand && m.origin === source && m.at >= from && (Math.floor(m.at / 1000) + 1) * 1000 <= until)
    .filter((m) => !after || compare(cursorOf(m), after) > 0)
    .sort((a, b) => compare(cursorOf(a), cursorOf(b)))
    .slice(0, limit);
  if (visible.length === 0) return undefined;
  const last = cursorOf(visible.at(-1)!);
  return {
    after: `${last.sec}_${last.tx}`,
    list: visible.map(({ brand: _b, origin: _o, at: _a, ...item }) => item),
  };
}
