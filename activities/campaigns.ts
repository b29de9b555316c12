/**
 * Activities of a campaign's workflow (workflows/campaignRun.ts):
 *
 * - the audience snapshot, streamed once at start into pages of 500 profile ids
 *   (`campaignRecipients`, `_id` `{app}:{campaign}:{page}`), resumable from its heartbeat;
 * - one page sent through the send pipeline's batch activity (activities/sendBatch.ts), its
 *   counts kept on the page's batch record (the campaign's progress is their sum);
 * - the SMS fallback of a push page: the recipients none of whose pushes got a receipt when
 *   its first attempt read them (the decision is kept on the page, so a retry sends the same);
 * - the recall of a page: a background push with the campaign's collapse id to each device a
 *   push went to, so the device removes the notification (web push cannot be recalled);
 * - state changes, compare-and-set on the campaign's record.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { CampaignBatchDoc, CampaignBatchKind, CampaignDoc, CampaignRecipientDoc } from '../data/models/campaigns';
import type { DeliveryDoc } from '../data/models/deliveries';
import type { Device, ProfileDoc } from '../data/models/profiles';
import type { CampaignState, ChannelPlan } from '../domain/campaigns';
import { forEachLimit } from '../lib/forEachLimit';
import { batchDeliveryId, scopedId } from '../lib/ids';
import { receiptToken } from '../lib/receiptTokens';
import { talliedReceipts } from '../messages/receiptTally';
import { campaignSendKey } from '../campaigns/progress';
import { campaignDocId, findCampaign, moveCampaign } from '../campaigns/store';
import { audienceRule, campaignPageId, pageSchedule, writeSnapshot, type Snapshot, type SnapshotProgress } from '../campaigns/snapshot';
import { resolveTemplate } from '../templates/store';
import type { PushAdapters } from '../providers/pushAdapters';
import type { BatchActivities, SendBatchInput, SendBatchResult } from './sendBatch';
import { heartbeat } from './heartbeat';

export interface CampaignDeps {
  db: Db;
  pushAdapters: PushAdapters;
  receiptSecret: string;
}

/** A push of the campaign to one device, and its ledger record. */
type SentPush = { device: Device; delivery: DeliveryDoc };

export interface CampaignRef {
  appId: string;
  campaignId: string;
}

/** What the workflow needs to know of the campaign, read once when it starts. */
export interface CampaignPlan {
  state: CampaignState;
  channelPlan: ChannelPlan;
  fallbackAfterMs?: number;
  /** Epoch ms it is to start at (schedule `at`); absent: now. */
  startAt?: number;
  /** A local-time schedule: pages are sent when each is due. */
  localTime?: boolean;
  audience?: number;
  pages?: number;
}

export interface PageRef extends CampaignRef {
  page: number;
}

export interface PageResult {
  page: number;
  sent: number;
  /** The earliest end of quiet hours among recipients held back (their page is sent again then). */
  deferUntil?: string;
}

/** A later push with this id replaces the campaign's on the device: the recall's lever. */
export const campaignCollapseId = (campaignId: string) => `rota-${campaignId}`.slice(0, 64);
const pageDocId = (r: PageRef) => campaignPageId(r.appId, r.campaignId, r.page);
const batchDocId = (r: PageRef, kind: CampaignBatchKind) => scopedId(r.appId, `${r.campaignId}:${kind}:${r.page}`);

