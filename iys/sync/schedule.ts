/**
 * The Temporal Schedule behind an app's Sync mode: `iys-sync:{appId}` starts `iysSyncRun`
 * every `syncIntervalMinutes`, skipping a start while a run is still going. It exists
 * while the app is in sync mode; leaving the mode pauses it (keeping its history), and
 * coming back resumes it unless an operator paused it.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleHandle, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../../config';
import { syncRunWorkflowId, syncScheduleId, type SyncRunInput } from '../../domain/iysSync';
import type { iysSyncRun } from '../../workflows/iysSyncRun';
import type { IysSettings } from '../appSettings';

/** The note of a pause made by a mode change; any other note is an operator's pause, which only an operator lifts. */
export const MODE_PAUSE_NOTE = 'paused: the app left sync mode';

const specOf = (s: IysSettings): ScheduleSpec => ({ intervals: [{ every: `${s.syncIntervalMinutes} minutes` }] });

function actionOf(config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>, appId: string): ScheduleOptionsStartWorkflowAction<typeof iysSyncRun> {
  const args: [SyncRunInput] = [{ appId }];
  return { type: 'startWorkflow', workflowType: 'iysSyncRun', workflowId: syncRunWorkflowId(appId), taskQueue: config.TEMPORAL_TASK_QUEUE, args };
}

export function syncSchedule(temporal: Client, appId: string): ScheduleHandle {
  return temporal.schedule.getHandle(syncScheduleId(appId));
}

/** The schedule's description, or undefined when the app never was in sync mode. */
export async function describeSyncSchedule(temporal: Client, appId: string) {
  try {
    return await syncSchedule(temporal, appId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

export async function applySyncSchedule(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>, appId: string, settings: IysSettings): Promise<void> {
  const existing = await describeSyncSchedule(temporal, appId);
  const handle = syncSchedule(temporal, appId);
  if (settings.mode !== 'sync') {
    if (existing && !existing.state.paused) await handle.pause(MODE_PAUSE_NOTE);
    return;
  }
  if (!existing) {
    try {
      // A missed run is not worth catching up on: the next one pulls the same feed.
      await temporal.schedule.create({
        scheduleId: syncScheduleId(appId),
        spec: specOf(settings),
        action: actionOf(config, appId),
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      });
      return;
    } catch (err) {
      // Created by a concurrent settings change: update it like any existing one.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
  await handle.update((prev) => ({ ...prev, spec: specOf(settings), action: actionOf(config, appId), policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
  if (existing?.state.paused && existing.state.note === MODE_PAUSE_NOTE) await handle.unpause('the app is in sync mode again');
}
