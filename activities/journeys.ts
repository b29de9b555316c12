/**
 * Activities of a journey run (workflows/journeyRun.ts): everything that reads or writes the
 * database or the clock of a zone. The workflow passes its own time (`now`), so local times
 * and re-entry windows follow Temporal's clock, also on the time-skipping server.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { isDuplicateKey, type Db } from '../data/db';
import { findByIds } from '../data/findByIds';
import type { EventDoc } from '../data/models/events';
import type { MessageDoc } from '../data/models/messages';
import type { ProfileDoc } from '../data/models/profiles';
import { NO_ENTRY_KEY, eventMatches, journeyWorkflowId, profileLocalId, reasonKey, sendOutcomeOf, type JourneyControl } from '../domain/journeyRuns';
import type { JourneyProfileDoc } from '../data/models/journeyRuns';
import { durationMs, WEEKDAYS, type BranchCondition, type EventCondition, type JourneyDefinition, type ProfileValue, type SendStep, type Weekday } from '../domain/journeys';
import type { MessageStatus } from '../domain/messages';
import { deliverySettingsOf } from '../gate/settings';
import { decideSend } from '../gate/sendGate';
import { localDayNumber, instantsOfWallTime, parseClock, profileTimeZone } from '../gate/localTime';
import { messageDocId, newMessageId, scopedId, sha256 } from '../lib/ids';
import { findVersion } from '../journeys/store';
import { heartbeat } from './heartbeat';
import { createSendRateLimiter } from './sendRateLimiter';
import { enterJourney, recordTransition, type RunRef, type Transition } from '../journeys/runs';
import { segmentFilter } from '../segments/evaluateSegment';
import { validateAttributes } from '../attributes/registry';
import { attributeWrites } from '../profiles/upsertProfile';

export interface JourneyDeps {
  db: Db;
}

/** A run's identity and the event it entered on, as the activities need them. */
export interface RunContext extends RunRef {
  version: number;
  entryEventId: string;
}

const DEFAULT_FALLBACK_MS = 5 * 60_000;

export function journeySendMessageId(appId: string, journeyId: string, runKey: string, entryNo: number, stepId: string): string {
  return newMessageId(appId, `journey:${journeyId}:${runKey}:${entryNo}:${stepId}`);
}

