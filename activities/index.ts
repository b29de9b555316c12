/** All activities, built from injected dependencies: worker.ts passes real ones, tests may pass their own. */
import type { IysClients } from '../iys/appClients';
import { createIysOutboxActivities } from './iysOutbox';
import { createIysDriftActivities } from './iysDrift';
import { createIysSyncActivities } from './iysSync';
import { createMessagingActivities, type MessagingDeps } from './messaging';
import { createUninstallProbeActivities, type UninstallProbeDeps } from './uninstallProbe';

export interface ActivityDeps extends MessagingDeps, Pick<UninstallProbeDeps, 'probePush'> {
  iys: IysClients;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
    ...createIysOutboxActivities(deps),
    ...createIysSyncActivities(deps),
    ...createIysDriftActivities(deps),
    ...createUninstallProbeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
