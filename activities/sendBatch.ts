/**
 * The batch form of the send pipeline (issue 10, item 6): one activity sends up to 500
 * recipients of a campaign or a journey step, with the same gate, templates, adapters and
 * delivery ledger as a single send, in bulk:
 *
 *   1. the profiles, read by `_id` with bounded concurrency (the embedded database answers
 *      only `_id` point reads from its index; MongoDB is as happy with them);
 *   2. each recipient's gate (consent and device first, then the template rendered, then
 *      quiet hours and the frequency-cap claim, which is one `_id` upsert per profile);
 *   3. every delivery claimed with one unordered bulk insert under deterministic ids
 *      (`{appId}:{sendKey}:{profile}:push:{device}`): an id that exists is someone else's
 *      claim or a finished record, never a second send. Skipped recipients get a `skipped`
 *      record with the reason, so progress and "why was this profile skipped" come from
 *      the ledger;
 *   4. the provider called with bounded concurrency, under the app's shared rate limit
 *      (activities/sendRateLimiter.ts), for the claims this attempt owns, the delivery id as
 *      idempotency key (so a resend after a crash between call and record is recognised);
 *   5. outcomes recorded in bulk (`_id`-only updates), dead tokens marked uninstalled.
 *
 * A claim is a lease held by one attempt (`leaseOwner`), renewed while the batch runs. A
 * retried attempt finds `sent`/`failed`/`skipped` records done, waits for a live lease of
 * another attempt to end, and takes over an expired one (a compare-and-set on the old lease).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { randomUUID } from 'node:crypto';
import { createCapLedger } from '../gate/capLedger';
import { deliverySettingsOf, type DeliverySettings } from '../gate/settings';
import { decideSend, gateSend, pushTargets, type GateDecision } from '../gate/sendGate';
import type { Db } from '../data/db';
import { insertAllMissing } from '../data/insertMissing';
import type { DeliveryDoc } from '../data/models/deliveries';
import type { Device, ProfileDoc } from '../data/models/profiles';
import { markTokenUninstalled } from '../data/profileDevices';
import type { MessageCategory } from '../domain/messages';
import { batchDeliveryId } from '../lib/ids';
import { forEachLimit } from '../lib/forEachLimit';
import type { PushSendOutcome } from '../providers/channels';
import type { PushAdapters } from '../providers/pushAdapters';
import type { PushContent, ResolvedTemplate } from '../templates/channels';
import { profileContext, renderChannel } from '../templates/render';
import { resolveTemplate } from '../templates/store';
import { warn } from './heartbeat';
import { createSendRateLimiter, type SendRateLimiter } from './sendRateLimiter';

export const MAX_BATCH_RECIPIENTS = 500;


export interface BatchDeps {
  db: Db;
  /** Push adapters by device platform; a platform without one fails its deliveries (`no_adapter`). */
  pushAdapters: PushAdapters;
  clock?: () => Date;
  /** Provider calls in flight per batch. Default 32. */
  batchConcurrency?: number;
}

export interface SendBatchInput {
  appId: string;
  /** The caller's id of this batch (a campaign's page number, a journey step's run), for logs. */
  batchId: string;
  /** The campaign id or journey step id: the key of every delivery and of the cap claim. */
  sendKey: string;
  channel: 'push';
  category: MessageCategory;
  template?: { id: string; version?: number };
  content?: PushContent;
  vars?: Record<string, unknown>;
  /** Profile `_id`s, at most 500. */
  recipients: string[];
}

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
  /** Reasons, by their code (`no_consent`, `uninstalled`, `frequency_cap`, `template_missing_variable`, `unregistered`, …). */
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
const WRITE_CONCURRENCY = 16;

type Planned = { _id: string; profileId: string; device: Device; content: PushContent; decision: GateDecision };

