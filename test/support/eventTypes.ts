/** A journey may only use event names its app knows: tests declare the ones their definitions name. */
import type { Harness } from './harness';

/** The event names a journey definition uses: its entry, its goal and its waitForEvent steps. */
export function eventsOf(def: { entry?: { event?: string }; goal?: { event?: string }; steps?: { event?: string }[] }): string[] {
  return [...new Set([def.entry?.event, def.goal?.event, ...(def.steps ?? []).map((s) => s.event)].filter((n): n is string => typeof n === 'string'))];
}

/** Declares each name (POST /v1/event-types); one declared already is fine. */
export async function declareEvents(h: Pick<Harness, 'call'>, names: string[]): Promise<void> {
  for (const name of names) {
    const res = await h.call('POST', '/v1/event-types', { name });
    if (res.status !== 201 && res.status !== 409) throw new Error(`declaring event ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
