/**
 * The journeys ingest routes to, read once per request: those that take entries or hold runs
 * (active, paused), with their latest definition and every event name any of their versions
 * waits for (a run may be on an old version). Event routing and segment entry share one read.
 */
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { JourneyDoc, JourneyVersionDoc } from '../data/models/journeys';
import type { JourneyDefinition } from '../domain/journeys';
import { journeyVersionDocId } from './store';

export interface LiveJourney {
  journey: JourneyDoc;
  latest: JourneyDefinition;
  listens: Set<string>;
}

/** Names a version waits for: its goal and its wait-for-event steps. */
function listenedNames(d: JourneyDefinition): string[] {
  return [...(d.goal ? [d.goal.event] : []), ...d.steps.flatMap((s) => (s.kind === 'waitForEvent' ? [s.event] : []))];
}

export async function liveJourneys(db: Db, appId: string): Promise<LiveJourney[]> {
  const journeys = await db.journeys.find({ appId, state: { $in: ['active', 'paused'] }, latestVersion: { $gt: 0 } }).lean<JourneyDoc[]>();
  if (journeys.length === 0) return [];
  const ids = journeys.flatMap((j) => Array.from({ length: j.latestVersion }, (_, i) => journeyVersionDocId(appId, j.journeyId, i + 1)));
  const versions = await findByIds<JourneyVersionDoc>(db.journeyVersions, ids, { journeyId: 1, version: 1, definition: 1 });
  return journeys.flatMap((journey) => {
    const own = [...versions.values()].filter((v) => v.journeyId === journey.journeyId);
    const latest = own.find((v) => v.version === journey.latestVersion)?.definition;
    return latest ? [{ journey, latest, listens: new Set(own.flatMap((v) => listenedNames(v.definition))) }] : [];
  });
}
