/**
 * One profile's run through one journey version: `journey:{appId}:{journeyId}:{profile}[:{key}]`,
 * started by event ingest or the API with signal-with-start, so a second start of a running
 * key is a signal to it. Events reach it as signals carrying ids; an activity reads and
 * matches them. Waits are durable timers (a local time of day is computed by an activity);
 * sends are the message workflow (push → SMS → e-mail, gate, caps, quiet hours) as a child.
 *
 * The goal event takes the profile out wherever it is (counted as converted); archiving the
 * journey takes it out; pausing holds it before its next send. Every transition is recorded
 * once by number (journeys/runs.ts). History stays small: at a step boundary the run
 * continues as new, carrying where it is.
 */
import {
  ParentClosePolicy, condition, continueAsNew, defineQuery, defineSignal, executeChild, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunContext } from '../activities/journeys';
import { OPENED_SIGNAL, journeyRunKey, profileLocalId, splitBucket, splitPath, type ExitReason, type JourneyControl, type JourneyEventSignal, type RunStatus } from '../domain/journeyRuns';
import { durationMs, type JourneyDefinition, type JourneyStep, type SendStep, type WaitForEventStep } from '../domain/journeys';
import type { MessageStatus } from '../domain/messages';
import { messageWorkflowId, pushWithSmsFallback } from './pushWithSmsFallback';

/** Where a run is, carried over continue-as-new. */
export interface CarriedRun {
  version: number;
  entryNo: number;
  entryEventId: string;
  stepId: string;
  since: number;
  seq: number;
  seen: string[];
  pending: JourneyEventSignal[];
}

export interface JourneyRunInput {
  appId: string;
  journeyId: string;
  profileId: string;
  entryKey?: string;
  carried?: CarriedRun;
  /** Continue as new past this many history events (default HISTORY_LIMIT). */
  historyLimit?: number;
}

export interface JourneyRunStatus {
  status: 'entering' | 'held' | RunStatus | 'not_entered';
  version?: number;
  entryNo?: number;
  stepId?: string;
}

export const journeyEventSignal = defineSignal<[JourneyEventSignal]>('journeyEvent');
export const journeyControlSignal = defineSignal<[JourneyControl]>('journeyControl');
export const journeyRunQuery = defineQuery<JourneyRunStatus>('journeyRun');

/** The journey's send rate and the outcome window's wait for a click came after the first runs: their histories replay without. */
export const SEND_RATE_PATCH = 'journey-send-rate';
export const OUTCOME_WINDOW_PATCH = 'journey-outcome-window';

/** Continue as new past this many history events (Temporal suggests it too, near its limits). */
const HISTORY_LIMIT = 2_000;
/** The seen-event ids carried over continue-as-new: enough to drop a re-sent batch's duplicates. */
const SEEN_KEPT = 200;
/** A held run asks again this often even without a resume signal. */
const HOLD_RECHECK = '10 minutes';

// Waiting for a send under the journey's rate: as long as it takes, heartbeating.
const slots = proxyActivities<Activities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '10 seconds', retry: { maximumInterval: '10 seconds' } });
// Reads and writes by _id: short. A dead worker's attempt is retried elsewhere after this long.
const RECORDS = { startToCloseTimeout: '20 seconds', retry: { initialInterval: '500 milliseconds', maximumInterval: '10 seconds' } } as const;
const remote = proxyActivities<Activities>(RECORDS);
/**
 * The same activities run inside the worker's workflow task (a marker in the history, no task
 * round trip through the server): a run's dozen database calls cost the server a fraction. The
 * first runs used remote ones, and their histories replay with them.
 */
const local = proxyLocalActivities<Activities>(RECORDS);
export const LOCAL_ACTIVITIES_PATCH = 'journey-local-activities';

