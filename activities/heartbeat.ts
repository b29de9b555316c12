/** Heartbeats and logs when running inside a Temporal activity, and does nothing elsewhere (the same code runs in plain tests). */
import { Context } from '@temporalio/activity';

export function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not in an activity context
  }
}

/** A warning in the activity's log (with its workflow and activity ids), where the raw detail a tenant must not see belongs. */
export function warn(message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log.warn(message, attrs);
  } catch {
    // not in an activity context
  }
}
