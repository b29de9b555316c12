/**
 * `/v1/journeys`: journey definitions and their versions. Designers create and edit drafts
 * (every save checked completely: a 400 names each failing step and stores nothing), publish
 * them as immutable versions, and pause, resume and archive them; operators read them too.
 * An action the journey's state does not allow is a 409 naming the state.
 */
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema, insertOr409 } from '../errors';
import { route } from '../routing';
import type { JourneyDoc } from '../../data/models/journeys';
import type { Role } from '../../domain/auth';
import { ALLOWED_FROM, JOURNEY_STATES, mayDo, type JourneyAction } from '../../domain/journeys';
import { dbCatalog } from '../../journeys/catalog';
import {
  journeyCreateDoc, journeyIdSchema, journeyListQuerySchema, journeyUpdateDoc, journeyVersionViewSchema, journeyViewSchema,
} from '../../journeys/schemas';
import { findJourney, findVersion, journeyDocId, journeyView, moveJourney, newJourneyDoc, publishJourney, replaceDraft, versionSummaries, versionView } from '../../journeys/store';
import { validateJourney } from '../../journeys/validate';
import { randomToken } from '../../lib/ids';
import { journeyBroadcast, journeyBroadcastId } from '../../workflows/journeyBroadcast';
import { journeyRunRoutes } from './journeyRuns';
import { InvalidInputError, type FieldIssue } from '../../lib/invalidInput';

const READERS: readonly Role[] = ['designer', 'operator'];
const idParams = z.object({ id: journeyIdSchema });
const objectBody = z.record(z.string(), z.unknown());
const stateAnswer = z.object({ id: z.string(), state: z.enum(JOURNEY_STATES) });
const conflict = { description: 'the journey is in a state that does not allow this (details name the state)', schema: errorBodySchema };
const invalid = { description: 'invalid definition: details name each failing field, by step id (body.steps.<id>.…); nothing is stored', schema: errorBodySchema };
// A concurrent edit moved the draft between read and write: the change is merged into the newer draft and checked again.
const EDIT_ATTEMPTS = 5;

export function wrongState(j: Pick<JourneyDoc, 'state'>, action: JourneyAction): ApiError {
  const why = action === 'edit' || action === 'publish' ? `it cannot be ${action === 'edit' ? 'edited' : 'published'}` : `it cannot ${action}`;
  return new ApiError(409, 'invalid_state', `the journey is ${j.state}: ${why} (allowed when ${ALLOWED_FROM[action].join(', ')})`, [{ path: 'state', message: j.state }]);
}

/** The draft with a PATCH applied: the fields given replace the draft's; null removes one. */
function patched(draft: JourneyDoc['draft'], patch: Record<string, unknown>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...draft, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === null) delete next[k];
  return next;
}

const ACTION_SUMMARY = {
  pause: 'Pause: no new entries; running profiles hold before their next send',
  resume: 'Resume a paused journey: entries again, held profiles go on',
  archive: 'Archive: no new entries, running profiles exit; final',
} as const;

