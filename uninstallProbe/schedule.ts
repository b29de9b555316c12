/**
 * The Temporal Schedule behind an app's uninstall probe: `uninstall-probe:{appId}` starts
 * `uninstallProbeRun` every `intervalHours`, skipping a start while a run is still going.
 * It exists while the probe is enabled; disabling deletes it (the runs' records stay in
 * MongoDB). What to probe is read by each run from the settings, so only the interval is
 * the schedule's.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleHandle, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../config';
import { probeRunWorkflowId, probeScheduleId, type ProbeRunInput } from '../domain/uninstallProbe';
import type { uninstallProbeRun } from '../workflows/uninstallProbeRun';
import type { UninstallProbeSettings } from './settings';

const specOf = (s: UninstallProbeSettings): ScheduleSpec => ({ intervals: [{ every: `${s.intervalHours} hours` }] });

function actionOf(config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>, appId: string): ScheduleOptionsStartWorkflowAction<typeof uninstallProbeRun> {
  const args: [ProbeRunInput] = [{ appId }];
  return { type: 'startWorkflow', workflowType: 'uninstallProbeRun', workflowId: probeRunWorkflowId(appId), taskQueue: config.TEMPORAL_TASK_QUEUE, args };
}

export function probeSchedule(temporal: Client, appId: string): ScheduleHandle {
  return temporal.schedule.getHandle(probeScheduleId(appId));
}

/** The schedule's description, or undefined when the probe is not enabled. */
export async function describeProbeSchedule(temporal: Client, appId: string) {
  try {
    return await probeSchedule(temporal, appId).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/** After a settings change: the schedule created or updated when enabled, deleted when not. */
export async function applyProbeSchedule(deps: { temporal: Client; config: Pick<Config, 'TEMPORAL_TASK_QUEUE'> }, appId: string, settings: UninstallProbeSettings): Promise<void> {
  const { temporal, config } = deps;
  if (!settings.enabled) {
    try {
      await probeSchedule(temporal, appId).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return;
  }
  try {
    // A missed run is not worth catching up on: the next one probes the same devices.
    await temporal.schedule.create({
      scheduleId: probeScheduleId(appId),
      spec: specOf(settings),
      action: actionOf(config, appId),
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { note: 'the uninstall probe is enabled' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await probeSchedule(temporal, appId).update((prev) => ({
      ...prev, spec: specOf(settings), action: actionOf(config, appId), policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
      state: { paused: false, note: 'the uninstall probe is enabled' },
    }));
  }
}