export function createJourneyActivities({ db }: JourneyDeps) {
  const limiter = createSendRateLimiter(db);
  /** The entry event's attribute (`entry.x`) or the profile's (`profile.x`). */
  async function valueSource(ctx: RunContext): Promise<(ref: string) => string | number | boolean | null | undefined> {
    const [entry, profile] = await Promise.all([
      db.events.findOne({ _id: scopedId(ctx.appId, ctx.entryEventId) }, { attributes: 1 }).lean<EventDoc>(),
      db.profiles.findOne({ _id: ctx.profileId }, { attributes: 1 }).lean<ProfileDoc>(),
    ]);
    return (ref) => {
      const [from, name] = ref.split('.') as [string, string];
      const v = (from === 'entry' ? entry?.attributes : profile?.attributes)?.[name];
      return v instanceof Date ? v.toISOString() : (v as string | number | boolean | null | undefined);
    };
  }

  async function holds(appId: string, profileId: string, rule: unknown): Promise<boolean> {
    const { filter } = await segmentFilter(db, appId, rule, 'rule', undefined, [profileId]);
    return (await db.profiles.countDocuments(filter)) > 0;
  }

  async function savedSegmentHolds(appId: string, profileId: string, segmentId: string): Promise<boolean> {
    const segment = await db.segments.findOne({ _id: scopedId(appId, segmentId) }, { rule: 1 }).lean();
    return segment ? holds(appId, profileId, segment.rule) : false;
  }

  async function conditionHolds(appId: string, profile: ProfileDoc, when: BranchCondition): Promise<boolean> {
    if (when.reachable && !decideSend({ profile, channel: when.reachable.channel, category: when.reachable.category }).allowed) return false;
    if (when.inSegment && !(await savedSegmentHolds(appId, profile._id, when.inSegment))) return false;
    if (when.notInSegment && (await savedSegmentHolds(appId, profile._id, when.notInSegment))) return false;
    if (when.rule !== undefined && !(await holds(appId, profile._id, when.rule))) return false;
    return true;
  }

  return {
    /** Signals `control` to every active run of the journey, a page of profiles at a time; the heartbeat holds the last `_id` done. */
    async journeySignalRuns(input: { appId: string; journeyId: string; control: JourneyControl }): Promise<number> {
      const ctx = Context.current();
      let after = (ctx.info.heartbeatDetails as { after?: string } | undefined)?.after;
      let signalled = (ctx.info.heartbeatDetails as { signalled?: number } | undefined)?.signalled ?? 0;
      for (;;) {
        const page = await db.journeyProfiles
          .find({ appId: input.appId, journeyId: input.journeyId, ...(after ? { _id: { $gt: after } } : {}) }, { runs: 1, profileId: 1 })
          .sort({ _id: 1 }).limit(200).lean<JourneyProfileDoc[]>();
        if (page.length === 0) return signalled;
        for (const doc of page) {
          for (const [key, run] of Object.entries(doc.runs ?? {})) {
            if (run.status !== 'active') continue;
            const id = journeyWorkflowId(input.appId, input.journeyId, profileLocalId(doc.profileId), key === NO_ENTRY_KEY ? undefined : key);
            await ctx.client.workflow.getHandle(id).signal('journeyControl', input.control).then(() => signalled++, (err: unknown) => {
              if (!(err instanceof WorkflowNotFoundError)) throw err;
            });
          }
        }
        after = page[page.length - 1]!._id;
        heartbeat({ after, signalled });
      }
    },

    journeyEnter: (input: RunRef & { entryEventId: string; now: number }) => enterJourney(db, input, input.entryEventId, new Date(input.now)),

    async journeyDefinition(input: { appId: string; journeyId: string; version: number }): Promise<JourneyDefinition> {
      const v = await findVersion(db, input.appId, input.journeyId, input.version);
      if (!v) throw new Error(`journey ${input.journeyId} has no version ${input.version}`);
      return v.definition;
    },

    journeyTransition: (t: Transition) => recordTransition(db, t),

    async journeyState(input: { appId: string; journeyId: string }): Promise<string> {
      const j = await db.journeys.findOne({ _id: scopedId(input.appId, input.journeyId) }, { state: 1 }).lean();
      return j?.state ?? 'archived';
    },

    /**
     * The first of these events (ids from signals) of the profile that has the name, meets the
     * conditions and did not happen before the entry event (one sent late from an offline device
     * may arrive after the run began, yet belong before it).
     */
    async journeyMatchEvent(input: { ctx: RunContext; eventIds: string[]; name: string; conditions?: EventCondition[] }): Promise<string | null> {
      const { ctx } = input;
      const ids = [...input.eventIds, ctx.entryEventId].map((id) => scopedId(ctx.appId, id));
      const docs = await findByIds<EventDoc>(db.events, ids, { eventId: 1, name: 1, attributes: 1, occurredAt: 1, profileId: 1 });
      const notBefore = docs.get(scopedId(ctx.appId, ctx.entryEventId))?.occurredAt.getTime() ?? 0;
      const from = input.conditions?.some((c) => c.valueFrom) ? await valueSource(ctx) : undefined;
      for (const id of input.eventIds) {
        const e = docs.get(scopedId(ctx.appId, id));
        if (!e || e.name !== input.name || e.profileId !== ctx.profileId || e.occurredAt.getTime() < notBefore) continue;
        if (eventMatches(input.conditions, e.attributes ?? {}, from)) return id;
      }
      return null;
    },

    /** The index of the first branch whose condition holds for the profile now; -1 for the default. */
    async journeyBranch(input: { appId: string; profileId: string; conditions: BranchCondition[] }): Promise<number | 'profile_gone'> {
      const profile = await db.profiles.findOne({ _id: input.profileId }).lean<ProfileDoc>();
      if (!profile) return 'profile_gone';
      for (let i = 0; i < input.conditions.length; i++) if (await conditionHolds(input.appId, profile, input.conditions[i]!)) return i;
      return -1;
    },

    /** Milliseconds from `now` until the profile's local clock next shows `time` (on an allowed weekday). */
    async journeyLocalWait(input: { appId: string; profileId: string; time: string; weekdays?: Weekday[]; now: number }): Promise<number> {
      const [profile, settings] = await Promise.all([db.profiles.findOne({ _id: input.profileId }, { devices: 1 }).lean<ProfileDoc>(), deliverySettingsOf(db, input.appId)]);
      const { timeZone } = profileTimeZone(profile?.devices, settings.timeZone);
      const minute = parseClock(input.time);
      const today = localDayNumber(input.now, timeZone);
      for (let day = today; day <= today + 8; day++) {
        // Day 0 (1970-01-01) was a Thursday.
        const weekday: Weekday = WEEKDAYS[(day + 3) % 7]!;
        if (input.weekdays?.length && !input.weekdays.includes(weekday)) continue;
        const at = instantsOfWallTime(day, minute, timeZone).find((t) => t >= input.now);
        if (at !== undefined) return at - input.now;
      }
      throw new Error(`no ${input.time} on ${input.weekdays?.join(',')} in ${timeZone} within eight days`);
    },

    /** One send under the journey's own rate (its sends per second across every worker), waiting for it as long as needed. */
    async journeySendSlot(input: { appId: string; journeyId: string; perSecond: number }): Promise<void> {
      await limiter.acquire(input.appId, `journey-${input.journeyId}`, 1, input.perSecond, heartbeat);
    },

    /** The send step's message, written once under an id derived from the run and the step; answers what its workflow needs. */
    async journeyPrepareSend(input: { ctx: RunContext; runKey: string; entryNo: number; step: SendStep }) {
      const { ctx, step } = input;
      const messageId = journeySendMessageId(ctx.appId, ctx.journeyId, input.runKey, input.entryNo, step.id);
      const fallbackTimeoutMs = step.fallbackAfter ? durationMs(step.fallbackAfter) : DEFAULT_FALLBACK_MS;
      const smsFallback = step.channels.includes('sms');
      const profile = await db.profiles.findOne({ _id: ctx.profileId }, { externalId: 1, anonymousIds: 1 }).lean<ProfileDoc>();
      if (!profile) return { messageId, gone: true as const };
      const now = new Date();
      const doc: MessageDoc = {
        _id: messageDocId(ctx.appId, messageId), messageId, appId: ctx.appId, profileId: ctx.profileId,
        externalId: profile.externalId ?? profile.anonymousIds?.[0] ?? profile._id,
        category: step.category, channels: step.channels, template: { id: step.template.id, version: step.template.version! },
        smsFallback, fallbackTimeoutMs, journeyRun: journeyWorkflowId(ctx.appId, ctx.journeyId, input.runKey), idempotencyKey: `journey:${ctx.journeyId}:${input.runKey}:${input.entryNo}:${step.id}`,
        requestHash: sha256(JSON.stringify({ journey: ctx.journeyId, version: ctx.version, step: step.id })),
        status: 'accepted', timeline: { accepted: now }, reasons: {}, createdAt: now, updatedAt: now,
      };
      await db.messages.create(doc).catch((err: unknown) => {
        if (!isDuplicateKey(err)) throw err; // written by an earlier attempt
      });
      return { messageId, channels: step.channels, smsFallback, fallbackTimeoutMs };
    },

    /** A finished send's outcome for the step's next: clicked (opened), delivered, gated out (with the first channel's reason), or failed. */
    async journeySendOutcome(input: { appId: string; messageId: string; status: MessageStatus }): Promise<{ outcome: string; reason?: string }> {
      const m = await db.messages.findOne({ _id: messageDocId(input.appId, input.messageId) }, { timeline: 1, reasons: 1, channels: 1 }).lean<MessageDoc>();
      const outcome = sendOutcomeOf(input.status, m?.timeline?.push_opened !== undefined);
      if (outcome !== 'gatedOut') return { outcome };
      const first = m?.channels?.find((c) => m.reasons?.[c]) ?? 'push';
      return { outcome, reason: reasonKey(m?.reasons?.[first]) };
    },

    /** Sets the step's attributes, typed by the app's registry; `valueFrom` takes the entry event's or the profile's value. */
    async journeyUpdateProfile(input: { ctx: RunContext; set: Record<string, ProfileValue> }): Promise<{ ok: boolean; issues?: string[] }> {
      const { ctx } = input;
      const from = Object.values(input.set).some((v) => v !== null && typeof v === 'object' && !Array.isArray(v)) ? await valueSource(ctx) : undefined;
      const raw = Object.fromEntries(Object.entries(input.set).map(([k, v]) => [k, v !== null && typeof v === 'object' && !Array.isArray(v) ? (from!(v.valueFrom) ?? null) : v]));
      const { values, issues } = await validateAttributes(db, ctx.appId, raw, 'set');
      if (issues.length > 0) return { ok: false, issues: issues.map((i) => `${i.path}: ${i.message}`) };
      const { set, unset } = attributeWrites(values);
      await db.profiles.updateOne({ _id: ctx.profileId }, { ...(Object.keys(set).length ? { $set: set } : {}), ...(Object.keys(unset).length ? { $unset: unset } : {}) });
      return { ok: true };
    },
  };
}

export type JourneyActivities = ReturnType<typeof createJourneyActivities>;
