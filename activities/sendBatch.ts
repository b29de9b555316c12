/**
 * The batch form of the send pipeline (issue 10, item 6): one activity sends up to 500
 * recipients of a campaign or a journey step on one channel (push, SMS or e-mail), with the
 * same gate, templates, providers and delivery ledger as a single send, in bulk:
 *
 *   1. the profiles, read by `_id` with bounded concurrency (the embedded database answers
 *      only `_id` point reads from its index; MongoDB is as happy with them);
 *   2. each recipient's gate (consent and device first, then the template rendered, then
 *      quiet hours and the frequency-cap claim, which is one `_id` upsert per profile);
 *   3. every delivery claimed with one unordered bulk insert under deterministic ids
 *      (`{appId}:{sendKey}:{profile}:push:{device}`, `…:{profile}:sms`, `…:{profile}:email`):
 *      an id that exists is someone else's claim or a finished record, never a second send.
 *      Skipped recipients get a `skipped` record with the reason, so progress and "why was
 *      this profile skipped" come from the ledger;
 *   4. the provider called with bounded concurrency, under the app's shared rate limit for
 *      the channel (activities/sendRateLimiter.ts), for the claims this attempt owns, the
 *      delivery id as idempotency key (FCM/APNs, the SMS gateway's `reference`, the e-mail's
 *      Message-ID), so a resend after a crash between call and record is recognised. Every
 *      channel's answer is read as a push adapter's outcome (providers/channels.ts): one send
 *      loop for all three;
 *   5. outcomes recorded in bulk (one unordered command of `_id`-only updates per flush), dead tokens marked uninstalled.
 *
 * A claim is a lease held by one attempt (`leaseOwner`), renewed while the batch runs. A
 * retried attempt finds `sent`/`failed`/`skipped` records done, waits for a live lease of
 * another attempt to end, and takes over an expired one (a compare-and-set on the old lease).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { createCapLedger } from '../gate/capLedger';
import { deliverySettingsOf, type DeliverySettings } from '../gate/settings';
import { decideSend, gateSend, pushTargets, type GateDecision } from '../gate/sendGate';
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import { insertAllMissing } from '../data/insertMissing';
import { updateByIds, type IdUpdate } from '../data/updateByIds';
import type { DeliveryDoc } from '../data/models/deliveries';
import type { Device, ProfileDoc } from '../data/models/profiles';
import { markTokenUninstalled } from '../data/profileDevices';
import type { MessageCategory } from '../domain/messages';
import { batchDeliveryId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import { forEachLimit } from '../lib/forEachLimit';
import { unsubscribeToken, unsubscribeUrl } from '../lib/unsubscribeTokens';
import type { PushSendFailure, PushSendOutcome } from '../providers/channels';
import type { EmailProvider } from '../providers/email';
import { ProviderError } from '../providers/http';
import type { PushAdapters } from '../providers/pushAdapters';
import type { SmsProvider } from '../providers/sms';
import type { EmailContent, PushContent, ResolvedTemplate, SmsContent } from '../templates/channels';
import { profileContext, renderChannel } from '../templates/render';
import { resolveTemplate } from '../templates/store';
import { heartbeat as progress, warn } from './heartbeat';
import { withUnsubscribeFooter } from './messaging';
import { pushMessageFor } from './pushMessage';
import { createSendRateLimiter, type SendRateLimiter } from './sendRateLimiter';

export const MAX_BATCH_RECIPIENTS = 500;

export type BatchChannel = 'push' | 'sms' | 'email';

/**
 * The SMS and e-mail dependencies carry the single send's names (activities/messaging.ts), so the
 * worker's activity deps serve both. A worker without one of them skips that channel's recipients
 * (`sms_unavailable`, `email_unavailable`) instead of failing the batch.
 */