export function journeyRoutes(deps: ApiDeps) {
  const { db } = deps;

  async function journeyOr404(appId: string, id: string): Promise<JourneyDoc> {
    const j = await findJourney(db, appId, id);
    if (!j) throw new ApiError(404, 'not_found', `no journey ${id}`);
    return j;
  }

  const actionRoutes = (Object.keys(ACTION_SUMMARY) as (keyof typeof ACTION_SUMMARY)[]).map((action) =>
    route({
      method: 'post', path: `/v1/journeys/:id/${action}`, tag: 'journeys', access: 'designer',
      summary: `${ACTION_SUMMARY[action]}. Allowed when ${ALLOWED_FROM[action].join(', ')}; otherwise 409.`,
      params: idParams,
      responses: { 200: { description: 'the state it produced', schema: stateAnswer }, 404: { description: 'no such journey' }, 409: conflict },
      handler: async ({ params, req, res }) => {
        const j = await journeyOr404(appIdOf(req), params.id);
        if (!mayDo(action, j.state)) throw wrongState(j, action);
        const moved = await moveJourney(db, j, action);
        if (!moved) throw wrongState(await journeyOr404(j.appId, j.journeyId), action);
        // Running profiles hear of it at once: archived ones exit, held ones go on (those that miss it see the state before their next send).
        if (action !== 'pause') {
          await deps.temporal.workflow.start(journeyBroadcast, {
            workflowId: journeyBroadcastId(j.appId, j.journeyId, moved.stateChangedAt), taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
            args: [{ appId: j.appId, journeyId: j.journeyId, control: action === 'archive' ? 'archived' : 'resumed' }],
          });
        }
        res.json({ id: params.id, state: moved.state });
      },
    }),
  );

  return [
    route({
      method: 'post', path: '/v1/journeys', tag: 'journeys', access: 'designer',
      summary: 'Create a draft journey: entry, re-entry, goal, exit segment, caps, send rate and its steps (a graph: each step names its next)',
      body: objectBody,
      bodyDoc: journeyCreateDoc,
      responses: { 201: { description: 'the draft', schema: journeyViewSchema }, 400: invalid, 409: { description: 'the id is taken', schema: errorBodySchema } },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const { id, ...definition } = body;
        const givenId = id === undefined ? undefined : journeyIdSchema.safeParse(id);
        const issues: FieldIssue[] = givenId?.success === false ? givenId.error.issues.map((i) => ({ path: 'body.id', message: i.message })) : [];
        const checked = await validateJourney(definition, dbCatalog(db, appId), 'body');
        if (!checked.ok) issues.push(...checked.issues);
        if (issues.length > 0 || !checked.ok) throw new InvalidInputError(issues);
        const journeyId = givenId?.data ?? `jrn_${randomToken(10)}`;
        const doc = newJourneyDoc(appId, journeyId, checked.definition);
        await insertOr409(() => db.journeys.create(doc), `journey ${journeyId} exists`, 'body.id');
        res.status(201).json(journeyView(doc, []));
      },
    }),
    route({
      method: 'get', path: '/v1/journeys', tag: 'journeys', access: READERS,
      summary: 'Journeys in id order, with their state, draft and latest version; filter by state; page with after',
      query: journeyListQuerySchema.extend({ after: journeyIdSchema.optional().describe('the last id of the previous page') }),
      responses: { 200: { description: 'journeys', schema: z.object({ journeys: z.array(journeyViewSchema) }) } },
      handler: async ({ query, req, res }) => {
        const appId = appIdOf(req);
        const docs = await db.journeys
          .find({ appId, ...(query.state ? { state: query.state } : {}), ...(query.after ? { _id: { $gt: journeyDocId(appId, query.after) } } : {}) })
          .sort({ _id: 1 })
          .limit(query.limit)
          .lean<JourneyDoc[]>();
        res.json({ journeys: docs.map((j) => journeyView(j)) });
      },
    }),
    route({
      method: 'get', path: '/v1/journeys/:id', tag: 'journeys', access: READERS,
      summary: 'One journey: its state, draft (and whether it differs from the latest version) and its published versions, newest first',
      params: idParams,
      responses: { 200: { description: 'the journey', schema: journeyViewSchema }, 404: { description: 'no such journey' } },
      handler: async ({ params, req, res }) => {
        const j = await journeyOr404(appIdOf(req), params.id);
        res.json(journeyView(j, await versionSummaries(db, j)));
      },
    }),
    route({
      method: 'get', path: '/v1/journeys/:id/versions/:version', tag: 'journeys', access: READERS,
      summary: 'One published version, as frozen (send steps name the template version pinned at publish)',
      params: idParams.extend({ version: z.coerce.number().int().min(1) }),
      responses: { 200: { description: 'the version', schema: journeyVersionViewSchema }, 404: { description: 'no such journey or version' } },
      handler: async ({ params, req, res }) => {
        const v = await findVersion(db, appIdOf(req), params.id, params.version);
        if (!v) throw new ApiError(404, 'not_found', `journey ${params.id} has no version ${params.version}`);
        res.json(versionView(v));
      },
    }),
    route({
      method: 'patch', path: '/v1/journeys/:id', tag: 'journeys', access: 'designer',
      summary: 'Change the draft (checked again as a whole); published versions are untouched, and the next publish makes a new one. An archived journey is a 409',
      params: idParams,
      body: objectBody,
      bodyDoc: journeyUpdateDoc,
      responses: { 200: { description: 'the journey', schema: journeyViewSchema }, 400: invalid, 404: { description: 'no such journey' }, 409: conflict },
      handler: async ({ params, body, req, res }) => {
        const appId = appIdOf(req);
        const catalog = dbCatalog(db, appId);
        for (let attempt = 1; ; attempt++) {
          const j = await journeyOr404(appId, params.id);
          if (!mayDo('edit', j.state)) throw wrongState(j, 'edit');
          const checked = await validateJourney(patched(j.draft, body), catalog, 'body');
          if (!checked.ok) throw new InvalidInputError(checked.issues);
          const saved = await replaceDraft(db, j, checked.definition);
          if (saved) return void res.json(journeyView(saved, await versionSummaries(db, saved)));
          if (attempt >= EDIT_ATTEMPTS) throw new ApiError(409, 'conflict', 'the draft is being edited concurrently; retry');
        }
      },
    }),
    route({
      method: 'post', path: '/v1/journeys/:id/publish', tag: 'journeys', access: 'designer',
      summary: 'Publish the draft as version n+1, immutable (profiles already in the journey stay on the version they entered); a draft already published answers that version. A first publish makes the journey active',
      params: idParams,
      responses: {
        201: { description: 'the new version', schema: journeyVersionViewSchema },
        200: { description: 'the draft was already published: that version', schema: journeyVersionViewSchema },
        404: { description: 'no such journey' },
        409: { description: 'archived, or the draft no longer passes its checks (a template or segment it names is gone; details name each)', schema: errorBodySchema },
      },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        const outcome = await publishJourney(db, dbCatalog(db, appId), appId, params.id);
        switch (outcome.kind) {
          case 'not_found':
            throw new ApiError(404, 'not_found', `no journey ${params.id}`);
          case 'wrong_state':
            throw wrongState(outcome.journey, 'publish');
          case 'invalid':
            throw new ApiError(409, 'invalid_definition', 'the draft no longer passes its checks: change it with PATCH, then publish', outcome.issues);
          default:
            res.status(outcome.kind === 'published' ? 201 : 200).json(versionView(outcome.version));
        }
      },
    }),
    ...actionRoutes,
    ...journeyRunRoutes(deps, journeyOr404),
  ];
}
