/**
 * Heartbeats and logs when running inside a Temporal activity, and nothing elsewhere (the same
 * code runs in plain tests).
 *
 * An activity's heartbeat timeout is there to notice a dead worker, not a slow database: every
 * activity runs with a keepalive (`keepingAlive`) that repeats its last heartbeat's details a few
 * times per timeout, from a timer, while the worker process lives. Gating a page of 500 on a busy
 * embedded database once took longer than a page's 10 s heartbeat timeout between two stages,
 * and every retry was cut off at the same place: the campaign never moved again. A hung call is
 * still bounded by the activity's start-to-close timeout.
 */
import { Context } from '@temporalio/activity';

/** The last details each running activity gave, which the keepalive repeats (a retry resumes from them). */
const lastDetails = new WeakMap<Context, unknown>();

function current(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not in an activity
  }
}

/** Tells Temporal this worker is alive; with details, they become what a retry of the activity starts from. */
export function heartbeat(details?: unknown): void {
  const ctx = current();
  if (!ctx) return;
  if (details !== undefined) lastDetails.set(ctx, details);
  ctx.heartbeat(lastDetails.has(ctx) ? lastDetails.get(ctx) : ctx.info.heartbeatDetails);
}

/** The activities, each heartbeating from a timer while it runs when its caller set a heartbeat timeout. */
export function keepingAlive<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args) => {
      const timeoutMs = current()?.info.heartbeatTimeoutMs;
      if (!timeoutMs) return fn(...args);
      const timer = setInterval(() => heartbeat(), Math.max(500, Math.floor(timeoutMs / 4)));
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as A;
}

/** A warning in the activity's log (with its workflow and activity ids), where the raw detail a tenant must not see belongs. */
export function warn(message: string, attrs: Record<string, unknown>): void {
  current()?.log.warn(message, attrs);
}
