/**
 * `/v1/campaigns`: bulk sends to a segment. Operators create, edit (drafts only), start,
 * pause, resume, stop and recall them; designers read them too. Each action is answered with
 * the state it produced, once the campaign's workflow and record hold it; an action its
 * state does not allow is a 409 naming the state (resume a running campaign, start a stopped
 * one, edit a started one).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema, insertOr409 } from '../errors';
import { route } from '../routing';
import { campaignCreateSchema, campaignIdSchema, campaignListQuerySchema, campaignUpdateSchema, campaignViewSchema } from '../../campaigns/schemas';
import { campaignView, checkDefinition, findCampaign, moveCampaign, newCampaignDoc, planIssues, updatedDefinition } from '../../campaigns/store';
import type { CampaignDoc } from '../../data/models/campaigns';
import { resolveTemplate } from '../../templates/store';
import type { Role } from '../../domain/auth';
import { ALLOWED_FROM, CAMPAIGN_STATES, mayDo, type CampaignAction, type CampaignState } from '../../domain/campaigns';
import { InvalidInputError } from '../../lib/invalidInput';
import { campaignRun, campaignWorkflowId, pauseCampaign, recallCampaign, resumeCampaign, stopCampaign } from '../../workflows/campaignRun';

const READERS: readonly Role[] = ['operator', 'designer'];
const idParams = z.object({ id: campaignIdSchema });
const stateAnswer = z.object({ id: z.string(), state: z.enum(CAMPAIGN_STATES) });
const conflict = { description: 'the campaign is in a state that does not allow this (details name the state)', schema: errorBodySchema };

export function wrongState(c: Pick<CampaignDoc, 'state'>, action: CampaignAction | 'edit'): ApiError {
  return new ApiError(409, 'invalid_state', `the campaign is ${c.state}: it cannot ${action === 'edit' ? 'be edited (only drafts can)' : action}`, [{ path: 'state', message: c.state }]);
}

const UPDATES = { pause: pauseCampaign, resume: resumeCampaign, stop: stopCampaign, recall: recallCampaign } as const;
const ACTION_SUMMARY: Record<keyof typeof UPDATES, string> = {
  pause: 'Pause: no new batch starts (the ones in flight finish); fallbacks wait too',
  resume: 'Resume a paused campaign where it stopped',
  stop: 'Stop: nothing more is sent; the progress says how many were left unsent',
  recall: 'Recall: stop the rest and remove the pushes already shown (a background push with the same collapse id); web push is not recallable',
};

export function campaignRoutes(deps: ApiDeps) {
  const { db, temporal, config } = deps;

  async function campaignOr404(appId: string, id: string): Promise<CampaignDoc> {
    const c = await findCampaign(db, appId, id);
    if (!c) throw new ApiError(404, 'not_found', `no campaign ${id}`);
    return c;
  }

  async function startRun(c: CampaignDoc, phase: 'send' | 'recall', state: CampaignState): Promise<void> {
    try {
      await temporal.workflow.start(campaignRun, {
        workflowId: campaignWorkflowId(c.appId, c.campaignId), taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [{ appId: c.appId, campaignId: c.campaignId, state, ...(phase === 'recall' ? { phase } : {}) }],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  /** Whether the campaign's workflow is running (a start whose workflow never began is repaired by starting it again). */
  async function running(c: CampaignDoc): Promise<boolean> {
    try {
      const d = await temporal.workflow.getHandle(campaignWorkflowId(c.appId, c.campaignId)).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  const actionRoutes = (Object.keys(UPDATES) as (keyof typeof UPDATES)[]).map((action) =>
    route({
      method: 'post', path: `/v1/campaigns/:id/${action}`, tag: 'campaigns', access: 'operator',
      summary: `${ACTION_SUMMARY[action]}. Allowed when ${ALLOWED_FROM[action].join(', ')}; otherwise 409.`,
      params: idParams,
      responses: { 200: { description: 'the state it produced', schema: stateAnswer }, 404: { description: 'no such campaign' }, 409: conflict },
      handler: async ({ params, req, res }) => {
        const c = await campaignOr404(appIdOf(req), params.id);
        if (!mayDo(action, c.state)) throw wrongState(c, action);
        // A campaign that ended has no workflow left to ask: its recall runs as a new one.
        if (action === 'recall' && (c.state === 'stopped' || c.state === 'completed')) {
          const moved = await moveCampaign(db, c, ['stopped', 'completed'], 'recalling');
          if (!moved) throw wrongState((await campaignOr404(c.appId, c.campaignId)), action);
          await startRun(moved, 'recall', moved.state);
          return void res.json({ id: params.id, state: moved.state });
        }
        try {
          const state = await temporal.workflow.getHandle(campaignWorkflowId(c.appId, c.campaignId)).executeUpdate(UPDATES[action]);
          res.json({ id: params.id, state });
        } catch (err) {
          // The workflow's validator refused (the state moved since it was read), or it has ended: the record says where it is now.
          if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) throw wrongState(await campaignOr404(c.appId, c.campaignId), action);
          throw err;
        }
      },
    }),
  );

  return [
    route({
      method: 'post', path: '/v1/campaigns', tag: 'campaigns', access: 'operator',
      summary: 'Create a draft campaign: its audience (a saved segment or an inline rule), channel plan, template, category and schedule',
      body: campaignCreateSchema,
      responses: { 201: { description: 'the draft', schema: campaignViewSchema }, 400: { description: 'invalid (the field is named)', schema: errorBodySchema }, 409: { description: 'the id is taken', schema: errorBodySchema } },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const doc = newCampaignDoc(appId, body);
        const issues = [...planIssues(doc), ...(await checkDefinition(db, appId, doc))];
        if (issues.length > 0) throw new InvalidInputError(issues);
        await insertOr409(() => db.campaigns.create(doc), `campaign ${doc.campaignId} exists`, 'body.id');
        res.status(201).json(await campaignView(db, doc));
      },
    }),
    route({
      method: 'get', path: '/v1/campaigns', tag: 'campaigns', access: READERS,
      summary: 'Campaigns, newest first, with their state and progress; filter by state',
      query: campaignListQuerySchema,
      responses: { 200: { description: 'campaigns', schema: z.object({ campaigns: z.array(campaignViewSchema) }) } },
      handler: async ({ query, req, res }) => {
        const docs = await db.campaigns.find({ appId: appIdOf(req), ...(query.state ? { state: query.state } : {}) }).sort({ createdAt: -1 }).limit(query.limit).lean<CampaignDoc[]>();
        res.json({ campaigns: await Promise.all(docs.map((c) => campaignView(db, c))) });
      },
    }),
    route({
      method: 'get', path: '/v1/campaigns/:id', tag: 'campaigns', access: READERS,
      summary: 'One campaign with its live progress: audience, sent per channel, delivered, fallback SMS, gated out and failed by reason, recalled, remaining, rate and ETA',
      params: idParams,
      responses: { 200: { description: 'the campaign', schema: campaignViewSchema }, 404: { description: 'no such campaign' } },
      handler: async ({ params, req, res }) => {
        res.json(await campaignView(db, await campaignOr404(appIdOf(req), params.id)));
      },
    }),
    route({
      method: 'patch', path: '/v1/campaigns/:id', tag: 'campaigns', access: 'operator',
      summary: 'Change a draft (a started campaign is a 409)',
      params: idParams,
      body: campaignUpdateSchema,
      responses: { 200: { description: 'the draft', schema: campaignViewSchema }, 400: { description: 'invalid', schema: errorBodySchema }, 409: conflict },
      handler: async ({ params, body, req, res }) => {
        const c = await campaignOr404(appIdOf(req), params.id);
        if (c.state !== 'draft') throw wrongState(c, 'edit');
        const next = updatedDefinition(c, body);
        const issues = [...planIssues(next), ...(await checkDefinition(db, c.appId, next))];
        if (issues.length > 0) throw new InvalidInputError(issues);
        const unset = next.fallbackAfterSeconds === undefined ? { $unset: { fallbackAfterSeconds: 1 } } : {};
        const saved = await db.campaigns.findOneAndUpdate({ _id: c._id, state: 'draft' }, { $set: next, ...unset }, { returnDocument: 'after' }).lean<CampaignDoc>();
        if (!saved) throw wrongState(await campaignOr404(c.appId, c.campaignId), 'edit');
        res.json(await campaignView(db, saved));
      },
    }),
    route({
      method: 'post', path: '/v1/campaigns/:id/start', tag: 'campaigns', access: 'operator',
      summary: 'Start a draft: scheduled (schedule `at`) or running; the audience is snapshotted when it begins sending',
      params: idParams,
      responses: { 200: { description: 'the state it produced', schema: stateAnswer }, 404: { description: 'no such campaign' }, 409: conflict },
      handler: async ({ params, req, res }) => {
        const c = await campaignOr404(appIdOf(req), params.id);
        let state: CampaignState;
        if (c.state === 'draft') {
          const to = c.schedule.kind === 'at' && Date.parse(c.schedule.at!) > Date.now() ? 'scheduled' : 'running';
          // The template version is pinned now: one published while the campaign waits or is paused is not the one it sends.
          const found = c.template.version === undefined ? await resolveTemplate(db, c.appId, c.template.id) : undefined;
          if (found && !found.ok) throw new ApiError(409, 'template_unavailable', `${found.message}: publish it before starting`, [{ path: 'template', message: found.reason }]);
          const template = found?.ok ? { template: { ...c.template, version: found.template.version! } } : {};
          const moved = await moveCampaign(db, c, ['draft'], to, { ...template, ...(to === 'running' ? { startedAt: new Date() } : {}) });
          if (!moved) throw wrongState(await campaignOr404(c.appId, c.campaignId), 'start');
          state = moved.state;
        } else if ((c.state === 'running' || c.state === 'scheduled') && !(await running(c))) {
          state = c.state; // started, but its workflow never began (the API died in between): started now
        } else throw wrongState(c, 'start');
        await startRun(c, 'send', state);
        res.json({ id: params.id, state });
      },
    }),
    ...actionRoutes,
  ];
}
