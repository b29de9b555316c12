/** All activities, built from injected dependencies: worker.ts passes real ones, tests may pass their own. */
import type { IysClients } from '../iys/appClients';
import { createIysOutboxActivities } from './iysOutbox';
import { createIysDriftActivities } from './iysDrift';
import { createIysSyncActivities } from './iysSync';
import { createMessagingActivities, type MessagingDeps } from './messaging';
import { createBatchActivities } from './sendBatch';
import { createPushAdapters, type PushAdapters } from '../providers/pushAdapters';

export interface ActivityDeps extends MessagingDeps {
  iys: IysClients;
  /** Batch sends' push adapters by platform (providers/pushAdapters.ts); none: every batch push fails with no_adapter. */
  pushAdapters?: PushAdapters;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
    ...createIysOutboxActivities(deps),
    ...createIysSyncActivities(deps),
    ...createIysDriftActivities(deps),
    ...createBatchActivities({ ...deps, pushAdapters: deps.pushAdapters ?? createPushAdapters({}) }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
