/**
 * Types and constants shared by the API, activities and workflows. Dependency-free:
 * workflow code imports it, so nothing here may pull in Node built-ins, mongoose or express.
 */

export const MESSAGE_CATEGORIES = ['transactional', 'commercial'] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];

export const CHANNELS = ['push', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Where a message stands; the last step decides the status a reader sees. */
export const MESSAGE_STATUSES = [
  'accepted',
  'push_sent',
  'delivered_by_push',
  'sms_sent_after_push_timeout',
  'sms_sent_push_unavailable',
  'sms_sent',
  'email_sent_after_push_timeout',
  'email_sent_push_unavailable',
  'email_sent',
  'not_delivered',
  'skipped',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Timeline steps, each recorded once with the time it happened. */
export const MESSAGE_STEPS = ['accepted', 'push_sent', 'push_delivered', 'push_opened', 'push_timed_out', 'push_skipped', 'sms_sent', 'sms_skipped', 'email_sent', 'email_skipped'] as const;
export type MessageStep = (typeof MESSAGE_STEPS)[number];

export const OUTCOME_TEXT: Record<MessageStatus, string> = {
  accepted: 'accepted, not yet sent',
  push_sent: 'push sent, waiting for the device receipt',
  delivered_by_push: 'delivered by push',
  sms_sent_after_push_timeout: 'SMS sent after push timeout',
  sms_sent_push_unavailable: 'SMS sent; push was not possible',
  sms_sent: 'SMS sent',
  email_sent_after_push_timeout: 'e-mail sent after push timeout',
  email_sent_push_unavailable: 'e-mail sent; push was not possible',
  email_sent: 'e-mail sent',
  not_delivered: 'not delivered: push timed out and no later channel was possible',
  skipped: 'skipped: no channel allowed a send',
};

/** `removed`: a campaign's recall took the notification off the device (deliveries only). */
export const RECEIPT_STATUSES = ['delivered', 'opened', 'removed'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** Signal payload: ids and a status only, never message bodies. */
export interface Receipt {
  status: ReceiptStatus;
  /** ISO time the device reported. */
  at: string;
}

/** The message workflow's input: ids and settings, the content stays in MongoDB. */
export interface MessageWorkflowInput {
  appId: string;
  messageId: string;
  fallbackTimeoutMs: number;
  smsFallback: boolean;
  /** The channels to try, in order; absent (messages accepted before channel orders): push, then SMS when `smsFallback`. */
  channels?: Channel[];
}

/** The order a message without one uses: push, then SMS unless the SMS fallback is off. */
export function defaultChannelOrder(smsFallback: boolean): Channel[] {
  return smsFallback ? ['push', 'sms'] : ['push'];
}

/** The timeline steps of a channel's send and of its skip. */
export const SENT_STEP: Record<Channel, MessageStep> = { push: 'push_sent', sms: 'sms_sent', email: 'email_sent' };
export const SKIPPED_STEP: Record<Channel, MessageStep> = { push: 'push_skipped', sms: 'sms_skipped', email: 'email_skipped' };

/** The status of a message that went out on `channel` (SMS or e-mail), by what happened to push before it. */
export function sentStatus(channel: 'sms' | 'email', push: 'sent' | 'unavailable' | 'not_tried'): MessageStatus {
  if (push === 'sent') return channel === 'sms' ? 'sms_sent_after_push_timeout' : 'email_sent_after_push_timeout';
  if (push === 'unavailable') return channel === 'sms' ? 'sms_sent_push_unavailable' : 'email_sent_push_unavailable';
  return channel === 'sms' ? 'sms_sent' : 'email_sent';
}

/** Names of the typed, non-retryable business failures activities raise. */
export const FAILURES = {
  messageNotFound: 'MessageNotFound',
} as const;

export interface SendResult {
  sent: boolean;
  /** Why nothing was sent, for the operator. */
  reason?: string;
}
