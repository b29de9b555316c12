/** Streams a segment's members as NDJSON or CSV (UTF-8, with a BOM so spreadsheet programs keep Turkish letters), in _id order, with backpressure. */
import type { Response } from 'express';
import type { QueryFilter } from 'mongoose';
import type { Db } from '../data/db';
import type { ProfileDoc } from '../data/models/profiles';
import { toProfileView } from '../profiles/upsertProfile';
import type { ProfileView } from '../profiles/schemas';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = Array.isArray(value) ? value.join(';') : String(value);
  // A cell starting like a formula would run in a spreadsheet; a leading quote keeps it text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(cells: unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function csvRow(p: ProfileView, attributes: string[]): string {
  return csvLine([p.id, p.externalId, p.email, p.msisdn, p.anonymousIds, ...attributes.map((a) => p.attributes[a])]);
}

export async function streamMembers(db: Db, appId: string, filter: QueryFilter<ProfileDoc>, format: ExportFormat, res: Response, fileName: string): Promise<void> {
  res.status(200);
  // attachment() guesses a type from the extension, so the type is set after it.
  res.attachment(`${fileName}.${format}`).type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  const attributes = format === 'csv' ? (await db.attributeDefinitions.find({ appId }, { name: 1 }).sort({ name: 1 }).lean()).map((d) => d.name) : [];
  if (format === 'csv') res.write(`\uFEFF${csvLine(['id', 'externalId', 'email', 'msisdn', 'anonymousIds', ...attributes])}`);
  try {
    for await (const doc of db.profiles.find(filter).sort({ _id: 1 }).lean<ProfileDoc>().cursor()) {
      const view = toProfileView(doc);
      const line = format === 'csv' ? csvRow(view, attributes) : `${JSON.stringify(view)}\n`;
      if (!res.write(line)) await new Promise((resume) => { res.once('drain', resume); res.once('close', resume); });
      if (res.destroyed) return; // the client went away
    }
    res.end();
  } catch (err) {
    // The status line is gone already; a cut-off stream is how the client learns it failed.
    res.destroy(err as Error);
  }
}
