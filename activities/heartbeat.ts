/** Heartbeats when running inside a Temporal activity, and does nothing elsewhere (the same code runs in plain tests). */
import { Context } from '@temporalio/activity';

export function heartbeat(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // not in an activity context
  }
}
