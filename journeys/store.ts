/**
 * Journey records: drafts saved once checked, published versions frozen under deterministic
 * ids, and state changes as compare-and-sets on the state they come from. Every read is by
 * `_id` (the embedded server answers only those from an index). No Express.
 */
import type { Db } from '../data/db';
import { isDuplicateKey } from '../data/db';
import type { JourneyDoc, JourneyVersionDoc } from '../data/models/journeys';
import { ALLOWED_FROM, stateAfter, type JourneyAction, type JourneyDefinition, type JourneyStep } from '../domain/journeys';
import { scopedId } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import type { JourneyCatalog } from './catalog';
import { validateJourney } from './validate';

export const journeyDocId = (appId: string, journeyId: string) => scopedId(appId, journeyId);
export const journeyVersionDocId = (appId: string, journeyId: string, version: number) => scopedId(appId, `${journeyId}:v${version}`);

/** How many versions a journey's view lists, newest first. */
export const LISTED_VERSIONS = 100;

export function newJourneyDoc(appId: string, journeyId: string, draft: JourneyDefinition, now = new Date()): JourneyDoc {
  return { _id: journeyDocId(appId, journeyId), appId, journeyId, draft, revision: 1, state: 'draft', latestVersion: 0, stateChangedAt: now, createdAt: now, updatedAt: now };
}

export async function findJourney(db: Db, appId: string, journeyId: string): Promise<JourneyDoc | null> {
  return db.journeys.findOne({ _id: journeyDocId(appId, journeyId) }).lean<JourneyDoc>();
}

export async function findVersion(db: Db, appId: string, journeyId: string, version: number): Promise<JourneyVersionDoc | null> {
  return db.journeyVersions.findOne({ _id: journeyVersionDocId(appId, journeyId, version) }).lean<JourneyVersionDoc>();
}

/** The newest versions' summaries, read by their ids (1..latestVersion). */
export async function versionSummaries(db: Db, j: JourneyDoc): Promise<Pick<JourneyVersionDoc, 'version' | 'revision' | 'publishedAt'>[]> {
  if (j.latestVersion === 0) return [];
  const wanted = Array.from({ length: Math.min(j.latestVersion, LISTED_VERSIONS) }, (_, i) => journeyVersionDocId(j.appId, j.journeyId, j.latestVersion - i));
  const docs = await db.journeyVersions.find({ _id: { $in: wanted } }, { version: 1, revision: 1, publishedAt: 1 }).lean<JourneyVersionDoc[]>();
  return docs.sort((a, b) => b.version - a.version).map(({ version, revision, publishedAt }) => ({ version, revision, publishedAt }));
}

/** Replaces the draft when neither its revision nor its state moved since `j` was read; answers the record after, or null. */
export async function replaceDraft(db: Db, j: JourneyDoc, draft: JourneyDefinition): Promise<JourneyDoc | null> {
  return db.journeys
    .findOneAndUpdate({ _id: j._id, revision: j.revision, state: { $in: [...ALLOWED_FROM.edit] } }, { $set: { draft }, $inc: { revision: 1 } }, { returnDocument: 'after' })
    .lean<JourneyDoc>();
}

/** Pause, resume or archive: from one of the states the action allows; null when the journey was in another. */
export async function moveJourney(db: Db, j: Pick<JourneyDoc, '_id' | 'state'>, action: Exclude<JourneyAction, 'edit' | 'publish'>): Promise<JourneyDoc | null> {
  return db.journeys
    .findOneAndUpdate({ _id: j._id, state: { $in: [...ALLOWED_FROM[action]] } }, { $set: { state: stateAfter(action, j.state), stateChangedAt: new Date() } }, { returnDocument: 'after' })
    .lean<JourneyDoc>();
}

/** Send steps name the template version they would use now: a published journey version never changes what it sends. */
function pinTemplates(d: JourneyDefinition, versions: Map<string, number>): JourneyDefinition {
  const pin = (s: JourneyStep): JourneyStep => (s.kind === 'send' && s.template.version === undefined ? { ...s, template: { ...s.template, version: versions.get(s.id)! } } : s);
  return { ...d, steps: d.steps.map(pin) };
}

export type PublishOutcome =
  | { kind: 'published' | 'unchanged'; version: JourneyVersionDoc }
  | { kind: 'not_found' }
  | { kind: 'wrong_state'; journey: JourneyDoc }
  | { kind: 'invalid'; issues: FieldIssue[] };

/**
 * Freezes the draft as the next version. The draft is checked again (a template or segment it
 * names may have gone since it was saved). Two publishes racing for one number cannot both
 * take it: the loser catches up and tries the next. A draft already published as the latest
 * version answers that version, so a retried publish makes no second one.
 */
export async function publishJourney(db: Db, catalog: JourneyCatalog, appId: string, journeyId: string): Promise<PublishOutcome> {
  const _id = journeyDocId(appId, journeyId);
  for (let attempt = 0; ; attempt++) {
    const j = await findJourney(db, appId, journeyId);
    if (!j) return { kind: 'not_found' };
    if (!ALLOWED_FROM.publish.includes(j.state)) return { kind: 'wrong_state', journey: j };
    if (j.latestVersion > 0 && j.publishedRevision === j.revision) {
      const latest = await findVersion(db, appId, journeyId, j.latestVersion);
      if (latest) return { kind: 'unchanged', version: latest };
    }
    const checked = await validateJourney(j.draft, catalog, 'draft');
    if (!checked.ok) return { kind: 'invalid', issues: checked.issues };
    const version = j.latestVersion + 1;
    const doc: JourneyVersionDoc = {
      _id: journeyVersionDocId(appId, journeyId, version), appId, journeyId, version, revision: j.revision,
      definition: pinTemplates(checked.definition, checked.templateVersions), publishedAt: new Date(),
    };
    try {
      await db.journeyVersions.create(doc);
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 20) throw err;
      // Another publish took this number (or stopped before recording it): catch up, then look again.
      await db.journeys.updateOne({ _id }, { $max: { latestVersion: version } });
      continue;
    }
    await db.journeys.updateOne({ _id, latestVersion: { $lt: version } }, { $set: { latestVersion: version, publishedRevision: j.revision } });
    if (j.state === 'draft') await db.journeys.updateOne({ _id, state: 'draft' }, { $set: { state: stateAfter('publish', 'draft'), stateChangedAt: new Date() } });
    return { kind: 'published', version: doc };
  }
}

export function journeyView(j: JourneyDoc, versions?: Awaited<ReturnType<typeof versionSummaries>>) {
  return {
    id: j.journeyId, name: j.draft.name, state: j.state, draft: j.draft, revision: j.revision, latestVersion: j.latestVersion,
    unpublishedChanges: j.publishedRevision !== j.revision,
    createdAt: j.createdAt.toISOString(), updatedAt: j.updatedAt.toISOString(), stateChangedAt: j.stateChangedAt.toISOString(),
    ...(versions ? { versions: versions.map((v) => ({ version: v.version, revision: v.revision, publishedAt: v.publishedAt.toISOString() })) } : {}),
  };
}

export function versionView(v: JourneyVersionDoc) {
  return { id: v.journeyId, version: v.version, revision: v.revision, publishedAt: v.publishedAt.toISOString(), definition: v.definition };
}
