/**
 * Splitting a consent list for the batch endpoint: at most 1000 rows a request, and never
 * two rows of one (recipientType, type, recipient) in the same request (İYS refuses the
 * list with H194, and writes only one movement per address from a list).
 */
import { MAX_BATCH, consentKey, type Consent } from '../consent';

/** Row indexes per request, in input order. */
export function chunkConsents(consents: readonly Consent[], max = MAX_BATCH): number[][] {
  const chunks: { rows: number[]; keys: Set<string> }[] = [];
  consents.forEach((c, row) => {
    const key = consentKey(c.recipientType ?? 'BIREYSEL', c.type, c.recipient);
    let chunk = chunks.find((ch) => ch.rows.length < max && !ch.keys.has(key));
    if (!chunk) chunks.push((chunk = { rows: [], keys: new Set() }));
    chunk.rows.push(row);
    chunk.keys.add(key);
  });
  return chunks.map((ch) => ch.rows);
}

/** Equal-sized slices (multi-status queries). */
export function slices<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