export interface BatchDeps {
  db: Db;
  /** Push adapters by device platform; a platform without one fails its deliveries (`no_adapter`). */
  pushAdapters: PushAdapters;
  sms?: SmsProvider;
  /** The SMS sender id (`from`). */
  smsSender?: string;
  /** SMTP; without it e-mail recipients are skipped as `email_unavailable`. */
  email?: EmailProvider;
  /** Signs the unsubscribe links of commercial e-mail (lib/unsubscribeTokens.ts). */
  receiptSecret?: string;
  /** The API's public base URL, which unsubscribe links point at. */
  publicUrl?: string;
  clock?: () => Date;
  /** Provider calls in flight per batch. Default 32. */
  batchConcurrency?: number;
}

interface SendBatchCommon {
  appId: string;
  /** The caller's id of this batch (a campaign's page number, a journey step's run), for logs. */
  batchId: string;
  /** The campaign id or journey step id: the key of every delivery and of the cap claim. */
  sendKey: string;
  category: MessageCategory;
  template?: { id: string; version?: number };
  vars?: Record<string, unknown>;
  /** Profile `_id`s, at most 500. */
  recipients: string[];
  /** Push: a later push with this id replaces the shown one (a campaign's recall sends one). */
  collapseId?: string;
}

/** One batch on one channel; `content` (inline, instead of a template) is that channel's. */
export type SendBatchInput = SendBatchCommon &
  ({ channel: 'push'; content?: PushContent } | { channel: 'sms'; content?: SmsContent } | { channel: 'email'; content?: EmailContent });

export interface SendBatchResult {
  recipients: number;
  /** Deliveries by outcome, this attempt's and earlier ones' together. */
  sent: number;
  failed: number;
  /** Recipients the gate or the template kept out. */
  skipped: number;
  /** Recipients held for quiet hours (policy defer): not sent, to be sent again after `deferUntil`. */
  deferred: number;
  deferUntil?: string;
  /** Reasons, by their code (`no_consent`, `no_msisdn`, `uninstalled`, `frequency_cap`, `template_missing_variable`, `unregistered`, `provider_rejected`, …). */
  reasons: Record<string, number>;
  /** Provider calls made by this attempt. */
  calls: number;
}

/** How long a claim is held without renewal; renewed every third of it while the batch runs. */
const LEASE_MS = 20_000;
const READ_CONCURRENCY = 32;
/** Tries of one delivery within one attempt when the provider says "later" (429, 5xx); then the activity's retry. */
const MAX_TRIES = 4;
const FLUSH_EVERY = 100;

/**
 * One delivery of the batch: to an address (a device token with its device, a phone number, an
 * e-mail address) with the recipient's rendered content; commercial e-mail's already has its
 * unsubscribe footer, and its link goes in the List-Unsubscribe headers.
 */
type Planned = { _id: string; profileId: string; recipient: string; decision: GateDecision } & (
  | { channel: 'push'; device: Device; content: PushContent }
  | { channel: 'sms'; content: SmsContent }
  | { channel: 'email'; content: EmailContent; unsubscribeUrl?: string }
);

