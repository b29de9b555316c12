import type { Request, Response } from 'express';
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, insertOr409 } from '../errors';
import { route } from '../routing';
import type { SegmentDoc } from '../../data/models/segments';
import { localId, randomToken, scopedId } from '../../lib/ids';
import { toProfileView } from '../../profiles/upsertProfile';
import { countMembers, firstMembers, segmentFilter } from '../../segments/evaluateSegment';
import { streamMembers } from '../../segments/exportMembers';
import { queryBudget, SegmentQueryTimeoutError, segmentQuerySettings, type QueryBudget } from '../../segments/queryBudget';
import {
  countSchema, exportQuerySchema, membersPageSchema, membersQuerySchema, previewDoc, previewResultSchema, previewSchema,
  segmentCreateDoc, segmentCreateSchema, segmentIdSchema, segmentViewSchema,
} from '../../segments/segmentSchemas';
import type { Db } from '../../data/db';

const idParams = z.object({ id: segmentIdSchema });

function toView(s: SegmentDoc) {
  return { id: localId(s._id), name: s.name, ...(s.description ? { description: s.description } : {}), rule: s.rule, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
}

async function savedSegment(db: Db, appId: string, id: string): Promise<SegmentDoc> {
  const segment = await db.segments.findOne({ _id: scopedId(appId, id) }).lean();
  if (!segment) throw new ApiError(404, 'not_found', `no segment ${id}`);
  return segment;
}

/** A saved segment's rule, compiled now (its registry may have changed since it was saved). */
async function savedSegmentFilter(db: Db, appId: string, id: string, budget: QueryBudget) {
  return segmentFilter(db, appId, (await savedSegment(db, appId, id)).rule, 'segment.rule', budget);
}

/**
 * Runs one request's segment queries under one budget: at most `maxTimeMS` of database work
 * (more is a 503 that says so), all of it dropped when the client hangs up (the request's
 * signal aborts the query in flight, and no other is sent).
 */
async function bounded(req: Request, res: Response, maxTimeMS: number, work: (budget: QueryBudget) => Promise<void>): Promise<void> {
  const hangUp = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) hangUp.abort(new ApiError(499, 'client_closed_request', `the client closed the connection before ${req.method} ${req.path} was answered`));
  };
  res.once('close', onClose);
  try {
    await work(queryBudget(maxTimeMS, hangUp.signal));
  } catch (err) {
    if (err instanceof SegmentQueryTimeoutError) {
      throw new ApiError(503, 'query_timeout', `${err.message}; narrow the rule (fewer or shorter contains conditions, fewer behaviour windows) or retry when the database is less busy`);
    }
    throw err;
  } finally {
    res.off('close', onClose);
  }
}

