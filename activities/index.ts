/** All activities, built from injected dependencies: worker.ts passes real ones, tests may pass their own. */
import type { IysClients } from '../iys/appClients';
import { createIysOutboxActivities } from './iysOutbox';
import { createIysDriftActivities } from './iysDrift';
import { createIysSyncActivities } from './iysSync';
import { createMessagingActivities, type MessagingDeps } from './messaging';
import { createUninstallProbeActivities, type UninstallProbeDeps } from './uninstallProbe';
import { createBatchActivities } from './sendBatch';
import { createPushAdapters, type PushAdapters } from '../providers/pushAdapters';

export interface ActivityDeps extends MessagingDeps, Pick<UninstallProbeDeps, 'probePush'> {
  iys: IysClients;
  /** Batch sends' push adapters by platform (providers/pushAdapters.ts); default the worker's (probePush); none: every batch push fails with no_adapter. */
  pushAdapters?: PushAdapters;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
    ...createIysOutboxActivities(deps),
    ...createIysSyncActivities(deps),
    ...createIysDriftActivities(deps),
    ...createUninstallProbeActivities(deps),
    ...createBatchActivities({ ...deps, pushAdapters: deps.pushAdapters ?? deps.probePush ?? createPushAdapters({}) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
