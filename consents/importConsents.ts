/** Bulk import: JSON rows or CSV, each row checked on its own; the valid ones stored, every row answered by its index. */
import type { Db } from '../data/db';
import type { ConsentActor } from '../data/models/consentChanges';
import { InvalidInputError } from '../lib/invalidInput';
import { applyConsentChanges, type ChangeRequest } from './applyChanges';
import { parseCsv } from './csv';
import { importRowSchema, MAX_IMPORT_ROWS, type ImportResult } from './schemas';

const CSV_COLUMNS = Object.keys(importRowSchema.shape);

/** The rows of an import body: `{rows: [...]}` as JSON, or CSV text with a header line. */
export function importRows(body: unknown): unknown[] {
  if (typeof body === 'string') {
    const { header, rows } = parseCsv(body);
    const missing = CSV_COLUMNS.filter((c) => c !== 'recipientType' && !header.includes(c));
    if (missing.length > 0) throw new InvalidInputError([{ path: 'body', message: `the CSV header lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(',')})` }]);
    return rows;
  }
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new InvalidInputError([{ path: 'body.rows', message: 'expected {"rows": [...]} as JSON, or text/csv' }]);
  return rows;
}

/** The per-row result, and the writes that stored changes (what the İYS outbox is woken with). */
export async function importConsents(db: Db, appId: string, rows: unknown[], actor: ConsentActor, now = Date.now()): Promise<{ result: ImportResult; writeIds: string[] }> {
  if (rows.length === 0) throw new InvalidInputError([{ path: 'body.rows', message: 'no rows' }]);
  if (rows.length > MAX_IMPORT_ROWS) throw new InvalidInputError([{ path: 'body.rows', message: `at most ${MAX_IMPORT_ROWS} rows per import; this one has ${rows.length}` }]);
  const results: ImportResult['results'] = new Array(rows.length);
  const requests: ChangeRequest[] = [];
  for (const [index, raw] of rows.entries()) {
    const parsed = importRowSchema.safeParse(raw);
    if (parsed.success) requests.push({ index, ...parsed.data, consentAt: parsed.data.consentDate });
    else results[index] = { index, outcome: 'rejected', reason: 'invalid_request', errors: parsed.error.issues.map((i) => ({ path: ['rows', index, ...i.path].join('.'), message: i.message })) };
  }
  const outcomes = await applyConsentChanges(db, appId, requests, { origin: 'import', actor, now, pathOf: (index) => (field) => `rows.${index}.${field}` });
  const writeIds = new Set<string>();
  for (const o of outcomes) {
    if (o.outcome === 'stored' && o.change) writeIds.add(o.change.writeId);
    if (o.outcome === 'rejected') results[o.index] = { index: o.index, outcome: 'rejected', reason: o.code, errors: o.errors };
    else if (o.outcome === 'ignored') results[o.index] = { index: o.index, outcome: 'ignored', reason: `${o.reason}: ${o.message}` };
    else results[o.index] = { index: o.index, outcome: o.outcome };
  }
  const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
  return { result: { stored: count('stored'), unchanged: count('unchanged'), ignored: count('ignored'), rejected: count('rejected'), results }, writeIds: [...writeIds] };
}