export async function journeyRun(input: JourneyRunInput): Promise<JourneyRunStatus> {
  const { appId, journeyId, profileId, entryKey } = input;
  const act = patched(LOCAL_ACTIVITIES_PATCH) ? local : remote;
  const ref = { appId, journeyId, profileId, ...(entryKey !== undefined ? { entryKey } : {}) };
  const runKey = journeyRunKey(profileLocalId(profileId), entryKey);
  const pending: JourneyEventSignal[] = [...(input.carried?.pending ?? [])];
  const entries: JourneyEventSignal[] = [];
  const seen = new Set(input.carried?.seen ?? []);
  let archived = false;
  let resumes = 0;
  let state: JourneyRunStatus = { status: 'entering' };

  setHandler(journeyEventSignal, (e) => {
    if (seen.has(e.eventId)) return; // a re-sent batch, a retried enrolment
    seen.add(e.eventId);
    if (e.entry && state.status === 'entering') entries.push(e);
    else pending.push(e);
  });
  setHandler(journeyControlSignal, (c) => {
    if (c === 'archived') archived = true;
    else resumes++;
  });
  setHandler(journeyRunQuery, () => state);

  // Entering: the first entry signal the journey accepts (state, duplicates, re-entry, caps decide).
  let run = input.carried;
  while (!run) {
    const e = entries.shift();
    if (!e) return (state = { status: 'not_entered' });
    const entered = await act.journeyEnter({ ...ref, entryEventId: e.eventId, now: Date.now() });
    if (!entered.entered) continue;
    run = { version: entered.version, entryNo: entered.entryNo, entryEventId: e.eventId, stepId: entered.start, since: Date.now(), seq: 1, seen: [], pending: [] };
    await act.journeyTransition({ ...ref, version: run.version, entryNo: run.entryNo, seq: 1, at: run.since, to: run.stepId });
  }
  const { version, entryNo, entryEventId } = run;
  const ctx: RunContext = { ...ref, version, entryEventId };
  const def: JourneyDefinition = await act.journeyDefinition({ appId, journeyId, version });
  const steps = new Map(def.steps.map((s) => [s.id, s]));
  let cur = run.stepId;
  let since = run.since;
  let seq = run.seq;
  state = { status: 'active', version, entryNo, stepId: cur };

  /** Records leaving the current step by `via` into `to` (or out of the journey with `end`). */
  async function move(via: string, to: string | undefined, extra: { outcome?: string; gatedOut?: string } = {}, end?: { status: Exclude<RunStatus, 'active'>; reason?: ExitReason }) {
    seq++;
    const at = Date.now();
    await act.journeyTransition({ ...ref, version, entryNo, seq, at, left: { stepId: cur, since, via, ...extra }, ...(to ? { to } : {}), ...(end ? { end } : {}) });
    since = at;
    if (to) cur = to;
    state = end ? { status: end.status, version, entryNo, stepId: cur } : { status: 'active', version, entryNo, stepId: cur };
  }

  const leave = async (status: Exclude<RunStatus, 'active'>, reason?: ExitReason): Promise<JourneyRunStatus> => {
    await move(reason ?? status, undefined, {}, { status, ...(reason ? { reason } : {}) });
    return state;
  };

  /** Whether a goal event arrived: the ones named like the goal are read and matched, then dropped. */
  async function goalReached(): Promise<boolean> {
    if (!def.goal) return false;
    const ids = takePending((e) => e.name === def.goal!.event);
    return ids.length > 0 && (await act.journeyMatchEvent({ ctx, eventIds: ids, name: def.goal.event, ...(def.goal.conditions ? { conditions: def.goal.conditions } : {}) })) !== null;
  }

  function takePending(which: (e: JourneyEventSignal) => boolean): string[] {
    const taken = pending.filter(which).map((e) => e.eventId);
    const rest = pending.filter((e) => !which(e));
    pending.length = 0;
    pending.push(...rest);
    return taken;
  }

  type Interrupt = 'goal' | 'archived';

  /**
   * At a step boundary or inside a wait (whose end is computed from `since`, so it holds across
   * the new run): past the history limit, continue as new carrying where the run is.
   */
  async function keepHistorySmall(): Promise<void> {
    const info = workflowInfo();
    if (!info.continueAsNewSuggested && info.historyLength <= (input.historyLimit ?? HISTORY_LIMIT)) return;
    const carried: CarriedRun = { version, entryNo, entryEventId, stepId: cur, since, seq, seen: [...seen].slice(-SEEN_KEPT), pending };
    await continueAsNew<typeof journeyRun>({ ...input, carried });
  }

  /** Waits until `until`, unless the goal or an archive comes first; other events are not for this step. */
  async function hold(until: number): Promise<Interrupt | undefined> {
    for (;;) {
      const left = until - Date.now();
      if (left <= 0 || !(await condition(() => archived || pending.length > 0, left))) return undefined;
      if (archived) return 'archived';
      if (await goalReached()) return 'goal';
      pending.length = 0;
      await keepHistorySmall();
    }
  }

  /**
   * Until the device reports the push opened (a receipt told to the run), the goal, an archive,
   * or `until`. Never continued as new here: the new run would start the send step again.
   */
  async function waitForOpen(messageId: string, until: number): Promise<Interrupt | 'opened' | undefined> {
    for (;;) {
      const left = until - Date.now();
      if (left <= 0 || !(await condition(() => archived || pending.length > 0, left))) return undefined;
      if (archived) return 'archived';
      if (await goalReached()) return 'goal';
      const opens = takePending((e) => e.name === OPENED_SIGNAL && e.eventId === `opened:${messageId}`);
      pending.length = 0;
      if (opens.length > 0) return 'opened';
    }
  }

  async function waitForEvent(step: WaitForEventStep): Promise<Interrupt | 'received' | 'timedOut'> {
    const until = since + durationMs(step.timeout);
    for (;;) {
      if (archived) return 'archived';
      if (await goalReached()) return 'goal';
      const ids = takePending((e) => e.name === step.event);
      pending.length = 0;
      if (ids.length > 0 && (await act.journeyMatchEvent({ ctx, eventIds: ids, name: step.event, ...(step.conditions ? { conditions: step.conditions } : {}) })) !== null) return 'received';
      await keepHistorySmall();
      const left = until - Date.now();
      if (left <= 0 || !(await condition(() => archived || pending.length > 0, left))) return 'timedOut';
    }
  }

  /** Before a send: a paused journey holds the run (until resumed or archived); an archived one ends it. */
  async function mayContinue(): Promise<boolean> {
    for (;;) {
      if (archived) return false;
      const journeyState = await act.journeyState({ appId, journeyId });
      if (journeyState === 'archived') return false;
      if (journeyState !== 'paused') return true;
      state = { ...state, status: 'held' };
      const seenResumes = resumes;
      await condition(() => archived || resumes > seenResumes, HOLD_RECHECK);
      state = { ...state, status: 'active' };
    }
  }

  async function send(step: SendStep): Promise<{ outcome: string; reason?: string } | 'gone' | Interrupt> {
    if (def.sendRatePerSecond !== undefined && patched(SEND_RATE_PATCH)) await slots.journeySendSlot({ appId, journeyId, perSecond: def.sendRatePerSecond });
    const prep = await act.journeyPrepareSend({ ctx, runKey, entryNo, step });
    if ('gone' in prep) return 'gone';
    const status: MessageStatus = await executeChild(pushWithSmsFallback, {
      workflowId: messageWorkflowId(appId, prep.messageId),
      args: [{ appId, messageId: prep.messageId, fallbackTimeoutMs: prep.fallbackTimeoutMs, smsFallback: prep.smsFallback, channels: prep.channels }],
      // Archiving a journey never cuts a send in half.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    const result = await act.journeySendOutcome({ appId, messageId: prep.messageId, status });
    // A delivered push may still be opened: the step waits out its outcome window before taking the delivered (or default) path.
    const waitsForClick = typeof step.next !== 'string' && step.next.clicked !== undefined && step.outcomeWindow !== undefined;
    if (!waitsForClick || result.outcome !== 'delivered' || !patched(OUTCOME_WINDOW_PATCH)) return result;
    const opened = await waitForOpen(prep.messageId, since + durationMs(step.outcomeWindow!));
    if (opened !== 'opened') return opened ?? result;
    return act.journeySendOutcome({ appId, messageId: prep.messageId, status });
  }

  for (;;) {
    if (archived) return leave('exited', 'archived');
    if (await goalReached()) return leave('converted');
    if (def.exitSegment && (await act.journeyBranch({ appId, profileId, conditions: [{ inSegment: def.exitSegment }] })) !== 0) return leave('exited', 'left_segment');
    await keepHistorySmall();
    const step: JourneyStep = steps.get(cur)!;
    switch (step.kind) {
      case 'wait':
      case 'waitUntil': {
        // From the step's start, so a run continued as new mid-wait waits the same.
        const ms = step.kind === 'wait' ? durationMs(step.duration) : await act.journeyLocalWait({ appId, profileId, time: step.time, ...(step.weekdays ? { weekdays: step.weekdays } : {}), now: since });
        const interrupted = await hold(since + ms);
        if (interrupted) return interrupted === 'goal' ? leave('converted') : leave('exited', 'archived');
        await move('next', step.next);
        break;
      }
      case 'waitForEvent': {
        const got = await waitForEvent(step);
        if (got === 'goal') return leave('converted');
        if (got === 'archived') return leave('exited', 'archived');
        await move(got, step.next[got]);
        break;
      }
      case 'branch': {
        const i = await act.journeyBranch({ appId, profileId, conditions: step.branches.map((b) => b.when) });
        if (i === 'profile_gone') return leave('exited', 'profile_gone');
        const taken = i >= 0 ? step.branches[i]! : undefined;
        await move(taken ? (taken.name ?? `branch ${i + 1}`) : 'default', taken ? taken.next : step.default);
        break;
      }
      case 'split': {
        const i = splitPath(step.paths.map((p) => p.percent), splitBucket(journeyId, version, step.id, profileId));
        const path = step.paths[i]!;
        await move(path.name ?? `path ${i + 1}`, path.next);
        break;
      }
      case 'send': {
        if (!(await mayContinue())) return leave('exited', 'archived');
        const result = await send(step);
        if (result === 'gone') return leave('exited', 'profile_gone');
        if (result === 'goal') return leave('converted');
        if (result === 'archived') return leave('exited', 'archived');
        const next = typeof step.next === 'string' ? step.next : (step.next[result.outcome as keyof typeof step.next] ?? step.next.default);
        await move(result.outcome, next, { outcome: result.outcome, ...(result.reason ? { gatedOut: result.reason } : {}) });
        break;
      }
      case 'updateProfile': {
        const done = await act.journeyUpdateProfile({ ctx, set: step.set });
        await move(done.ok ? 'next' : 'invalid', step.next);
        break;
      }
      case 'exit':
        return leave('completed');
    }
  }
}
