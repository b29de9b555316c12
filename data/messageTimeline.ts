/** Writes to a message's timeline, shared by the activities and the receipt endpoint. */
import type { Db } from './db';
import type { Channel, MessageStatus, MessageStep } from '../domain/messages';

/** Records `step` at `at`; the first time wins ($min), so a replay or a late duplicate keeps the original time. */
export async function recordMessageStep(
  db: Db,
  ref: { appId: string; messageId: string },
  step: MessageStep,
  at: Date,
  extra: { status?: MessageStatus; skip?: { channel: Channel; reason: string } } = {},
): Promise<boolean> {
  const set: Record<string, unknown> = {};
  if (extra.status) set.status = extra.status;
  if (extra.skip) set[`reasons.${extra.skip.channel}`] = extra.skip.reason;
  const res = await db.messages.updateOne({ _id: ref.messageId, appId: ref.appId }, { $min: { [`timeline.${step}`]: at }, ...(Object.keys(set).length ? { $set: set } : {}) });
  return res.matchedCount > 0;
}