const codeOf = (reason: string) => reason.split(/[:\s]/, 1)[0]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function progress(details: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // not in an activity
  }
}

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
    return { appId: input.appId, id: 'inline', version: null, name: 'inline', missingVariable: 'skip', channels: { push: input.content } };
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

      // 1. The profiles, by _id.
      const profiles = new Array<ProfileDoc | null>(input.recipients.length);
      await forEachLimit(input.recipients, READ_CONCURRENCY, async (id, i) => {
        profiles[i] = await db.profiles.findOne({ _id: id }).lean<ProfileDoc>();
      });
      progress({ stage: 'read' });

      // 2. Gate and render each recipient.
      const planned: Planned[] = [];
      const skips: Partial<DeliveryDoc>[] = [];
      let deferUntil: Date | undefined;
      const skip = (profileId: string, reason: string, decision?: GateDecision) =>
        skips.push({
          _id: batchDeliveryId(appId, sendKey, profileId, input.channel), appId, messageId: sendKey, profileId, channel: input.channel, category,
          recipient: profileId, state: 'skipped', attempts: 0, decision: { allowed: false, reason, ...(decision?.consent ? { consent: decision.consent } : {}) },
        });
      await forEachLimit(input.recipients, READ_CONCURRENCY, async (profileId, i) => {
        const profile = profiles[i];
        if (!profile || profile.appId !== appId) return void skip(profileId, 'profile_deleted: no such profile in the app');
        const req = { profile, channel: input.channel, category };
        const base = decideSend(req);
        if (!base.allowed) return void skip(profileId, base.reason, base);
        // Rendered before the cap claim: a recipient the template cannot address takes no slot.
        const rendered = await renderChannel(template, 'push', { profile: profileContext(profile), ...(input.vars ? { vars: input.vars } : {}) });
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
        for (const device of pushTargets(profile)) {
          planned.push({ _id: batchDeliveryId(appId, sendKey, profileId, 'push', device.token), profileId, device, content: rendered.content, decision });
        }
      });
      if (deferUntil) result.deferUntil = deferUntil.toISOString();
      progress({ stage: 'gated', planned: planned.length });

      // 3. One bulk claim: the skips and the sends, under deterministic ids.
      const leaseUntil = () => new Date(Date.now() + LEASE_MS);
      const claims = planned.map((p) => ({
        _id: p._id, appId, messageId: sendKey, profileId: p.profileId, channel: 'push' as const, category, recipient: p.device.token,
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
      const waiting = await settleExisting(others, owned, result, count);
      for (const i of existedSkips) {
        const doc = await db.deliveries.findOne({ _id: skips[i]!._id }).lean();
        if (doc?.state === 'skipped') {
          result.skipped++;
          count(doc.decision.reason);
        }
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

  /** Counts records that are finished; answers those pending under another attempt's lease, taking over the expired ones into `owned`. */
  async function settleExisting(others: Planned[], owned: Set<string>, result: SendBatchResult, count: (r: string) => void): Promise<Planned[]> {
    const waiting: Planned[] = [];
    await forEachLimit(others, READ_CONCURRENCY, async (p) => {
      const doc = await db.deliveries.findOne({ _id: p._id }).lean();
      if (!doc) return;
      if (countFinished(doc, result, count)) return;
      waiting.push(p);
    });
    return waiting;
  }

  function countFinished(doc: Pick<DeliveryDoc, 'state' | 'error'>, result: SendBatchResult, count: (r: string) => void): boolean {
    if (doc.state === 'sent') result.sent++;
    else if (doc.state === 'failed') {
      result.failed++;
      count(doc.error ?? 'failed');
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
    const { appId, sendKey } = input;
    const limit = settings.rateLimits?.push;
    const pendingWrites: { filter: { _id: string }; update: Record<string, unknown> }[] = [];
    const dead: string[] = [];
    const tries = new Map<string, number>();
    const queue = [...toSend];
    let inFlight = 0;
    // Sends the limiter allowed in the current second; they lapse with it, so none spills into the next second's budget.
    let tokens = 0;
    let tokensLapseAt = 0;
    let acquiring: Promise<void> | undefined;
    let renewedAt = Date.now();
    let transient = 0;

    // Recorded in bulk as `_id`-only updates with bounded concurrency: point writes both servers answer from the `_id` index
    // (one bulkWrite of a hundred updates did not finish on the embedded server).
    const flush = async () => {
      if (pendingWrites.length === 0) return;
      const ops = pendingWrites.splice(0);
      await forEachLimit(ops, WRITE_CONCURRENCY, async (op) => void (await db.deliveries.updateOne(op.filter, op.update)));
    };
    // Claims still open get a fresh lease before theirs could run out (by `_id` alone: nobody may take a claim over before its lease ends).
    const renew = async () => {
      if (Date.now() - renewedAt < LEASE_MS / 3) return;
      renewedAt = Date.now();
      const open = [...queue];
      if (open.length === 0) return;
      const until = new Date(Date.now() + LEASE_MS);
      await forEachLimit(open, WRITE_CONCURRENCY, async (p) => void (await db.deliveries.updateOne({ _id: p._id }, { $set: { leaseUntil: until } })));
    };
    const token = async () => {
      for (;;) {
        if (Date.now() >= tokensLapseAt) tokens = 0;
        if (tokens > 0) break;
        if (!acquiring) {
          // At most two calls per lane at a time: the budget of a second is shared with the other workers, not hoarded.
          const want = Math.max(1, Math.min(queue.length + inFlight, concurrency * 2, limit ?? Infinity));
          acquiring = limiter
            .acquire(appId, 'push', want, limit, () => progress({ stage: 'rate_limited', sent: result.sent }))
            .then((n) => {
              tokens = n;
              tokensLapseAt = (Math.floor(Date.now() / 1000) + 1) * 1000 - 50;
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
        try {
          await token();
          await renew();
          const outcome = await call(input, p);
          result.calls++;
          if (outcome.ok) {
            result.sent++;
            pendingWrites.push({ filter: { _id: p._id }, update: { $set: { state: 'sent', providerMessageId: outcome.providerMessageId, sentAt: new Date() }, $unset: { leaseUntil: 1, leaseOwner: 1 } } });
          } else if (outcome.kind === 'rate_limited' || outcome.kind === 'unavailable') {
            if (outcome.kind === 'rate_limited') {
              // Every worker waits (the shared pause); this one drops what it was allowed, so its next call asks the limiter, which waits.
              await limiter.pause(appId, 'push', new Date(Date.now() + (outcome.retryAfterMs ?? 1000)));
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
            const error = `${outcome.kind === 'unregistered' ? 'unregistered' : outcome.kind}: ${outcome.code} (${outcome.status})`;
            count(error);
            if (outcome.kind === 'unregistered') dead.push(p.device.token);
            pendingWrites.push({ filter: { _id: p._id }, update: { $set: { state: 'failed', error, ...(outcome.status ? { errorStatus: outcome.status } : {}) }, $unset: { leaseUntil: 1, leaseOwner: 1 } } });
          }
          if (pendingWrites.length >= FLUSH_EVERY) await flush();
          progress({ stage: 'sending', sent: result.sent, failed: result.failed });
        } finally {
          inFlight--;
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

  async function call(input: SendBatchInput, p: Planned): Promise<PushSendOutcome> {
    const adapter = await deps.pushAdapters.forApp(input.appId, p.device.platform);
    if (!adapter) return { ok: false, kind: 'invalid', code: 'no_adapter', status: 0, message: `no push adapter for ${p.device.platform}` };
    const c = p.content;
    return adapter.send({
      token: p.device.token,
      ...(c.title ? { title: c.title } : {}),
      body: c.body,
      ...(c.image ? { image: c.image } : {}),
      data: { ...(c.data ?? {}), ...(c.deepLink ? { rota_deep_link: c.deepLink } : {}), rota_app_id: input.appId, rota_send_key: input.sendKey, rota_delivery_id: p._id },
      idempotencyKey: p._id,
    });
  }
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;
