/** Activities of the push-with-SMS-fallback workflow: every read, write and provider call it makes. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../data/db';
import type { MessageDoc } from '../data/models/messages';
import { recordMessageStep } from '../data/messageTimeline';
import { FAILURES, type Channel, type MessageStatus, type MessageStep, type SendResult } from '../domain/messages';
import { decideSend, pushTargets, type GateDecision } from '../gate/sendGate';
import type { ProfileDoc } from '../data/models/profiles';
import { messageDocId, pushDeliveryId, smsDeliveryId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import type { PushProvider } from '../providers/push';
import type { SmsProvider } from '../providers/sms';
import { deliverOnce } from './deliverOnce';

export interface MessagingDeps {
  db: Db;
  push: PushProvider;
  sms: SmsProvider;
  receiptSecret: string;
  smsSender: string;
}

export interface MessageRef {
  appId: string;
  messageId: string;
}

export function createMessagingActivities(deps: MessagingDeps) {
  const { db } = deps;

  async function loadMessage(ref: MessageRef): Promise<MessageDoc> {
    const msg = await db.messages.findOne({ _id: messageDocId(ref.appId, ref.messageId) }).lean();
    if (!msg) throw ApplicationFailure.nonRetryable(`message ${ref.messageId} not found`, FAILURES.messageNotFound);
    return msg;
  }

  async function skip(ref: MessageRef, channel: 'push' | 'sms', reason: string): Promise<SendResult> {
    await recordMessageStep(db, ref, channel === 'push' ? 'push_skipped' : 'sms_skipped', new Date(), { skip: { channel, reason } });
    return { sent: false, reason };
  }

  /** The message, its profile and the gate's decision for `channel`; or the skip, recorded, when the gate says no. */
  async function gated(ref: MessageRef, channel: 'push' | 'sms'): Promise<{ msg: MessageDoc; profile: ProfileDoc; decision: GateDecision } | { skipped: SendResult }> {
    const msg = await loadMessage(ref);
    const profile = await db.profiles.findOne({ _id: msg.profileId }).lean();
    if (!profile) return { skipped: await skip(ref, channel, 'profile_deleted') };
    const decision = decideSend({ profile, channel, category: msg.category });
    if (!decision.allowed) return { skipped: await skip(ref, channel, decision.reason) };
    return { msg, profile, decision };
  }

  return {
    /** Pushes to every push-enabled device of the profile; sent when at least one device took it. */
    async sendPush(ref: MessageRef): Promise<SendResult> {
      const target = await gated(ref, 'push');
      if ('skipped' in target) return target.skipped;
      const { msg, profile, decision } = target;

      const data = { rota_app_id: ref.appId, rota_message_id: ref.messageId, rota_receipt_token: receiptToken(deps.receiptSecret, ref.appId, ref.messageId) };
      const errors: string[] = [];
      let sent = 0;
      for (const device of pushTargets(profile)) {
        const spec = {
          _id: pushDeliveryId(ref.appId, ref.messageId, device.token),
          appId: ref.appId,
          messageId: ref.messageId,
          profileId: profile._id,
          channel: 'push' as const,
          category: msg.category,
          recipient: device.token,
          decision,
        };
        const outcome = await deliverOnce(db, spec, () =>
          deps.push.send({ token: device.token, platform: device.platform, title: msg.push.title, body: msg.push.body, data, idempotencyKey: spec._id }),
        );
        if (outcome.sent) sent++;
        else if (outcome.error) errors.push(outcome.error);
      }
      if (sent === 0) return skip(ref, 'push', `provider_rejected: ${errors.join('; ')}`);
      await recordMessageStep(db, ref, 'push_sent', new Date(), { status: 'push_sent' });
      return { sent: true };
    },

    async sendSms(ref: MessageRef): Promise<SendResult> {
      const target = await gated(ref, 'sms');
      if ('skipped' in target) return target.skipped;
      const { msg, profile, decision } = target;
      if (!profile.msisdn) return skip(ref, 'sms', 'no_msisdn');
      const to = profile.msisdn;
      const spec = {
        _id: smsDeliveryId(ref.appId, ref.messageId),
        appId: ref.appId,
        messageId: ref.messageId,
        profileId: profile._id,
        channel: 'sms' as const,
        category: msg.category,
        recipient: to,
        decision,
      };
      const text = msg.sms?.text ?? `${msg.push.title}: ${msg.push.body}`;
      const outcome = await deliverOnce(db, spec, () => deps.sms.send({ to, from: deps.smsSender, text, reference: spec._id }));
      if (!outcome.sent) return skip(ref, 'sms', `provider_rejected: ${outcome.error ?? 'unknown'}`);
      await recordMessageStep(db, ref, 'sms_sent', new Date());
      return { sent: true };
    },

    /** Records why a channel was given up on (its retries ran out). */
    async recordSkip(input: MessageRef & { channel: Channel; reason: string }): Promise<void> {
      await recordMessageStep(db, input, input.channel === 'push' ? 'push_skipped' : 'sms_skipped', new Date(), { skip: { channel: input.channel, reason: input.reason } });
    },

    /** Records a step the workflow observed (a receipt, a timeout) and the status it leads to; `at` is workflow time. */
    async recordStep(input: MessageRef & { step: MessageStep; at: string; status: MessageStatus }): Promise<void> {
      await recordMessageStep(db, input, input.step, new Date(input.at), { status: input.status });
    },
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;