export function createCampaignActivities(deps: CampaignDeps & { batches: BatchActivities }) {
  const { db } = deps;

  async function campaignOr404(ref: CampaignRef): Promise<CampaignDoc> {
    const c = await findCampaign(db, ref.appId, ref.campaignId);
    if (!c) throw ApplicationFailure.nonRetryable(`campaign ${ref.campaignId} not found`, 'CampaignNotFound');
    return c;
  }

  async function pageOf(ref: PageRef): Promise<string[]> {
    const doc = await db.campaignRecipients.findOne({ _id: pageDocId(ref) }).lean();
    return doc?.profileIds ?? [];
  }

  /** The page's recipients' pushes (one per device they had when it was sent; uninstalled since included) and their ledger records, read in bulk. */
  async function pushDeliveriesOf(ref: PageRef, profileIds: string[]): Promise<Map<string, SentPush[]>> {
    const key = campaignSendKey(ref.campaignId);
    const profiles = await findByIds<ProfileDoc>(db.profiles, profileIds, { devices: 1 });
    const deliveryId = (profileId: string, device: Device) => batchDeliveryId(ref.appId, key, profileId, 'push', device.token);
    const ids = profileIds.flatMap((id) => (profiles.get(id)?.devices ?? []).map((d) => deliveryId(id, d)));
    const deliveries = await findByIds<DeliveryDoc>(db.deliveries, ids);
    heartbeat({ page: ref.page });
    return new Map(profileIds.map((id) => [id, (profiles.get(id)?.devices ?? []).flatMap((device) => {
      const delivery = deliveries.get(deliveryId(id, device));
      return delivery ? [{ device, delivery }] : [];
    })]));
  }

  /** The page's fallback recipients (none of their pushes has a receipt), decided by the first attempt and kept on the page. */
  async function fallbackDecision(ref: PageRef): Promise<NonNullable<CampaignRecipientDoc['fallback']>> {
    const page = await db.campaignRecipients.findOne({ _id: pageDocId(ref) }).lean<CampaignRecipientDoc>();
    if (page?.fallback) return page.fallback;
    const recipients = page?.profileIds ?? [];
    const receiptsReadAt = new Date();
    const pushes = await pushDeliveriesOf(ref, recipients);
    const profileIds = recipients.filter((id) => !(pushes.get(id) ?? []).some((p) => p.delivery.receivedAt));
    const fallback = { receiptsReadAt, receiptsSeen: recipients.length - profileIds.length, profileIds };
    // Compare-and-set: an attempt racing this one (a heartbeat timeout's retry) keeps whichever decision was stored first.
    await db.campaignRecipients.updateOne({ _id: pageDocId(ref), fallback: { $exists: false } }, { $set: { fallback } });
    const stored = await db.campaignRecipients.findOne({ _id: pageDocId(ref) }, { fallback: 1 }).lean<CampaignRecipientDoc>();
    return stored?.fallback ?? fallback;
  }

  async function recordBatch(
    ref: PageRef, kind: CampaignBatchKind, channel: string, r: Pick<SendBatchResult, 'recipients' | 'sent' | 'failed' | 'skipped' | 'deferred' | 'reasons'>, extra: Pick<CampaignBatchDoc, 'receiptsReadAt' | 'receiptsSeen'> = {},
  ): Promise<void> {
    const now = new Date();
    const doc: Omit<CampaignBatchDoc, '_id'> = {
      appId: ref.appId, campaignId: ref.campaignId, kind, batchNo: ref.page, channel, recipients: r.recipients, sent: r.sent, failed: r.failed,
      skipped: r.skipped, deferred: r.deferred, reasons: r.reasons, finishedAt: now, ...extra,
    };
    await db.campaignBatches.updateOne({ _id: batchDocId(ref, kind) }, { $set: doc }, { upsert: true });
    if (kind === 'send') await db.campaigns.updateOne({ _id: campaignDocId(ref.appId, ref.campaignId) }, { $min: { firstBatchAt: now }, $max: { lastBatchAt: now } });
  }

  async function sendPage(ref: PageRef, c: CampaignDoc, channel: SendBatchInput['channel'], recipients: string[], kind: 'send' | 'fallback'): Promise<SendBatchResult> {
    const input = {
      appId: ref.appId, batchId: `${kind}:${ref.page}`, sendKey: campaignSendKey(ref.campaignId), channel, category: c.category, template: c.template, recipients,
      ...(channel === 'push' ? { collapseId: campaignCollapseId(ref.campaignId) } : {}),
    } as SendBatchInput;
    return deps.batches.sendBatch(input);
  }

  return {
    /** The plan the workflow runs, and the campaign's state as stored (a workflow restarted by continue-as-new carries its own). */
    async campaignPlan(ref: CampaignRef): Promise<CampaignPlan> {
      const c = await campaignOr404(ref);
      return {
        state: c.state, channelPlan: c.channelPlan,
        ...(c.fallbackAfterSeconds !== undefined ? { fallbackAfterMs: c.fallbackAfterSeconds * 1000 } : {}),
        ...(c.schedule.kind === 'at' ? { startAt: Date.parse(c.schedule.at!) } : {}),
        ...(c.schedule.kind === 'localTime' ? { localTime: true } : {}),
        ...(c.audienceSize !== undefined ? { audience: c.audienceSize } : {}),
        ...(c.pageCount !== undefined ? { pages: c.pageCount } : {}),
      };
    },

    /** Moves the stored state (compare-and-set from `from`); answers the state stored after, whatever it is. */
    async setCampaignState(input: CampaignRef & { from: CampaignState[]; to: CampaignState }): Promise<CampaignState> {
      const c = await campaignOr404(input);
      const extra = input.to === 'running' && !c.startedAt ? { startedAt: new Date() } : ['stopped', 'completed', 'recalled'].includes(input.to) ? { finishedAt: new Date() } : {};
      const moved = await moveCampaign(db, c, input.from, input.to, extra);
      return (moved ?? (await campaignOr404(input))).state;
    },

    /**
     * The audience, evaluated now and written as pages of profile ids (campaigns/snapshot.ts),
     * the template version pinned; answers its size. Done once: a later call answers the
     * snapshot stored. `startedAt` (workflow time) is what a local-time schedule counts from.
     */
    async snapshotCampaignAudience(input: CampaignRef & { startedAt: number }): Promise<Snapshot> {
      const c = await campaignOr404(input);
      if (c.audienceSize !== undefined && c.pageCount !== undefined) return { audience: c.audienceSize, pages: c.pageCount };
      const rule = await audienceRule(db, c);
      if (rule === undefined) throw ApplicationFailure.nonRetryable(`segment ${c.audience.segmentId} no longer exists`, 'SegmentNotFound');
      // A local-time snapshot fills its pages per zone: a retry starts it over.
      const resume = c.schedule.kind === 'localTime' ? undefined : (Context.current().info.heartbeatDetails as SnapshotProgress | undefined);
      const snap = await writeSnapshot(db, c, rule, { startedAt: input.startedAt, ...(resume ? { resume } : {}), onPage: (p) => heartbeat(p) });
      const resolved = c.template.version === undefined ? await resolveTemplate(db, input.appId, c.template.id) : undefined;
      const pinned = c.template.version ?? (resolved?.ok ? resolved.template.version : undefined);
      await db.campaigns.updateOne({ _id: c._id, audienceSize: { $exists: false } }, { $set: { audienceSize: snap.audience, pageCount: snap.pages, ...(pinned ? { 'template.version': pinned } : {}) } });
      const stored = await campaignOr404(input);
      return { audience: stored.audienceSize ?? snap.audience, pages: stored.pageCount ?? snap.pages };
    },

    /** A local-time campaign's pages in the order they are due: [page, due (epoch ms)]. */
    async campaignPageSchedule(ref: CampaignRef): Promise<[number, number][]> {
      const c = await campaignOr404(ref);
      return pageSchedule(db, c, c.pageCount ?? 0);
    },

    /** Sends one page on the plan's first channel; its counts become the page's batch record. */
    async sendCampaignPage(ref: PageRef): Promise<PageResult> {
      const c = await campaignOr404(ref);
      const recipients = await pageOf(ref);
      const channel = c.channelPlan === 'push_then_sms' ? 'push' : c.channelPlan;
      const r = await sendPage(ref, c, channel, recipients, 'send');
      await recordBatch(ref, 'send', channel, r);
      return { page: ref.page, sent: r.sent, ...(r.deferUntil ? { deferUntil: r.deferUntil } : {}) };
    },

    /**
     * The SMS fallback of a push page, after the campaign's window: to each recipient none of
     * whose pushes has a receipt (gated like any SMS: MESAJ consent now, caps, quiet hours).
     */
    async sendCampaignFallback(ref: PageRef): Promise<PageResult> {
      const c = await campaignOr404(ref);
      const decision = await fallbackDecision(ref);
      const r = await sendPage(ref, c, 'sms', decision.profileIds, 'fallback');
      await recordBatch(ref, 'fallback', 'sms', r, { receiptsReadAt: decision.receiptsReadAt, receiptsSeen: decision.receiptsSeen });
      return { page: ref.page, sent: r.sent };
    },

    /** A push page's receipts so far (counted as they arrive: messages/receiptTally.ts); kept for the histories of runs that call it when they finish. */
    async countCampaignReceipts(ref: PageRef): Promise<number> {
      return talliedReceipts(db, ref.appId, campaignSendKey(ref.campaignId), [`send:${ref.page}`]);
    },

    /**
     * Recalls a page's pushes: each one sent gets a background push with the campaign's collapse
     * id (`rota_recall`), which replaces the notification; the device's receipt of it is the
     * confirmation. Web push has no removal (counted `not_recallable`).
     */
    async recallCampaignPage(ref: PageRef): Promise<PageResult> {
      const recipients = await pageOf(ref);
      const pushes = await pushDeliveriesOf(ref, recipients);
      const result = { recipients: recipients.length, sent: 0, failed: 0, skipped: 0, deferred: 0, reasons: {} as Record<string, number> };
      const reason = (r: string) => (result.reasons[r] = (result.reasons[r] ?? 0) + 1);
      const key = `${campaignSendKey(ref.campaignId)}:recall`;
      await forEachLimit([...pushes.entries()], 16, async ([profileId, list]) => {
        for (const { device, delivery } of list) {
          if (delivery.state !== 'sent') continue;
          if (device.platform === 'web') {
            result.skipped++;
            reason('not_recallable');
            continue;
          }
          const adapter = await deps.pushAdapters.forApp(ref.appId, device.platform);
          const id = batchDeliveryId(ref.appId, key, profileId, 'push', device.token);
          // The device answers for the push it removes: the receipt names that delivery, signed like its own receipt.
          const data = { rota_app_id: ref.appId, rota_recall: '1', rota_delivery_id: delivery._id, rota_receipt_token: receiptToken(deps.receiptSecret, ref.appId, delivery._id) };
          const out = adapter
            ? await adapter.send({ token: device.token, silent: true, collapseId: campaignCollapseId(ref.campaignId), data, idempotencyKey: id })
            : ({ ok: false, kind: 'invalid', code: 'no_adapter', status: 0 } as const);
          if (out.ok) result.sent++;
          else {
            result.failed++;
            reason(out.kind);
          }
          heartbeat({ page: ref.page });
        }
      });
      await recordBatch(ref, 'recall', 'push', result);
      return { page: ref.page, sent: result.sent };
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
