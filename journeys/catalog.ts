/**
 * What a journey definition may refer to in its app: templates, segments, attributes, event
 * names and the segment rule language. An interface, so the validation is tested without a database; the
 * one the API uses reads the app's own records.
 */
import type { Definition as AttributeDefinition } from '../attributes/coerce';
import { definitionsOf } from '../attributes/registry';
import type { Db } from '../data/db';
import { knownEventNames } from '../events/eventTypes';
import { scopedId } from '../lib/ids';
import type { FieldIssue } from '../lib/invalidInput';
import { validateRule } from '../segments/validateRule';
import { TEMPLATE_CHANNELS, type TemplateChannel } from '../templates/channels';
import { resolveTemplate } from '../templates/store';

export type TemplateFound = { ok: true; version: number; channels: TemplateChannel[] } | { ok: false; message: string };

export interface JourneyCatalog {
  /** The template version a send would use (the one named, else the latest published) and the channels it has content for. */
  template(id: string, version?: number): Promise<TemplateFound>;
  /** Which of these saved segments exist. */
  segments(ids: string[]): Promise<Set<string>>;
  /** The registered profile attributes among these names. */
  attributes(names: string[]): Promise<Map<string, AttributeDefinition>>;
  /** Which of these event names the app knows (declared, or sent at least once). */
  events(names: string[]): Promise<Set<string>>;
  /** Every issue of a segment rule, each with its path under `path`. */
  checkRule(rule: unknown, path: string): Promise<FieldIssue[]>;
}

export function dbCatalog(db: Db, appId: string): JourneyCatalog {
  return {
    async template(id, version) {
      const found = await resolveTemplate(db, appId, id, version);
      if (!found.ok) return { ok: false, message: found.message };
      return { ok: true, version: found.template.version!, channels: TEMPLATE_CHANNELS.filter((c) => found.template.channels[c] !== undefined) };
    },
    async segments(ids) {
      if (ids.length === 0) return new Set();
      // By deterministic _id: the embedded server answers those from an index.
      const docs = await db.segments.find({ _id: { $in: ids.map((id) => scopedId(appId, id)) } }, { _id: 1 }).lean();
      const found = new Set(docs.map((d) => d._id));
      return new Set(ids.filter((id) => found.has(scopedId(appId, id))));
    },
    attributes: (names) => definitionsOf(db, appId, names),
    events: (names) => knownEventNames(db, appId, names),
    async checkRule(rule, path) {
      const checked = await validateRule(db, appId, rule, path);
      return 'issues' in checked ? checked.issues : [];
    },
  };
}
