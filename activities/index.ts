/** All activities, built from injected dependencies: worker.ts passes real ones, tests may pass their own. */
import { createMessagingActivities, type MessagingDeps } from './messaging';

export type ActivityDeps = MessagingDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
