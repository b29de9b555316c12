/**
 * Campaign records: drafts are created and edited here (checked against the app's templates
 * and segments), every state change is a compare-and-set on the state it comes from, and the
 * view adds the live progress.
 */
import type { Db } from '../data/db';
import type { CampaignDoc } from '../data/models/campaigns';
import type { CampaignState, ChannelPlan } from '../domain/campaigns';
import { localId, randomToken, scopedId } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import { validateRule } from '../segments/validateRule';
import type { TemplateChannel } from '../templates/channels';
import { resolveTemplate } from '../templates/store';
import { campaignProgress } from './progress';
import type { CampaignCreate, CampaignUpdate } from './schemas';

export const campaignDocId = (appId: string, campaignId: string) => scopedId(appId, campaignId);

/** The template channels a plan sends on. */
export const PLAN_CHANNELS: Record<ChannelPlan, TemplateChannel[]> = { push: ['push'], push_then_sms: ['push', 'sms'], sms: ['sms'], email: ['email'] };

type Definition = Pick<CampaignDoc, 'name' | 'audience' | 'channelPlan' | 'fallbackAfterSeconds' | 'template' | 'category' | 'schedule'>;

/** What a definition refers to must exist: its template (published, with content for each channel of the plan) and its audience. */
export async function checkDefinition(db: Db, appId: string, d: Definition): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const found = await resolveTemplate(db, appId, d.template.id, d.template.version);
  if (!found.ok) issues.push({ path: 'body.template', message: found.message });
  else {
    for (const channel of PLAN_CHANNELS[d.channelPlan]) {
      if (!found.template.channels[channel]) issues.push({ path: 'body.template', message: `template ${d.template.id} has no ${channel} content, which channel plan ${d.channelPlan} sends` });
    }
  }
  if (d.audience.segmentId !== undefined) {
    if (!(await db.segments.findOne({ _id: scopedId(appId, d.audience.segmentId) }, { _id: 1 }).lean())) issues.push({ path: 'body.audience.segmentId', message: `no segment ${d.audience.segmentId}` });
  } else {
    const checked = await validateRule(db, appId, d.audience.rule, 'body.audience.rule');
    if ('issues' in checked) issues.push(...checked.issues);
  }
  if (d.schedule.kind === 'at' && Date.parse(d.schedule.at!) < Date.now() - 60_000) issues.push({ path: 'body.schedule.at', message: 'is in the past' });
  return issues;
}

export function newCampaignDoc(appId: string, body: CampaignCreate, now = new Date()): CampaignDoc {
  const campaignId = body.id ?? `cmp_${randomToken(10).toLowerCase()}`;
  return {
    _id: campaignDocId(appId, campaignId), appId, campaignId, name: body.name, audience: body.audience as CampaignDoc['audience'],
    channelPlan: body.channelPlan, ...(body.fallbackAfterSeconds !== undefined ? { fallbackAfterSeconds: body.fallbackAfterSeconds } : {}),
    template: body.template, category: body.category, schedule: body.schedule, state: 'draft', stateChangedAt: now, createdAt: now, updatedAt: now,
  };
}

/** A draft with the update applied (not stored); `fallbackAfterSeconds: null` removes it. */
export function updatedDefinition(c: CampaignDoc, u: CampaignUpdate): Definition {
  const { fallbackAfterSeconds, ...rest } = u;
  const next: Definition = {
    name: rest.name ?? c.name, audience: (rest.audience as Definition['audience'] | undefined) ?? c.audience, channelPlan: rest.channelPlan ?? c.channelPlan,
    template: rest.template ?? c.template, category: rest.category ?? c.category, schedule: rest.schedule ?? c.schedule,
  };
  const fallback = fallbackAfterSeconds === null ? undefined : (fallbackAfterSeconds ?? c.fallbackAfterSeconds);
  return fallback !== undefined ? { ...next, fallbackAfterSeconds: fallback } : next;
}

export function planIssues(d: Definition): FieldIssue[] {
  if (d.channelPlan === 'push_then_sms' && d.fallbackAfterSeconds === undefined) return [{ path: 'body.fallbackAfterSeconds', message: 'is required with push_then_sms' }];
  if (d.channelPlan !== 'push_then_sms' && d.fallbackAfterSeconds !== undefined) return [{ path: 'body.fallbackAfterSeconds', message: 'applies only to push_then_sms' }];
  return [];
}

export async function findCampaign(db: Db, appId: string, campaignId: string): Promise<CampaignDoc | null> {
  return db.campaigns.findOne({ _id: campaignDocId(appId, campaignId) }).lean<CampaignDoc>();
}

/** Moves the campaign from one of `from` to `to`; answers the record after, or null when it was in another state. */
export async function moveCampaign(db: Db, c: Pick<CampaignDoc, '_id'>, from: readonly CampaignState[], to: CampaignState, extra: Partial<CampaignDoc> = {}): Promise<CampaignDoc | null> {
  return db.campaigns
    .findOneAndUpdate({ _id: c._id, state: { $in: [...from] } }, { $set: { state: to, stateChangedAt: new Date(), ...extra } }, { returnDocument: 'after' })
    .lean<CampaignDoc>();
}

export async function campaignView(db: Db, c: CampaignDoc) {
  return {
    id: localId(c._id), name: c.name, audience: c.audience, channelPlan: c.channelPlan,
    ...(c.fallbackAfterSeconds !== undefined ? { fallbackAfterSeconds: c.fallbackAfterSeconds } : {}),
    template: c.template, category: c.category, schedule: c.schedule, state: c.state, createdAt: c.createdAt.toISOString(),
    ...(c.startedAt ? { startedAt: c.startedAt.toISOString() } : {}), ...(c.finishedAt ? { finishedAt: c.finishedAt.toISOString() } : {}),
    progress: await campaignProgress(db, c),
  };
}
