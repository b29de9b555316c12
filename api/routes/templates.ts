/** Message templates: drafts, immutable published versions, and previews for one profile. */
import { z } from 'zod';
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, insertOr409 } from '../errors';
import { profileOr404 } from '../profileOr404';
import { route } from '../routing';
import type { TemplateDoc, TemplateVersionDoc } from '../../data/models/templates';
import type { Role } from '../../domain/auth';
import { localId } from '../../lib/ids';
import { TEMPLATE_CHANNELS, type ResolvedTemplate } from '../../templates/channels';
import { profileContext, renderChannel, type RenderContext } from '../../templates/render';
import {
  previewResultSchema, previewSchema, templateCreateSchema, templateIdSchema, templateUpdateSchema, templateViewSchema,
  versionParamSchema, versionSummarySchema, versionViewSchema,
} from '../../templates/schemas';
import { countSmsSegments } from '../../templates/smsSegments';
import { createTemplate, draftOf, findTemplate, listVersions, publishTemplate, resolveTemplate, templateVersionDocId, updateDraft } from '../../templates/store';
import type { Db } from '../../data/db';

// Designers write templates; operators (who start campaigns) read them too.
const READERS: readonly Role[] = ['designer', 'operator'];

const idParams = z.object({ id: templateIdSchema });
const versionParams = z.object({ id: templateIdSchema, version: versionParamSchema });
const notFound = { description: 'no such template' };

function toView(t: TemplateDoc) {
  return {
    id: localId(t._id), name: t.name, ...(t.description ? { description: t.description } : {}), missingVariable: t.missingVariable,
    channels: t.channels, revision: t.revision, latestVersion: t.latestVersion > 0 ? t.latestVersion : null,
    createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(),
  };
}

function toVersionView(v: TemplateVersionDoc) {
  return {
    id: v.templateId, version: v.version, name: v.name, ...(v.description ? { description: v.description } : {}),
    missingVariable: v.missingVariable, channels: v.channels, publishedAt: v.publishedAt.toISOString(),
  };
}

async function templateOr404(db: Db, appId: string, id: string): Promise<TemplateDoc> {
  const t = await findTemplate(db, appId, id);
  if (!t) throw new ApiError(404, 'not_found', `no template ${id}`);
  return t;
}

const NOT_PUBLISHED = (id: string) => new ApiError(409, 'not_published', `template ${id} has no published version yet`, [{ path: 'version', message: 'publish the template first' }]);

async function versionDocOr404(db: Db, appId: string, id: string, version: number | 'latest'): Promise<TemplateVersionDoc> {
  let n = version;
  if (n === 'latest') {
    n = (await templateOr404(db, appId, id)).latestVersion;
    if (n === 0) throw NOT_PUBLISHED(id);
  }
  const doc = await db.templateVersions.findOne({ _id: templateVersionDocId(appId, id, n) }).lean<TemplateVersionDoc>();
  if (doc) return doc;
  await templateOr404(db, appId, id);
  throw new ApiError(404, 'not_found', `template ${id} has no version ${n}`);
}

/** What a preview renders: the draft, or a version found as a send finds it (resolveTemplate). */
async function previewedOr404(db: Db, appId: string, id: string, version: number | 'latest' | 'draft'): Promise<ResolvedTemplate> {
  if (version === 'draft') return draftOf(await templateOr404(db, appId, id));
  const found = await resolveTemplate(db, appId, id, version === 'latest' ? undefined : version);
  if (found.ok) return found.template;
  if (found.reason === 'template_not_published') throw NOT_PUBLISHED(id);
  throw new ApiError(404, 'not_found', found.message);
}

