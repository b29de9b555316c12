/**
 * What the outbox has been told to send: single changes (an API write), whole writes (an
 * import, by its writeId) or a sweep of everything still pending. Plain data and pure
 * functions: the workflow keeps it in its state.
 */
export interface OutboxRefs {
  changeIds: string[];
  writeIds: string[];
  sweep: boolean;
}

export const noRefs = (): OutboxRefs => ({ changeIds: [], writeIds: [], sweep: false });

export function mergeRefs(into: OutboxRefs, more: Partial<OutboxRefs>): void {
  into.changeIds = [...new Set([...into.changeIds, ...(more.changeIds ?? [])])];
  into.writeIds = [...new Set([...into.writeIds, ...(more.writeIds ?? [])])];
  into.sweep ||= more.sweep ?? false;
}

export function unionRefs(a: OutboxRefs, b: OutboxRefs): OutboxRefs {
  const out = noRefs();
  mergeRefs(out, a);
  mergeRefs(out, b);
  return out;
}

export const hasRefs = (r: OutboxRefs): boolean => r.changeIds.length > 0 || r.writeIds.length > 0 || r.sweep;

/** The workflow id of an app's outbox: one per app, so İYS sees each recipient's changes from one sender, in order. */
export const outboxWorkflowId = (appId: string): string => `iys-outbox:${appId}`;
