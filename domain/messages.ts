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
  'not_delivered',
  'skipped',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Timeline steps, each recorded once with the time it happened. */
export const MESSAGE_STEPS = ['accepted', 'push_sent', 'push_delivered', 'push_opened', 'push_timed_out', 'push_skipped', 'sms_sent', 'sms_skipped'] as const;
export type MessageStep = (typeof MESSAGE_STEPS)[number];

export const OUTCOME_TEXT: Record<MessageStatus, string> = {
  accepted: 'accepted, not yet sent',
  push_sent: 'push sent, waiting for the device receipt',
  delivered_by_push: 'delivered by push',
  sms_sent_after_push_timeout: 'SMS sent after push timeout',
  sms_sent_push_unavailable: 'SMS sent; push was not possible',
  not_delivered: 'not delivered: push timed out and no SMS fallback was possible',
  skipped: 'skipped: no channel allowed a send',
};

export const RECEIPT_STATUSES = ['delivered', 'opened'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** Signal payload: ids and a status only, never message bodies. */
export interface Receipt {
  status: ReceiptStatus;
  /** ISO time the device reported. */
  at: string;
}

/** The push-with-SMS-fallback workflow's input: ids and settings, the content stays in MongoDB. */
export interface MessageWorkflowInput {
  appId: string;
  messageId: string;
  fallbackTimeoutMs: number;
  smsFallback: boolean;
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
