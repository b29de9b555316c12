/**
 * Accept a message: write it, then start its workflow under a deterministic id. A request
 * repeated with the same idempotency key lands on the same message and the same workflow
 * (even after that workflow has finished), so a client retry never sends twice.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Role } from '../domain/auth';
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { MessageDoc } from '../data/models/messages';
import { messageDocId, newMessageId, sha256 } from '../lib/ids';
import { findProfileId } from '../profiles/profileKeys';
import { messageWorkflowId, pushWithSmsFallback } from '../workflows/pushWithSmsFallback';
import type { MessageCreate } from './schemas';

export class ProfileNotFoundError extends Error {}
export class IdempotencyConflictError extends Error {}

/** Overriding the frequency caps is an operator's decision: the key must hold the `operator` role itself (an admin-only key manages settings, not sends). */
export function mayOverrideCaps(roles: readonly Role[]): boolean {
  return roles.includes('operator');
}

/** What a repeated request must match to be "the same request". */
function fingerprint(input: MessageCreate): string {
  const { idempotencyKey: _key, ...rest } = input;
  return sha256(JSON.stringify(rest));
}

export async function acceptMessage(deps: { db: Db; temporal: Client; config: Config }, appId: string, input: MessageCreate): Promise<{ message: MessageDoc; created: boolean }> {
  const { db, temporal, config } = deps;
  const messageId = newMessageId(appId, input.idempotencyKey);
  const requestHash = fingerprint(input);

  // A repeated key is answered from the first message, even if its profile has since changed or gone.
  const docId = messageDocId(appId, messageId);
  let message: MessageDoc | null = input.idempotencyKey ? await db.messages.findOne({ _id: docId }).lean() : null;
  let created = false;
  if (!message) {
    const profileId = await findProfileId(db, appId, { externalId: input.to.externalId });
    const profile = profileId ? await db.profiles.findOne({ _id: profileId }).lean() : null;
    if (!profile) throw new ProfileNotFoundError(input.to.externalId);
    const now = new Date();
    const doc: MessageDoc = {
      _id: docId,
      messageId,
      appId,
      profileId: profile._id,
      externalId: input.to.externalId,
      category: input.category,
      push: input.push,
      ...(input.sms ? { sms: input.sms } : {}),
      smsFallback: input.smsFallback,
      fallbackTimeoutMs: (input.fallbackAfterSeconds ?? config.FALLBACK_TIMEOUT_SECONDS) * 1000,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
      requestHash,
      status: 'accepted',
      timeline: { accepted: now },
      reasons: {},
      createdAt: now,
      updatedAt: now,
    };
    try {
      await db.messages.create(doc);
      message = doc;
      created = true;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      message = await db.messages.findOne({ _id: docId }).lean(); // a concurrent twin won
    }
  }
  if (!message) throw new Error(`message ${messageId} vanished`);
  if (message.requestHash !== requestHash) throw new IdempotencyConflictError(input.idempotencyKey);

  try {
    // Started for a repeated request too: if the first attempt died between the write and the
    // start, this one finishes the job. REJECT_DUPLICATE: a finished message is never run again.
    await temporal.workflow.start(pushWithSmsFallback, {
      workflowId: messageWorkflowId(appId, messageId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [{ appId, messageId, fallbackTimeoutMs: message.fallbackTimeoutMs, smsFallback: message.smsFallback, ...(input.overrideCaps ? { overrideCaps: true } : {}) }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { message, created };
}
