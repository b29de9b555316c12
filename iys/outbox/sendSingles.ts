/**
 * A small round, one synchronous call per change (İYS's v2 single add: the same request
 * sent again after a crash gets the same transactionId, so a retry never registers twice).
 * Changes already answered are skipped, so the activity can be retried from the top.
 */
import type { Db } from '../../data/db';
import type { ConsentChangeDoc } from '../../data/models/consentChanges';
import type { ActiveIysSettings } from '../appSettings';
import type { IysClient } from '../client';
import { consentOf, isFinalAnswer, outcomeOf, recordOutcomes } from './outcomes';
import { recordsMissingAtIys } from './syncModeFilter';

export async function sendSingles(db: Db, client: IysClient, settings: ActiveIysSettings, changeIds: string[]): Promise<{ delivered: number; rejected: number; skipped: number }> {
  const counts = { delivered: 0, rejected: 0, skipped: 0 };
  const changes: ConsentChangeDoc[] = [];
  for (const _id of changeIds) {
    if (await db.iysOutcomes.exists({ _id })) continue;
    const change = await db.consentChanges.findOne({ _id }).lean();
    if (change) changes.push(change);
  }
  // Sync mode: İYS is the master, Rota only updates records İYS already has.
  const missing = settings.mode === 'sync' ? await recordsMissingAtIys(client, changes) : new Set<string>();
  for (const change of changes) {
    if (missing.has(change._id)) {
      await recordOutcomes(db, [outcomeOf(change, 'single', { skipped: 'not_in_iys', message: 'Sync mode: İYS has no record for this recipient, and Rota does not create İYS records' })]);
      counts.skipped++;
      continue;
    }
    try {
      const answer = await client.addConsent(consentOf(change));
      await recordOutcomes(db, [outcomeOf(change, 'single', answer)]);
      counts.delivered++;
    } catch (err) {
      if (!isFinalAnswer(err)) throw err;
      await recordOutcomes(db, [outcomeOf(change, 'single', err)]);
      counts.rejected++;
    }
  }
  return counts;
}
