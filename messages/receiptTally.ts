/**
 * Receipts of batch sends counted as they arrive (data/models/receiptTallies.ts), exactly:
 * one conditional update of the batch's tally adds deliveries only if none of them is counted
 * yet, so a device that posts its receipt again (it retries until answered), or an open after
 * the delivery, counts once. A receipt whose tally write failed is answered 5xx and posted again.
 *
 * A page's devices answer within the same seconds, and a write each would queue them all on
 * the page's one tally document (FerretDB applies one write of a document at a time; MongoDB
 * serialises a hot document too): at 100 000 recipients the receipts fell behind the sends
 * and piled up as thousands of open requests. So each process gathers the receipts of a tally
 * that arrive while a write of it is under way, and counts them together in the next write.
 */
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { ReceiptTallyDoc } from '../data/models/receiptTallies';
import { scopedId } from '../lib/ids';

const DUPLICATE_KEY = 11000;
const MAX_ATTEMPTS = 20;

export const receiptTallyId = (appId: string, sendKey: string, batchId: string) => scopedId(appId, `${sendKey}:${batchId}`);

interface Tally {
  _id: string;
  appId: string;
  messageId: string;
  batchId: string;
}

/** Receipts waiting for the next write of one tally, answered together. */
interface Group {
  ids: Set<string>;
  done: Promise<void>;
  settle(err?: unknown): void;
}

interface Slot {
  writing: boolean;
  next?: Group;
}

/** Per database connection (a process may hold several: the tests), per tally. */
const slotsByModel = new WeakMap<object, Map<string, Slot>>();

function group(): Group {
  let settle!: Group['settle'];
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
  return { ids: new Set(), done, settle };
}

/** Counts the delivery `d` on its batch's tally; resolves once it is stored. */
export function countReceipt(db: Db, d: { _id: string; appId: string; messageId: string; batchId: string }): Promise<void> {
  const tally: Tally = { _id: receiptTallyId(d.appId, d.messageId, d.batchId), appId: d.appId, messageId: d.messageId, batchId: d.batchId };
  let slots = slotsByModel.get(db.receiptTallies);
  if (!slots) slotsByModel.set(db.receiptTallies, (slots = new Map()));
  let slot = slots.get(tally._id);
  if (!slot) slots.set(tally._id, (slot = { writing: false }));
  slot.next ??= group();
  const mine = slot.next;
  mine.ids.add(d._id);
  if (!slot.writing) void writeGroups(db, tally, slot, slots);
  return mine.done;
}

/** Writes the slot's groups one after another until none is waiting. */
async function writeGroups(db: Db, tally: Tally, slot: Slot, slots: Map<string, Slot>): Promise<void> {
  slot.writing = true;
  while (slot.next) {
    const g = slot.next;
    slot.next = undefined;
    try {
      await countInto(db, tally, [...g.ids]);
      g.settle();
    } catch (err) {
      g.settle(err);
    }
  }
  slot.writing = false;
  slots.delete(tally._id);
}

/**
 * Adds the deliveries the tally does not count yet. The filter matches only a tally that
 * counts none of them (or none at all: the upsert creates it); when it misses, the upsert
 * meets the existing tally (a duplicate key), which is read to leave out what it counts
 * already (a device's repeat, or another process's write in between) before trying again.
 */
async function countInto(db: Db, tally: Tally, ids: string[]): Promise<void> {
  let candidates = ids;
  // Each miss means the tally changed in between; a tally that keeps changing is a busy database: answer 5xx, be posted again.
  for (let attempt = 0; candidates.length > 0; attempt++) {
    if (attempt === MAX_ATTEMPTS) throw new Error(`receipt tally ${tally._id}: still changing after ${MAX_ATTEMPTS} tries`);
    try {
      await db.receiptTallies.updateOne(
        { _id: tally._id, counted: { $nin: candidates } },
        { $push: { counted: { $each: candidates } }, $inc: { delivered: candidates.length }, $setOnInsert: { appId: tally.appId, messageId: tally.messageId, batchId: tally.batchId } },
        { upsert: true },
      );
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== DUPLICATE_KEY) throw err;
    }
    const stored = await db.receiptTallies.findOne({ _id: tally._id }, { counted: 1 }).lean<Pick<ReceiptTallyDoc, 'counted'>>();
    const counted = new Set(stored?.counted ?? []);
    candidates = candidates.filter((id) => !counted.has(id));
  }
}

/** The receipts counted for these batches of a send, summed. */
export async function talliedReceipts(db: Db, appId: string, sendKey: string, batchIds: string[]): Promise<number> {
  const tallies = await findByIds<ReceiptTallyDoc>(db.receiptTallies, batchIds.map((b) => receiptTallyId(appId, sendKey, b)), { delivered: 1 });
  let n = 0;
  for (const t of tallies.values()) n += t.delivered;
  return n;
}
