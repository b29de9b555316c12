/**
 * Events into journeys, at ingest. For each stored event, in the order they happened:
 *
 * - **entry**: an active journey whose entry is this event (its conditions hold on the event's
 *   attributes) gets a signal-with-start to the run's workflow id, so a running key takes it
 *   as a signal and a second copy of the event (a re-sent batch) enters once;
 * - **listeners**: a journey whose goal or wait-for-event names this event gets a signal to
 *   the profile's run. A keyed journey's run is found from the event's own key attribute
 *   (the purchase carries the cart's id); an event without it goes to the profile's active
 *   keys (one read by `_id`). A run that is not there (not entered, finished) ignores it.
 *
 * Only ids and names travel; the run reads the event when it matters. A request that dies
 * here is answered 5xx and re-sent: its events are duplicates then and are routed again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { EventDoc } from '../data/models/events';
import type { JourneyProfileDoc } from '../data/models/journeyRuns';
import { ENTRY_KEY_PATTERN, NO_ENTRY_KEY, eventMatches, journeyWorkflowId, profileLocalId, type JourneyEventSignal } from '../domain/journeyRuns';
import type { JourneyDefinition } from '../domain/journeys';
import { forEachLimit } from '../lib/forEachLimit';
import { journeyEventSignal, journeyRun, type JourneyRunInput } from '../workflows/journeyRun';
import { journeyProfileDocId } from './runs';
import type { LiveJourney } from './liveJourneys';

export interface RouteDeps {
  db: Db;
  temporal: Client;
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>;
}

const SIGNALS_IN_FLIGHT = 16;

/** The event's key for a keyed journey, when it has a usable one. */
function keyOf(d: JourneyDefinition, e: Pick<EventDoc, 'attributes'>): string | undefined | null {
  if (d.entry.kind !== 'event' || !d.entry.keyAttribute) return undefined;
  const v = e.attributes?.[d.entry.keyAttribute];
  const key = typeof v === 'number' || typeof v === 'string' ? String(v) : undefined;
  return key !== undefined && ENTRY_KEY_PATTERN.test(key) ? key : null;
}

/** `journeys`: the app's live journeys (liveJourneys), read once by the caller for all of a request's routing. */
export async function routeEventsToJourneys(deps: RouteDeps, appId: string, events: EventDoc[], journeys: LiveJourney[]): Promise<void> {
  if (events.length === 0 || journeys.length === 0) return;
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());

  type Send = { kind: 'start'; input: JourneyRunInput; signal: JourneyEventSignal } | { kind: 'signal'; workflowId: string; signal: JourneyEventSignal };
  const sends: Send[] = [];
  const needKeys: { l: LiveJourney; e: EventDoc }[] = [];
  for (const e of ordered) {
    for (const l of journeys) {
      const d = l.latest;
      const key = keyOf(d, e);
      if (l.journey.state === 'active' && d.entry.kind === 'event' && d.entry.event === e.name && key !== null && eventMatches(d.entry.conditions, e.attributes ?? {})) {
        const input: JourneyRunInput = { appId, journeyId: l.journey.journeyId, profileId: e.profileId, ...(key !== undefined ? { entryKey: key } : {}) };
        sends.push({ kind: 'start', input, signal: { eventId: e.eventId, name: e.name, entry: true } });
      } else if (l.listens.has(e.name)) {
        if (key === null) needKeys.push({ l, e });
        else sends.push({ kind: 'signal', workflowId: journeyWorkflowId(appId, l.journey.journeyId, profileLocalId(e.profileId), key), signal: { eventId: e.eventId, name: e.name } });
      }
    }
  }
  // Events of keyed journeys without their key: to each active key of the profile.
  if (needKeys.length > 0) {
    const docs = await findByIds<JourneyProfileDoc>(deps.db.journeyProfiles, [...new Set(needKeys.map(({ l, e }) => journeyProfileDocId(appId, l.journey.journeyId, e.profileId)))], { runs: 1 });
    for (const { l, e } of needKeys) {
      const runs = docs.get(journeyProfileDocId(appId, l.journey.journeyId, e.profileId))?.runs ?? {};
      for (const [key, run] of Object.entries(runs)) {
        if (run.status !== 'active') continue;
        const workflowId = journeyWorkflowId(appId, l.journey.journeyId, profileLocalId(e.profileId), key === NO_ENTRY_KEY ? undefined : key);
        sends.push({ kind: 'signal', workflowId, signal: { eventId: e.eventId, name: e.name } });
      }
    }
  }

  // One workflow's signals in the order their events happened; different workflows in parallel.
  const byWorkflow = new Map<string, Send[]>();
  for (const s of sends) {
    const id = s.kind === 'start' ? journeyWorkflowId(appId, s.input.journeyId, profileLocalId(s.input.profileId), s.input.entryKey) : s.workflowId;
    byWorkflow.set(id, [...(byWorkflow.get(id) ?? []), s]);
  }
  await forEachLimit([...byWorkflow.entries()], SIGNALS_IN_FLIGHT, async ([workflowId, list]) => {
    for (const s of list) {
      if (s.kind === 'start') {
        await deps.temporal.workflow.signalWithStart(journeyRun, {
          workflowId, taskQueue: deps.config.TEMPORAL_TASK_QUEUE, args: [s.input], signal: journeyEventSignal, signalArgs: [s.signal],
        });
      } else {
        await deps.temporal.workflow.getHandle(workflowId).signal(journeyEventSignal, s.signal).catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err; // no run of that key now: nothing waits for the event
        });
      }
    }
  });
}
