/** A deliberately incompatible change (SMS before push, no patch): replaying old histories against it must fail. */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import type { MessageStatus, MessageWorkflowInput } from '../../../domain/messages';

const acts = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export async function pushWithSmsFallback(input: MessageWorkflowInput): Promise<MessageStatus> {
  const ref = { appId: input.appId, messageId: input.messageId };
  await acts.sendSms(ref);
  await acts.sendPush(ref);
  return 'sms_sent_push_unavailable';
}
