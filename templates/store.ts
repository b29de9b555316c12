/**
 * Templates in the database: drafts saved after their Liquid is checked, immutable numbered
 * versions, and `resolveTemplate`, which a send uses to find the version it names (or the
 * latest published one). No Express: the API and the send pipeline both call this.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { TemplateDoc, TemplateVersionDoc } from '../data/models/templates';
import { localId, randomToken, scopedId } from '../lib/ids';
import { InvalidInputError, type FieldIssue } from '../lib/invalidInput';
import { CHANNEL_FIELDS, TEMPLATE_CHANNELS, type ResolvedTemplate, type TemplateChannel, type TemplateLookup } from './channels';
import { checkSource } from './liquid';
import type { TemplateCreate, TemplateUpdate } from './schemas';

export function templateDocId(appId: string, id: string): string {
  return scopedId(appId, id);
}

export function templateVersionDocId(appId: string, id: string, version: number): string {
  return scopedId(appId, `${id}:${version}`);
}

/** Every Liquid problem of the channels given, each naming its field (`body.channels.sms.text`) and line. */
export function checkChannels(channels: Partial<Record<TemplateChannel, object | null | undefined>>, path: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const channel of TEMPLATE_CHANNELS) {
    const content = channels[channel] as Record<string, unknown> | null | undefined;
    if (!content) continue;
    for (const name of CHANNEL_FIELDS[channel] as readonly string[]) {
      const source = content[name];
      const at = `${path}.${channel}.${name}`;
      if (typeof source === 'string') issues.push(...checkSource(source, channel === 'email' && name === 'html' ? 'html' : 'text', at));
      else if (source && typeof source === 'object') {
        for (const [key, value] of Object.entries(source as Record<string, string>)) issues.push(...checkSource(value, 'text', `${at}.${key}`));
      }
    }
  }
  return issues;
}

function throwIfAny(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new InvalidInputError(issues);
}

/** Saves a new template (its draft); the caller answers a duplicate id (a duplicate-key error) as a conflict. */
export async function createTemplate(db: Db, appId: string, input: TemplateCreate): Promise<TemplateDoc> {
  throwIfAny(checkChannels(input.channels, 'body.channels'));
  const id = input.id ?? `tpl_${randomToken(12)}`;
  const doc = await db.templates.create({
    _id: templateDocId(appId, id), appId, name: input.name, description: input.description,
    missingVariable: input.missingVariable, channels: input.channels, revision: 1, latestVersion: 0,
  });
  return doc.toObject();
}

export async function findTemplate(db: Db, appId: string, id: string): Promise<TemplateDoc | null> {
  return db.templates.findOne({ _id: templateDocId(appId, id) }).lean<TemplateDoc>();
}

/**
 * Changes the draft: the fields given, each channel given replaced (null: removed). Published
 * versions are untouched. Answers null when there is no such template.
 */
export async function updateDraft(db: Db, appId: string, id: string, update: TemplateUpdate): Promise<TemplateDoc | null> {
  throwIfAny(update.channels ? checkChannels(update.channels, 'body.channels') : []);
  const current = await findTemplate(db, appId, id);
  if (!current) return null;
  const set: Record<string, unknown> = {};
  const unset: Record<string, 1> = {};
  if (update.name !== undefined) set.name = update.name;
  if (update.missingVariable !== undefined) set.missingVariable = update.missingVariable;
  if (update.description === null) unset.description = 1;
  else if (update.description !== undefined) set.description = update.description;
  if (update.channels) {
    for (const channel of TEMPLATE_CHANNELS) {
      const content = update.channels[channel];
      if (content === null) unset[`channels.${channel}`] = 1;
      else if (content !== undefined) set[`channels.${channel}`] = content;
    }
    const remaining = TEMPLATE_CHANNELS.filter((c) => (update.channels![c] === undefined ? current.channels[c] !== undefined : update.channels![c] !== null));
    if (remaining.length === 0) throw new InvalidInputError([{ path: 'body.channels', message: 'a template needs at least one channel: this would remove the last' }]);
  }
  return db.templates
    .findOneAndUpdate(
      { _id: templateDocId(appId, id) },
      { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}), $inc: { revision: 1 } },
      { returnDocument: 'after' },
    )
    .lean<TemplateDoc>();
}

