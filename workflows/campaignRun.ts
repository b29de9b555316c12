/**
 * One workflow per campaign (`campaign:{appId}:{campaignId}`), no workflow per recipient:
 *
 *   1. waits for its start time (schedule `at`), unless stopped first;
 *   2. snapshots the audience once (an activity streams it into pages of 500);
 *   3. sends the pages through the batch activity, WINDOW at a time; before each new page it
 *      waits while paused and ends on stop or recall, so a pause takes effect within the
 *      pages already in flight;
 *   4. push → SMS: a durable timer per page (not per recipient), then the page's SMS fallback
 *      to whoever got no receipt;
 *   5. a page whose recipients were held for quiet hours is sent again when they end;
 *   6. recall: the rest is not sent, and every page sent gets its recall pushes.
 *
 * Pause, resume, stop and recall are updates, each acknowledged with the state it produced
 * once the campaign's record holds it; an action the current state does not allow is
 * rejected by the validator (the API answers 409). Receipts never reach this workflow. Long
 * campaigns continue-as-new, carrying where they are.
 */
import {
  allHandlersFinished, condition, continueAsNew, defineQuery, defineUpdate, patched, proxyActivities, setHandler, sleep, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  ALLOWED_FROM, LEADS_TO, mayDo,
  type CampaignAction, type CampaignCarry, type CampaignRunInput, type CampaignState,
} from '../domain/campaigns';

export const campaignStateQuery = defineQuery<CampaignState>('state');
export const pauseCampaign = defineUpdate<CampaignState>('pause');
export const resumeCampaign = defineUpdate<CampaignState>('resume');
export const stopCampaign = defineUpdate<CampaignState>('stop');
export const recallCampaign = defineUpdate<CampaignState>('recall');

export function campaignWorkflowId(appId: string, campaignId: string): string {
  return `campaign:${appId}:${campaignId}`;
}

/** Pages in flight at once: far under Temporal's pending-activity limit, enough to keep the provider busy. */
const WINDOW = 4;
/** History kept well below Temporal's limits (50k events): a new run carries on. */
const MAX_HISTORY_EVENTS = 4000;

const records = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds', nonRetryableErrorTypes: ['CampaignNotFound'] } });
const snapshots = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours', heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['CampaignNotFound', 'SegmentNotFound'] },
});
const pages = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes', heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: ['CampaignNotFound', 'InvalidBatch', 'TemplateUnavailable'] },
});

const ENDED: readonly CampaignState[] = ['stopped', 'recalling', 'recalled', 'completed'];
/**
 * Runs that finish under this patch no longer count a push-only campaign's receipts page by page
 * before `completed`: they are tallied as they arrive (messages/receiptTally.ts) and progress reads
 * the tallies, so the count was a read of every page whose answer nobody used.
 */
export const NO_RECEIPT_COUNT_PATCH = 'campaign-receipts-tallied';