const codeOf = (reason: string) => reason.split(/[:\s]/, 1)[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createBatchActivities(deps: BatchDeps) {
  const { db } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ledger = createCapLedger(db, warn);
  const limiter: SendRateLimiter = createSendRateLimiter(db);
  const concurrency = deps.batchConcurrency ?? 32;

  async function templateFor(input: SendBatchInput): Promise<ResolvedTemplate> {
    if (input.template) {
      const found = await resolveTemplate(db, input.appId, input.template.id, input.template.version);
      if (!found.ok) throw ApplicationFailure.nonRetryable(`${found.reason}: ${found.message}`, 'TemplateUnavailable');
      return found.template;
    }
    if (!input.content) throw ApplicationFailure.nonRetryable('a batch needs a template or inline content', 'InvalidBatch');
    return { appId: input.appId, id: 'inline', version: null, name: 'inline', missingVariable: 'skip', channels: { [input.channel]: input.content } };
  }

  /** Why this worker cannot send on the channel at all, if it cannot. */
  function unavailable(channel: BatchChannel): string | undefined {
    if (channel === 'sms' && (!deps.sms || !deps.smsSender)) return 'sms_unavailable: this worker has no SMS provider';
    if (channel === 'email' && !deps.email) return 'email_unavailable: this worker has no SMTP provider';
    if (channel === 'email' && !deps.receiptSecret) return 'email_unavailable: this worker has no secret to sign unsubscribe links with';
    return undefined;
  }

  /** The deliveries an admitted recipient gets: one per push device, or one to the profile's number or address. */
  function deliveriesOf(input: SendBatchInput, profile: ProfileDoc, content: PushContent | SmsContent | EmailContent, decision: GateDecision): Planned[] {
    const { appId, sendKey } = input;
    const profileId = profile._id;
    const base = { profileId, decision };
    switch (input.channel) {
      case 'push':
        return pushTargets(profile).map((device) => ({
          ...base, _id: batchDeliveryId(appId, sendKey, profileId, 'push', device.token), channel: 'push', recipient: device.token, device, content: content as PushContent,
        }));
      case 'sms':
        // The gate admitted the recipient only with a number.
        return [{ ...base, _id: batchDeliveryId(appId, sendKey, profileId, 'sms'), channel: 'sms', recipient: profile.msisdn!, content: content as SmsContent }];
      case 'email': {
        const mail = content as EmailContent;
        const _id = batchDeliveryId(appId, sendKey, profileId, 'email');
        if (input.category !== 'commercial') return [{ ...base, _id, channel: 'email', recipient: profile.email!, content: mail }];
        // Commercial mail: the recipient's unsubscribe link in the footer and in List-Unsubscribe, as a single send has them.
        const link = unsubscribeUrl(deps.publicUrl ?? 'http://127.0.0.1:3000', unsubscribeToken(deps.receiptSecret!, appId, profileId));
        return [{ ...base, _id, channel: 'email', recipient: profile.email!, content: { subject: mail.subject, ...withUnsubscribeFooter(mail, link) }, unsubscribeUrl: link }];
      }
    }
  }

  return {
    async sendBatch(input: SendBatchInput): Promise<SendBatchResult> {
      if (input.recipients.length > MAX_BATCH_RECIPIENTS) throw ApplicationFailure.nonRetryable(`a batch has at most ${MAX_BATCH_RECIPIENTS} recipients`, 'InvalidBatch');
      const owner = randomUUID();
      const { appId, sendKey, category } = input;
      const result: SendBatchResult = { recipients: input.recipients.length, sent: 0, failed: 0, skipped: 0, deferred: 0, reasons: {}, calls: 0 };
      const count = (reason: string) => (result.reasons[codeOf(reason)] = (result.reasons[codeOf(reason)] ?? 0) + 1);
      const settings: DeliverySettings = await deliverySettingsOf(db, appId);
      const template = await templateFor(input);
      const now = clock();
      const cannotSend = unavailable(input.channel);

      // 1. The profiles, by _id, in bulk.
      const byId = await findByIds<ProfileDoc>(db.profiles, input.recipients);
      const profiles = input.recipients.map((id) => byId.get(id) ?? null);
      progress({ stage: 'read' });

      // 2. Gate and render each recipient.
      const planned: Planned[] = [];
      const skips: Partial<DeliveryDoc>[] = [];
      let deferUntil: Date | undefined;
      const skip = (profileId: string, reason: string, decision?: GateDecision) =>
        skips.push({
          _id: batchDeliveryId(appId, sendKey, profileId, input.channel), appId, messageId: sendKey, batchId: input.batchId, profileId, channel: input.channel, category,
          recipient: profileId, state: 'skipped', attempts: 0, decision: { allowed: false, reason, ...(decision?.consent ? { consent: decision.consent } : {}) },
        });
      await forEachLimit(input.recipients, READ_CONCURRENCY, async (profileId, i) => {
        const profile = profiles[i];
        if (!profile || profile.appId !== appId) return void skip(profileId, 'profile_deleted: no such profile in the app');
        const req = { profile, channel: input.channel, category };
        const base = decideSend(req);
        if (!base.allowed) return void skip(profileId, base.reason, base);
        // A channel this worker has no provider for takes no cap slot either.
        if (cannotSend) return void skip(profileId, cannotSend, base);
        // Rendered before the cap claim: a recipient the template cannot address takes no slot.
        const rendered = await renderChannel(template, input.channel, { profile: profileContext(profile), ...(input.vars ? { vars: input.vars } : {}) });
        if (!rendered.ok) {
          const detail = 'variable' in rendered ? `: ${String((rendered as { variable?: string }).variable)}` : '';
          return void skip(profileId, `${rendered.reason}${detail}`);
        }
        const outcome = await gateSend(req, { appId, profileId, messageId: sendKey, now, settings }, ledger);
        if (outcome.deferUntil) {
          result.deferred++;
          if (!deferUntil || outcome.deferUntil < deferUntil) deferUntil = outcome.deferUntil;
          return;
        }
        if (!outcome.allowed) return void skip(profileId, outcome.reason, outcome);
        const { deferUntil: _none, ...decision } = outcome;
        planned.push(...deliveriesOf(input, profile, rendered.content, decision));
      });
      if (deferUntil) result.deferUntil = deferUntil.toISOString();
      progress({ stage: 'gated', planned: planned.length });

      // 3. One bulk claim: the skips and the sends, under deterministic ids.
      const leaseUntil = () => new Date(Date.now() + LEASE_MS);
      const claims = planned.map((p) => ({
        _id: p._id, appId, messageId: sendKey, batchId: input.batchId, profileId: p.profileId, channel: input.channel, category, recipient: p.recipient,
        state: 'pending' as const, attempts: 1, leaseUntil: leaseUntil(), leaseOwner: owner, decision: p.decision,
      }));
      const existedSkips = new Set(await insertAllMissing(db.deliveries, skips));
      skips.forEach((s, i) => {
        if (!existedSkips.has(i)) {
          result.skipped++;
          count(s.decision!.reason);
        }
      });
      const existed = await insertAllMissing(db.deliveries, claims);
      const owned = new Set(planned.map((p) => p._id));
      // Records already there: a retry or replay of this batch, or a send of the same key racing it.
      const others = existed.map((i) => planned[i]!);
      for (const p of others) owned.delete(p._id);
      const waiting = await settleExisting(others, result, count);
      // A skip whose record exists: this batch's skip recorded before, or (SMS, e-mail: one record per profile) its send.
      const skipDocs = await findByIds<DeliveryDoc>(db.deliveries, [...existedSkips].map((i) => skips[i]!._id!));
      for (const i of existedSkips) {
        const doc = skipDocs.get(skips[i]!._id!);
        if (doc) countFinished(doc, result, count);
      }
      progress({ stage: 'claimed', owned: owned.size });

      // 4. The provider calls for the claims this attempt owns.
      const toSend = planned.filter((p) => owned.has(p._id));
      await sendAll(input, toSend, owner, settings, result, count);
      // Claims another attempt held when this one started: sent by it, or taken over once its lease ran out (they end together).
      const taken: Planned[] = [];
      for (const p of waiting) if (await waitOrTakeOver(p, owner, result, count)) taken.push(p);
      await sendAll(input, taken, owner, settings, result, count);
      progress({ stage: 'done', sent: result.sent });
      return result;
    },
  };

  /** Counts records that are finished; answers those still pending (another attempt's, or one that died: waitOrTakeOver decides). */
  async function settleExisting(others: Planned[], result: SendBatchResult, count: (r: string) => void): Promise<Planned[]> {
    const docs = await findByIds<DeliveryDoc>(db.deliveries, others.map((p) => p._id));
    return others.filter((p) => {
      const doc = docs.get(p._id);
      return doc !== undefined && !countFinished(doc, result, count);
    });
  }

  /** Counts a record that is finished: sent, failed, or skipped (an SMS or e-mail recipient an earlier run kept out shares its send's id). */
  function countFinished(doc: Pick<DeliveryDoc, 'state' | 'error' | 'decision'>, result: SendBatchResult, count: (r: string) => void): boolean {
    if (doc.state === 'sent') result.sent++;
    else if (doc.state === 'failed') {
      result.failed++;
      count(doc.error ?? 'failed');
    } else if (doc.state === 'skipped') {
      result.skipped++;
      count(doc.decision?.reason ?? 'skipped');
    } else return false;
    return true;
  }

  /** Waits until another attempt's claim is finished (counted: false) or its lease ran out and this attempt took it (true). */
  async function waitOrTakeOver(p: Planned, owner: string, result: SendBatchResult, count: (r: string) => void): Promise<boolean> {
    for (;;) {
      const doc = await db.deliveries.findOne({ _id: p._id }).lean();
      if (!doc) return false;
      if (countFinished(doc, result, count)) return false;
      if (!doc.leaseUntil || doc.leaseUntil.getTime() <= Date.now()) {
        const res = await db.deliveries.updateOne(
          { _id: p._id, state: 'pending', leaseUntil: doc.leaseUntil ?? null },
          { $set: { leaseUntil: new Date(Date.now() + LEASE_MS), leaseOwner: owner }, $inc: { attempts: 1 } },
        );
        if (res.modifiedCount === 1) return true;
        continue;
      }
      progress({ stage: 'waiting', delivery: p._id });
      await sleep(Math.min(1000, doc.leaseUntil.getTime() - Date.now() + 10));
    }
  }

  async function sendAll(input: SendBatchInput, toSend: Planned[], owner: string, settings: DeliverySettings, result: SendBatchResult, count: (r: string) => void): Promise<void> {
    if (toSend.length === 0) return;
    const { appId, sendKey, channel } = input;
    const limit = settings.rateLimits?.[channel];
    const pendingWrites: IdUpdate[] = [];
    const dead: string[] = [];
    const tries = new Map<string, number>();
    const queue = [...toSend];
    let inFlight = 0;
    // Sends the limiter allowed in the current second; they lapse with it, so none spills into the next second's budget.
    let tokens = 0;
    let tokensLapseAt = 0;
    let acquiring: Promise<void> | undefined;
    // Under a limit, the calls made and the second whose slot each holds. A call reaches the provider some time between being
    // made and being answered: one still out (or answered) after its second ended may arrive in the next, so it is paid for again
    // from the next second's grant. Counting only the second a call was made in let a slow second's calls (a cold connection,
    // a busy event loop) arrive together with the next second's whole budget: twice the limit in one second at the provider.
    type Made = { second: number; answeredAt?: number };
    const made = new Set<Made>();
    let renewedAt = Date.now();
    let transient = 0;

    // Recorded as one unordered bulk of `_id`-only updates per flush: one command instead of a hundred, each statement
    // answered from the `_id` index on both servers (the embedded one through Rota's pushdown patch).
    let flushedAt = Date.now();
    const flush = async () => {
      flushedAt = Date.now();
      if (pendingWrites.length === 0) return;
      await updateByIds(db.deliveries, pendingWrites.splice(0));
    };
    // Claims a lane holds (waiting for the rate limit, or out at the provider) until it records them.
    const held = new Set<Planned>();
    // Claims still open get a fresh lease before theirs could run out (by `_id` alone: nobody may take a claim over before its lease ends).
    const renew = async () => {
      if (Date.now() - renewedAt < LEASE_MS / 3) return;
      renewedAt = Date.now();
      const open = [...queue, ...held];
      if (open.length === 0) return;
      const until = new Date(Date.now() + LEASE_MS);
      await updateByIds(db.deliveries, open.map((p) => ({ filter: { _id: p._id }, update: { $set: { leaseUntil: until } } })));
    };
    const token = async () => {
      for (;;) {
        if (Date.now() >= tokensLapseAt) tokens = 0;
        if (tokens > 0) break;
        if (!acquiring) {
          // At most two calls per lane at a time: the budget of a second is shared with the other workers, not hoarded.
          const want = Math.max(1, Math.min(queue.length + inFlight, concurrency * 2, limit ?? Infinity));
          acquiring = limiter
            .acquire(appId, channel, want, limit, () => progress({ stage: 'rate_limited', sent: result.sent }))
            .then((n) => {
              const second = Math.floor(Date.now() / 1000);
              let carried = 0;
              for (const call of made) {
                if (call.answeredAt !== undefined && call.answeredAt < second * 1000) made.delete(call);
                else if (call.second < second && carried < n) {
                  call.second = second;
                  carried++;
                }
              }
              tokens = n - carried;
              tokensLapseAt = (second + 1) * 1000 - 50;
            })
            .finally(() => (acquiring = undefined));
        }
        await acquiring;
      }
      tokens--;
    };

    const lane = async () => {
      for (;;) {
        const p = queue.shift();
        if (!p) return;
        inFlight++;
        held.add(p);
        try {
          // Renewed before the token is taken, so that the call is made in the second it was allowed in.
          await renew();
          await token();
          const slot: Made | undefined = limit === undefined ? undefined : { second: Math.floor(Date.now() / 1000) };
          if (slot) made.add(slot);
          const outcome = await call(input, p).finally(() => slot && (slot.answeredAt = Date.now()));
          result.calls++;
          if (outcome.ok) {
            result.sent++;
            pendingWrites.push({ filter: { _id: p._id }, update: { $set: { state: 'sent', providerMessageId: outcome.providerMessageId, sentAt: new Date() }, $unset: { leaseUntil: 1, leaseOwner: 1 } } });
          } else if (outcome.kind === 'rate_limited' || outcome.kind === 'unavailable') {
            if (outcome.kind === 'rate_limited') {
              // Every worker waits (the shared pause); this one drops what it was allowed, so its next call asks the limiter, which waits.
              await limiter.pause(appId, channel, new Date(Date.now() + (outcome.retryAfterMs ?? 1000)));
              tokens = 0;
            }
            const n = (tries.get(p._id) ?? 1) + 1;
            tries.set(p._id, n);
            if (n <= MAX_TRIES) {
              if (outcome.kind === 'unavailable') await sleep(Math.min(5000, outcome.retryAfterMs ?? 200 * 2 ** n));
              queue.push(p);
            } else {
              transient++;
              // Released: the activity's next attempt claims it at once.
              pendingWrites.push({ filter: { _id: p._id }, update: { $set: { leaseUntil: new Date(0) } } });
            }
          } else {
            result.failed++;
            // SMS and e-mail refusals read as the single send records them (messages/providerErrors.ts reads that form).
            const error = p.channel === 'push' ? `${outcome.kind}: ${outcome.code} (${outcome.status})` : `provider_rejected: ${outcome.message ?? outcome.code}`;
            count(error);
            if (outcome.kind === 'unregistered' && p.channel === 'push') dead.push(p.device.token);
            pendingWrites.push({ filter: { _id: p._id }, update: { $set: { state: 'failed', error, ...(outcome.status ? { errorStatus: outcome.status } : {}) }, $unset: { leaseUntil: 1, leaseOwner: 1 } } });
          }
          // Also by time: an outcome waiting under a slow rate limit must not outlive its claim's lease unrecorded.
          if (pendingWrites.length >= FLUSH_EVERY || Date.now() - flushedAt >= LEASE_MS / 3) await flush();
          progress({ stage: 'sending', sent: result.sent, failed: result.failed });
        } finally {
          inFlight--;
          held.delete(p);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(concurrency, toSend.length) }, lane));
    } finally {
      await flush();
    }
    progress({ stage: 'flushed' });
    await forEachLimit(dead, 8, async (t) => void (await markTokenUninstalled(db, appId, t, new Date())));
    progress({ stage: 'marked' });
    if (transient > 0) throw ApplicationFailure.retryable(`${transient} deliveries of batch ${input.batchId} (${sendKey}) could not be sent yet: the provider said later`, 'ProviderUnavailable');
  }

  /** One provider call, its answer in the push adapters' outcome kinds whatever the channel. */
  async function call(input: SendBatchInput, p: Planned): Promise<PushSendOutcome> {
    switch (p.channel) {
      case 'push': {
        const adapter = await deps.pushAdapters.forApp(input.appId, p.device.platform);
        if (!adapter) return { ok: false, kind: 'invalid', code: 'no_adapter', status: 0, message: `no push adapter for ${p.device.platform}` };
        // The device's receipt names the delivery, signed like a message's, and is recorded on the ledger (messages/recordReceipt.ts).
        const receipt: Record<string, string> = deps.receiptSecret ? { rota_receipt_token: receiptToken(deps.receiptSecret, input.appId, p._id) } : {};
        const data = { rota_app_id: input.appId, rota_send_key: input.sendKey, rota_delivery_id: p._id, ...receipt };
        const message = pushMessageFor(p.device, { push: p.content }, data, p._id);
        return adapter.send(input.collapseId ? { ...message, collapseId: input.collapseId } : message);
      }
      case 'sms': {
        const sms = deps.sms!;
        // The gateway keeps `reference` unique: a repeated call is answered with the first send.
        return viaAddress(() => sms.send({ to: p.recipient, from: deps.smsSender!, text: p.content.text, reference: p._id }));
      }
      case 'email': {
        const email = deps.email!;
        const { subject, html, text } = p.content;
        return viaAddress(() =>
          email.send({
            to: p.recipient, subject, ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}), reference: p._id, ...(p.unsubscribeUrl ? { unsubscribeUrl: p.unsubscribeUrl } : {}),
          }),
        );
      }
    }
  }
}

