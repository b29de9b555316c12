/**
 * One workflow per message (`message:{appId}:{messageId}`) over the message's channel order,
 * e.g. push → SMS, push → e-mail, e-mail alone: each channel is tried in turn until one
 * sends; push then waits for the device receipt (a signal) up to the fallback timeout, and
 * only without one does the next channel go. A channel the gate refuses, whose content does
 * not render for the recipient, or whose provider fails, passes to the next. Every send goes through an activity that keeps
 * a delivery record, so a replay or a worker restart never sends twice. A commercial send
 * the gate holds for quiet hours waits on a durable timer for as long as the gate's activity
 * says, then asks the gate again.
 */
import { ActivityFailure, condition, defineQuery, defineSignal, log, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GatedSendResult, SendInput } from '../activities/messaging';
import {
  defaultChannelOrder, FAILURES, SENT_STEP, SKIPPED_STEP, sentStatus,
  type Channel, type MessageStatus, type MessageStep, type MessageWorkflowInput, type Receipt, type SendResult,
} from '../domain/messages';

/** The workflow's input: the message's ids and settings, and whether an operator overrode the frequency caps for it. */
export interface MessageInput extends MessageWorkflowInput {
  overrideCaps?: boolean;
}

/** Waiting for quiet hours adds a timer (and a second send) to the command sequence: histories from before it replay without. */
export const QUIET_HOURS_PATCH = 'quiet-hours-defer';
/** Asked again after a wait, the gate answers "send" or "skip"; more waits than this mean the settings keep moving the window: given up. */
const MAX_QUIET_HOURS_WAITS = 3;
/** The channel order (any channels, e-mail among them) replaced the fixed push → SMS: histories from before it replay the old path. */
export const CHANNEL_ORDER_PATCH = 'channel-order';

export const receiptSignal = defineSignal<[Receipt]>('receipt');
export const messageStatusQuery = defineQuery<MessageStatus>('status');

export function messageWorkflowId(appId: string, messageId: string): string {
  return `message:${appId}:${messageId}`;
}

// Provider calls: retried with backoff through 5xx/429 storms for up to an hour, after which the message is stale.
// They heartbeat per delivery, so a killed worker's attempt is retried after 10 s, not 30.
const sends = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '10 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: [FAILURES.messageNotFound] },
});
// Bookkeeping writes to MongoDB: short, retried until the database answers.
const records = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' },
});

/** A send whose retries ran out is an outcome (the channel failed), not a reason to fail the whole message. */
async function attempt(send: () => Promise<GatedSendResult>): Promise<GatedSendResult> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof ActivityFailure) return { sent: false, reason: `gave_up: ${err.cause?.message ?? err.message}` };
    throw err;
  }
}

/** A send, and when the gate holds it for quiet hours, the wait (a durable timer of the length the gate computed) and the send again. */
async function sendWhenAllowed(send: (input: SendInput) => Promise<GatedSendResult>, input: SendInput): Promise<SendResult> {
  let result = await attempt(() => send(input));
  for (let waits = 0; result.deferMs !== undefined && waits < MAX_QUIET_HOURS_WAITS && patched(QUIET_HOURS_PATCH); waits++) {
    const until = new Date(Date.now() + result.deferMs).toISOString();
    log.info('held for quiet hours', { ...input, until });
    await sleep(result.deferMs);
    result = await attempt(() => send({ ...input, deferredUntil: until }));
  }
  return result;
}

