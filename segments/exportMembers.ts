/**
 * Streams a segment's members as NDJSON or CSV (UTF-8, with a BOM so spreadsheet programs
 * keep Turkish letters), in _id order, with backpressure. The database is read in batches
 * through one cursor, which is closed (killed on the server) as soon as the client goes away.
 */
import type { Response } from 'express';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { toProfileView } from '../profiles/upsertProfile';
import type { ProfileView } from '../profiles/schemas';
import type { MemberFilter } from './evaluateSegment';
import { asTimeout, optionsLeft, withinBudget, type QueryBudget } from './queryBudget';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Profiles per database round trip: a hang-up is noticed within one batch, and memory stays small. */
const EXPORT_BATCH = 200;

/**
 * One CSV field. A cell a spreadsheet would run as a formula (starting with = + - @, a tab or
 * a carriage return) gets a leading `'`, which keeps it text; a list is joined first, so its
 * cell is guarded as a whole. Numbers are written as they are: "-4" is a number, not a formula.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = Array.isArray(value) ? value.join(';') : value instanceof Date ? value.toISOString() : String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Attributes are looked up as own keys only: a column named `constructor` is empty for a profile without that attribute, not Object's constructor. */
function csvRow(p: ProfileView, attributes: string[]): string {
  const own = (name: string) => (Object.hasOwn(p.attributes, name) ? p.attributes[name] : undefined);
  return csvLine([p.id, p.externalId, p.email, p.msisdn, p.anonymousIds, ...attributes.map(own)]);
}

/** Resolves when `res` can take more, or has closed; leaves no listener behind. */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `budget` bounds reading the members, all batches together (SEGMENT_EXPORT_MAX_TIME_MS).
 * Errors before the first byte (a query past its time limit, a database down) are thrown, for
 * the route to answer; after it, a cut-off stream is how the client learns the export failed.
 */
export async function streamMembers(db: Db, appId: string, filter: MemberFilter, format: ExportFormat, res: Response, fileName: string, budget: QueryBudget): Promise<void> {
  const attributes = format === 'csv'
    ? (await withinBudget(budget, (options) => db.attributeDefinitions.find({ appId }, { name: 1 }).sort({ name: 1 }).setOptions(options).lean().exec())).map((d) => d.name)
    : [];
  const cursor = db.profiles.find(filter).sort({ _id: 1 }).batchSize(EXPORT_BATCH).setOptions(optionsLeft(budget)).lean<ProfileDoc>().cursor();
  try {
    let doc: ProfileDoc | null;
    try {
      doc = await cursor.next();
    } catch (err) {
      throw asTimeout(err, budget);
    }
    res.status(200);
    // attachment() guesses a type from the extension, so the type is set after it.
    res.attachment(`${fileName}.${format}`).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    if (format === 'csv') res.write(`\uFEFF${csvLine(['id', 'externalId', 'email', 'msisdn', 'anonymousIds', ...attributes])}`);
    try {
      for (; doc && !res.destroyed; doc = await cursor.next()) {
        const view = toProfileView(doc);
        if (!res.write(format === 'csv' ? csvRow(view, attributes) : `${JSON.stringify(view)}\n`)) await writable(res);
      }
      if (!res.destroyed) res.end();
    } catch (err) {
      // A hang-up aborts the read in flight (the request's signal); anything else cuts the stream off.
      if (!res.destroyed) res.destroy(err as Error);
    }
  } finally {
    // Also when the client went away mid-export: the server-side cursor is killed, not left to time out.
    await cursor.close().catch(() => undefined);
  }
}