export type PublishOutcome = { kind: 'published' | 'unchanged'; version: TemplateVersionDoc } | { kind: 'not_found' };

/**
 * Publishes the draft as the next version: an immutable copy under a deterministic `_id`, so
 * two publishes racing for one number cannot both take it (the loser looks again). A draft
 * already published as the latest version answers that version (`unchanged`): a retried
 * publish makes no second version.
 */
export async function publishTemplate(db: Db, appId: string, id: string): Promise<PublishOutcome> {
  const _id = templateDocId(appId, id);
  for (let attempt = 0; ; attempt++) {
    const draft = await findTemplate(db, appId, id);
    if (!draft) return { kind: 'not_found' };
    if (draft.latestVersion > 0) {
      const latest = await db.templateVersions.findOne({ _id: templateVersionDocId(appId, id, draft.latestVersion) }).lean<TemplateVersionDoc>();
      if (latest?.revision === draft.revision) return { kind: 'unchanged', version: latest };
    }
    const version = draft.latestVersion + 1;
    const doc: TemplateVersionDoc = {
      _id: templateVersionDocId(appId, id, version), appId, templateId: id, version, revision: draft.revision,
      name: draft.name, ...(draft.description ? { description: draft.description } : {}),
      missingVariable: draft.missingVariable, channels: draft.channels, publishedAt: new Date(),
    };
    try {
      await db.templateVersions.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 20) throw err;
      // Another publish took this number (or one stopped before raising latestVersion): catch up, then look again.
      await db.templates.updateOne({ _id }, { $max: { latestVersion: version } });
      continue;
    }
    await db.templates.updateOne({ _id }, { $max: { latestVersion: version } });
    return { kind: 'published', version: doc };
  }
}

export async function listVersions(db: Db, appId: string, id: string): Promise<TemplateVersionDoc[]> {
  return db.templateVersions.find({ appId, templateId: id }).sort({ version: -1 }).lean<TemplateVersionDoc[]>();
}

// Published versions never change: each process keeps the ones it read (per database connection), so a batch reads its template once.
const versionCache = new WeakMap<Db, Map<string, ResolvedTemplate>>();
const VERSION_CACHE_SIZE = 1_000;

function cached(db: Db): Map<string, ResolvedTemplate> {
  let map = versionCache.get(db);
  if (!map) versionCache.set(db, (map = new Map()));
  return map;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A published version as sends use it; frozen, since every caller in the process shares the cached object. */
function resolved(doc: TemplateVersionDoc): ResolvedTemplate {
  return deepFreeze({ appId: doc.appId, id: doc.templateId, version: doc.version, name: doc.name, missingVariable: doc.missingVariable, channels: doc.channels });
}

/** The draft as a template to render (previews). */
export function draftOf(doc: TemplateDoc): ResolvedTemplate {
  return { appId: doc.appId, id: localId(doc._id), version: null, name: doc.name, missingVariable: doc.missingVariable, channels: doc.channels };
}

/**
 * The template version a send uses: the one named, or without a version the latest
 * published one. A typed answer: `{ ok: true, template }`, or why there is none.
 */
export async function resolveTemplate(db: Db, appId: string, id: string, version?: number): Promise<TemplateLookup> {
  let wanted = version;
  if (wanted === undefined) {
    const draft = await findTemplate(db, appId, id);
    if (!draft) return { ok: false, reason: 'template_not_found', message: `no template ${id}` };
    if (draft.latestVersion === 0) return { ok: false, reason: 'template_not_published', message: `template ${id} has no published version yet` };
    wanted = draft.latestVersion;
  }
  const key = templateVersionDocId(appId, id, wanted);
  const cache = cached(db);
  const hit = cache.get(key);
  if (hit) return { ok: true, template: hit };
  const doc = await db.templateVersions.findOne({ _id: key }).lean<TemplateVersionDoc>();
  if (!doc) {
    if (!(await findTemplate(db, appId, id))) return { ok: false, reason: 'template_not_found', message: `no template ${id}` };
    return { ok: false, reason: 'template_version_not_found', message: `template ${id} has no version ${wanted}` };
  }
  if (cache.size >= VERSION_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  const template = resolved(doc);
  cache.set(key, template);
  return { ok: true, template };
}
