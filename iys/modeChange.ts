/** What a change of an app's İYS settings sets in motion: each mode's own work, started or stopped. */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../data/db';
import type { Logger } from '../lib/logger';
import type { IysSettings } from './appSettings';
import { wakeOutbox } from './outbox/wake';
import { applySyncSchedule } from './sync/schedule';

export interface ModeChangeDeps {
  db: Db;
  temporal: Client;
  config: Config;
  logger?: Logger;
}

export async function afterIysSettingsChange(deps: ModeChangeDeps, appId: string, settings: IysSettings): Promise<void> {
  await applySyncSchedule(deps, appId, settings);
  // Changes stored while the mode was off (or before the app had one) go out now: the first load.
  await wakeOutbox(deps, appId, { sweep: true });
}
