/**
 * Building and reading a drift report. For each consent type: one pass over the app's
 * profiles that hold a consent of that type, compared with İYS 1000 recipients at a time.
 * The differences go into insert-only chunks keyed by the attempt, and the report records
 * the attempt that finished, so a retried build never mixes its lists with a dead one's.
 */
import type { Db } from '../../data/db';
import type { DriftItem, IysDriftChunkDoc, IysDriftReportDoc } from '../../data/models/iysDrift';
import type { ProfileDoc } from '../../data/models/profiles';
import { insertAllMissing } from '../../data/insertMissing';
import { retryTransient } from '../../data/transient';
import { DRIFT_KINDS, type DriftKind } from '../../domain/iysSync';
import { localId, scopedId } from '../../lib/ids';
import { CONSENT_TYPES, MAX_MULTI_STATUS, type ConsentType } from '../consent';
import type { IysClient } from '../client';
import { compareWithIys, type Held } from './compare';

/** Differences per stored chunk, and so per page of the report's list. */
export const DRIFT_CHUNK = 500;

export const driftReportDocId = (appId: string, reportId: string) => scopedId(appId, reportId);
export const driftChunkId = (appId: string, reportId: string, attempt: number, kind: DriftKind, n: number) => scopedId(appId, `${reportId}:${attempt}:${kind}:${n}`);

export async function createDriftReport(db: Db, appId: string, reportId: string, now = Date.now()): Promise<void> {
  const doc: IysDriftReportDoc = { _id: driftReportDocId(appId, reportId), appId, status: 'running', requestedAt: new Date(now) };
  await db.iysDriftReports.collection.insertOne(doc as never);
}

/** Buffers one kind's differences and writes each full chunk. */
function chunkWriter(db: Db, appId: string, reportId: string, attempt: number) {
  const buffers = new Map<DriftKind, DriftItem[]>(DRIFT_KINDS.map((k) => [k, []]));
  const written = Object.fromEntries(DRIFT_KINDS.map((k) => [k, 0])) as Record<DriftKind, number>;
  const counts = { ...written };
  const flush = async (kind: DriftKind) => {
    const items = buffers.get(kind)!.splice(0);
    if (items.length === 0) return;
    const doc: IysDriftChunkDoc = { _id: driftChunkId(appId, reportId, attempt, kind, written[kind]++), appId, items };
    await insertAllMissing(db.iysDriftChunks.collection, [doc]);
  };
  return {
    counts, written,
    async add(kind: DriftKind, item: DriftItem) {
      counts[kind]++;
      if (buffers.get(kind)!.push(item) >= DRIFT_CHUNK) await flush(kind);
    },
    async close() {
      for (const k of DRIFT_KINDS) await flush(k);
    },
  };
}

function heldOf(p: Pick<ProfileDoc, 'externalId' | 'consents'>, type: ConsentType): Held | undefined {
  const c = p.consents?.[type];
  return c?.recipient ? { ...(p.externalId ? { externalId: p.externalId } : {}), consent: { ...c, recipient: c.recipient } } : undefined;
}

export async function buildDriftReport(db: Db, client: Pick<IysClient, 'approvedRecipients'>, r: { appId: string; reportId: string; attempt: number }, beat: () => void): Promise<void> {
  const out = chunkWriter(db, r.appId, r.reportId, r.attempt);
  const compared: Record<string, number> = {};
  for (const type of CONSENT_TYPES) {
    compared[type] = 0;
    let batch: Held[] = [];
    const check = async () => {
      for (const d of await compareWithIys(type, batch, (rt, t, list) => client.approvedRecipients(rt, t, list))) await out.add(d.kind, d.item);
      compared[type] = (compared[type] ?? 0) + batch.length;
      batch = [];
      beat();
    };
    // One scan per type: on FerretDB every query over profiles is a scan, so never one per page.
    const cursor = db.profiles.find({ appId: r.appId, [`consents.${type}`]: { $exists: true } }, { externalId: 1, consents: 1, mergedInto: 1, erasing: 1 }).lean().cursor({ batchSize: MAX_MULTI_STATUS });
    for await (const p of cursor) {
      const held = p.mergedInto || p.erasing ? undefined : heldOf(p, type);
      if (held) batch.push(held);
      if (batch.length >= MAX_MULTI_STATUS) await check();
    }
    if (batch.length > 0) await check();
  }
  await out.close();
  await retryTransient(() =>
    db.iysDriftReports.updateOne(
      { _id: driftReportDocId(r.appId, r.reportId) },
      { $set: { status: 'completed', finishedAt: new Date(), attempt: r.attempt, compared, counts: out.counts, chunks: out.written } },
    ),
  );
}

export async function failDriftReport(db: Db, appId: string, reportId: string, error: string): Promise<void> {
  await retryTransient(() => db.iysDriftReports.updateOne({ _id: driftReportDocId(appId, reportId) }, { $set: { status: 'failed', finishedAt: new Date(), error } }));
}

/** A page of one kind's differences: the chunk `page` of the attempt that finished. */
export async function driftPage(db: Db, report: IysDriftReportDoc, kind: DriftKind, page: number): Promise<{ items: DriftItem[]; more: boolean }> {
  if (report.status !== 'completed' || report.attempt === undefined) return { items: [], more: false };
  const chunk = await db.iysDriftChunks.findOne({ _id: driftChunkId(report.appId, localId(report._id), report.attempt, kind, page) }).lean();
  return { items: chunk?.items ?? [], more: page + 1 < (report.chunks?.[kind] ?? 0) };
}
