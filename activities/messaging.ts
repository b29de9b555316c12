/**
 * Activities of the message workflow: every read, write and provider call it makes. Each
 * channel's content is rendered here, at send time, for the recipient (profile and the
 * message's variables) from the message's pinned template version or its inline content.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createCapLedger } from '../gate/capLedger';
import { DEFAULT_DELIVERY_SETTINGS, deliverySettingsOf } from '../gate/settings';
import type { Db } from '../data/db';
import type { MessageDoc } from '../data/models/messages';
import { markTokenUninstalled } from '../data/profileDevices';
import { recordMessageStep } from '../data/messageTimeline';
import { FAILURES, SENT_STEP, SKIPPED_STEP, type Channel, type MessageStatus, type MessageStep, type SendResult } from '../domain/messages';
import { gateSend, pushTargets, type GateDecision } from '../gate/sendGate';
import type { ProfileDoc } from '../data/models/profiles';
import { emailDeliveryId, messageDocId, pushDeliveryId, smsDeliveryId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import { unsubscribeToken, unsubscribeUrl } from '../lib/unsubscribeTokens';
import type { EmailProvider } from '../providers/email';
import type { PushAdapters } from '../providers/pushAdapters';
import type { SmsProvider } from '../providers/sms';
import type { ChannelContent, RenderResult, ResolvedTemplate, TemplateChannel } from '../templates/channels';
import { profileContext, renderChannel } from '../templates/render';
import { resolveTemplate } from '../templates/store';
import { deliverOnce } from './deliverOnce';
import { pushFailureError, pushMessageFor, recordedPushKind, type RenderedPush } from './pushMessage';
import { warn } from './heartbeat';

export interface MessagingDeps {
  db: Db;
  /** Push adapters per app and platform (providers/pushAdapters.ts): FCM, APNs, web push. */
  pushAdapters: PushAdapters;
  sms: SmsProvider;
  receiptSecret: string;
  smsSender: string;
  /** SMTP; without it (tests that send no mail) the e-mail channel is skipped as `email_unavailable`. */
  email?: EmailProvider;
  /** The API's public base URL: unsubscribe links in commercial e-mail point at it. */
  publicUrl?: string;
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

  async function skip(ref: MessageRef, channel: Channel, reason: string): Promise<SendResult> {
    await recordMessageStep(db, ref, SKIPPED_STEP[channel], new Date(), { skip: { channel, reason } });
    return { sent: false, reason };
  }

  /** What the message renders from: its pinned template version, or its inline content as a template of its own. */
  async function templateOf(msg: MessageDoc): Promise<ResolvedTemplate | { failed: string }> {
    if (msg.template) {
      const found = await resolveTemplate(db, msg.appId, msg.template.id, msg.template.version);
      return found.ok ? found.template : { failed: `${found.reason}: ${found.message}` };
    }
    // A message accepted without SMS content falls back to the push text (what the SMS fallback always sent).
    const push = msg.push;
    const sms = msg.sms ?? (push ? { text: push.title ? `${push.title}: ${push.body}` : push.body } : undefined);
    return {
      appId: msg.appId, id: 'inline', version: null, name: 'inline content', missingVariable: 'skip',
      channels: { ...(push ? { push } : {}), ...(sms ? { sms } : {}), ...(msg.email ? { email: msg.email } : {}) },
    };
  }

  /** The channel's content for this recipient, or why there is none (`template_missing_variable: profile.attributes.city in sms.text`). */
  async function render<C extends TemplateChannel>(msg: MessageDoc, profile: ProfileDoc, channel: C): Promise<{ content: ChannelContent[C] } | { failed: string }> {
    const template = await templateOf(msg);
    if ('failed' in template) return template;
    const vars = msg.template?.variablesJson ? (JSON.parse(msg.template.variablesJson) as Record<string, unknown>) : {};
    const r: RenderResult<ChannelContent[C]> = await renderChannel(template, channel, { profile: profileContext(profile), vars });
    if (r.ok) return { content: r.content };
    switch (r.reason) {
      case 'template_missing_variable':
        return { failed: `template_missing_variable: ${r.variable} in ${r.field}${r.action === 'fail' ? ' (template policy: fail)' : ''}` };
      case 'template_empty_content':
        return { failed: `template_empty_content: ${r.field} rendered to nothing` };
      case 'template_channel_missing':
        return { failed: `template_channel_missing: the template has no ${r.channel} content` };
      case 'template_render_error':
        return { failed: `template_render_error: ${r.field}: ${r.message}` };
    }
  }

  /** The template's web push content for this recipient, when it has some that renders; web devices get the push content otherwise. */
  async function webPushContent(msg: MessageDoc, profile: ProfileDoc): Promise<{ webPush?: ChannelContent['webPush'] }> {
    const template = await templateOf(msg);
    if ('failed' in template || !template.channels.webPush) return {};
    const r = await render(msg, profile, 'webPush');
    return 'content' in r ? { webPush: r.content } : {};
  }

  /**
   * The message, its profile and the gate's decision for `channel` (gate/sendGate.ts, the one
   * place a send is decided); or the skip, recorded, when the gate says no; or the wait, shown
   * on the message, when the gate says not yet.
   */
  async function gated<C extends Channel>(
    input: SendInput,
    channel: C,
  ): Promise<{ msg: MessageDoc; profile: ProfileDoc; decision: GateDecision; content: ChannelContent[C] } | { skipped: GatedSendResult }> {
    const ref = { appId: input.appId, messageId: input.messageId };
    const msg = await loadMessage(ref);
    const profile = await db.profiles.findOne({ _id: msg.profileId }).lean();
    if (!profile) return { skipped: await skip(ref, channel, 'profile_deleted') };
    // Rendered before the gate, so a recipient who gets nothing on this channel takes no frequency-cap slot.
    const rendered = await render(msg, profile, channel);
    if ('failed' in rendered) return { skipped: await skip(ref, channel, rendered.failed) };
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
    return { msg, profile, decision, content: rendered.content };
  }

  /** A send that went out after waiting for quiet hours no longer shows the wait as its channel's reason. */
  async function clearWait(input: SendInput, channel: Channel): Promise<void> {
    if (input.deferredUntil) await db.messages.updateOne({ _id: messageDocId(input.appId, input.messageId) }, { $unset: { [`reasons.${channel}`]: 1 } });
  }

  /** One delivery to one address (SMS, e-mail): the ledger record, the provider call, then the message's step. */
  async function deliverToAddress(
    input: SendInput,
    target: { msg: MessageDoc; profile: ProfileDoc; decision: GateDecision },
    channel: 'sms' | 'email',
    deliveryId: string,
    recipient: string,
    send: (reference: string) => Promise<{ providerMessageId: string }>,
  ): Promise<GatedSendResult> {
    const ref = { appId: input.appId, messageId: input.messageId };
    const spec = { _id: deliveryId, ...ref, profileId: target.profile._id, channel, category: target.msg.category, recipient, decision: target.decision };
    const outcome = await deliverOnce(db, spec, () => send(spec._id));
    if (!outcome.sent) return skip(ref, channel, `provider_rejected: ${outcome.error ?? 'unknown'}`);
    await clearWait(input, channel);
    await recordMessageStep(db, ref, SENT_STEP[channel], new Date());
    return { sent: true };
  }

  return {
    /** Pushes to every push-enabled device of the profile; sent when at least one device took it. */
    async sendPush(input: SendInput): Promise<GatedSendResult> {
      const ref = { appId: input.appId, messageId: input.messageId };
      const target = await gated(input, 'push');
      if ('skipped' in target) return target.skipped;
      const { msg, profile, decision, content } = target;
      const devices = pushTargets(profile);
      const rendered: RenderedPush = { push: content, ...(devices.some((d) => d.platform === 'web') ? await webPushContent(msg, profile) : {}) };

      const data = { rota_app_id: ref.appId, rota_message_id: ref.messageId, rota_receipt_token: receiptToken(deps.receiptSecret, ref.appId, ref.messageId) };
      const errors: string[] = [];
      let sent = 0;
      for (const device of devices) {
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
        const outcome = await deliverOnce(db, spec, async () => {
          const adapter = await deps.pushAdapters.forApp(ref.appId, device.platform, 0);
          if (!adapter) throw pushFailureError('push', { ok: false, kind: 'invalid', code: 'no_adapter', status: 0 });
          const answer = await adapter.send(pushMessageFor(device, rendered, data, spec._id));
          if (!answer.ok) throw pushFailureError(adapter.provider, answer);
          return { providerMessageId: answer.providerMessageId };
        });
        if (outcome.sent) sent++;
        else if (outcome.error) {
          errors.push(outcome.error);
          // The token is dead (the app was uninstalled): marked, so no later send pushes to it.
          if (recordedPushKind(outcome.error) === 'unregistered') await markTokenUninstalled(db, ref.appId, device.token, new Date());
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
      const { profile, content } = target;
      if (!profile.msisdn) return skip(ref, 'sms', 'no_msisdn');
      const to = profile.msisdn;
      return deliverToAddress(input, target, 'sms', smsDeliveryId(ref.appId, ref.messageId), to, (reference) =>
        deps.sms.send({ to, from: deps.smsSender, text: content.text, reference }),
      );
    },

    /**
     * E-mail to the profile's address: the rendered subject, HTML and text; commercial mail
     * carries the recipient's unsubscribe link as `List-Unsubscribe` (one-click) and in its footer.
     */
    async sendEmail(input: SendInput): Promise<GatedSendResult> {
      const ref = { appId: input.appId, messageId: input.messageId };
      const target = await gated(input, 'email');
      if ('skipped' in target) return target.skipped;
      const { msg, profile, content } = target;
      if (!profile.email) return skip(ref, 'email', 'no_email');
      if (!deps.email) return skip(ref, 'email', 'email_unavailable: this worker has no SMTP provider');
      const email = deps.email;
      const to = profile.email;
      let { html, text } = content;
      let link: string | undefined;
      if (msg.category === 'commercial') {
        link = unsubscribeUrl(deps.publicUrl ?? 'http://127.0.0.1:3000', unsubscribeToken(deps.receiptSecret, ref.appId, profile._id));
        ({ html, text } = withUnsubscribeFooter({ html, text }, link));
      }
      return deliverToAddress(input, target, 'email', emailDeliveryId(ref.appId, ref.messageId), to, (reference) =>
        email.send({ to, subject: content.subject, ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}), reference, ...(link ? { unsubscribeUrl: link } : {}) }),
      );
    },

    /** Records why a channel was given up on (its retries ran out). */
    async recordSkip(input: MessageRef & { channel: Channel; reason: string }): Promise<void> {
      await recordMessageStep(db, input, SKIPPED_STEP[input.channel], new Date(), { skip: { channel: input.channel, reason: input.reason } });
    },

    /** Records a step the workflow observed (a receipt, a timeout) and the status it leads to; `at` is workflow time. */
    async recordStep(input: MessageRef & { step: MessageStep; at: string; status: MessageStatus }): Promise<void> {
      await recordMessageStep(db, input, input.step, new Date(input.at), { status: input.status });
    },
  };
}

export type MessagingActivities = ReturnType<typeof createMessagingActivities>;

const FOOTER_TEXT = 'Bu e-postaları artık almak istemiyorsanız / To unsubscribe from these e-mails:';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Commercial mail's footer: one Turkish/English line with the unsubscribe link, in the text and (before `</body>` if it has one) the HTML. */
export function withUnsubscribeFooter(body: { html?: string; text?: string }, link: string): { html?: string; text?: string } {
  const text = body.text === undefined ? undefined : `${body.text}\n\n--\n${FOOTER_TEXT}\n${link}\n`;
  let html = body.html;
  if (html !== undefined) {
    const footer = `<p style="font-size:12px;color:#666">${escapeHtml(FOOTER_TEXT)} <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`;
    const end = html.search(/<\/body>/i);
    html = end >= 0 ? `${html.slice(0, end)}${footer}${html.slice(end)}` : `${html}${footer}`;
  }
  return { ...(html !== undefined ? { html } : {}), ...(text !== undefined ? { text } : {}) };
}
