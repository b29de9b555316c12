/** Writes to a message's timeline, shared by the activities and the receipt endpoint. */
import type { Db } from './db';
import { messageDocId } from '../lib/ids';
import { MESSAGE_STATUSES, type Channel, type MessageStatus, type MessageStep } from '../domain/messages';

/** accepted → push_sent → a final status; never backwards (a late, retried activity must not undo an outcome). */
function earlierStatuses(next: MessageStatus): MessageStatus[] {
  if (next === 'accepted') return [];
  if (next === 'push_sent') return ['accepted'];
  return MESSAGE_STATUSES.filter((s) => s === 'accepted' || s === 'push_sent');
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
  const key = { _id: messageDocId(ref.appId, ref.messageId) };
  const set = extra.skip ? { $set: { [`reasons.${extra.skip.channel}`]: extra.skip.reason } } : {};
  const res = await db.messages.updateOne(key, { $min: { [`timeline.${step}`]: at }, ...set });
  if (extra.status) await db.messages.updateOne({ ...key, status: { $in: earlierStatuses(extra.status) } }, { $set: { status: extra.status } });
  return res.matchedCount > 0;
}
