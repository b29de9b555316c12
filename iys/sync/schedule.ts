/**
 * The Temporal Schedule behind an app's Sync mode: `iys-sync:{appId}` starts `iysSyncRun`
 * every `syncIntervalMinutes`, skipping a start while a run is still going. It exists
 * while the app is in sync mode; leaving the mode pauses it (keeping its history), and
 * coming back resumes it unless an operator paused it.
 *
 * Temporal applies schedule changes asynchronously (a description read right after a
 * pause may not show it), so whether the schedule should be paused is decided from
 * Rota's own records (the mode, an operator's pause) and set explicitly every time.
 */
import {
  ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleHandle, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec,
} from '@temporalio/client';
import type { Config } from '../../config';
import type { Db } from '../../data/db';
import { retryTransient } from '../../data/transient';
import { syncRunWorkflowId, syncScheduleId, type SyncRunInput } from '../../domain/iysSync';
import type { iysSyncRun } from '../../workflows/iysSyncRun';
import type { IysSettings } from '../appSettings';
import { syncStateId } from './syncPage';

export const MODE_PAUSE_NOTE = 'paused: the app is not in sync mode';

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

/** An operator's pause, if any. */
export async function operatorPause(db: Db, appId: string): Promise<{ note: string; at: Date } | undefined> {
  return (await db.iysSyncState.findOne({ _id: syncStateId(appId) }).lean())?.pause ?? undefined;
}

async function createOrUpdate(temporal: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>, appId: string, settings: IysSettings, paused: string | undefined): Promise<void> {
  try {
    // A missed run is not worth catching up on: the next one pulls the same feed.
    await temporal.schedule.create({
      scheduleId: syncScheduleId(appId),
      spec: specOf(settings),
      action: actionOf(config, appId),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: paused ? { paused: true, note: paused } : {},
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // The update sets the paused state too: Temporal applies an update after a pause that reaches it at the same
    // time, so an update carrying the state it read would undo that pause.
    await syncSchedule(temporal, appId).update((prev) => ({
      ...prev, spec: specOf(settings), action: actionOf(config, appId), policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
      state: paused ? { paused: true, note: paused } : { paused: false, note: 'the app is in sync mode' },
    }));
  }
}

/** After a settings change: the schedule as the mode says (created or updated in sync mode, paused otherwise). */
export async function applySyncSchedule(deps: { db: Db; temporal: Client; config: Pick<Config, 'TEMPORAL_TASK_QUEUE'> }, appId: string, settings: IysSettings): Promise<void> {
  if (settings.mode !== 'sync') {
    try {
      await syncSchedule(deps.temporal, appId).pause(MODE_PAUSE_NOTE);
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  await createOrUpdate(deps.temporal, deps.config, appId, settings, (await operatorPause(deps.db, appId))?.note);
}

/** An operator pauses or resumes the sync; the mode still decides when it is not sync. */
export async function setOperatorPause(db: Db, temporal: Client, appId: string, note: string | undefined): Promise<void> {
  const update = note ? { $set: { appId, pause: { note, at: new Date() } } } : { $unset: { pause: 1 } };
  await retryTransient(() => db.iysSyncState.updateOne({ _id: syncStateId(appId) }, update, { upsert: true }));
  if (note) await syncSchedule(temporal, appId).pause(note);
  else await syncSchedule(temporal, appId).unpause('resumed by an operator');
}
