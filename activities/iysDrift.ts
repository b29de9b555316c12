/** Activities of the drift report: building it (a long scan that heartbeats) and marking it failed. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../data/db';
import type { IysClients } from '../iys/appClients';
import { isActive, iysSettingsOf } from '../iys/appSettings';
import { buildDriftReport, failDriftReport } from '../iys/drift/report';
import { heartbeat } from './heartbeat';

export const DRIFT_NOT_ACTIVE = 'IysModeOff';

export function createIysDriftActivities(deps: { db: Db; iys: IysClients }) {
  return {
    async buildDriftReport(r: { appId: string; reportId: string }): Promise<void> {
      const settings = await iysSettingsOf(deps.db, r.appId);
      if (!isActive(settings)) throw ApplicationFailure.nonRetryable(`the app's İYS mode is ${settings.mode}: there is no İYS brand to compare with`, DRIFT_NOT_ACTIVE);
      const client = deps.iys.forApp(r.appId, settings);
      await buildDriftReport(deps.db, client, { ...r, attempt: Context.current().info.attempt }, heartbeat);
    },
    async failDriftReport(r: { appId: string; reportId: string; error: string }): Promise<void> {
      await failDriftReport(deps.db, r.appId, r.reportId, r.error);
    },
  };
}
