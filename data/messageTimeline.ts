/** Writes to a message's timeline, shared by the activities and the receipt endpoint. */
import type { Db } from './db';
import { messageDocId } from '../lib/ids';
import type { Channel, MessageStatus, MessageStep } from '../domain/messages';

/** accepted → push_sent → a final status; never backwards (a late, retried activity must not undo an outcome). */
function rank(status: MessageStatus): number {
  return status === 'accepted' ? 0 : status === 'push_sent' ? 1 : 2;
}

/**
 * Records `step` at `at`; the first time wins ($min), so a replay or a late duplicate keeps
 * the original time. A status is set only when it moves the message forward. Answers
 * whether the message exists.
 */
export async function recordMessageStep(
  db: Db,
  ref: { appId: string; messageId: string },
  step: MessageStep,
  at: Date,
  extra: { status?: MessageStatus; skip?: { channel: Channel; reason: string } } = {},
): Promise<boolean> {
  // Filters are by `_id` alone: FerretDB answers those from its primary key and scans for anything more.
  // So the forward-only check reads first; the only writer of a message's status is its workflow, one step at a time.
  const key = { _id: messageDocId(ref.appId, ref.messageId) };
  const set: Record<string, unknown> = {};
  if (extra.skip) set[`reasons.${extra.skip.channel}`] = extra.skip.reason;
  if (extra.status) {
    const current = await db.messages.findOne(key, { status: 1 }).lean();
    if (!current) return false;
    if (rank(extra.status) > rank(current.status)) set.status = extra.status;
  }
  const res = await db.messages.updateOne(key, { $min: { [`timeline.${step}`]: at }, ...(Object.keys(set).length ? { $set: set } : {}) });
  return res.matchedCount > 0;
}
