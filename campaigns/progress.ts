/**
 * A campaign's progress: the sum over its finished batches (each batch's record holds the
 * delivery ledger's counts for its recipients, replaced when the batch runs again), so the
 * numbers are exact, survive restarts, and a repeated batch counts once; push receipts from
 * the pages' receipt tallies, which count them as they arrive.
 */
import type { Db } from '../data/db';
import type { CampaignBatchDoc, CampaignDoc } from '../data/models/campaigns';
import { talliedReceipts } from '../messages/receiptTally';
import type { CampaignProgress } from './schemas';

/** The key of every delivery and cap claim of a campaign. */
export const campaignSendKey = (campaignId: string) => `campaign:${campaignId}`;

const add = (into: Record<string, number>, from: Record<string, number> | undefined) => {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
};

export function campaignBatchesFilter(c: Pick<CampaignDoc, 'appId' | 'campaignId'>) {
  return { appId: c.appId, campaignId: c.campaignId };
}

export async function campaignProgress(db: Db, c: CampaignDoc, now = new Date()): Promise<CampaignProgress> {
  // One batch (a few thousand small records at a million recipients): no cursor left open between reads of a poll.
  const batches = await db.campaignBatches.find(campaignBatchesFilter(c)).batchSize(20_000).lean<CampaignBatchDoc[]>();
  const p: CampaignProgress = {
    audience: c.audienceSize ?? null, processed: 0, remaining: null, sent: { push: 0, sms: 0, email: 0 }, delivered: 0, fallbackSms: 0,
    gatedOut: {}, deferred: 0, failed: {}, recall: { cancelled: 0, recallSent: 0, recallConfirmed: 0, notRecallable: 0 }, ratePerSecond: null, etaSeconds: null,
  };
  for (const b of batches) {
    if (b.kind === 'recall') {
      p.recall.recallSent += b.sent;
      p.recall.notRecallable += b.reasons.not_recallable ?? 0;
      continue;
    }
    const channel = b.channel as keyof CampaignProgress['sent'];
    p.sent[channel] += b.sent;
    if (b.kind === 'fallback') p.fallbackSms += b.sent;
    else {
      p.processed += b.recipients;
      p.deferred += b.deferred;
    }
    // The batch's reasons mix the gate's (skipped) and the provider's (failed); a failure's reason names its kind first.
    const failed: Record<string, number> = {};
    const gated: Record<string, number> = {};
    for (const [reason, n] of Object.entries(b.reasons)) (FAILURE_KINDS.has(reason) ? failed : gated)[reason] = n;
    add(p.failed, failed);
    add(p.gatedOut, gated);
  }
  // Receipts are counted as they arrive, per page (messages/receiptTally.ts): live, and exact with the ledger.
  if (c.channelPlan === 'push' || c.channelPlan === 'push_then_sms') {
    p.delivered = await talliedReceipts(db, c.appId, campaignSendKey(c.campaignId), Array.from({ length: c.pageCount ?? 0 }, (_, i) => `send:${i}`));
  }
  if (p.audience !== null) {
    p.remaining = Math.max(0, p.audience - p.processed);
    // A recall stops the rest: those recipients were never sent (a plain stop leaves them as `remaining`).
    if (c.state === 'recalling' || c.state === 'recalled') p.recall.cancelled = p.remaining;
  }
  // Devices confirm a removal whenever they get the recall: counted from the ledger (only recalled campaigns pay for this read).
  if (c.state === 'recalling' || c.state === 'recalled') {
    p.recall.recallConfirmed = await db.deliveries.countDocuments({ appId: c.appId, messageId: campaignSendKey(c.campaignId), removedAt: { $exists: true } });
  }
  // From the start (the snapshot included), so one page's campaign has a rate too.
  const started = (c.startedAt ?? c.firstBatchAt)?.getTime();
  const last = (c.lastBatchAt ?? now).getTime();
  if (started !== undefined && last > started && p.processed > 0) {
    p.ratePerSecond = Math.round((p.processed / ((last - started) / 1000)) * 10) / 10;
    if (p.remaining !== null && p.ratePerSecond > 0 && (c.state === 'running' || c.state === 'scheduled')) p.etaSeconds = Math.ceil(p.remaining / p.ratePerSecond);
  }
  return p;
}

/** The failure kinds the batch activity records (activities/sendBatch.ts): the provider's answer, not the gate's. */
const FAILURE_KINDS = new Set(['unregistered', 'invalid', 'auth', 'rate_limited', 'unavailable', 'provider_rejected']);
