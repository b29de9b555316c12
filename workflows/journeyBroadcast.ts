/**
 * Tells a journey's running profiles that it was archived (they exit) or resumed (held ones
 * send): one workflow per state change, `journey-broadcast:{appId}:{journeyId}:{at}`, whose
 * activity pages through the journey's profiles by `_id` and resumes from its heartbeat.
 * Runs that miss it still find the journey's state before their next send.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { JourneyControl } from '../domain/journeyRuns';

const pages = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export function journeyBroadcastId(appId: string, journeyId: string, at: Date): string {
  return `journey-broadcast:${appId}:${journeyId}:${at.getTime()}`;
}

export async function journeyBroadcast(input: { appId: string; journeyId: string; control: JourneyControl }): Promise<number> {
  return pages.journeySignalRuns(input);
}