export async function pushWithSmsFallback(input: MessageInput): Promise<MessageStatus> {
  const ref = { appId: input.appId, messageId: input.messageId };
  const sendInput: SendInput = input.overrideCaps ? { ...ref, overrideCaps: true } : ref;
  let status: MessageStatus = 'accepted';
  let receipt: Receipt | undefined;
  setHandler(receiptSignal, (r) => {
    receipt ??= r;
  });
  setHandler(messageStatusQuery, () => status);

  const finish = async (next: MessageStatus, step: MessageStep, at = new Date().toISOString()): Promise<MessageStatus> => {
    status = next;
    await records.recordStep({ ...ref, step, at, status: next });
    log.info('message finished', { ...ref, status: next });
    return next;
  };

  if (patched(CHANNEL_ORDER_PATCH)) {
    return inChannelOrder(input.channels ?? defaultChannelOrder(input.smsFallback), sendInput, { finish, receipt: () => receipt, pushSent: () => (status = 'push_sent') }, input.fallbackTimeoutMs);
  }

  const push = await sendWhenAllowed(sends.sendPush, sendInput);
  if (push.sent) {
    status = 'push_sent';
    if (await condition(() => receipt !== undefined, input.fallbackTimeoutMs)) {
      return finish('delivered_by_push', 'push_delivered', receipt!.at);
    }
    await records.recordStep({ ...ref, step: 'push_timed_out', at: new Date().toISOString(), status: 'push_sent' });
  } else if (push.reason?.startsWith('gave_up')) {
    await records.recordSkip({ ...ref, channel: 'push', reason: push.reason });
  }

  const undelivered: MessageStatus = push.sent ? 'not_delivered' : 'skipped';
  // A receipt that raced the timer still counts: no SMS for a push the device has shown.
  if (receipt) return finish('delivered_by_push', 'push_delivered', receipt.at);
  if (!input.smsFallback) return finish(undelivered, push.sent ? 'push_timed_out' : 'push_skipped');

  const sms = await sendWhenAllowed(sends.sendSms, sendInput);
  if (sms.sent) return finish(push.sent ? 'sms_sent_after_push_timeout' : 'sms_sent_push_unavailable', 'sms_sent');
  if (sms.reason?.startsWith('gave_up')) await records.recordSkip({ ...ref, channel: 'sms', reason: sms.reason });
  return finish(undelivered, 'sms_skipped');
}

type Finish = (next: MessageStatus, step: MessageStep, at?: string) => Promise<MessageStatus>;

/** Each channel of the order in turn until one sends (and, for push, the device confirms it in time). */
async function inChannelOrder(
  order: Channel[],
  sendInput: SendInput,
  state: { finish: Finish; receipt: () => Receipt | undefined; pushSent: () => void },
  fallbackTimeoutMs: number,
): Promise<MessageStatus> {
  const ref = { appId: sendInput.appId, messageId: sendInput.messageId };
  const send: Record<Channel, (i: SendInput) => Promise<GatedSendResult>> = { push: sends.sendPush, sms: sends.sendSms, email: sends.sendEmail };
  let push: 'sent' | 'unavailable' | 'not_tried' = 'not_tried';
  let lastStep: MessageStep = 'accepted';
  for (const channel of order) {
    const result = await sendWhenAllowed(send[channel], sendInput);
    if (!result.sent) {
      if (result.reason?.startsWith('gave_up')) await records.recordSkip({ ...ref, channel, reason: result.reason });
      if (channel === 'push') push = 'unavailable';
      lastStep = SKIPPED_STEP[channel];
      continue;
    }
    if (channel !== 'push') return state.finish(sentStatus(channel, push), SENT_STEP[channel]);
    push = 'sent';
    state.pushSent();
    if (await condition(() => state.receipt() !== undefined, fallbackTimeoutMs)) return state.finish('delivered_by_push', 'push_delivered', state.receipt()!.at);
    await records.recordStep({ ...ref, step: 'push_timed_out', at: new Date().toISOString(), status: 'push_sent' });
    lastStep = 'push_timed_out';
    // A receipt that raced the timer still counts: nothing more for a push the device has shown.
    if (state.receipt()) return state.finish('delivered_by_push', 'push_delivered', state.receipt()!.at);
  }
  const late = state.receipt();
  if (late) return state.finish('delivered_by_push', 'push_delivered', late.at);
  return state.finish(push === 'sent' ? 'not_delivered' : 'skipped', lastStep);
}