/** An SMS or e-mail provider call, its answer or error as a push adapter's outcome. */
async function viaAddress(send: () => Promise<{ providerMessageId: string }>): Promise<PushSendOutcome> {
  try {
    const { providerMessageId } = await send();
    return { ok: true, providerMessageId };
  } catch (err) {
    return addressFailure(err);
  }
}

/**
 * The SMS gateway's refusal (ProviderError) or the SMTP server's (nodemailer's `responseCode`,
 * `code`) in the push kinds: a final refusal is `invalid` (recorded `provider_rejected: …`),
 * 429 is `rate_limited` (the channel pauses), anything else that may pass later `unavailable`.
 */
export function addressFailure(err: unknown): PushSendFailure {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ProviderError) {
    const status = err.status ?? 0;
    const code = err.code ?? (status ? `http_${status}` : 'unreachable');
    if (!err.retryable) return { ok: false, kind: 'invalid', code, status, message };
    return { ok: false, kind: status === 429 ? 'rate_limited' : 'unavailable', code, status, message };
  }
  // SMTP: 5xx is the server's final word on this message, 4xx (and no answer) means later; the status field is HTTP's, so 0.
  const smtp = (err as { responseCode?: unknown; code?: unknown } | null) ?? {};
  if (smtp.code === 'EAUTH') return { ok: false, kind: 'auth', code: 'smtp_auth', status: 0, message };
  if (typeof smtp.responseCode === 'number' && smtp.responseCode >= 500) return { ok: false, kind: 'invalid', code: `smtp_${smtp.responseCode}`, status: 0, message };
  const code = typeof smtp.responseCode === 'number' ? `smtp_${smtp.responseCode}` : typeof smtp.code === 'string' ? smtp.code : 'unreachable';
  return { ok: false, kind: 'unavailable', code, status: 0, message };
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
