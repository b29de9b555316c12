/**
 * One step of a sync run: read the app's cursor, pull ONE page of İYS's changes feed
 * (source IYS: the citizens' own changes; Rota's own writes it already has), apply it, and
 * only then move the cursor. A worker that dies in between re-pulls the same page, whose
 * repeat completes the first write (same writeId) instead of applying anything twice.
 */
import type { Db } from '../../data/db';
import { retryTransient } from '../../data/transient';
import { noCounts, type SyncPageResult } from '../../domain/iysSync';
import { scopedId, sha256 } from '../../lib/ids';
import type { IysClients } from '../appClients';
import { isActive, iysSettingsOf } from '../appSettings';
import { MAX_PULL_LIMIT } from '../consent';
import { applyMovements } from './applyMovements';

export const syncStateId = (appId: string) => scopedId(appId, 'iys-sync');

export interface SyncPageInput {
  appId: string;
  runId: string;
  pageSize?: number;
}

export async function syncPage(deps: { db: Db; iys: IysClients }, input: SyncPageInput, now = Date.now()): Promise<SyncPageResult> {
  const { db } = deps;
  const { appId, runId } = input;
  const settings = await iysSettingsOf(db, appId);
  if (!isActive(settings) || settings.mode !== 'sync') return { counts: noCounts(), more: false, skipped: 'not_in_sync_mode' };

  const stateId = syncStateId(appId);
  const after = (await db.iysSyncState.findOne({ _id: stateId }).lean())?.cursor;
  const limit = Math.min(input.pageSize ?? MAX_PULL_LIMIT, MAX_PULL_LIMIT);
  const page = await deps.iys.forApp(appId, settings).pullChanges({ after, limit, source: 'IYS' });
  if (page.list.length === 0) return { counts: noCounts(), more: false };

  // The page after a cursor is the same page however often it is pulled: its write id is the cursor's.
  const writeId = `iys-sync:${sha256(`${appId}|${after ?? ''}`).slice(0, 32)}`;
  const counts = await applyMovements(db, appId, page.list, { runId, writeId, now });
  await retryTransient(() => db.iysSyncState.updateOne({ _id: stateId }, { $set: { appId, cursor: page.after, runId, updatedAt: new Date(now) } }, { upsert: true }));
  return { counts, more: page.list.length >= limit };
}
