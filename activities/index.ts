/** All activities, built from injected dependencies: worker.ts passes real ones, tests may pass their own. */
import type { IysClients } from '../iys/appClients';
import { createIysOutboxActivities } from './iysOutbox';
import { createIysDriftActivities } from './iysDrift';
import { createIysSyncActivities } from './iysSync';
import { createMessagingActivities, type MessagingDeps } from './messaging';
import { createUninstallProbeActivities } from './uninstallProbe';
import { createBatchActivities } from './sendBatch';
import { createCampaignActivities } from './campaigns';
import { createJourneyActivities } from './journeys';
import { keepingAlive } from './heartbeat';

/** `pushAdapters` (providers/pushAdapters.ts) serve every push: single messages, batches and the uninstall probe. */
export interface ActivityDeps extends MessagingDeps {
  iys: IysClients;
}

export function createActivities(deps: ActivityDeps) {
  const batches = createBatchActivities(deps);
  // Heartbeats from a timer: a heartbeat timeout then means a dead worker, never a slow database (activities/heartbeat.ts).
  return keepingAlive({
    ...createMessagingActivities(deps),
    ...createIysOutboxActivities(deps),
    ...createIysSyncActivities(deps),
    ...createIysDriftActivities(deps),
    ...createUninstallProbeActivities(deps),
    ...batches,
    ...createCampaignActivities({ ...deps, batches }),
    ...createJourneyActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