export function templateRoutes({ db }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/templates', tag: 'templates', access: 'designer',
      summary: 'Save a template: Liquid content per channel (push, sms, email, webPush); checked for syntax, filters and variables',
      body: templateCreateSchema,
      responses: { 201: { description: 'saved as a draft', schema: templateViewSchema }, 409: { description: 'the id is taken' } },
      handler: async ({ body, req, res }) => {
        const appId = appIdOf(req);
        const doc = await insertOr409(() => createTemplate(db, appId, body), `template ${body.id} exists`, 'body.id');
        res.status(201).json(toView(doc));
      },
    }),
    route({
      method: 'get', path: '/v1/templates', tag: 'templates', access: READERS,
      summary: 'List templates (their drafts and latest version numbers)',
      responses: { 200: { description: 'the templates', schema: z.object({ templates: z.array(templateViewSchema) }) } },
      handler: async ({ req, res }) => {
        const templates = await db.templates.find({ appId: appIdOf(req) }).sort({ _id: 1 }).lean<TemplateDoc[]>();
        res.json({ templates: templates.map(toView) });
      },
    }),
    route({
      method: 'get', path: '/v1/templates/:id', tag: 'templates', access: READERS,
      summary: 'Read a template and its draft', params: idParams,
      responses: { 200: { description: 'the template', schema: templateViewSchema }, 404: notFound },
      handler: async ({ params, req, res }) => void res.json(toView(await templateOr404(db, appIdOf(req), params.id))),
    }),
    route({
      method: 'patch', path: '/v1/templates/:id', tag: 'templates', access: 'designer',
      summary: 'Change the draft (published versions never change)', params: idParams, body: templateUpdateSchema,
      responses: { 200: { description: 'the template with its new draft', schema: templateViewSchema }, 404: notFound },
      handler: async ({ params, body, req, res }) => {
        const doc = await updateDraft(db, appIdOf(req), params.id, body);
        if (!doc) throw new ApiError(404, 'not_found', `no template ${params.id}`);
        res.json(toView(doc));
      },
    }),
    route({
      method: 'post', path: '/v1/templates/:id/publish', tag: 'templates', access: 'designer',
      summary: 'Publish the draft as the next immutable version; sends without a version use the latest', params: idParams,
      responses: {
        201: { description: 'a new version', schema: versionViewSchema },
        200: { description: 'the draft was already the latest version: that version (no new one)', schema: versionViewSchema },
        404: notFound,
      },
      handler: async ({ params, req, res }) => {
        const outcome = await publishTemplate(db, appIdOf(req), params.id);
        if (outcome.kind === 'not_found') throw new ApiError(404, 'not_found', `no template ${params.id}`);
        res.status(outcome.kind === 'published' ? 201 : 200).json(toVersionView(outcome.version));
      },
    }),
    route({
      method: 'get', path: '/v1/templates/:id/versions', tag: 'templates', access: READERS,
      summary: 'The published versions, newest first', params: idParams,
      responses: { 200: { description: 'the versions', schema: z.object({ versions: z.array(versionSummarySchema) }) }, 404: notFound },
      handler: async ({ params, req, res }) => {
        const appId = appIdOf(req);
        await templateOr404(db, appId, params.id);
        const versions = await listVersions(db, appId, params.id);
        res.json({
          versions: versions.map((v) => ({
            id: v.templateId, version: v.version, name: v.name, publishedAt: v.publishedAt.toISOString(),
            channels: TEMPLATE_CHANNELS.filter((c) => v.channels[c] !== undefined),
          })),
        });
      },
    }),
    route({
      method: 'get', path: '/v1/templates/:id/versions/:version', tag: 'templates', access: READERS,
      summary: 'Read one published version (a number, or latest)', params: versionParams,
      responses: { 200: { description: 'the version', schema: versionViewSchema }, 404: { description: 'no such template or version' }, 409: { description: 'latest asked of a template never published' } },
      handler: async ({ params, req, res }) => {
        res.json(toVersionView(await versionDocOr404(db, appIdOf(req), params.id, params.version)));
      },
    }),
    route({
      method: 'post', path: '/v1/templates/:id/preview', tag: 'templates', access: READERS,
      summary: "Render the draft or a version for one profile, with an event and send-time variables; for SMS, the encoding and segment count",
      params: idParams, body: previewSchema,
      responses: { 200: { description: 'what each channel renders to, or why it renders nothing', schema: previewResultSchema }, 404: { description: 'no such template, version or profile' }, 409: { description: 'latest asked of a template never published' } },
      handler: async ({ params, body, req, res }) => {
        const appId = appIdOf(req);
        const template = await previewedOr404(db, appId, params.id, body.version);
        const profile = await profileOr404(db, appId, body.externalId);
        const ctx: RenderContext = { profile: profileContext(profile), ...(body.event ? { event: body.event } : {}), ...(body.vars ? { vars: body.vars } : {}) };
        const channels: Record<string, unknown> = {};
        for (const channel of body.channels ?? TEMPLATE_CHANNELS.filter((c) => template.channels[c] !== undefined)) {
          const r = await renderChannel(template, channel, ctx);
          channels[channel] = r.ok && channel === 'sms' ? { ...r, sms: countSmsSegments((r.content as { text: string }).text) } : r;
        }
        res.json({ id: params.id, version: template.version, externalId: body.externalId, channels });
      },
    }),
  ];
}
