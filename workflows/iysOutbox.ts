/**
 * The İYS outbox, one workflow per app (`iys-outbox:{appId}`): every consent change Rota
 * stores reaches İYS, and each recipient's changes arrive in the order they were made.
 * Writers wake it with a signal naming what they stored; a new run first sweeps for
 * changes whose wake-up was lost. Each round sends the oldest unanswered change of every
 * recipient: a few go as single calls, an import's thousands as batches of ≤1000 whose
 * answers are collected after İYS's delay on a durable timer. While İYS is down the
 * round's activity is retried with backoff, for hours if need be; İYS's refusals (H174,
 * H175, H178, …) are recorded as outcomes and the recipient's next change goes on.
 */
import { ActivityFailure, ApplicationFailure, condition, continueAsNew, defineQuery, defineSignal, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { hasRefs, mergeRefs, noRefs, unionRefs, type OutboxRefs } from '../iys/outbox/refs';

export const wakeOutboxSignal = defineSignal<[Partial<OutboxRefs>]>('wake');

export interface OutboxTotals {
  rounds: number;
  delivered: number;
  rejected: number;
  skipped: number;
}
export interface OutboxStatus extends OutboxTotals {
  state: 'idle' | 'sending' | 'waiting_for_batch';
  waiting: OutboxRefs;
}
export const outboxStatusQuery = defineQuery<OutboxStatus>('status');

export interface OutboxInput {
  appId: string;
  /** Carried over by continue-as-new; a fresh run sweeps instead. */
  refs?: Partial<OutboxRefs>;
  totals?: OutboxTotals;
}

/** Rounds up to this size go as single calls (answered at once); larger ones as batches. */
const SINGLE_MAX = 20;
/** Single calls per activity: at 10 requests a second, well inside its timeout. */
const SLICE = 100;
const IDLE_BEFORE_EXIT = '10 minutes';
const BATCH_POLL_MS = 60_000;
const BATCH_POLL_MAX_MS = 600_000;
const PAUSED = 'IysOutboxPaused';

// İYS calls are retried until İYS answers: no attempt or time limit, at most 10 minutes apart.
const iys = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes: [PAUSED, 'IysNotConfigured'] },
});

export async function iysOutbox(input: OutboxInput): Promise<OutboxTotals> {
  const { appId } = input;
  const waiting = noRefs();
  mergeRefs(waiting, input.refs ?? { sweep: true });
  const totals: OutboxTotals = input.totals ?? { rounds: 0, delivered: 0, rejected: 0, skipped: 0 };
  let state: OutboxStatus['state'] = 'idle';
  setHandler(wakeOutboxSignal, (refs) => mergeRefs(waiting, refs));
  setHandler(outboxStatusQuery, () => ({ ...totals, state, waiting }));

  const add = (c: Partial<OutboxTotals>) => {
    totals.delivered += c.delivered ?? 0;
    totals.rejected += c.rejected ?? 0;
    totals.skipped += c.skipped ?? 0;
  };

  /** A large round as İYS batches: submitted, then each asked for its answers after İYS's delay until none is queued. */
  async function sendAsBatches(changeIds: string[], firstPollMs: number): Promise<void> {
    const batches = await iys.iysOutboxSubmitBatches({ appId, roundKey: `${workflowInfo().runId}:${totals.rounds}`, changeIds });
    state = 'waiting_for_batch';
    // İYS's clock and ours differ a little: a first look can come just early. Look again after a minute, or sooner when İYS is quicker (a simulator).
    const pollMs = Math.min(BATCH_POLL_MS, Math.max(1000, firstPollMs));
    // Nothing went out (every item refused for now, or the mode changed under the round): wait before planning again, not a hot loop.
    if (batches.length === 0) await sleep(pollMs);
    for (const b of batches) {
      await sleep(Math.max(0, b.submittedAt + firstPollMs - Date.now()));
      // İYS answers every item of a list it took; sending a queued item again would put a second copy in its queue, so we keep asking.
      for (let wait = pollMs; ; wait = Math.min(wait * 2, BATCH_POLL_MAX_MS)) {
        const got = await iys.iysOutboxCollectBatch({ appId, batchId: b.batchId });
        add(got);
        if (got.queued === 0) break;
        await sleep(wait);
      }
    }
  }

  async function drain(work: OutboxRefs): Promise<void> {
    for (;;) {
      const round = await iys.iysOutboxPlan({ appId, refs: work });
      if (round.changeIds.length === 0) return;
      totals.rounds++;
      state = 'sending';
      if (round.mode === 'sync' || round.changeIds.length <= SINGLE_MAX) {
        for (let i = 0; i < round.changeIds.length; i += SLICE) add(await iys.iysOutboxSendSingles({ appId, changeIds: round.changeIds.slice(i, i + SLICE) }));
      } else {
        await sendAsBatches(round.changeIds, round.firstPollMs);
      }
      // A long drain (a big import, steady traffic) starts a fresh history before Temporal's limits, carrying what is left.
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof iysOutbox>({ appId, refs: unionRefs(work, waiting), totals });
    }
  }

  let sweptWhileIdle = false;
  for (;;) {
    state = 'idle';
    // Before it exits, an idle outbox sweeps once more: a writer may have stored a change and died before its wake-up.
    if (!hasRefs(waiting)) {
      if (await condition(() => hasRefs(waiting), IDLE_BEFORE_EXIT)) sweptWhileIdle = false;
      else if (sweptWhileIdle) return totals;
      else {
        sweptWhileIdle = true;
        mergeRefs(waiting, { sweep: true });
      }
    }
    const work = { ...waiting, changeIds: [...waiting.changeIds], writeIds: [...waiting.writeIds] };
    Object.assign(waiting, noRefs());
    try {
      await drain(work);
    } catch (err) {
      // Mode switched off: the changes wait, pending, until a mode is chosen again (which wakes a new run).
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === PAUSED) return totals;
      throw err;
    }
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof iysOutbox>({ appId, refs: waiting, totals });
  }
}
