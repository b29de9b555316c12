/** Activities of the push-with-SMS-fallback workflow: every read, write and provider call it makes. */
import { ApplicationFailure } from '@temporalio/activity';
import { createCapLedger } from '../gate/capLedger';
import { DEFAULT_DELIVERY_SETTINGS, deliverySettingsOf } from '../gate/settings';
import type { Db } from '../data/db';
import type { MessageDoc } from '../data/models/messages';
import { markTokenUninstalled } from '../data/profileDevices';
import { recordMessageStep } from '../data/messageTimeline';
import { FAILURES, type Channel, type MessageStatus, type MessageStep, type SendResult } from '../domain/messages';
import { gateSend, pushTargets, type GateDecision } from '../gate/sendGate';
import type { ProfileDoc } from '../data/models/profiles';
import { messageDocId, pushDeliveryId, smsDeliveryId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import { isDeadToken, type PushProvider } from '../providers/push';
import type { SmsProvider } from '../providers/sms';
import { deliverOnce } from './deliverOnce';
import { warn } from './heartbeat';

export interface MessagingDeps {
  db: Db;
  push: PushProvider;
  sms: SmsProvider;
  receiptSecret: string;
  smsSender: string;
  /** The gate's clock (quiet hours, the caps' calendar days); tests on a time-skipping server read Temporal's. Default: the system clock. */
  clock?: () => Date;
}

export interface MessageRef {
  appId: string;
  messageId: string;
}

/** A send's input: the message, and how the workflow sends it. */
export interface SendInput extends MessageRef {
  /** Admitted whatever the frequency caps (the API lets only an operator key ask for it). */
  overrideCaps?: boolean;
  /** Set when the send waited for quiet hours to end: until when (ISO), for the record. */
  deferredUntil?: string;
}

/** A send's outcome; `deferMs` when the gate said to wait (quiet hours, policy defer) and ask again after that long. */
export interface GatedSendResult extends SendResult {
  deferMs?: number;
}

/** The shortest and longest wait the gate asks for: a timer never fires early enough to spin, and no wait outlasts a day. */
const MIN_DEFER_MS = 1000;
const MAX_DEFER_MS = 24 * 3600_000;

export function createMessagingActivities(deps: MessagingDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ledger = createCapLedger(db, warn);

  async function loadMessage(ref: MessageRef): Promise<MessageDoc> {
    const msg = await db.messages.findOne({ _id: messageDocId(ref.appId, ref.messageId) }).lean();
    if (!msg) throw ApplicationFailure.nonRetryable(`message ${ref.messageId} not found`, FAILURES.messageNotFound);
    return msg;
  }

  async function skip(ref: MessageRef, channel: 'push' | 'sms', reason: string): Promise<SendResult> {
    await recordMessageStep(db, ref, channel === 'push' ? 'push_skipped' : 'sms_skipped', new Date(), { skip: { channel, reason } });
    return { sent: false, reason };
  }

  /**
   * The message, its profile and the gate's decision for `channel` (gate/sendGate.ts, the one
   * place a send is decided); or the skip, recorded, when the gate says no; or the wait, shown
   * on the message, when the gate says not yet.
   */
  async function gated(input: SendInput, channel: 'push' | 'sms'): Promise<{ msg: MessageDoc; profile: ProfileDoc; decision: GateDecision } | { skipped: GatedSendResult }> {
    const ref = { appId: input.appId, messageId: input.messageId };
    const msg = await loadMessage(ref);
    const profile = await db.profiles.findOne({ _id: msg.profileId }).lean();
    if (!profile) return { skipped: await skip(ref, channel, 'profile_deleted') };
    const now = clock();
    // Transactional sends are neither capped nor held for quiet hours: they need no settings.
    const settings = msg.category === 'commercial' ? await deliverySettingsOf(db, ref.appId) : DEFAULT_DELIVERY_SETTINGS;
    const ctx = { ...ref, profileId: profile._id, now, settings, overrideCaps: input.overrideCaps, deferredUntil: input.deferredUntil };
    const outcome = await gateSend({ profile, channel, category: msg.category }, ctx, ledger);
    if (outcome.deferUntil) {
      // Shown as the channel's reason while it waits; a send after the wait clears it (sent) or replaces it (skipped).
      await db.messages.updateOne({ _id: msg._id }, { $set: { [`reasons.${channel}`]: outcome.reason } });
      const deferMs = Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, outcome.deferUntil.getTime() - now.getTime()));
      return { skipped: { sent: false, reason: outcome.reason, deferMs } };
    }
    if (!outcome.allowed) return { skipped: await skip(ref, channel, outcome.reason) };
    const { deferUntil: _none, ...decision } = outcome;
    return { msg, profile, decision };
  }

  /** A send that went out after waiting for quiet hours no longer shows the wait as its channel's reason. */
  async function clearWait(input: SendInput, channel: 'push' | 'sms'): Promise<void> {
    if (input.deferredUntil) await db.messages.updateOne({ _id: messageDocId(input.appId, input.messageId) }, { $unset: { [`reasons.${channel}`]: 1 } });
  }

  return {
    /** Pushes to every push-enabled device of the profile; sent when at least one device took it. */
    async sendPush(input: SendInput): Promise<GatedSendResult> {
      const ref = { appId: input.appId, messageId: input.messageId };
      const target = await gated(input, 'push');
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
        else if (outcome.error) {
          errors.push(outcome.error);
          // The token is dead (the app was uninstalled): marked, so no later send pushes to it.
          if (isDeadToken(outcome)) await markTokenUninstalled(db, ref.appId, device.token, new Date());
        }
      }
      if (sent === 0) return skip(ref, 'push', `provider_rejected: ${errors.join('; ')}`);
      await clearWait(input, 'push');
      await recordMessageStep(db, ref, 'push_sent', new Date(), { status: 'push_sent' });
      return { sent: true };
    },

    async sendSms(input: SendInput): Promise<GatedSendResult> {
      const ref = { appId: input.appId, messageId: input.messageId };
      const target = await gated(input, 'sms');
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
      await clearWait(input, 'sms');
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
