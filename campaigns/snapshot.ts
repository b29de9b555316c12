/**
 * A campaign's audience snapshot: the segment's members, evaluated once, written as pages
 * of up to 500 profile ids (`campaignRecipients`, `_id` `{app}:{campaign}:{page}`), with
 * memory bounded by a page whatever the audience.
 *
 * - Plain schedules: pages in `_id` order. An attempt that died resumes after the last page
 *   it reported (`onPage`), rewriting nothing before it.
 * - Local-time schedules: each page holds recipients of one time zone and is due at the
 *   campaign's local time there (the next time it comes after the start). Pages fill per zone,
 *   so a retry starts over (the same members in the same order make the same pages).
 */
import type { Db } from '../data/db';
import type { CampaignDoc, CampaignRecipientDoc } from '../data/models/campaigns';
import type { ProfileDoc } from '../data/models/profiles';
import { CAMPAIGN_BATCH_SIZE } from '../domain/campaigns';
import { findByIds } from '../data/findByIds';
import { scopedId } from '../lib/ids';
import { nextLocalTime, parseClock, profileTimeZone } from '../gate/localTime';
import { deliverySettingsOf } from '../gate/settings';
import { streamSegmentMembers } from '../segments/streamMembers';
import { queryBudget } from '../segments/queryBudget';

export const campaignPageId = (appId: string, campaignId: string, page: number) => scopedId(appId, `${campaignId}:${page}`);

export interface SnapshotProgress {
  page: number;
  after: string;
}

const PAGE_WRITES_IN_FLIGHT = 4;
/** The snapshot activity's own limit (workflows/campaignRun.ts): a million members on the embedded server take minutes. */
const SNAPSHOT_MAX_MS = 2 * 3600_000;

/** The campaign's audience rule, from its saved segment or inline rule; undefined when the segment is gone. */
export async function audienceRule(db: Db, c: CampaignDoc): Promise<unknown> {
  if (c.audience.segmentId === undefined) return c.audience.rule;
  const segment = await db.segments.findOne({ _id: scopedId(c.appId, c.audience.segmentId) }).lean();
  return segment ? segment.rule : undefined;
}

type Member = Pick<ProfileDoc, '_id' | 'devices'>;

/**
 * The members in `_id` order, in pages, after `after` when given, evaluated at `now` (the
 * campaign's start, so a resumed snapshot judges behaviour windows as the first attempt did):
 * streamed (segments/streamMembers.ts), so no list of members and no command carrying ids
 * grows with the audience. With `zones`, each page's devices are read in bulk for their zones.
 */
async function* members(db: Db, c: CampaignDoc, rule: unknown, opts: { now: Date; after?: string; zones?: boolean }): AsyncGenerator<Member[]> {
  const stream = streamSegmentMembers(db, c.appId, rule, {
    now: opts.now, pageSize: CAMPAIGN_BATCH_SIZE, budget: queryBudget(SNAPSHOT_MAX_MS), path: 'audience', ...(opts.after ? { after: opts.after } : {}),
  });
  for await (const ids of stream) {
    if (!opts.zones) {
      yield ids.map((_id) => ({ _id, devices: [] }));
      continue;
    }
    const found = await findByIds<Member>(db.profiles, ids, { 'devices.timeZone': 1, 'devices.updatedAt': 1 });
    yield ids.map((_id) => found.get(_id) ?? { _id, devices: [] });
  }
}

export interface Snapshot {
  audience: number;
  pages: number;
}

/** Writes the snapshot; answers its size. `startedAt`: the campaign's start (local times are the next after it). */
export async function writeSnapshot(
  db: Db,
  c: CampaignDoc,
  rule: unknown,
  opts: { resume?: SnapshotProgress; startedAt: number; onPage: (p: SnapshotProgress) => void },
): Promise<Snapshot> {
  const now = new Date(opts.startedAt);
  const pending: Promise<unknown>[] = [];
  // Replaced, not inserted: a page written by an attempt that died mid-way is written again whole.
  const store = (doc: CampaignRecipientDoc) => db.campaignRecipients.replaceOne({ _id: doc._id }, doc, { upsert: true });
  const write = async (doc: CampaignRecipientDoc) => {
    pending.push(store(doc));
    if (pending.length >= PAGE_WRITES_IN_FLIGHT) await Promise.all(pending.splice(0));
  };
  const page = (n: number, profileIds: string[], zone?: { zone: string; sendAt: Date }): CampaignRecipientDoc => ({
    _id: campaignPageId(c.appId, c.campaignId, n), appId: c.appId, campaignId: c.campaignId, page: n, profileIds, ...(zone ?? {}),
  });

  if (c.schedule.kind !== 'localTime') {
    let n = opts.resume?.page ?? 0;
    let size = n * CAMPAIGN_BATCH_SIZE;
    // One page is written while the next is read; each is reported once stored, in order, so a retry resumes after it.
    let stored: Promise<void> = Promise.resolve();
    for await (const found of members(db, c, rule, { now, ...(opts.resume ? { after: opts.resume.after } : {}) })) {
      const ids = found.map((m) => m._id);
      const doc = page(n++, ids);
      size += ids.length;
      await stored;
      const reached = { page: n, after: ids[ids.length - 1]! };
      stored = store(doc).then(() => opts.onPage(reached));
      // Its failure is thrown where it is awaited, not as an unhandled rejection while the next page is read.
      stored.catch(() => undefined);
    }
    await stored;
    return { audience: size, pages: n };
  }

  const appZone = (await deliverySettingsOf(db, c.appId)).timeZone;
  const minute = parseClock(c.schedule.localTime!);
  const buckets = new Map<string, string[]>();
  let n = 0;
  let size = 0;
  const flush = async (zone: string) => {
    const ids = buckets.get(zone);
    if (!ids?.length) return;
    buckets.set(zone, []);
    await write(page(n++, ids, { zone, sendAt: new Date(nextLocalTime(opts.startedAt, minute, zone)) }));
  };
  for await (const found of members(db, c, rule, { now, zones: true })) {
    for (const m of found) {
      const zone = profileTimeZone(m.devices, appZone).timeZone;
      const bucket = buckets.get(zone) ?? [];
      bucket.push(m._id);
      buckets.set(zone, bucket);
      if (bucket.length === CAMPAIGN_BATCH_SIZE) await flush(zone);
    }
    size += found.length;
    opts.onPage({ page: n, after: found[found.length - 1]!._id });
  }
  for (const zone of [...buckets.keys()].sort()) await flush(zone);
  await Promise.all(pending);
  return { audience: size, pages: n };
}

/** A local-time campaign's pages in the order they are due: [page, due (epoch ms)]. */
export async function pageSchedule(db: Db, c: Pick<CampaignDoc, 'appId' | 'campaignId'>, pages: number): Promise<[number, number][]> {
  const ids = Array.from({ length: pages }, (_, n) => campaignPageId(c.appId, c.campaignId, n));
  const found = await findByIds<Pick<CampaignRecipientDoc, '_id' | 'page' | 'sendAt'>>(db.campaignRecipients, ids, { page: 1, sendAt: 1 });
  return [...found.values()].map((d): [number, number] => [d.page, d.sendAt?.getTime() ?? 0]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}
