/**
 * Accept a message: write it, then start its workflow under a deterministic id. A request
 * repeated with the same idempotency key lands on the same message and the same workflow,
 * so a client retry never sends twice.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { MessageDoc } from '../data/models/messages';
import { newMessageId } from '../lib/ids';
import { messageWorkflowId, pushWithSmsFallback } from '../workflows/pushWithSmsFallback';
import type { MessageCreate } from './schemas';

export class ProfileNotFoundError extends Error {}

export async function acceptMessage(deps: { db: Db; temporal: Client; config: Config }, appId: string, input: MessageCreate): Promise<{ message: MessageDoc; created: boolean }> {
  const { db, temporal, config } = deps;
  const profile = await db.profiles.findOne({ appId, externalId: input.to.externalId }).lean();
  if (!profile) throw new ProfileNotFoundError(input.to.externalId);

  const messageId = newMessageId(appId, input.idempotencyKey);
  const now = new Date();
  const doc: MessageDoc = {
    _id: messageId,
    appId,
    profileId: profile._id,
    externalId: profile.externalId,
    category: input.category,
    push: input.push,
    ...(input.sms ? { sms: input.sms } : {}),
    fallbackTimeoutMs: (input.fallbackAfterSeconds ?? config.FALLBACK_TIMEOUT_SECONDS) * 1000,
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    status: 'accepted',
    timeline: { accepted: now },
    reasons: {},
    createdAt: now,
    updatedAt: now,
  };
  let created = true;
  try {
    await db.messages.create(doc);
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    created = false; // the same idempotency key: answer the first message
  }
  const message = created ? doc : await db.messages.findOne({ _id: messageId, appId }).lean();
  if (!message) throw new Error(`message ${messageId} vanished`);

  try {
    // Started even for a repeated request: if the first attempt died between the write and the start, this one finishes the job.
    await temporal.workflow.start(pushWithSmsFallback, {
      workflowId: messageWorkflowId(appId, messageId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ appId, messageId, fallbackTimeoutMs: message.fallbackTimeoutMs, smsFallback: input.smsFallback }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { message, created };
}
