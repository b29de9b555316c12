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
import { defaultChannelOrder, type Channel } from '../domain/messages';
import { messageDocId, newMessageId, sha256 } from '../lib/ids';
import { InvalidInputError, type FieldIssue } from '../lib/invalidInput';
import { findProfileId } from '../profiles/profileKeys';
import { checkChannels, resolveTemplate } from '../templates/store';
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

const TEMPLATE_ORDER: readonly Channel[] = ['push', 'sms', 'email'];

/**
 * The channel order and how the content covers it: inline content is checked for Liquid
 * errors; a template is resolved to the version the message will use (pinned, so a retried
 * send renders the same one) and must have content for every channel of the order.
 * A 400 naming the field otherwise.
 */
async function contentOf(db: Db, appId: string, input: MessageCreate): Promise<Pick<MessageDoc, 'channels' | 'template' | 'push' | 'sms' | 'email'>> {
  if (!input.template) {
    const issues = checkChannels({ push: input.push, sms: input.sms, email: input.email }, 'body');
    if (issues.length > 0) throw new InvalidInputError(issues);
    return {
      channels: input.channels ?? defaultChannelOrder(input.smsFallback),
      ...(input.push ? { push: input.push } : {}),
      ...(input.sms ? { sms: input.sms } : {}),
      ...(input.email ? { email: input.email } : {}),
    };
  }
  const { id, version, variables } = input.template;
  const found = await resolveTemplate(db, appId, id, version);
  if (!found.ok) {
    const path = found.reason === 'template_version_not_found' ? 'body.template.version' : 'body.template.id';
    throw new InvalidInputError([{ path, message: found.message }]);
  }
  const { template } = found;
  const channels = input.channels ?? TEMPLATE_ORDER.filter((c) => template.channels[c] !== undefined && (c !== 'sms' || input.smsFallback));
  const issues: FieldIssue[] = channels
    .filter((c) => template.channels[c] === undefined)
    .map((c) => ({ path: 'body.channels', message: `template ${id} version ${template.version} has no ${c} content` }));
  if (channels.length === 0) issues.push({ path: 'body.template.id', message: `template ${id} has no push, sms or email content` });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return { channels, template: { id, version: template.version!, ...(variables ? { variablesJson: JSON.stringify(variables) } : {}) } };
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
    // Bad content is a 400 whoever the recipient is.
    const content = await contentOf(db, appId, input);
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
      ...content,
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
      args: [{
        appId, messageId, fallbackTimeoutMs: message.fallbackTimeoutMs, smsFallback: message.smsFallback,
        ...(message.channels ? { channels: message.channels } : {}),
        ...(input.overrideCaps ? { overrideCaps: true } : {}),
      }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return { message, created };
}