export async function campaignRun(input: CampaignRunInput): Promise<CampaignState> {
  const ref = { appId: input.appId, campaignId: input.campaignId };
  // The handlers are there before the first await: an update sent right after the start is never refused for want of one.
  let state: CampaignState = input.resume?.state ?? input.state;

  const act = (action: Exclude<CampaignAction, 'start'>) => async (): Promise<CampaignState> => {
    state = LEADS_TO[action];
    return records.setCampaignState({ ...ref, from: [...ALLOWED_FROM[action]], to: LEADS_TO[action] });
  };
  const allow = (action: CampaignAction) => () => {
    if (!mayDo(action, state)) throw new Error(`the campaign is ${state}: it cannot ${action}`);
  };
  setHandler(campaignStateQuery, () => state);
  setHandler(pauseCampaign, act('pause'), { validator: allow('pause') });
  setHandler(resumeCampaign, act('resume'), { validator: allow('resume') });
  setHandler(stopCampaign, act('stop'), { validator: allow('stop') });
  setHandler(recallCampaign, act('recall'), { validator: allow('recall') });
  const plan = await records.campaignPlan(ref);

  const ended = () => ENDED.includes(state);
  const move = async (from: CampaignState[], to: CampaignState) => {
    state = to;
    state = await records.setCampaignState({ ...ref, from, to });
  };

  if (input.phase === 'recall') return recallPages(ref, plan.pages ?? 0, move);

  // 1. The start time.
  if (!input.resume && state === 'scheduled') {
    const waitMs = Math.max(0, (plan.startAt ?? 0) - Date.now());
    if (!(await condition(() => state !== 'scheduled', waitMs))) await move(['scheduled'], 'running');
  }
  // Paused or stopped before the first page (an update can come before the plan is read): nothing is snapshotted yet.
  await condition(() => state !== 'paused');
  if (ended()) return finish(ref, state, 0, move);

  // 2. The snapshot; a local-time schedule's pages in the order they are due.
  const snap = input.resume ? { audience: input.resume.audience, pages: input.resume.pages } : await snapshots.snapshotCampaignAudience({ ...ref, startedAt: Date.now() });
  const { audience } = snap;
  const due = plan.localTime ? await records.campaignPageSchedule(ref) : undefined;
  const pageCount = due ? due.length : snap.pages;
  const pageAt = (i: number) => (due ? due[i]![0] : i);

  // 3–5. The pages, their fallbacks and their quiet-hours resends.
  let next = input.resume?.nextSeq ?? 0;
  const inFlight = new Set<number>();
  /** Timers still to fire: [kind, page, due (epoch ms)], carried across continue-as-new; those already firing are awaited. */
  const waiting = new Map<string, [string, number, number]>((input.resume?.fallbacks ?? []).map(([page, due]) => [`fallback:${page}`, ['fallback', page, due]]));
  let firing = 0;

  const later = (kind: 'fallback' | 'resend', page: number, due: number) => {
    const key = `${kind}:${page}`;
    waiting.set(key, [kind, page, due]);
    void (async () => {
      await sleep(Math.max(0, due - Date.now()));
      await condition(() => state !== 'paused');
      if (!waiting.delete(key) || ended()) return;
      firing++;
      try {
        if (kind === 'fallback') await pages.sendCampaignFallback({ ...ref, page });
        else await sendPage(page);
      } finally {
        firing--;
      }
    })();
  };
  const sendPage = async (page: number) => {
    const r = await pages.sendCampaignPage({ ...ref, page });
    if (r.deferUntil) later('resend', page, Date.parse(r.deferUntil));
    if (plan.channelPlan === 'push_then_sms' && plan.fallbackAfterMs !== undefined && !waiting.has(`fallback:${page}`)) later('fallback', page, Date.now() + plan.fallbackAfterMs);
  };
  for (const [kind, page, due] of waiting.values()) later(kind as 'fallback' | 'resend', page, due);

  while (next < pageCount) {
    await condition(() => ended() || (state !== 'paused' && inFlight.size < WINDOW));
    if (ended()) break;
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS || workflowInfo().continueAsNewSuggested) {
      await condition(() => inFlight.size === 0 && firing === 0 && allHandlersFinished());
      const carry: CampaignCarry = { state, audience, pages: snap.pages, nextSeq: next, fallbacks: [...waiting.values()].filter(([k]) => k === 'fallback').map(([, p, d]) => [p, d]) };
      return continueAsNew<typeof campaignRun>({ ...input, resume: carry });
    }
    // A local-time page waits for its hour (stop and recall end the wait; a pause is seen above, after it).
    if (due && due[next]![1] > Date.now()) {
      await condition(ended, due[next]![1] - Date.now());
      continue;
    }
    const page = pageAt(next++);
    inFlight.add(page);
    void sendPage(page).finally(() => inFlight.delete(page));
  }
  await condition(() => inFlight.size === 0);
  if (!ended()) await condition(() => ended() || (waiting.size === 0 && firing === 0));
  await condition(() => firing === 0 && state !== 'paused');
  return finish(ref, state, snap.pages, move, plan.channelPlan === 'push' ? snap.pages : 0);
}

type Ref = { appId: string; campaignId: string };
type Move = (from: CampaignState[], to: CampaignState) => Promise<void>;

/** The end: completed when every page went, or the recall of the pages sent when it was recalled. */
async function finish(ref: Ref, state: CampaignState, pageCount: number, move: Move, receiptPages = 0): Promise<CampaignState> {
  // Every page is recalled: only pushes that went out have anything to remove.
  if (state === 'recalling') return recallPages(ref, pageCount, move);
  // The stop's update is answered (its state stored) before the run ends.
  await condition(allHandlersFinished);
  if (state === 'stopped') return state;
  // Runs started before the patch counted a push-only campaign's receipts here, page by page; their histories replay it.
  if (!patched(NO_RECEIPT_COUNT_PATCH)) await inWindows(receiptPages, (page) => pages.countCampaignReceipts({ ...ref, page }));
  await move(['running'], 'completed');
  return 'completed';
}

async function recallPages(ref: Ref, pageCount: number, move: Move): Promise<CampaignState> {
  await inWindows(pageCount, (page) => pages.recallCampaignPage({ ...ref, page }));
  await condition(allHandlersFinished);
  await move(['recalling'], 'recalled');
  return 'recalled';
}

async function inWindows(count: number, work: (page: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, async () => {
    while (next < count) await work(next++);
  }));
}
