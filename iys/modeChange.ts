/** What a change of an app's İYS settings sets in motion: each mode's own work, started or stopped. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../data/db';
import type { IysSettings } from './appSettings';
import { applySyncSchedule } from './sync/schedule';

export interface ModeChangeDeps {
  db: Db;
  temporal: Client;
  config: Config;
}

export async function afterIysSettingsChange(_deps: ModeChangeDeps, _appId: string, _settings: IysSettings): Promise<void> {
  // Filled by the Integrator's outbox and Sync's schedule.
  await applySyncSchedule(_deps, _appId, _settings);
}