export function segmentRoutes({ db, config }: ApiDeps) {
  const { SEGMENT_QUERY_MAX_TIME_MS: maxTimeMS, SEGMENT_EXPORT_MAX_TIME_MS: exportMaxTimeMS } = segmentQuerySettings(config);
  const timeout = { description: `the segment's queries ran longer than ${maxTimeMS} ms (SEGMENT_QUERY_MAX_TIME_MS) and were stopped` };
  return [
    route({
      method: 'post', path: '/v1/segments/preview', tag: 'segments', access: 'designer',
      summary: 'Count a rule and show a sample of its members, without saving it',
      body: previewSchema, bodyDoc: previewDoc,
      responses: { 200: { description: 'the count and a sample', schema: previewResultSchema }, 503: timeout },
      handler: ({ body, req, res }) => bounded(req, res, maxTimeMS, async (budget) => {
        const appId = appIdOf(req);
        const { filter, evaluatedAt } = await segmentFilter(db, appId, body.rule, 'body.rule', budget);
        const [count, sample] = await Promise.all([countMembers(db, filter, budget), body.sample > 0 ? firstMembers(db, filter, body.sample, budget) : []]);
        res.json({ count, sample: sample.map(toProfileView), evaluatedAt: evaluatedAt.toISOString() });
      }),
    }),
    route({
      method: 'post', path: '/v1/segments', tag: 'segments', access: 'designer',
      summary: 'Save a segment: a rule over attributes, behaviour, devices, consents and channels',
      body: segmentCreateSchema, bodyDoc: segmentCreateDoc,
      responses: { 201: { description: 'saved', schema: segmentViewSchema }, 409: { description: 'the id is taken' }, 503: timeout },
      handler: ({ body, req, res }) => bounded(req, res, maxTimeMS, async (budget) => {
        const appId = appIdOf(req);
        await segmentFilter(db, appId, body.rule, 'body.rule', budget);
        const id = body.id ?? `seg_${randomToken(12)}`;
        const doc = await insertOr409(
          () => db.segments.create({ _id: scopedId(appId, id), appId, name: body.name, description: body.description, rule: body.rule }),
          `segment ${id} exists`, 'body.id',
        );
        res.status(201).json(toView(doc.toObject()));
      }),
    }),
    route({
      method: 'get', path: '/v1/segments', tag: 'segments', access: 'designer',
      summary: 'List saved segments',
      responses: { 200: { description: 'the segments', schema: z.object({ segments: z.array(segmentViewSchema) }) } },
      handler: async ({ req, res }) => {
        const segments = await db.segments.find({ appId: appIdOf(req) }).sort({ _id: 1 }).lean();
        res.json({ segments: segments.map(toView) });
      },
    }),
    route({
      method: 'get', path: '/v1/segments/:id', tag: 'segments', access: 'designer',
      summary: 'Read a saved segment', params: idParams,
      responses: { 200: { description: 'the segment', schema: segmentViewSchema }, 404: { description: 'no such segment' } },
      handler: async ({ params, req, res }) => void res.json(toView(await savedSegment(db, appIdOf(req), params.id))),
    }),
    route({
      method: 'delete', path: '/v1/segments/:id', tag: 'segments', access: 'designer',
      summary: 'Delete a saved segment', params: idParams,
      responses: { 204: { description: 'deleted' }, 404: { description: 'no such segment' } },
      handler: async ({ params, req, res }) => {
        const { deletedCount } = await db.segments.deleteOne({ _id: scopedId(appIdOf(req), params.id) });
        if (deletedCount === 0) throw new ApiError(404, 'not_found', `no segment ${params.id}`);
        res.status(204).end();
      },
    }),
    route({
      method: 'get', path: '/v1/segments/:id/count', tag: 'segments', access: 'designer',
      summary: 'How many profiles the segment holds now', params: idParams,
      responses: { 200: { description: 'the count', schema: countSchema }, 404: { description: 'no such segment' }, 503: timeout },
      handler: ({ params, req, res }) => bounded(req, res, maxTimeMS, async (budget) => {
        const appId = appIdOf(req);
        const { filter, evaluatedAt } = await savedSegmentFilter(db, appId, params.id, budget);
        res.json({ count: await countMembers(db, filter, budget), evaluatedAt: evaluatedAt.toISOString() });
      }),
    }),
    route({
      method: 'get', path: '/v1/segments/:id/members', tag: 'segments', access: 'designer',
      summary: 'Page through the members, in a stable order', params: idParams, query: membersQuerySchema,
      responses: { 200: { description: 'one page; pass `next` as `after` for the next one', schema: membersPageSchema }, 404: { description: 'no such segment' }, 503: timeout },
      handler: ({ params, query, req, res }) => bounded(req, res, maxTimeMS, async (budget) => {
        const appId = appIdOf(req);
        const { filter, evaluatedAt } = await savedSegmentFilter(db, appId, params.id, budget);
        const after = query.after ? { ...filter, $and: [...(filter.$and ?? []), { _id: { $gt: scopedId(appId, query.after) } }] } : filter;
        const page = await firstMembers(db, after, query.limit, budget);
        const last = page.length === query.limit ? page[page.length - 1] : undefined;
        res.json({ members: page.map(toProfileView), ...(last ? { next: localId(last._id) } : {}), evaluatedAt: evaluatedAt.toISOString() });
      }),
    }),
    route({
      method: 'get', path: '/v1/segments/:id/export', tag: 'segments', access: 'designer',
      summary: 'Stream every member as NDJSON (one profile per line) or CSV', params: idParams, query: exportQuerySchema,
      responses: {
        200: { description: 'the members, streamed', contentType: 'application/x-ndjson', schema: z.string() },
        404: { description: 'no such segment' },
        503: { description: `compiling the rule took longer than ${maxTimeMS} ms (SEGMENT_QUERY_MAX_TIME_MS), or the first batch longer than ${exportMaxTimeMS} ms (SEGMENT_EXPORT_MAX_TIME_MS); later, the stream is cut off` },
      },
      handler: ({ params, query, req, res }) => bounded(req, res, maxTimeMS, async (budget) => {
        const appId = appIdOf(req);
        const { filter } = await savedSegmentFilter(db, appId, params.id, budget);
        await streamMembers(db, appId, filter, query.format, res, `segment-${params.id}`, queryBudget(exportMaxTimeMS, budget.signal, 'SEGMENT_EXPORT_MAX_TIME_MS'));
      }),
    }),
  ];
}
