/** Writes to a message's timeline, shared by the activities and the receipt endpoint. */
import type { Db } from './db';
import { messageDocId } from '../lib/ids';
import type { Channel, MessageStatus, MessageStep } from '../domain/messages';

/** accepted → push_sent → a final status; never backwards (a late, retried activity must not undo an outcome). */
function rank(status: MessageStatus): number {
  return status === 'accepted' ? 0 : status === 'push_sent' ? 1 : 2;
}

/** The message's status: the furthest it has gone (`progress`), else the status it was accepted with. */
export function messageStatus(m: { status: MessageStatus; progress?: { status: MessageStatus } }): MessageStatus {
  return m.progress?.status ?? m.status;
}

/**
 * Records `step` at `at`; the first time wins ($min), so a replay or a late duplicate keeps
 * the original time. A status only moves the message forward: `progress` leads with the
 * status's rank, so `$max` keeps the furthest one inside the database whatever order a
 * late, retried activity and the workflow's next step finish in. The filter is `_id` alone,
 * which FerretDB answers from its index. Answers whether the message exists.
 */
export async function recordMessageStep(
  db: Db,
  ref: { appId: string; messageId: string },
  step: MessageStep,
  at: Date,
  extra: { status?: MessageStatus; skip?: { channel: Channel; reason: string } } = {},
): Promise<boolean> {
  const key = { _id: messageDocId(ref.appId, ref.messageId) };
  const update: Record<string, Record<string, unknown>> = { $min: { [`timeline.${step}`]: at } };
  if (extra.skip) update.$set = { [`reasons.${extra.skip.channel}`]: extra.skip.reason };
  if (extra.status) update.$max = { progress: { rank: rank(extra.status), status: extra.status } };
  // The raw collection keeps `progress`'s field order, which `$max` compares by.
  const res = await db.messages.collection.updateOne(key as never, update);
  return res.matchedCount > 0;
}
