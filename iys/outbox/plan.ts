/**
 * The next round of the outbox: for every recipient and type with changes on their way,
 * the oldest one İYS has not answered yet. One change per recipient per round is what
 * keeps İYS's view in Rota's order (an ONAY then a RET is never reordered), whether the
 * round goes out as single calls or as a batch.
 */
import type { Db } from '../../data/db';
import type { ConsentChangeDoc } from '../../data/models/consentChanges';
import { forEachLimit } from '../../lib/forEachLimit';
import { consentChangeId } from '../../lib/ids';
import type { OutboxRefs } from './refs';

type Pending = Pick<ConsentChangeDoc, '_id' | 'type' | 'recipient' | 'seq' | 'iys'>;
const FIELDS = { _id: 1, type: 1, recipient: 1, seq: 1, iys: 1 } as const;

/** Below this many candidates outcomes are looked up by `_id`; above it one scan of the app's outcomes is cheaper. */
const LOOKUP_LIMIT = 50;

export interface PlannedRound {
  changeIds: string[];
  /** More heads were ready than one round takes. */
  more: boolean;
}

async function candidates(db: Db, appId: string, refs: OutboxRefs): Promise<Map<string, Pending>> {
  const found = new Map<string, Pending>();
  const add = (docs: Pending[]) => docs.forEach((d) => d.iys?.state === 'pending' && found.set(d._id, d));
  if (refs.sweep) add(await db.consentChanges.find({ appId, 'iys.state': 'pending' }, FIELDS).lean());
  for (const writeId of refs.writeIds) add(await db.consentChanges.find({ appId, writeId }, FIELDS).lean());
  await forEachLimit(refs.changeIds.filter((id) => !found.has(id)), 16, async (_id) => {
    const doc = await db.consentChanges.findOne({ _id }, FIELDS).lean();
    if (doc) add([doc]);
  });
  return found;
}

async function answered(db: Db, appId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length > LOOKUP_LIMIT) return new Set((await db.iysOutcomes.find({ appId }, { _id: 1 }).lean()).map((o) => o._id));
  const done = new Set<string>();
  await forEachLimit(ids, 16, async (_id) => {
    if (await db.iysOutcomes.exists({ _id })) done.add(_id);
  });
  return done;
}

/**
 * Walks back from `head` while the change before it is also still on its way (its wake-up
 * may have been lost). A predecessor among the candidates is known answered already.
 */
async function oldestUnanswered(db: Db, appId: string, head: Pending, known: Map<string, Pending>): Promise<Pending> {
  for (let current = head; ; ) {
    if (current.seq <= 1) return current;
    const prevId = consentChangeId(appId, current.type, current.recipient, current.seq - 1);
    if (known.has(prevId) || (await db.iysOutcomes.exists({ _id: prevId }))) return current;
    const prev = await db.consentChanges.findOne({ _id: prevId }, FIELDS).lean();
    if (!prev || prev.iys?.state !== 'pending') return current;
    current = prev;
  }
}

export async function planRound(db: Db, appId: string, refs: OutboxRefs, max: number): Promise<PlannedRound> {
  const found = await candidates(db, appId, refs);
  const done = await answered(db, appId, [...found.keys()]);
  const heads = new Map<string, Pending>();
  for (const c of found.values()) {
    if (done.has(c._id)) continue;
    const key = `${c.type}|${c.recipient}`;
    const head = heads.get(key);
    if (!head || c.seq < head.seq) heads.set(key, c);
  }
  const round: string[] = [];
  await forEachLimit([...heads.values()], 16, async (head) => {
    round.push((await oldestUnanswered(db, appId, head, found))._id);
  });
  round.sort();
  return { changeIds: round.slice(0, max), more: round.length > max };
}
