/** Activities of the İYS outbox workflow: plan a round, send it (single calls or batches), collect batch answers. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../data/db';
import { isActive, iysSettingsOf, type ActiveIysSettings } from '../iys/appSettings';
import type { IysClients } from '../iys/appClients';
import { planRound, type PlannedRound } from '../iys/outbox/plan';
import type { OutboxRefs } from '../iys/outbox/refs';
import { collectBatch, submitRound, type SubmittedBatch } from '../iys/outbox/sendBatch';
import { sendSingles } from '../iys/outbox/sendSingles';
import { honourRetryAfter } from './iysRetryAfter';

export interface IysOutboxDeps {
  db: Db;
  iys: IysClients;
}

/** A round of at most this many changes; its ids travel through workflow history. */
export const ROUND_MAX = 5000;

export const OUTBOX_PAUSED = 'IysOutboxPaused';

export function createIysOutboxActivities({ db, iys }: IysOutboxDeps) {
  async function activeSettings(appId: string): Promise<ActiveIysSettings> {
    const settings = await iysSettingsOf(db, appId);
    // Mode off: the changes stay pending until a mode is chosen again (which sweeps them).
    if (!isActive(settings)) throw ApplicationFailure.nonRetryable(`İYS mode is ${settings.mode} for app ${appId}`, OUTBOX_PAUSED);
    return settings;
  }

  return {
    /** The next round and how the app sends it: sync mode checks each record at İYS first, so it goes one by one. */
    async iysOutboxPlan(input: { appId: string; refs: OutboxRefs }): Promise<PlannedRound & { mode: 'integrator' | 'sync'; firstPollMs: number }> {
      const settings = await activeSettings(input.appId);
      const round = await planRound(db, input.appId, input.refs, ROUND_MAX);
      return { ...round, mode: settings.mode, firstPollMs: iys.firstPollMs };
    },

    async iysOutboxSendSingles(input: { appId: string; changeIds: string[] }) {
      const settings = await activeSettings(input.appId);
      return honourRetryAfter(() => sendSingles(db, iys.forApp(input.appId, settings), settings, input.changeIds));
    },

    async iysOutboxSubmitBatches(input: { appId: string; roundKey: string; changeIds: string[] }): Promise<SubmittedBatch[]> {
      const settings = await activeSettings(input.appId);
      // Switched to sync since the round was planned: it is planned again, record by record against İYS.
      if (settings.mode !== 'integrator') return [];
      return honourRetryAfter(() => submitRound(db, iys.forApp(input.appId, settings), input.appId, input.roundKey, input.changeIds));
    },

    /** Also after the mode was switched off: these lists were sent, and their answers belong in the record. */
    async iysOutboxCollectBatch(input: { appId: string; batchId: string }) {
      const settings = await iysSettingsOf(db, input.appId);
      if (settings.iysCode === undefined || settings.brandCode === undefined) throw ApplicationFailure.nonRetryable(`app ${input.appId} has no İYS brand`, OUTBOX_PAUSED);
      const client = iys.forApp(input.appId, { ...settings, mode: 'integrator', iysCode: settings.iysCode, brandCode: settings.brandCode });
      return honourRetryAfter(() => collectBatch(db, client, input.batchId));
    },
  };
}
