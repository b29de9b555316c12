/**
 * Segment entry: a profile enters a journey when it comes into the journey's saved segment.
 * Entry is looked for where a profile changes: after its events are ingested and after the
 * profile is written (attributes, devices), for those profiles only. The segment's rule is
 * compiled for them alone (their counters, their documents by `_id`), so no event makes Rota
 * read all profiles; the delay is the request's own. A profile that drifts into a segment
 * without a change of its own (a time window like "no purchase in 30 days" lapsing) is seen
 * at its next event or update.
 *
 * Coming in is the flip of `segmentMember` on the profile's journey record; its entry event id
 * counts the flips (`segment:{n}`), so a request repeated after a crash signals the same entry
 * and the run enters once.
 */
import { findByIds } from '../data/findByIds';
import type { JourneyProfileDoc } from '../data/models/journeyRuns';
import { journeyWorkflowId, profileLocalId } from '../domain/journeyRuns';
import { forEachLimit } from '../lib/forEachLimit';
import { scopedId } from '../lib/ids';
import { segmentFilter } from '../segments/evaluateSegment';
import { journeyEventSignal, journeyRun } from '../workflows/journeyRun';
import type { RouteDeps } from './routeEvents';
import { journeyProfileDocId } from './runs';
import type { LiveJourney } from './liveJourneys';

const IN_FLIGHT = 16;

/** The app's active journeys entered by a segment: each one's id and segment. */
function segmentJourneys(journeys: LiveJourney[]): { journeyId: string; segmentId: string }[] {
  return journeys.flatMap(({ journey, latest }) => (journey.state === 'active' && latest.entry.kind === 'segment' ? [{ journeyId: journey.journeyId, segmentId: latest.entry.segmentId }] : []));
}

/** `journeys`: the app's live journeys (liveJourneys), read once by the caller for all of a request's routing. */
export async function enterSegmentJourneys(deps: RouteDeps, appId: string, profileIds: readonly string[], journeys: LiveJourney[]): Promise<void> {
  const ids = [...new Set(profileIds)];
  if (ids.length === 0) return;
  const { db } = deps;
  for (const { journeyId, segmentId } of segmentJourneys(journeys)) {
    const segment = await db.segments.findOne({ _id: scopedId(appId, segmentId) }, { rule: 1 }).lean();
    if (!segment) continue;
    const { filter } = await segmentFilter(db, appId, segment.rule, 'segment.rule', undefined, ids);
    const members = new Set((await db.profiles.find(filter, { _id: 1 }).lean()).map((p) => p._id));
    const records = await findByIds<JourneyProfileDoc>(db.journeyProfiles, ids.map((p) => journeyProfileDocId(appId, journeyId, p)), { segmentMember: 1, segmentEntries: 1 });
    await forEachLimit(ids, IN_FLIGHT, async (profileId) => {
      const _id = journeyProfileDocId(appId, journeyId, profileId);
      const rec = records.get(_id);
      if (!members.has(profileId)) {
        if (rec?.segmentMember) await db.journeyProfiles.updateOne({ _id, segmentMember: true }, { $set: { segmentMember: false } });
        return;
      }
      if (rec?.segmentMember) return;
      const n = (rec?.segmentEntries ?? 0) + 1;
      await deps.temporal.workflow.signalWithStart(journeyRun, {
        workflowId: journeyWorkflowId(appId, journeyId, profileLocalId(profileId)), taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
        args: [{ appId, journeyId, profileId }], signal: journeyEventSignal, signalArgs: [{ eventId: `segment:${segmentId}:${n}`, name: 'segment.entered', entry: true }],
      });
      // After the signal: a crash before this write signals the same entry again next time, which enters once.
      await db.journeyProfiles.updateOne(
        { _id, segmentEntries: rec?.segmentEntries ?? { $exists: false } },
        { $set: { segmentMember: true, segmentEntries: n }, $setOnInsert: { appId, journeyId, profileId, entries: 0, runs: {} } },
        { upsert: true },
      ).catch((err: { code?: number }) => {
        if (err.code !== 11000) throw err; // a concurrent request flipped it first
      });
    });
  }
}
